// How much a tcp:// listener holds under a slowloris flood of partial frames (issue 17 §5):
// 64 connections from another process each announce a 16 MiB frame and send all of it but one
// byte. Prints the listener's RSS before and during the flood, the partial-frame bytes it holds and
// how many channels were closed for want of budget. A measurement, not a test:
//   node tools/floods/rss.mjs [budget MiB | default]
import { serve } from '@ipckit/core';
import { floodPeer } from '@ipckit/core/testing';
import { transport } from '@ipckit/tcp';
const MIB = 1024 * 1024;
const budget = process.argv[2] === 'default' ? undefined : Number(process.argv[2]) * MIB;
const rss0 = process.memoryUsage().rss;
const listener = await transport.listen('127.0.0.1:0', { firstMessageTimeoutMs: 0, ...(budget ? { maxPartialFrameBytes: budget } : {}) });
let errors = 0;
const serving = serve(
  listener,
  async (ch) => {
    for await (const m of ch) await ch.send(m);
  },
  { onError: () => errors++ },
);
const port = Number(listener.name.split(':')[1]);
const flood = floodPeer({ host: '127.0.0.1', port }, { count: 64, announce: 16 * MIB, send: 16 * MIB - 1 });
await flood.waitForEvent('connected', 120000);
// let the bytes arrive: wait until the kernel has delivered (partialFrameBytes stable)
let last = -1,
  stable = 0;
while (stable < 10) {
  await new Promise((r) => setTimeout(r, 200));
  const v = listener.partialFrameBytes;
  if (v === last) stable++;
  else stable = 0;
  last = v;
}
global.gc?.();
console.log(
  JSON.stringify({
    budgetMiB: budget ? budget / MIB : 64,
    rssBeforeMB: Math.round(rss0 / 1e6),
    rssFloodMB: Math.round(process.memoryUsage().rss / 1e6),
    partialFrameMiB: +(listener.partialFrameBytes / MIB).toFixed(1),
    closedForBudget: errors,
  }),
);
flood.endInput();
await flood.kill();
await listener.close();
await serving.catch(() => {});
process.exit(0);
