/**
 * Issue 17 §5: floods of tcp:// connections held idle or half-sent
 * (slowloris) from another process: the flood limits of Rule 5, in the suite
 * every stream transport runs (@ipckit/core/testing's runFloodTests).
 */
import { describe, it } from 'vitest';
import { runFloodTests } from '@ipckit/core/testing';
import { transport } from '@ipckit/tcp';

const port = (name: string): number => Number(name.split(':')[1]);

runFloodTests(
  { describe, test: (name, fn, ms) => it(name, fn, ms) },
  {
    label: 'tcp://',
    listen: (options) => transport.listen('127.0.0.1:0', options),
    target: (listener) => ({ host: '127.0.0.1', port: port(listener.name) }),
    address: (listener) => `tcp://${listener.name}`,
  },
);
