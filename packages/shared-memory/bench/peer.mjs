// The other process of bench/run.mjs. `node peer.mjs <mode> <name> [args]`; reports JSON lines on stdout.
import { openRegion, transport } from '@ipckit/shared-memory';

const [mode, name, arg] = process.argv.slice(2);
const say = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

async function accept(t = transport) {
  const listener = await t.listen(name);
  say({ event: 'ready' });
  const { value } = await listener[Symbol.asyncIterator]().next();
  return { listener, channel: value };
}

switch (mode) {
  case 'atomics-echo': {
    // The floor: two Int32 words in a mapping, spun on with Atomics.
    const region = await openRegion(name);
    const words = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 32);
    say({ event: 'ready' });
    let last = 0;
    for (;;) {
      let v;
      while ((v = Atomics.load(words, 0)) === last);
      if (v === -1) break;
      last = v;
      Atomics.store(words, 16, v);
    }
    region.close();
    break;
  }
  case 'atomics-payload-echo': {
    // The floor with a payload: the same ping-pong, but each side also copies
    // 64 bytes in and out of the mapping (on their own cache lines), as any
    // message must travel. 16 words each way, by hand, no allocation.
    const region = await openRegion(name);
    const words = new Int32Array(region.bytes.buffer, region.bytes.byteOffset, 1024);
    const local = new Int32Array(16);
    say({ event: 'ready' });
    let last = 0;
    for (;;) {
      let v;
      while ((v = Atomics.load(words, 0)) === last);
      if (v === -1) break;
      last = v;
      for (let i = 0; i < 16; i++) local[i] = words[64 + i];
      for (let i = 0; i < 16; i++) words[128 + i] = local[i];
      Atomics.store(words, 16, v);
    }
    region.close();
    break;
  }
  case 'shm-sync-echo': {
    const { listener, channel } = await accept();
    for (;;) {
      const m = channel.receiveSync();
      if (m === undefined) break;
      channel.sendSync(m);
    }
    await channel.close();
    await listener.close();
    break;
  }
  case 'shm-sync-echo-into': {
    const { listener, channel } = await accept();
    const into = new Uint8Array(4096);
    const views = []; // one view per length seen, made once: no allocation per message
    for (;;) {
      const length = channel.receiveSync(into);
      if (length === undefined) break;
      channel.sendSync((views[length] ??= into.subarray(0, length)));
    }
    await channel.close();
    await listener.close();
    break;
  }
  case 'shm-async-echo':
  case 'pipe-echo': {
    const t = mode === 'pipe-echo' ? (await import('@ipckit/named-pipe')).transport : transport;
    const { listener, channel } = await accept(t);
    for await (const m of channel) await channel.send(m);
    await channel.close();
    await listener.close();
    break;
  }
  case 'shm-sync-sink':
  case 'shm-sync-sink-into':
  case 'shm-async-sink': {
    const count = Number(arg);
    const { listener, channel } = await accept();
    let first = 0n;
    let bytes = 0;
    if (mode === 'shm-sync-sink-into') {
      // One reused buffer: what a receiver of large messages does to avoid a fresh allocation per message.
      const into = new Uint8Array(1 << 20);
      for (let i = 0; i < count; i++) {
        const length = channel.receiveSync(into);
        if (i === 0) first = process.hrtime.bigint();
        bytes += length;
      }
    } else if (mode === 'shm-sync-sink') {
      for (let i = 0; i < count; i++) {
        const m = channel.receiveSync();
        if (i === 0) first = process.hrtime.bigint();
        bytes += m.length;
      }
    } else {
      let i = 0;
      for await (const m of channel) {
        if (i === 0) first = process.hrtime.bigint();
        bytes += m.length;
        if (++i === count) break;
      }
    }
    const ns = Number(process.hrtime.bigint() - first);
    say({ event: 'done', ns, bytes });
    await channel.close();
    await listener.close();
    break;
  }
  case 'shm-idle': {
    const { listener, channel } = await accept();
    const waiting = channel[Symbol.asyncIterator]().next();
    await new Promise((r) => setTimeout(r, 500)); // past the spin time
    const before = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, Number(arg)));
    const cpu = process.cpuUsage(before);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    say({ event: 'done', cpuPercent: ((cpu.user + cpu.system) / wallUs) * 100 });
    await waiting;
    await channel.close();
    await listener.close();
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
process.exit(0);
