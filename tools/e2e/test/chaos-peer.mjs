// The processes of the chaos test (chaos.test.ts), plain JavaScript run by Node as it is:
//
//   node chaos-peer.mjs server <address> <warm-up address> <duplex 1|0>
//     Warms the transport up (listen, connect, one message, close), counts its open file
//     descriptors, then serves <address> with serve(): each channel's messages are checked
//     (in order, whole, per writer) and, on a duplex transport, echoed. On the stdin line
//     `stop` it closes the listener, waits for every channel to close, counts its file
//     descriptors again and reports {"event":"stopped", fdsBefore, fdsAfter, counts, errors}.
//
//   node chaos-peer.mjs client <address> <writer id> <duplex 1|0>
//     Connects (waiting for the listener) and sends numbered, checksummed messages until the
//     stdin line `stop`; on a duplex transport it checks every echo as it comes. Then it waits
//     for the last echo, closes, and reports {"event":"done", sent, echoed}.
import { readdirSync } from 'node:fs';
import { connect, listen, serve } from '@ipckit/core';
import { SequenceChecker, report, runPeer, sequenceMessage } from '@ipckit/core/testing';

/** Open file descriptors of this process (Linux). */
const countFds = () => readdirSync('/proc/self/fd').length;

/** Resolves on the first stdin line that is `line`. */
function stdinLine(line) {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      text += chunk;
      if (text.split('\n').some((l) => l.trim() === line)) resolve();
    });
  });
}

/** The errors of a peer that went away: normal here, where peers are killed on purpose. */
const PEER_GONE = new Set(['EPIPE', 'ECLOSED']);

async function warmUp(address) {
  const listener = await listen(address);
  // tcp://127.0.0.1:0 asks for a free port: connect to the one given.
  const target = address.startsWith('tcp://') ? `tcp://${listener.name}` : address;
  const client = await connect(target);
  const server = (await listener[Symbol.asyncIterator]().next()).value;
  await client.send(new Uint8Array([1]));
  await server.receive({ timeoutMs: 10_000 });
  await client.close();
  await server.close();
  await listener.close();
}

async function runServer(address, warmAddress, duplex) {
  await warmUp(warmAddress);
  // Let the closes of the warm-up finish before counting.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const fdsBefore = countFds();
  const listener = await listen(address, { backlog: 64 });
  const checker = new SequenceChecker();
  const errors = [];
  const record = (error) => {
    if (error && PEER_GONE.has(error.code)) return;
    errors.push(`${error?.code ?? ''} ${error?.message ?? String(error)}`);
  };
  const serving = serve(
    listener,
    async (channel) => {
      for await (const message of channel) {
        // Throws on a message out of order, duplicated or corrupt: recorded as an error.
        checker.accept(message);
        if (duplex) await channel.send(message);
      }
    },
    { onError: record },
  ).catch(record);
  await report('ready', { name: listener.name });
  await stdinLine('stop');
  await listener.close();
  await serving;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const counts = {};
  for (let writer = 1; writer <= 64; writer++) if (checker.countOf(writer) > 0) counts[writer] = checker.countOf(writer);
  await report('stopped', { fdsBefore, fdsAfter: countFds(), counts, errors });
}

async function runClient(address, writer, duplex) {
  const channel = await connect(address, { waitForListener: true, timeoutMs: 20_000 });
  await report('ready');
  let stopping = false;
  void stdinLine('stop').then(() => (stopping = true));
  const echoes = new SequenceChecker();
  const reading = duplex
    ? (async () => {
        for await (const message of channel) echoes.accept(message);
      })()
    : Promise.resolve();
  let sent = 0;
  while (!stopping) {
    await channel.send(sequenceMessage(writer, sent));
    sent++;
    // A breath now and then, so that a run lasts for the chaos rather than for the transport's speed.
    if (sent % 64 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (duplex) {
    while (echoes.countOf(writer) < sent) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await channel.close();
  await reading;
  await report('done', { sent, echoed: echoes.countOf(writer) });
}

async function main() {
  const [role, address, ...args] = process.argv.slice(2);
  if (role === 'server') return runServer(address, args[0], args[1] === '1');
  if (role === 'client') return runClient(address, Number(args[0]), args[1] === '1');
  throw new Error(`unknown role ${role}`);
}

void runPeer(main);
