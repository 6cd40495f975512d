/**
 * The chaos test of issue 12 (tools/e2e/README.md): on every transport, one
 * server and several clients in processes of their own exchange checked
 * messages while clients are killed and clients and the server are stopped
 * and continued at random. Survivors lose nothing; nothing leaks.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '@ipckit/core';
import { PeerProcess, type PeerEvent } from '@ipckit/core/testing';
import { runtimeDirectory } from '@ipckit/sys';

const PEER = fileURLToPath(new URL('./chaos-peer.mjs', import.meta.url));
const CLIENTS = 6;
/** How long each transport's clients send while the chaos goes on. */
const CHAOS_MS = 8_000;
const MAX_KILLS = 2;

/** A small seeded generator (mulberry32), so that a run's choices can be repeated with CHAOS_SEED. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`chaos seed ${seed} (CHAOS_SEED=${seed} repeats the choices)`);
const rand = random(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Target {
  scheme: 'pipe' | 'tcp' | 'mailslot' | 'shm';
  duplex: boolean;
}

const TARGETS: Target[] = [
  { scheme: 'pipe', duplex: true },
  { scheme: 'tcp', duplex: true },
  { scheme: 'mailslot', duplex: false },
  { scheme: 'shm', duplex: true },
];

/** What a transport could leave behind under `name`, or for processes `pids`: /dev/shm objects and socket files. */
function leftovers(target: Target, name: string, pids: number[]): string[] {
  const found = readdirSync('/dev/shm').filter((file) => file.includes(name) || pids.some((pid) => file.startsWith(`ipckit.p.${pid}.`)));
  const socket =
    target.scheme === 'pipe' ? join(runtimeDirectory(), name) : target.scheme === 'mailslot' ? join(runtimeDirectory(), 'mailslot', name) : undefined;
  if (socket !== undefined && existsSync(socket)) found.push(socket);
  return found.map((file) => (file.startsWith('/') ? file : `/dev/shm/${file}`));
}

describe.runIf(process.platform === 'linux')('chaos: clients killed, peers stopped and continued, on every transport', () => {
  for (const target of TARGETS) {
    it(`${target.scheme}://: surviving clients lose nothing, and nothing leaks once all is closed`, async () => {
      const name = uniqueName('chaos');
      const address = target.scheme === 'tcp' ? `tcp://127.0.0.1:${await freePort()}` : `${target.scheme}://${name}`;
      const warmUp = target.scheme === 'tcp' ? 'tcp://127.0.0.1:0' : `${target.scheme}://${name}-w`;
      const duplex = target.duplex ? '1' : '0';
      const server = PeerProcess.node(PEER, ['server', address, warmUp, duplex], { label: `${target.scheme} server`, timeoutMs: 90_000 });
      const clients = Array.from({ length: CLIENTS }, (_, i) =>
        PeerProcess.node(PEER, ['client', address, String(i + 1), duplex], { label: `${target.scheme} client ${i + 1}`, timeoutMs: 90_000 }),
      );
      const killed = new Set<PeerProcess>();
      const stopped = new Set<PeerProcess>();
      const resumes: Promise<void>[] = [];
      const log: string[] = [];
      try {
        await server.waitForEvent('ready');
        await Promise.all(clients.map((client) => client.waitForEvent('ready')));

        const stopFor = (peer: PeerProcess, ms: number): void => {
          if (stopped.has(peer) || killed.has(peer)) return;
          stopped.add(peer);
          peer.child.kill('SIGSTOP');
          resumes.push(
            sleep(ms).then(() => {
              if (!killed.has(peer)) peer.child.kill('SIGCONT');
              stopped.delete(peer);
            }),
          );
        };
        const until = Date.now() + CHAOS_MS;
        while (Date.now() < until) {
          await sleep(150 + rand() * 250);
          const alive = clients.filter((client) => !killed.has(client));
          const roll = rand();
          if (roll < 0.25 && killed.size < MAX_KILLS) {
            const victim = pick(alive);
            killed.add(victim);
            log.push(`kill ${victim.label}`);
            // SIGKILL works on a stopped process too.
            await victim.kill();
          } else if (roll < 0.75) {
            const victim = pick(alive);
            const ms = Math.round(50 + rand() * 350);
            log.push(`stop ${victim.label} ${ms} ms`);
            stopFor(victim, ms);
          } else {
            const ms = Math.round(50 + rand() * 250);
            log.push(`stop server ${ms} ms`);
            stopFor(server, ms);
          }
        }
        await Promise.all(resumes);

        const survivors = clients.filter((client) => !killed.has(client));
        for (const client of survivors) client.write('stop\n');
        const done = new Map<PeerProcess, PeerEvent>();
        for (const client of survivors) done.set(client, await client.finished(60_000));
        server.write('stop\n');
        const report = await server.waitForEvent('stopped', 60_000);
        const counts = report.counts as Record<string, number>;
        const context = `seed ${seed}; ${log.join(', ')}`;

        expect.soft(report.errors, `server errors (${context})`).toEqual([]);
        for (const [client, event] of done) {
          const writer = String(clients.indexOf(client) + 1);
          expect.soft(event.sent as number, `${client.label} sent something`).toBeGreaterThan(0);
          expect.soft(counts[writer], `${client.label}: the server got all it sent, in order (${context})`).toBe(event.sent);
          if (target.duplex) expect.soft(event.echoed, `${client.label}: every echo came back (${context})`).toBe(event.sent);
        }
        expect.soft(report.fdsAfter, `the server's file descriptors once all closed (${context})`).toBe(report.fdsBefore);
        await server.exit();
        const pids = [server, ...clients].map((peer) => peer.child.pid ?? -1);
        expect(leftovers(target, name, pids), `left behind (${context})`).toEqual([]);
      } finally {
        for (const peer of [server, ...clients]) {
          if (stopped.has(peer)) peer.child.kill('SIGCONT');
          await peer.kill();
        }
      }
    });
  }
});
