import { createServer } from 'node:net';
import type { ConformanceOptions } from '@ipckit/core/testing';

/** A loopback port that was free a moment ago: bind port 0, read it, let it go. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** How the conformance suite runs on this transport (used by Vitest and by the Windows lane). */
export const conformanceOptions: ConformanceOptions = {
  label: 'tcp',
  moduleUrl: new URL('./index.js', import.meta.url).href,
  uniqueName: async () => `127.0.0.1:${await freePort()}`,
  badNames: ['127.0.0.1:65536', '127.0.0.1:-1', 'host name:80', '[zz]:80', 'a..b:80'],
};
