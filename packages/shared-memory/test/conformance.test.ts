import { describe, it } from 'vitest';
import { runConformance } from '@ipckit/core/testing';
import { conformanceOptions } from '@ipckit/shared-memory/testing';

runConformance({ describe, test: (name, fn, timeoutMs) => it(name, fn, timeoutMs) }, conformanceOptions);
