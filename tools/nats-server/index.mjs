// Debian's nats-server for the tests of @ipckit/nats and the bench: installed with apt when missing
// (through tools/apt.mjs, like Wine and chromium), started on a free loopback port, stopped afterwards.
//
//   import { startNatsServer } from '../../tools/nats-server/index.mjs';
//   const server = await startNatsServer();          // { host, port, url, restart(), stop() }
//   ...                                              // nats://127.0.0.1:<port>
//   await server.stop();
//
//   node tools/nats-server/index.mjs                 installs it (if missing) and prints its version
//   node tools/nats-server/index.mjs --run           starts one and prints its address until Ctrl-C
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePackages } from '../apt.mjs';

/** Where Debian's nats-server package puts the server. */
export const NATS_SERVER = '/usr/sbin/nats-server';

/** How long a server may take to say it is ready; generous, for a busy machine. */
const READY_TIMEOUT_MS = 30_000;

/**
 * Installs Debian's `nats-server` when it is missing (one `apt-get update`, one `apt-get install`).
 * Returns the path of the binary. Throws, saying what to run, when it cannot install it.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {string}
 */
export function ensureNatsServer(options = {}) {
  ensurePackages([{ file: NATS_SERVER, pkg: 'nats-server' }], options);
  return NATS_SERVER;
}

/** The version line of the installed server, e.g. `nats-server: v2.9.10`. */
export function natsServerVersion() {
  const r = spawnSync(ensureNatsServer(), ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr).trim();
}

/**
 * A loopback port that was free a moment ago: bind port 0, read it, let it go.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts nats-server on 127.0.0.1 (a free port unless `port` is given), waits until it says it is
 * ready, and returns a handle: `url` (`nats://127.0.0.1:<port>`), `restart()` (stop, then start again
 * on the same port, which the tests of reconnection need), `stop()` (SIGTERM, then SIGKILL after 10 s).
 * `jetstream: true` enables JetStream with a private store directory, removed on stop. `args` are
 * further server flags (e.g. `['--user', 'u', '--pass', 'p']`). The server's own log is kept in
 * memory (`log()`) and never printed, since it may echo the flags.
 * @param {{ port?: number, jetstream?: boolean, args?: string[] }} [options]
 */
export async function startNatsServer(options = {}) {
  const binary = ensureNatsServer();
  const port = options.port ?? (await freePort());
  const store = options.jetstream ? mkdtempSync(join(tmpdir(), 'ipckit-nats-js-')) : undefined;
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(store ? ['--jetstream', '--store_dir', store] : []), ...(options.args ?? [])];
  let child;
  let output = '';
  const start = () =>
    new Promise((resolve, reject) => {
      output = '';
      child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => fail(new Error(`nats-server did not start within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      const fail = (error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(error);
      };
      const onData = (chunk) => {
        output += chunk.toString();
        if (output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', fail);
      child.once('exit', (code, signal) => fail(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${output}`)));
    });
  const stopChild = () =>
    new Promise((resolve) => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return resolve();
      const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
      running.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      running.kill('SIGTERM');
    });
  // A test process that ends without stopping its server (a failed test, a worker torn down) takes it along.
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  await start();
  return {
    host: '127.0.0.1',
    port,
    url: `nats://127.0.0.1:${port}`,
    /** The process id of the running server. */
    get pid() {
      return child?.pid;
    },
    /** What the server printed so far (since its last start). */
    log: () => output,
    /** Stops the server and starts it again on the same port. */
    async restart() {
      await stopChild();
      await start();
    },
    /** Stops the server (a SIGKILL with `{ kill: true }`: a crash rather than a shutdown). */
    async stop({ kill = false } = {}) {
      if (kill) child?.kill('SIGKILL');
      await stopChild();
      process.off('exit', onExit);
      if (store) rmSync(store, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    if (process.argv.includes('--run')) {
      const server = await startNatsServer({ jetstream: process.argv.includes('--jetstream') });
      console.log(server.url);
      const stop = () => void server.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } else {
      console.log(natsServerVersion());
    }
  } catch (error) {
    console.error(`nats-server: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
