import type { Backend } from '@ipckit/core';

/** node:net hides the OS difference for TCP; this only names the backend for Capabilities. */
export const BACKEND: Backend = process.platform === 'win32' ? 'win32' : 'posix';
