// `ipckit bridge` through a real nats-server (tools/nats-server): the command as a child process.
import { connect, listen, subscribe, publish } from '@ipckit/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, uniqueName } from './helpers.js';
import { reap, startCli, type Child } from './topics-fixture.js';

interface NatsServer {
  url: string;
  stop(): Promise<void>;
}
// Imported by URL so that the compiler does not take the tool's .mjs file into this project.
const TOOL = new URL('../../../tools/nats-server/index.mjs', import.meta.url).href;

let server: NatsServer;
beforeAll(async () => {
  const tool = (await import(TOOL)) as { startNatsServer(): Promise<NatsServer> };
  server = await tool.startNatsServer();
}, 120_000);
afterAll(async () => server.stop());
const children: Child[] = [];
afterEach(() => reap(children));

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

describe('ipckit bridge', () => {
  it('`ipckit bridge pipe://a nats://…/a` relays a message to a nats:// listener and its reply back', async () => {
    const name = uniqueName('bridge');
    const remote = `${server.url}/${name}`;
    const listener = await listen(remote);
    const accepted = (async () => {
      for await (const channel of listener) return channel;
      throw new Error('the nats:// listener ended before a channel came');
    })();
    const bridge = startCli(['bridge', `pipe://${name}`, remote]);
    children.push(bridge);
    await bridge.line(/"type":"ready"/);
    const client = await connect(`pipe://${name}`);
    try {
      await client.send(new TextEncoder().encode('hello over nats'));
      const far = await accepted;
      expect(text(await far.receive({ timeoutMs: 30_000 }))).toBe('hello over nats');
      await far.send(new TextEncoder().encode('and back'));
      expect(text(await client.receive({ timeoutMs: 30_000 }))).toBe('and back');
      await far.close();
    } finally {
      await client.close();
      await listener.close();
    }
    bridge.child.kill('SIGTERM');
    expect(await bridge.exit).toBe(0);
    expect(bridge.stdout()).toMatch(/"type":"stopped"/);
  });

  it('--topic relays a topic: a pipe:// publisher reaches a nats:// subscriber', async () => {
    const name = uniqueName('bridge-topic');
    const remote = `${server.url}/${name}`;
    const publisher = await publish(`pipe://${name}`);
    const bridge = startCli(['bridge', '--topic', `pipe://${name}`, remote]);
    children.push(bridge);
    try {
      await bridge.line(/"type":"ready"/);
      await publisher.waitForSubscribers(1, { timeoutMs: 30_000 });
      const subscriber = await subscribe(remote, { waitForPublisher: true, timeoutMs: 30_000 });
      try {
        // A nats:// subscription counts in asynchronously: send until one arrives, then check order from there.
        const got = (async () => (await subscriber.receive({ timeoutMs: 30_000 }))?.data)();
        let n = 0;
        const sending = setInterval(() => void publisher.send(new TextEncoder().encode(`m${n++}`)).catch(() => undefined), 50);
        const first = text(await got);
        clearInterval(sending);
        expect(first).toMatch(/^m\d+$/);
      } finally {
        await subscriber.close();
      }
    } finally {
      await publisher.close();
    }
    bridge.child.kill('SIGINT');
    expect(await bridge.exit).toBe(0);
  });

  it('bad input gives a non-zero exit: a missing TO is a usage error, an unknown scheme fails', async () => {
    const missing = await runCli(['bridge', 'pipe://only']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ipckit bridge: /);
    const scheme = await runCli(['bridge', 'udp://a', `${server.url}/a`]);
    expect(scheme.code).not.toBe(0);
  });
});
