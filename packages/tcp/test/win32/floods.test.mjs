// Issue 17 §5 on Windows: floods of tcp:// connections held idle or half-sent from another
// node.exe, against the flood limits of Rule 5 (the suite every stream transport runs). The Windows
// lane runs it with node.exe in Wine; on Windows, `node --test "packages/tcp/test/win32/*.test.mjs"`.
import { describe, it } from 'node:test';
import { runFloodTests } from '@ipckit/core/testing';
import { transport } from '@ipckit/tcp';

if (process.platform !== 'win32') throw new Error('these are the Windows tests: run them with Windows Node (the Windows lane runs them under Wine)');

runFloodTests(
  { describe, test: (name, fn, timeoutMs) => it(name, { timeout: timeoutMs }, fn) },
  {
    label: 'tcp:// (Windows)',
    listen: (options) => transport.listen('127.0.0.1:0', options),
    target: (listener) => ({ host: '127.0.0.1', port: Number(listener.name.split(':')[1]) }),
    address: (listener) => `tcp://${listener.name}`,
  },
);
