// The workspace's one Vitest configuration (tools/vitest-preset); this file is what @nx/vitest
// infers the project's `test` target from. The smoke test runs real transports end to end: longer.
import { vitestPreset } from '@ipckit/vitest-preset';

export default vitestPreset({ testTimeout: 120_000 });
