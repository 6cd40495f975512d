// The workspace's one Vitest configuration (tools/vitest-preset), with room for the chaos test
// (about a minute) and one file at a time: both files run peers on every transport.
import { vitestPreset } from '@ipckit/vitest-preset';

export default vitestPreset({ testTimeout: 240_000, fileParallelism: false });
