#!/usr/bin/env node
// Runs a command on a busy machine: two busy loops per CPU core beside it, for as long as it runs
// (issue 17 §7: the suite must hold when the machine is busy).
//
//   node tools/busy/run.mjs [--per-core N] -- <command> [args...]
//   e.g. node tools/busy/run.mjs -- npm test
//
// The loops are Node processes spinning at normal priority; they are killed when the command ends
// (or this script is interrupted). Exits with the command's status.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const own = split === -1 ? [] : argv.slice(0, split);
const command = split === -1 ? argv : argv.slice(split + 1);
let perCore = 2;
for (let i = 0; i < own.length; i++) {
  if (own[i] === '--per-core') perCore = Number(own[++i]);
  else {
    console.error(`busy: unknown option ${own[i]}`);
    process.exit(2);
  }
}
if (command.length === 0 || !Number.isInteger(perCore) || perCore < 1) {
  console.error('usage: node tools/busy/run.mjs [--per-core N] -- <command> [args...]');
  process.exit(2);
}

const count = availableParallelism() * perCore;
const loops = Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
console.error(`busy: ${count} busy loops (${perCore} per core) beside: ${command.join(' ')}`);

const stopLoops = () => {
  for (const loop of loops) if (loop.exitCode === null && loop.signalCode === null) loop.kill('SIGKILL');
};
process.on('exit', stopLoops);

const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child.kill(signal);
  });
}
child.on('error', (error) => {
  console.error(`busy: could not start ${command[0]}: ${error.message}`);
  stopLoops();
  process.exit(127);
});
child.on('exit', (code, signal) => {
  stopLoops();
  console.error(`busy: ${command.join(' ')} ended with ${signal ?? `exit code ${code}`}`);
  process.exit(code ?? 1);
});
