// Issue 17 §5 on Windows: floods of named-pipe connections held idle or half-sent from another
// node.exe, against the flood limits of Rule 5 (the suite every stream transport runs). The Windows
// lane runs it with node.exe in Wine; on Windows, `node --test "packages/named-pipe/test/win32/*.test.mjs"`.
// The per-process share of the backlog is POSIX only (SO_PEERCRED): not here.
import { describe, it } from 'node:test';
import { uniqueName } from '@ipckit/core';
import { runFloodTests } from '@ipckit/core/testing';
import { transport } from '@ipckit/named-pipe';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

runFloodTests(
  { describe, test: (name, fn, timeoutMs) => it(name, { timeout: timeoutMs }, fn) },
  {
    label: 'pipe:// (Windows named pipes)',
    listen: (options) => transport.listen(uniqueName('flood'), options),
    target: (listener) => ({ path: listener.path }),
    address: (listener) => `pipe://${listener.name}`,
  },
);
