import { afterAll, describe, it } from 'vitest';
import { runTopicConformance } from '@ipckit/core/testing';
import { natsConformanceOptions } from '@ipckit/nats/testing';
import { startNatsServer } from './server.js';

// Topics on nats:// are core's fan-out over nats:// channels (docs/nats.md, "Topics"): the same suite as pipe:// and tcp://.
const server = await startNatsServer();
afterAll(() => server.stop());

await runTopicConformance({ describe, test: (name, fn, timeoutMs) => it(name, fn, timeoutMs) }, natsConformanceOptions(`${server.host}:${server.port}`));
