// The workspace's one Vitest configuration (tools/vitest-preset); this file is what @nx/vitest
// infers the project's `test` target from. The tests run the real command against real listeners.
import { vitestPreset } from '@ipckit/vitest-preset';

export default vitestPreset({ testTimeout: 60_000 });
