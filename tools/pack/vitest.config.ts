// The workspace's one Vitest configuration (tools/vitest-preset); this file is what @nx/vitest
// infers the `test` target of the package checks from. Packing and attw take a few seconds a package.
import { vitestPreset } from '@ipckit/vitest-preset';

export default vitestPreset({ testTimeout: 120_000, hookTimeout: 300_000 });
