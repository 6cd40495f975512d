// Lesson 5: choosing and measuring. One program, three addresses (shm://, pipe://, tcp://): what each
// transport is, a rough round trip and where its CPU goes; a C client on the pipe; the same program
// over shm://, pipe:// and nats:// side by side, through a real nats-server; then the bench run the
// lesson's numbers come from.
import { pipePath } from '@ipckit/named-pipe';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_DIR, REPO_ROOT } from '../programs.mjs';

/** Serves `address` with the round-trip program; resolves with the server and the address clients use. */
async function serve(ctx, label, address) {
  const server = ctx.node(label, '05-choosing/roundtrip', ['serve', address]);
  const line = await server.expect('serving ');
  return { server, address: /^serving (\S+?):? /.exec(`${line} `)?.[1] ?? address };
}

async function stop(ctx, server) {
  ctx.note(`${server.label} ← close`);
  server.send('close');
  await server.done();
}

const ROUND_TRIPS = '2000';

const UNIT_NS = { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 };

/** The median a roundtrip client printed ("…, median 52.1 µs, p99 …"), in nanoseconds. */
function medianNs(line) {
  const m = /median ([\d.]+) (ns|µs|ms|s)\b/.exec(line);
  if (!m) throw new Error(`no median in "${line}"`);
  return Number(m[1]) * UNIT_NS[m[2]];
}

/** The bench's own check of a quiet machine (apps/bench/src/machine.ts), so the lesson judges its timings as the bench does. */
const MACHINE_CHECK = pathToFileURL(join(REPO_ROOT, 'apps', 'bench', 'dist', 'machine.js')).href;
/** Debian's nats-server, installed with apt when missing and started on a free loopback port. */
const NATS_TOOL = pathToFileURL(join(REPO_ROOT, 'tools', 'nats-server', 'index.mjs')).href;

/**
 * A nats-server for step 4: the one at IPCKIT_NATS_SERVER (`host:port`) when it is set (the Windows
 * lane sets it: a Linux nats-server that node.exe under Wine reaches over 127.0.0.1), else one of
 * its own on Linux, started now and stopped by `stop()`. Windows has no apt: there the server must
 * be running already.
 */
async function natsServer(ctx) {
  const given = process.env.IPCKIT_NATS_SERVER;
  if (given) {
    ctx.note(`nats-server: the one at ${given} (IPCKIT_NATS_SERVER)`);
    return { server: given, stop: async () => undefined };
  }
  if (ctx.platform === 'win32') {
    throw new Error('step 4 needs a nats-server: start one (nats-server -a 127.0.0.1 -p 4222) and set IPCKIT_NATS_SERVER=127.0.0.1:4222');
  }
  const tool = await import(NATS_TOOL);
  const running = await tool.startNatsServer();
  ctx.note(
    `nats-server ← started: ${tool.natsServerVersion().replace(/^nats-server:\s*/, 'nats-server ')} on 127.0.0.1:${String(running.port)}, pid ${String(running.pid)}`,
  );
  return {
    server: `127.0.0.1:${String(running.port)}`,
    async stop() {
      ctx.note('nats-server ← stop');
      await running.stop();
    },
  };
}

export default {
  number: 5,
  slug: 'choosing-and-measuring',
  /** The seed articles it answers (lib/articles.mjs). */
  articles: ['ezhchai-3', 'ipc-2'],
  title: { en: 'Lesson 5 · Choosing and measuring', 'zh-CN': '第 5 课 · 选择与测量' },
  intro: {
    en: 'Every ipckit transport speaks one interface: choosing is changing an address. What changes underneath is how many system calls, copies and wake-ups a message costs. This lesson times a round trip on three of them, then the same program beside nats://, through a real NATS server, then reads the benchmark.',
    'zh-CN':
      'ipckit 的每种传输都实现同一套接口：选择传输就是换一个地址。底下变化的是一条消息要花多少次系统调用、多少次拷贝、多少次唤醒。这一课先在其中三种传输上测一次往返，再把同一个程序放到经过真正 NATS 服务器的 nats:// 旁边计时，最后读基准测试的结果。',
  },
  masks: [
    [/\b\d+(\.\d+)? (ns|µs|ms|s)\b/, '<time>'],
    [/127\.0\.0\.1:\d+/, '127.0.0.1:<port>'],
    // The bench step prints which run it read: the file changes when a new run is saved.
    [/^the run of .*$/, 'the run of <date>, <profile>, <machine>'],
    [/^ {2}ipckit-bench .*$/, '  ipckit-bench <options>'],
    // Step 4: the server's version, and how busy the machine was (the bench's verdict) while each was timed.
    [/nats-server v\d+(\.\d+)*/, 'nats-server v<version>'],
    [/ was timed: .*$/, ' was timed: <quiet or not>'],
    [/×\d+(\.\d+)?/, '×<ratio>'],
  ],
  steps: [
    {
      title: { en: 'shm://: shared memory and a ring', 'zh-CN': 'shm://：共享内存与环形缓冲区' },
      text: {
        en: 'The server says what the transport is; the client times 2000 round trips of 64 bytes. The ring itself passes a message without a system call while the other side is busy, but the asynchronous API used here gives the event loop a turn for every message, and its waiting side sleeps in the kernel whenever its short spin misses the peer: look at the system time.',
        'zh-CN':
          '服务端说明这是什么传输；客户端对 2000 次 64 字节的往返计时。只要对方正忙着，环形缓冲区本身传一条消息不需要系统调用；但这里用的是异步 API，每条消息都要让事件循环转一圈，而且短暂的自旋一旦没等到对方，等待的一方就会在内核里睡眠：看看系统时间那一栏。',
      },
      async run(ctx) {
        const { server, address } = await serve(ctx, 'shm server', `shm://${ctx.name}`);
        await ctx.node('node client', '05-choosing/roundtrip', ['time', address, ROUND_TRIPS]).done(0, 60_000);
        await stop(ctx, server);
      },
    },
    {
      title: { en: 'pipe://: a named pipe, from Node and from C', 'zh-CN': 'pipe://：命名管道，分别从 Node 和 C 访问' },
      text: {
        en: 'The same program with another address. Every message is a write into the kernel and a read out of it, and the reader must be woken: look at the system time. A C client does the same round trip with two blocking calls and no event loop: compare its user and system time with those of the Node client.',
        'zh-CN':
          '同一个程序，换一个地址。每条消息都要写进内核再从内核读出来，读端还得被唤醒：看看系统时间那一栏。C 客户端用两次阻塞调用、不经过事件循环完成同样的往返：把它的用户态和系统态时间与 Node 客户端的比一比。',
      },
      async run(ctx) {
        const { server, address } = await serve(ctx, 'pipe server', `pipe://${ctx.name}`);
        await ctx.node('node client', '05-choosing/roundtrip', ['time', address, ROUND_TRIPS]).done(0, 60_000);
        await ctx.c('C client', 'pingpong', [await pipePath(ctx.name), ROUND_TRIPS]).done(0, 60_000);
        await stop(ctx, server);
      },
    },
    {
      title: { en: 'tcp://: the baseline', 'zh-CN': 'tcp://：基准线' },
      text: {
        en: 'Loopback TCP: the same kind of cost as the pipe, plus the TCP stack. It also crosses machines, point to point, with no server in between; step 4 crosses them through one.',
        'zh-CN': '回环 TCP：开销和管道属于同一类，再加上 TCP 协议栈。它也能跨机器，点对点，中间没有服务器；第 4 步则经过一个服务器跨机器。',
      },
      async run(ctx) {
        const { server, address } = await serve(ctx, 'tcp server', 'tcp://127.0.0.1:0');
        await ctx.node('node client', '05-choosing/roundtrip', ['time', address, ROUND_TRIPS]).done(0, 60_000);
        await stop(ctx, server);
      },
    },
    {
      title: { en: 'nats://: the same program through a broker', 'zh-CN': 'nats://：同一个程序，经过一个消息代理' },
      text: {
        en: 'A real nats-server starts on a free loopback port. Then the same program, with only the address changed, is timed three times in a row: shm://, pipe://, and nats:// through that server. A nats:// message goes from the client to the server process and from there to the echo program, and the reply comes back the same way: two hops and a broker for every message. After each timing the lesson says whether the machine was quiet, as the bench judges it.',
        'zh-CN':
          '先在一个空闲的回环端口上启动一个真正的 nats-server。然后同一个程序只换地址，接连计时三次：shm://、pipe://，以及经过这个服务器的 nats://。nats:// 的消息先从客户端到服务器进程，再从那里到回显程序，回复原路返回：每条消息都是两跳，中间还有一个消息代理。每次计时之后，这一课会按基准测试的判断标准说明当时机器是否空闲。',
      },
      async run(ctx) {
        const { checkMachine, machineMark, snapshotMachine } = await import(MACHINE_CHECK);
        const nats = await natsServer(ctx);
        try {
          const medians = {};
          for (const [scheme, label, address] of [
            ['shm', 'echo (shm)', `shm://${ctx.name}`],
            ['pipe', 'echo (pipe)', `pipe://${ctx.name}`],
            ['nats', 'echo (nats)', `nats://${nats.server}/${ctx.name}`],
          ]) {
            const { server, address: served } = await serve(ctx, label, address);
            const before = snapshotMachine();
            const client = ctx.node('node client', '05-choosing/roundtrip', ['time', served, ROUND_TRIPS]);
            medians[scheme] = medianNs(await client.expect(' round trips of '));
            await client.done(0, 60_000);
            const check = checkMachine(before, snapshotMachine());
            // Quiet, NOT QUIET and why, or (off Linux) why it was not checked.
            const verdict = check.quiet === null ? check.reasons.join('; ') : [machineMark(check), check.reasons.join('; ')].filter(Boolean).join(': ');
            ctx.note(`the machine while ${scheme}:// was timed: ${verdict}`);
            await stop(ctx, server);
          }
          const times = (a, b) => `×${(medians[a] / medians[b]).toPrecision(3)}`;
          ctx.note(
            `medians of this run: a nats:// round trip took ${times('nats', 'pipe')} as long as a pipe:// one, ${times('nats', 'shm')} as long as a shm:// one`,
          );
        } finally {
          await nats.stop();
        }
      },
    },
    {
      title: { en: 'What the bench measured', 'zh-CN': '基准测试测到了什么' },
      text: {
        en: "A rough look is not a measurement. The lesson's numbers come from a saved run of npm run bench (apps/lessons/bench/run.json): its command, its machine, and each transport at the smallest and largest size.",
        'zh-CN':
          '粗略一看不等于测量。本课引用的数字来自一次保存下来的 npm run bench 运行（apps/lessons/bench/run.json）：它的命令、它的机器，以及每种传输在最小和最大消息尺寸下的结果。',
      },
      async run(ctx) {
        await ctx.node('bench', '05-choosing/bench-summary', [join(APP_DIR, 'bench', 'run.json')]).done();
      },
    },
  ],
};
