// The workspace's one Vitest configuration (tools/vitest-preset); this file is what @nx/vitest
// infers the project's `test` target from.
export { default } from '@ipckit/vitest-preset';
