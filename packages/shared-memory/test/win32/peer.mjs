// A peer node.exe for regions.test.mjs: one region operation in its own process. It answers with
// one JSON line per event on stdout and, where it holds something, waits for a line on stdin
// (or to be killed) before it lets go.
//
//   create <name> <size> <byte>          createRegion, fill with <byte>, {"event":"ready"}, wait, close
//   hold <name>                          openRegion, {"event":"ready","size":..}, wait, close
//   write <name> <offset> <byte>         openRegion, write one byte, close, {"event":"done"}
//   read <name> <offset> <length>        openRegion read-only, {"event":"done","bytes":[..],"size":..}
//   file-write <path> <offset> <byte>    openFileRegion, write one byte, flush, close, {"event":"done"}
//   use-after-close <name> <offset>      openRegion, keep its and a view's arrays, close, collect
//                                        garbage, then read and write them: {"event":"done","seen":[..]}
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { report, runPeer } from '@ipckit/core/testing';
import { createRegion, openFileRegion, openRegion } from '@ipckit/shared-memory';

const quitLine = () => new Promise((resolve) => process.stdin.once('data', resolve));

const [cmd, name, a, b] = process.argv.slice(2);
await runPeer(async () => {
  switch (cmd) {
    case 'create': {
      const region = await createRegion(name, Number(a));
      region.bytes.fill(Number(b));
      await report('ready', { size: region.size });
      await quitLine();
      region.close();
      break;
    }
    case 'hold': {
      const region = await openRegion(name);
      await report('ready', { size: region.size });
      await quitLine();
      region.close();
      break;
    }
    case 'write': {
      const region = await openRegion(name);
      region.write(new Uint8Array([Number(b)]), Number(a));
      region.close();
      await report('done');
      break;
    }
    case 'read': {
      const region = await openRegion(name, { readOnly: true });
      const bytes = [...region.read(Number(a), Number(b))];
      const size = region.size;
      region.close();
      await report('done', { bytes, size });
      break;
    }
    case 'file-write': {
      const region = await openFileRegion(name);
      region.write(new Uint8Array([Number(b)]), Number(a));
      region.flush();
      region.close();
      await report('done');
      break;
    }
    case 'use-after-close': {
      const region = await openRegion(name);
      const bytes = region.bytes;
      const view = region.view(Number(a), 16);
      const viewBytes = view.bytes;
      region.close();
      // Full garbage collections (and a turn of the event loop for finalizers) while the arrays
      // are still referenced: whatever stands behind them must stay valid.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc');
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const seen = [];
      for (let round = 0; round < 1000; round++) {
        // Element writes: a detached array ignores them (fill() would throw a TypeError).
        for (let i = 0; i < 65_536; i += 512) bytes[i] = round & 0xff;
        for (let i = 0; i < 16; i++) viewBytes[i] = round & 0xff;
      }
      seen.push(bytes.length === 0 ? 'detached' : bytes[0], viewBytes.length === 0 ? 'detached' : viewBytes[15]);
      await report('done', { seen });
      break;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
});
