// Lesson 5, exercise: read a bench run yourself. Complete the TODO, then check your attempt:
// npm run lesson -- check 5   (the solution: src/exercises/ex5-ratios.ts)
//
//   node ex5-ratios.mjs <run.json>    one line a message size, ending with the ratio, e.g. "… = ×39.5"
//
// run.results holds { target, scenario, sizeBytes, latencyNs: { p50 } }; the named pipe is target
// "pipe", shared memory through the sync API "shm-sync", round trips scenario "ping-pong".
import { readFileSync } from 'node:fs';

const run = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const size of run.options.sizes) {
  // TODO: find both medians at this size and print the pipe's divided by shared memory's, as
  //       ×<three significant digits> (Number.prototype.toPrecision(3)).
  console.log(`${size} B: not computed yet`);
}
