// A peer node.exe for mailslot.test.mjs. One JSON line per event on stdout.
//
//   send-sequence <name> <writer> <count>   connectMailslot, {"event":"ready"}, sends sequence messages
//                                           0..count-1 of <writer>, closes, {"event":"done"}
//   hold <name>                             listenMailslot, {"event":"ready","path":..}, waits for a line
//                                           on stdin (or to be killed), closes, exits
import { report, runPeer, sequenceMessage } from '@ipckit/core/testing';
import { connectMailslot, listenMailslot } from '@ipckit/mailslot';

const [cmd, name, a, b] = process.argv.slice(2);
await runPeer(async () => {
  switch (cmd) {
    case 'send-sequence': {
      const writer = Number(a);
      const count = Number(b);
      const channel = await connectMailslot(name);
      await report('ready');
      for (let seq = 0; seq < count; seq++) await channel.send(sequenceMessage(writer, seq));
      await channel.close();
      await report('done', { sent: count });
      break;
    }
    case 'hold': {
      const listener = await listenMailslot(name);
      await report('ready', { path: listener.path });
      await new Promise((resolve) => process.stdin.once('data', resolve));
      await listener.close();
      break;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
});
