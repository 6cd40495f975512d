// The program install-check.mjs runs in a scratch project that installed ipckit's packed tarballs:
// what a user's first program does, with every package from node_modules. Prints one JSON line per
// check and `{"ok":true}` last; exits 1 on the first failure.
//
//   node smoke.mjs            everything: shm://, a region, a waiter, a Mutex, pipe://, tcp://, require()
//   node smoke.mjs no-addon   the addon cannot load: the first call fails with ENOTSUP, nothing is created
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const mode = process.argv[2] ?? 'all';
const tag = `ipckit-smoke-${process.pid}`;
const say = (check, details = {}) => console.log(JSON.stringify({ check, ...details }));
const fail = (message) => {
  console.log(JSON.stringify({ ok: false, error: message }));
  process.exit(1);
};
const shmLeft = () => readdirSync('/dev/shm').filter((f) => f.includes(tag));

/** The next message of a channel, within 10 s (through its iterator: the one way every channel has). */
async function next(channel, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no message within 10 s`)), 10_000);
  });
  try {
    const { value, done } = await Promise.race([channel[Symbol.asyncIterator]().next(), timeout]);
    if (done) fail(`${what}: the channel ended`);
    return value;
  } finally {
    clearTimeout(timer);
  }
}

async function rejects(what, promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  fail(`${what} did not fail`);
}

const { connect, listen } = await import('@ipckit/core');
const shm = await import('@ipckit/shared-memory');
const native = await import('@ipckit/native');

if (mode === 'no-addon') {
  // Region, then channel: each must fail before it creates anything.
  const region = await rejects('createRegion', shm.createRegion(`${tag}-region`, 4096));
  if (region.code !== 'ENOTSUP') fail(`createRegion failed with ${region.code}, not ENOTSUP: ${region.message}`);
  if (!/tried:/.test(region.message)) fail(`the error does not name the paths tried: ${region.message}`);
  const channel = await rejects('listen shm://', listen(`shm://${tag}-channel`));
  if (channel.code !== 'ENOTSUP') fail(`listen('shm://') failed with ${channel.code}: ${channel.message}`);
  if (process.platform === 'linux' && shmLeft().length) fail(`left in /dev/shm: ${shmLeft().join(', ')}`);
  say('no addon: ENOTSUP before anything is created', { message: region.message.split('\n')[0] });
  console.log(JSON.stringify({ ok: true }));
  process.exit(0);
}

// The addon: the shipped prebuild, loaded without any compiler having run.
if (native.primitive() !== 'futex' && native.primitive() !== 'event') fail(`primitive ${native.primitive()}`);
if (native.loadedKind() !== 'prebuild' || !native.loadedFrom().includes(`prebuilds/${process.platform}-${process.arch}`)) {
  fail(`the addon came from ${native.loadedFrom()} (${native.loadedKind()}), not the prebuild`);
}
say('addon', { from: native.loadedFrom(), primitive: native.primitive() });

// A region with a C struct, opened again by name.
const Student = shm.defineStruct({ ID: 'long', name: 'char[20]' });
const region = await shm.createRegion(`${tag}-region`, 4096);
region.writeStruct(Student, { ID: 99041232, name: 'SecBug' });
const again = await shm.openRegion(`${tag}-region`);
const student = again.readStruct(Student);
if (student.ID !== 99041232 || student.name !== 'SecBug') fail(`read back ${JSON.stringify(student)}`);
say('region', { size: region.size, student });

// A waiter on a word of the region: a wake() after a store ends a pending wait.
const words = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 32);
const waiter = native.openWaiter(region.bytes.buffer, region.bytes.byteOffset + 64, `${tag}-waiter`);
if ((await waiter.wait(0, 10)) !== 'timed-out') fail('an idle wait did not time out');
const pending = waiter.wait(0, 10_000);
setTimeout(() => {
  Atomics.store(words, 16, 1);
  waiter.wake();
}, 20);
const woke = await pending;
if (woke !== 'woken' && woke !== 'not-equal') fail(`the wait ended with ${woke}`);
waiter.close();
again.close();
region.close();
say('waiter', { result: woke });

// shm://: a round trip over the rings.
const server = await listen(`shm://${tag}`);
const echo = (async () => {
  for await (const channel of server) for await (const message of channel) await channel.send(message);
})();
const client = await connect(`shm://${tag}`);
await client.send(new TextEncoder().encode('over shared memory'));
const reply = await next(client, 'shm://');
if (new TextDecoder().decode(reply) !== 'over shared memory') fail('shm:// echo mismatch');
await client.close();
await server.close();
await Promise.race([echo, new Promise((resolve) => setTimeout(resolve, 1000))]);
say('shm://', { bytes: reply.length });

// A Mutex from @ipckit/sync.
const { createMutex } = await import('@ipckit/sync');
const mutex = await createMutex(`${tag}-mutex`);
{
  const guard = await mutex.acquire({ timeoutMs: 5_000 });
  if (guard.abandoned) fail('a fresh mutex says its last holder died');
  guard.release();
}
mutex.close();
say('sync Mutex');

// pipe:// and tcp://, for the other packages.
for (const address of [`pipe://${tag}`, 'tcp://127.0.0.1:0']) {
  const l = await listen(address);
  const served = (async () => {
    for await (const c of l) for await (const m of c) await c.send(m);
  })();
  const at = address.startsWith('tcp') ? `tcp://${l.name}` : address;
  const c = await connect(at);
  await c.send(new Uint8Array([1, 2, 3]));
  const r = await next(c, address);
  if (r?.length !== 3) fail(`${address}: no echo`);
  await c.close();
  await l.close();
  await Promise.race([served, new Promise((resolve) => setTimeout(resolve, 1000))]);
  say(address.split(':')[0]);
}

// require(esm): the same packages from CommonJS (Node >= 20.19).
const require = createRequire(import.meta.url);
for (const name of ['@ipckit/core', '@ipckit/shared-memory', '@ipckit/sync', '@ipckit/named-pipe', '@ipckit/tcp', '@ipckit/mailslot']) {
  if (Object.keys(require(name)).length === 0) fail(`require(${name}) gave nothing`);
}
say('require(esm)');

if (process.platform === 'linux' && shmLeft().length) fail(`left in /dev/shm: ${shmLeft().join(', ')}`);
console.log(JSON.stringify({ ok: true }));
