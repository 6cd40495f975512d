// Lesson 5: choosing and measuring. One program, three addresses (shm://, pipe://, tcp://): what each
// transport is, a rough round trip and where its CPU goes; a C client on the pipe; then the bench
// run the lesson's numbers come from.
import { pipePath } from '@ipckit/named-pipe';
import { join } from 'node:path';
import { APP_DIR } from '../programs.mjs';

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

export default {
  number: 5,
  slug: 'choosing-and-measuring',
  /** The seed articles it answers (lib/articles.mjs). */
  articles: ['ezhchai-3', 'ipc-2'],
  title: { en: 'Lesson 5 · Choosing and measuring', 'zh-CN': '第 5 课 · 选择与测量' },
  intro: {
    en: 'Every ipckit transport speaks one interface: choosing is changing an address. What changes underneath is how many system calls, copies and wake-ups a message costs. This lesson times a round trip on three of them, then reads the benchmark.',
    'zh-CN':
      'ipckit 的每种传输都实现同一套接口：选择传输就是换一个地址。底下变化的是一条消息要花多少次系统调用、多少次拷贝、多少次唤醒。这一课在其中三种传输上测一次往返，然后读基准测试的结果。',
  },
  masks: [
    [/\b\d+(\.\d+)? (ns|µs|ms|s)\b/, '<time>'],
    [/127\.0\.0\.1:\d+/, '127.0.0.1:<port>'],
    // The bench step prints which run it read: the file changes when a new run is saved.
    [/^the run of .*$/, 'the run of <date>, <profile>, <machine>'],
    [/^ {2}ipckit-bench .*$/, '  ipckit-bench <options>'],
  ],
  steps: [
    {
      title: { en: 'shm://: shared memory and a ring', 'zh-CN': 'shm://：共享内存与环形缓冲区' },
      text: {
        en: 'The server says what the transport is; the client times 2000 round trips of 64 bytes. While the other side is busy, a message crosses without a system call: the waiting side spins a little before it sleeps.',
        'zh-CN':
          '服务端说明这是什么传输；客户端对 2000 次 64 字节的往返计时。只要对方正忙着，消息就不需要系统调用就能过去：等待的一方会先自旋一小会儿，再去睡眠。',
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
        en: 'Loopback TCP: the same kind of cost as the pipe, plus the TCP stack. It is the one transport here that also crosses machines.',
        'zh-CN': '回环 TCP：开销和管道属于同一类，再加上 TCP 协议栈。它是这里唯一还能跨机器的传输。',
      },
      async run(ctx) {
        const { server, address } = await serve(ctx, 'tcp server', 'tcp://127.0.0.1:0');
        await ctx.node('node client', '05-choosing/roundtrip', ['time', address, ROUND_TRIPS]).done(0, 60_000);
        await stop(ctx, server);
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
