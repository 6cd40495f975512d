// discover() (issue 19 §3) against real processes: listeners started as `ipckit listen`, a topic,
// a region and the sync objects made by a process of their own, a subscriber as `ipckit tap`. Each
// is seen appearing, and once killed with SIGKILL seen gone when the liveness rule says so (the
// rule `ls` and `clean` use: same scan). No timing is asserted: every wait is for an event, with a
// generous watchdog.
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PeerProcess, within } from '@ipckit/core/testing';
import { discover, type Discovery, type DiscoveryEvent, type Service } from '../src/index.js';
import { listening, runCli, startCli, stop, uniqueName, waitFor } from './helpers.js';

const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));
const WATCHDOG_MS = 60_000;

/** A process holding an shm:// topic (history 3, 8 subscribers at most, drop-oldest), a region, a mutex, a semaphore and an event. */
function services(prefix: string): PeerProcess {
  const source = `
    import { publish } from '@ipckit/core';
    import { createRegion } from '@ipckit/shared-memory';
    import { createEvent, createMutex, createSemaphore } from '@ipckit/sync';
    const prefix = process.argv[1];
    const topic = await publish('shm://' + prefix + '-topic', { history: 3, maxSubscribers: 8, policy: 'drop-oldest' });
    const held = [
      await createRegion(prefix + '-region', 4096),
      await createMutex(prefix + '-mutex'),
      await createSemaphore(prefix + '-semaphore', { initial: 1, max: 2 }),
      await createEvent(prefix + '-event'),
    ];
    // A line "send N" publishes N messages.
    let input = '';
    process.stdin.setEncoding('utf8').on('data', async (text) => {
      input += text;
      for (let at; (at = input.indexOf('\\n')) >= 0; ) {
        const n = Number(input.slice(0, at).split(' ')[1]);
        input = input.slice(at + 1);
        for (let i = 0; i < n; i++) await topic.send(new Uint8Array([i & 255]));
        console.log(JSON.stringify({ event: 'sent', n }));
      }
    });
    console.log(JSON.stringify({ event: 'ready', held: held.length }));
    setInterval(() => {}, 60_000);`;
  return PeerProcess.module(source, [prefix], { cwd: CLI_DIR, timeoutMs: WATCHDOG_MS });
}

/** Every event of a snapshot. */
async function snapshot(names: string[]): Promise<DiscoveryEvent[]> {
  const events: DiscoveryEvent[] = [];
  for await (const event of discover({ once: true, names })) events.push(event);
  return events;
}

/** A watch read in the background: every event kept, and a way to wait for one. */
function collect(watch: Discovery): {
  events: DiscoveryEvent[];
  until(what: string, test: (e: DiscoveryEvent) => boolean): Promise<DiscoveryEvent>;
  ended: Promise<unknown>;
} {
  const events: DiscoveryEvent[] = [];
  const wakers: (() => void)[] = [];
  const ended = (async () => {
    for await (const event of watch) {
      events.push(event);
      for (const wake of wakers.splice(0)) wake();
    }
  })().catch((error: unknown) => error);
  return {
    events,
    ended,
    until: (what, test) =>
      within(
        WATCHDOG_MS,
        `discover(): ${what}; events so far: ${JSON.stringify(events.map((e) => `${e.type} ${e.service.kind} ${e.service.name} ${e.service.state}`))}`,
        new Promise<DiscoveryEvent>((resolve) => {
          const check = (): void => {
            const found = events.find(test);
            if (found !== undefined) resolve(found);
            else wakers.push(check);
          };
          check();
        }),
      ),
  };
}

const is = (type: DiscoveryEvent['type'], kind: Service['kind'], name: string) => (e: DiscoveryEvent) =>
  e.type === type && e.service.kind === kind && (e.service.name === name || e.service.address === name);

describe('discover() options', () => {
  it('refuses bad options with EINVAL (an aborted signal with ECANCELED) before anything starts', () => {
    const bad: unknown[] = [
      null,
      'once',
      [],
      { intervalMs: 0 },
      { intervalMs: 9 },
      { intervalMs: 2 ** 31 },
      { intervalMs: 1.5 },
      { intervalMs: '500' },
      { once: 'yes' },
      { traffic: 1 },
      { names: 'myapp-*' },
      { names: [1] },
      { signal: {} },
      { interval: 500 },
    ];
    for (const options of bad) {
      expect(() => discover(options as never), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
    const controller = new AbortController();
    controller.abort('no');
    expect(() => discover({ signal: controller.signal })).toThrow(expect.objectContaining({ code: 'ECANCELED' }));
    // The edges of the range are accepted.
    void discover({ intervalMs: 10 }).return();
    void discover({ intervalMs: 2 ** 31 - 1 }).return();
  });
});

describe.runIf(process.platform === 'linux')('discover() on Linux', () => {
  const peers: PeerProcess[] = [];
  const prefix = uniqueName('disc');
  afterAll(async () => {
    for (const p of peers) await stop(p);
    await runCli(['clean', `${prefix}-*`, `*${prefix}-*`]);
    // What clean does not take: sem_open's file beside a semaphore's region, and the data regions
    // of killed publishers (the next publisher on this machine sweeps those; here, we do).
    const pids = new Set(peers.map((p) => String(p.child.pid)));
    for (const file of readdirSync('/dev/shm')) {
      const pid = /^ipckit\.p\.(\d+)\./.exec(file)?.[1];
      if (file.startsWith(`sem.${prefix}-`) || (pid !== undefined && pids.has(pid))) rmSync(`/dev/shm/${file}`, { force: true });
    }
  });

  it('a snapshot lists the listeners, the topic with its headers, the region and the sync objects, then ends', async () => {
    const name = `${prefix}-snap`;
    const listeners = [startCli(['listen', `pipe://${name}-pipe`]), startCli(['listen', `shm://${name}-shm`]), startCli(['listen', `mailslot://${name}-slot`])];
    peers.push(...listeners);
    for (const l of listeners) await listening(l);
    const held = services(name);
    peers.push(held);
    await held.waitForEvent('ready');
    // One subscriber: `tap` says "tapping" once subscribe() resolved, that is once the publisher counted it in (Rule T2).
    const tap = startCli(['tap', `shm://${name}-topic`]);
    peers.push(tap);
    await waitFor(() => tap.stderr, /tapping shm:/, WATCHDOG_MS);

    const events = await snapshot([`${name}-*`]);
    expect(events.every((e) => e.type === 'appeared')).toBe(true);
    const byName = new Map(events.map((e) => [e.service.address ?? e.service.name, e.service]));
    expect(byName.get(`pipe://${name}-pipe`)).toMatchObject({ kind: 'pipe', state: 'live', pid: listeners[0]?.child.pid });
    expect(byName.get(`shm://${name}-shm`)).toMatchObject({ kind: 'listener', state: 'live', pid: listeners[1]?.child.pid });
    expect(byName.get(`mailslot://${name}-slot`)).toMatchObject({ kind: 'mailslot', state: 'live', pid: listeners[2]?.child.pid });
    expect(byName.get(`shm://${name}-topic`)).toMatchObject({
      kind: 'topic',
      state: 'live',
      pid: held.child.pid,
      topic: { publisherPid: held.child.pid, subscribers: 1, maxSubscribers: 8, history: 3, policy: 'drop-oldest', open: true, published: 0 },
    });
    expect(byName.get(`shm://${name}-topic`)?.topic?.messageRate).toBeUndefined();
    expect(byName.get(`${name}-region`)).toMatchObject({ kind: 'region', state: 'live', pid: held.child.pid, size: 4096 });
    expect(byName.get(`${name}-mutex`)).toMatchObject({ kind: 'mutex', state: 'live', pid: held.child.pid });
    expect(byName.get(`${name}-semaphore`)).toMatchObject({ kind: 'semaphore', state: 'live', pid: held.child.pid });
    expect(byName.get(`${name}-event`)).toMatchObject({ kind: 'event', state: 'live', pid: held.child.pid });
    // Services only: the topic's data region is a part of it, not one more service.
    expect(events.map((e) => e.service.kind).sort()).toEqual(['event', 'listener', 'mailslot', 'mutex', 'pipe', 'region', 'semaphore', 'topic']);
    await stop(tap);

    // `ls --json` says the same of them (one scan), and names the topic's data region for what it is.
    const dataRegion = byName.get(`shm://${name}-topic`)?.topic?.dataRegion ?? 'none';
    const ls = await runCli(['ls', '--json', `${name}-*`, dataRegion]);
    const listed = (JSON.parse(ls.stdout) as { objects: Service[] }).objects;
    expect(listed.find((o) => o.address === `shm://${name}-topic`)).toMatchObject({ kind: 'topic', state: 'live', topic: { history: 3, maxSubscribers: 8 } });
    expect(listed.find((o) => o.name === dataRegion)).toMatchObject({ kind: 'topic-data', state: 'live', note: `the data region of shm://${name}-topic` });
  }, 180_000);

  it('watching: services appear, change, and go when killed (SIGKILL) or closed', async () => {
    const name = `${prefix}-watch`;
    const watch = discover({ names: [`${name}-*`], intervalMs: 100 });
    const seen = collect(watch);
    try {
      const pipe = startCli(['listen', `pipe://${name}-pipe`]);
      const shm = startCli(['listen', `shm://${name}-shm`]);
      const slot = startCli(['listen', `mailslot://${name}-slot`]);
      peers.push(pipe, shm, slot);
      const held = services(name);
      peers.push(held);
      await seen.until('the pipe listener appears', is('appeared', 'pipe', `${name}-pipe`));
      await seen.until('the shm listener appears', is('appeared', 'listener', `shm://${name}-shm`));
      await seen.until('the mailslot listener appears', is('appeared', 'mailslot', `${name}-slot`));
      const topic = await seen.until('the topic appears', is('appeared', 'topic', `shm://${name}-topic`));
      expect(topic.service.topic).toMatchObject({ subscribers: 0, history: 3 });
      await seen.until('the mutex appears', is('appeared', 'mutex', `${name}-mutex`));

      // A subscriber joins: the topic changes.
      const tap = startCli(['tap', `shm://${name}-topic`]);
      peers.push(tap);
      await seen.until('the topic counts a subscriber', (e) => e.type === 'changed' && e.service.topic?.subscribers === 1);

      // Killed: no chance to remove anything; gone once the liveness rule says so.
      for (const p of [pipe, shm, slot]) {
        p.child.kill('SIGKILL');
        await p.exit();
      }
      const pipeGone = await seen.until('the killed pipe listener goes', is('gone', 'pipe', `${name}-pipe`));
      // Its socket file stays: gone because no socket is bound to it (stale), as `ls` judges.
      expect(pipeGone.service.state).toBe('stale');
      await seen.until('the killed mailslot listener goes', is('gone', 'mailslot', `${name}-slot`));
      // A stale shm object may be swept meanwhile by any listen('shm://…') on this machine: gone either way.
      await seen.until('the killed shm listener goes', is('gone', 'listener', `shm://${name}-shm`));

      held.child.kill('SIGKILL');
      await held.exit();
      for (const [kind, n] of [
        ['topic', `shm://${name}-topic`],
        ['region', `${name}-region`],
        ['mutex', `${name}-mutex`],
        ['semaphore', `${name}-semaphore`],
        ['event', `${name}-event`],
      ] as const) {
        await seen.until(`the killed ${kind} goes`, is('gone', kind, n));
      }
      // Nothing appeared twice (a service is its kind and path: one process served each here).
      const appeared = seen.events.filter((e) => e.type === 'appeared').map((e) => `${e.service.kind} ${e.service.path}`);
      expect(new Set(appeared).size).toBe(appeared.length);
      await stop(tap);
    } finally {
      await watch.return();
    }
    expect(await seen.ended).toBeUndefined();
  }, 300_000);

  it('a closed listener goes as soon as its file is gone; a topic with traffic carries its message rate', async () => {
    const name = `${prefix}-rate`;
    const watch = discover({ names: [`${name}-*`], intervalMs: 100, traffic: true });
    const seen = collect(watch);
    const pipe = startCli(['listen', `pipe://${name}-pipe`]);
    peers.push(pipe);
    await seen.until('the listener appears', is('appeared', 'pipe', `${name}-pipe`));
    await stop(pipe);
    const gone = await seen.until('the stopped listener goes', is('gone', 'pipe', `${name}-pipe`));
    expect(gone.service.state).toBe('live'); // as last seen: its file was removed, not left stale

    const held = services(name);
    peers.push(held);
    await seen.until('the topic appears', is('appeared', 'topic', `shm://${name}-topic`));
    held.write('send 500\n');
    await held.waitForEvent('sent');
    const moved = await seen.until('the topic changes with its traffic', (e) => e.type === 'changed' && e.service.topic?.published === 500);
    expect(moved.service.topic?.messageRate).toBeGreaterThan(0);
    await stop(held);
    await watch.return();
  }, 180_000);

  it('return() stops watching: the pending step is done and no timer is left', async () => {
    const name = `${prefix}-stop`;
    const pipe = startCli(['listen', `pipe://${name}-pipe`]);
    peers.push(pipe);
    await listening(pipe);
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const watch = discover({ names: [`${name}-*`], intervalMs: 600_000 });
    const first = await within(WATCHDOG_MS, 'the first event', watch.next());
    expect(first).toMatchObject({ done: false, value: { type: 'appeared', service: { kind: 'pipe' } } });
    // Nothing else to report: this step waits for the next look, ten minutes away.
    const pending = watch.next();
    expect(timers()).toBe(before + 1);
    await watch.return();
    expect(await within(WATCHDOG_MS, 'the pending step', pending)).toEqual({ value: undefined, done: true });
    expect(timers()).toBe(before);
    expect(await watch.next()).toEqual({ value: undefined, done: true });

    // `break` in a for await loop calls return(): the same.
    for await (const event of discover({ names: [`${name}-*`], intervalMs: 600_000 })) {
      expect(event.service.kind).toBe('pipe');
      break;
    }
    expect(timers()).toBe(before);
  });

  it('an AbortSignal stops watching: the pending step rejects with ECANCELED, then the iteration is done', async () => {
    const name = `${prefix}-abort`;
    const controller = new AbortController();
    const watch = discover({ names: [`${name}-*`], intervalMs: 600_000, signal: controller.signal });
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    // Nothing matches: the first look reports nothing, and the step waits for the next one.
    const pending = watch.next();
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort('enough');
    await expect(within(WATCHDOG_MS, 'the aborted step', pending)).rejects.toMatchObject({ code: 'ECANCELED', cause: 'enough' });
    expect(await watch.next()).toEqual({ value: undefined, done: true });
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
