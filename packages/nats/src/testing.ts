import { uniqueName } from '@ipckit/core';
import type { ConformanceOptions } from '@ipckit/core/testing';

/**
 * How the conformance suite runs on this transport against the nats-server at
 * `server` (`host:port`, started by the caller: tools/nats-server in this
 * repository). Each test gets a service of its own on that server.
 */
export function natsConformanceOptions(server: string): ConformanceOptions {
  return {
    label: 'nats',
    moduleUrl: new URL('./index.js', import.meta.url).href,
    uniqueName: () => `${server}/${uniqueName('ipc')}`,
    badNames: [
      server,
      `${server}/`,
      '127.0.0.1:0/x',
      '127.0.0.1:65536/x',
      'host name:4222/x',
      '[zz]:4222/x',
      'example.com/x',
      `${server}/a b`,
      `${server}/a.*`,
      `${server}/>`,
      `${server}/a..b`,
      `${server}/.a`,
      `${server}/a/b`,
    ],
  };
}

/**
 * The suite's options for the nats-server named by the environment variable
 * IPCKIT_NATS_SERVER (`host:port`; 127.0.0.1:4222 when unset): what a runner
 * that imports `conformanceOptions` by name (the Windows lane's) uses. The
 * caller starts that server.
 */
export const conformanceOptions: ConformanceOptions = natsConformanceOptions(process.env.IPCKIT_NATS_SERVER ?? '127.0.0.1:4222');
