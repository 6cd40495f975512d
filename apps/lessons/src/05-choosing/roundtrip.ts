/**
 * Lesson 5, one program for every transport: only the address changes.
 *
 *   node dist/05-choosing/roundtrip.js serve <address>             echoes every message until `close` on stdin
 *   node dist/05-choosing/roundtrip.js time <address> <count>      <count> round trips of 64 bytes, timed
 *
 * The address is any ipckit address: shm://name, pipe://name, tcp://host:port,
 * nats://host:port/service (a nats-server must run there). `serve` says what the transport is (its
 * capabilities); `time` prints the median and the 99th percentile round trip and the CPU this
 * process spent per round trip, split into user time (its own code, and spinning) and system
 * time (the kernel: system calls, wake-ups). A rough look, on whatever else this machine is doing:
 * the measurement is `npm run bench`.
 */
import { connect, listen, type Capabilities } from '@ipckit/core';
import { transport as pipe } from '@ipckit/named-pipe';
import { transport as nats } from '@ipckit/nats';
import { transport as shm } from '@ipckit/shared-memory';
import { transport as tcp } from '@ipckit/tcp';
import { commands } from '../common/commands.js';
import { arg, say } from '../common/say.js';
import { formatNs, formatSize } from './format.js';

const [mode, address] = [arg(0, 'serve or time'), arg(1, 'address')];
const scheme = address.split('://')[0] ?? '';

/** What a transport is, from its capabilities: one line. */
function describe(c: Capabilities): string {
  const size = c.maxMessageBytes % 1024 === 0 ? formatSize(c.maxMessageBytes) : `${c.maxMessageBytes.toLocaleString('en-US')} B`;
  return `${c.duplex ? 'duplex' : 'one-way'}, ${c.messageBoundaries ? 'message boundaries kept' : 'a byte stream, framed'}, largest message ${size}; ${c.primitive}`;
}

if (mode === 'serve') {
  // #region serve
  const listener = await listen(address);
  const capabilities = ({ shm, pipe, tcp, nats } as Record<string, { capabilities: Capabilities }>)[scheme]?.capabilities;
  say(`serving ${scheme}://${listener.name}${capabilities ? `: ${describe(capabilities)}` : ''}`);
  const serving = (async () => {
    for await (const channel of listener) {
      void (async () => {
        for await (const message of channel) await channel.send(message); // echo
      })();
    }
  })();
  // #endregion serve
  const input = commands();
  for (let line = await input.next(); line !== undefined && line !== 'close'; line = await input.next());
  input.close();
  await listener.close();
  await serving;
} else {
  const count = Number(arg(2, 'round trips'));
  // #region time
  const channel = await connect(address);
  const replies = channel[Symbol.asyncIterator]();
  const message = new Uint8Array(64);
  const roundTrip = async (): Promise<void> => {
    await channel.send(message);
    await replies.next();
  };
  for (let i = 0; i < 200; i++) await roundTrip(); // warm up: connections, JIT, caches
  const samples: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await roundTrip();
    samples.push(Number(process.hrtime.bigint() - start));
  }
  const used = process.cpuUsage(cpu); // microseconds
  samples.sort((a, b) => a - b);
  const p50 = samples[Math.floor(samples.length / 2)] ?? 0;
  const p99 = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))] ?? 0;
  // #endregion time
  await channel.close();
  say(`${scheme}: ${String(count)} round trips of 64 B, median ${formatNs(p50)}, p99 ${formatNs(p99)}`);
  say(`  CPU of this process per round trip: ${formatNs((used.user * 1000) / count)} user, ${formatNs((used.system * 1000) / count)} system`);
}
