import { afterAll, describe, it } from 'vitest';
import { runConformance } from '@ipckit/core/testing';
import { natsConformanceOptions } from '@ipckit/nats/testing';
import { startNatsServer } from './server.js';

// One nats-server on a free loopback port for the whole suite; each test has a service of its own on it.
const server = await startNatsServer();
afterAll(() => server.stop());

runConformance({ describe, test: (name, fn, timeoutMs) => it(name, fn, timeoutMs) }, natsConformanceOptions(`${server.host}:${server.port}`));
