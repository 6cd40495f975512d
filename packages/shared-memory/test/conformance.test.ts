import { afterAll, describe, expect, it } from 'vitest';
import { runConformance } from '@ipckit/core/testing';
import { conformanceOptions } from '@ipckit/shared-memory/testing';
import { shmLeftovers } from './helpers.js';

runConformance({ describe, test: (name, fn, timeoutMs) => it(name, fn, timeoutMs) }, conformanceOptions);

afterAll(async () => {
  // The suite SIGKILLs its listener peers: what they leave behind is exactly
  // what the next listen() sweeps (stale ipckit objects of dead processes).
  // Do that sweep now, and check that nothing else is left.
  const { shmBackend } = await import('../src/region.js');
  const { CONTROL_MAGIC } = await import('../src/rendezvous.js');
  const backend = await shmBackend();
  backend.sweepStale(backend.osName(`ipckit.ipc-${process.pid}-`), CONTROL_MAGIC);
  expect(shmLeftovers()).toEqual([]);
});
