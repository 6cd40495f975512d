#!/usr/bin/env node
// The `ipckit` command's launcher: the program is dist/cli.js (compiled from src/). This file is
// plain JavaScript so that npm can link the command before anything is built (in the repository,
// `npm install` links it first and builds it in the root `prepare` script).
try {
  await import('../dist/cli.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    console.error('ipckit: not built yet (no dist/cli.js); in the repository run `npm run build`');
    process.exit(1);
  }
  throw error;
}
