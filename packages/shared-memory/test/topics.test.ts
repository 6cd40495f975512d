import { describe, it } from 'vitest';
import { runTopicConformance } from '@ipckit/core/testing';
import { conformanceOptions } from '@ipckit/shared-memory/testing';

await runTopicConformance({ describe, test: (name, fn, timeoutMs) => it(name, fn, timeoutMs) }, conformanceOptions);
