// The workspace's one Vitest configuration (tools/vitest-preset); this file is what @nx/vitest
// infers the project's `test` target from. Lessons start several processes each, and the site test a
// browser: longer timeouts.
import { vitestPreset } from '@ipckit/vitest-preset';

export default vitestPreset({ testTimeout: 180_000, hookTimeout: 180_000 });
