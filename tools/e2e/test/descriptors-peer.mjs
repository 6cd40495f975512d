// The client of descriptors.test.ts, plain JavaScript run by Node as it is:
//
//   prlimit --nofile=N node descriptors-peer.mjs <address>
//     Connects once and closes (so that every module the transport loads lazily is loaded:
//     an import needs descriptors too), then opens /dev/null until the OS refuses another descriptor (EMFILE), then connects to
//     <address> and reports {"event":"done", code, osCode} of the connect's failure (or
//     {"event":"done", code: null} if it connected), having closed what it opened.
import { closeSync, openSync } from 'node:fs';
import { connect } from '@ipckit/core';
import { report } from '@ipckit/core/testing';

const address = process.argv[2];
const first = await connect(address, { timeoutMs: 30_000 });
await first.close();
const held = [];
for (;;) {
  try {
    held.push(openSync('/dev/null', 'r'));
  } catch (error) {
    if (error.code !== 'EMFILE') throw error;
    break;
  }
}
let outcome;
try {
  const channel = await connect(address, { timeoutMs: 30_000 });
  outcome = { code: null };
  await channel.close({ timeoutMs: 0 });
} catch (error) {
  outcome = { code: error.code, osCode: error.osCode, message: error.message };
}
for (const fd of held) closeSync(fd);
await report('done', { held: held.length, ...outcome });
process.exit(0);
