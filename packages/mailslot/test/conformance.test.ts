import { describe, it } from 'vitest';
import { runConformance } from '@ipckit/core/testing';
import { conformanceOptions } from '@ipckit/mailslot/testing';

runConformance({ describe, test: (name, fn, timeoutMs) => it(name, fn, timeoutMs) }, conformanceOptions);
