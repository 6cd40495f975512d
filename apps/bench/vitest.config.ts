// The workspace's one Vitest configuration (tools/vitest-preset); this file is what @nx/vitest
// infers the project's `test` target from. The smoke test runs real transports end to end: a generous watchdog (a busy machine is slow, never wrong).
import { vitestPreset } from '@ipckit/vitest-preset';

export default vitestPreset({ testTimeout: 660_000 });
