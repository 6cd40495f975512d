/**
 * The root README's first example, taken from README.md as it stands, run in
 * a process of its own with a nats:// address in place of pipe://: it must
 * print the echo and exit by itself (nothing left holding the event loop).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { PeerProcess } from '@ipckit/core/testing';
import { startNatsServer } from './server.js';

const server = await startNatsServer();
afterAll(() => server.stop());

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('the README with nats://', () => {
  it('the first example works with a nats:// address when a server runs', async () => {
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'the README has a first ts example').toBeDefined();
    expect(example).toContain("'pipe://inventory'");
    const address = `nats://${server.host}:${server.port}/${uniqueName('readme')}`;
    const program = (example as string).replaceAll("'pipe://inventory'", JSON.stringify(address));
    const run = PeerProcess.module(program, [], { cwd: new URL('..', import.meta.url).pathname, label: 'README example' });
    await run.waitForLine('hello');
    expect(await run.exit()).toBe(0);
  });
});
