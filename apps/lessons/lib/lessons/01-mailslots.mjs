// Lesson 1: mailslots. A server creates a slot; writers in Node and in C leave messages in it; the
// server asks how many wait, reads them whole, closes; then a C server reads what a Node writer sends
// and shows the read timeout.
import { mailslotPath } from '@ipckit/mailslot';

export default {
  number: 1,
  slug: 'mailslots',
  /** The seed articles it answers (lib/articles.mjs). */
  articles: ['ipc-1'],
  masks: [
    // How deep a datagram queue is depends on the machine's settings.
    [/queue took \d+ messages/, 'queue took <n> messages'],
    [/max_dgram_qlen = \d+/, 'max_dgram_qlen = <n>'],
  ],
  title: { en: 'Lesson 1 · Mailslots', 'zh-CN': '第 1 课 · 邮槽' },
  intro: {
    en: 'A mailslot is a named, one-way box for messages: one server reads, any number of writers write, and every write arrives as one whole message.',
    'zh-CN': '邮槽是一个有名字的、单向的消息箱：一个服务端读，任意多个写端写，每次写入都作为一条完整的消息到达。',
  },
  steps: [
    {
      title: { en: 'The server creates the slot', 'zh-CN': '服务端创建邮槽' },
      text: {
        en: 'CreateMailslotW on Windows; on Linux a Unix datagram socket bound to a path, the nearest thing POSIX has. The slot refuses messages over 1024 bytes.',
        'zh-CN':
          'Windows 上是 CreateMailslotW；Linux 上是绑定到一个路径的 Unix 数据报套接字，这是 POSIX 上最接近邮槽的东西。这个邮槽拒收超过 1024 字节的消息。',
      },
      async run(ctx) {
        ctx.state.path = await mailslotPath(ctx.name);
        const server = ctx.node('server', '01-mailslots/server', [ctx.name]);
        ctx.state.server = server;
        await server.expect('created');
        await server.expect('largest message');
      },
    },
    {
      title: { en: 'Two writers leave messages; nobody reads yet', 'zh-CN': '两个写端留下消息；还没有人读' },
      text: {
        en: 'A Node writer (CreateFileW + WriteFile, or connect + send) and a C writer doing the same with the OS calls alone. Each write is one message. The server has not read anything: the messages wait in the slot.',
        'zh-CN':
          '一个 Node 写端（CreateFileW + WriteFile，或 connect + send）和一个只用操作系统调用做同样事情的 C 写端。每次写入就是一条消息。服务端还什么都没读：消息在邮槽里等着。',
      },
      async run(ctx) {
        await ctx.node('node writer', '01-mailslots/client', [ctx.name, 'hello', 'from', 'node']).done();
        await ctx.c('C writer', 'mailslot_client', [ctx.state.path, 'and from C']).done();
      },
    },
    {
      title: { en: 'The server asks how many messages wait', 'zh-CN': '服务端询问有多少条消息在等待' },
      text: {
        en: 'GetMailslotInfo on Windows says how many messages wait and how long the next one is, before reading it (documented; under Wine the count is 1 whenever anything waits). A socket cannot count its queue; ipckit counts what it has taken in.',
        'zh-CN':
          '在 Windows 上，GetMailslotInfo 能在读之前告诉你有几条消息在等、下一条有多长（依据文档；在 Wine 下，只要有消息在等，条数就是 1）。套接字无法数出自己的队列；ipckit 数的是它已经取进进程里的消息。',
      },
      async run(ctx) {
        ctx.note('server ← wait 4');
        ctx.state.server.send('wait 4');
        await ctx.state.server.expect('messages waiting');
      },
    },
    {
      title: { en: 'The server reads: one read, one message', 'zh-CN': '服务端读取：一次读取，一条消息' },
      text: {
        en: 'Boundaries are kept: "hello" and "from" never arrive glued together as they could on a byte stream, and the messages of the two writers come in the order they were written.',
        'zh-CN': '消息边界得以保留：“hello” 和 “from” 绝不会像在字节流上那样粘在一起到达，两个写端的消息按写入的顺序到来。',
      },
      async run(ctx) {
        ctx.note('server ← read 4');
        ctx.state.server.send('read 4');
        await ctx.state.server.expect('message 4:');
      },
    },
    {
      title: { en: 'A message over the maximum', 'zh-CN': '超过上限的消息' },
      text: {
        en: "The writer knows its own limit (1024 bytes here) and refuses a 2000-byte message before any system call: EMSGSIZE. Windows, its documentation says, would also refuse it at WriteFile, against the slot's maximum; Wine does not (step 8).",
        'zh-CN':
          '写端知道自己的上限（这里是 1024 字节），在任何系统调用之前就拒绝了一条 2000 字节的消息：EMSGSIZE。按文档，Windows 在 WriteFile 时也会按邮槽的上限拒绝它；Wine 不会（见第 8 步）。',
      },
      async run(ctx) {
        const writer = ctx.node('node writer', '01-mailslots/client', [ctx.name, '+2000']);
        await writer.expect('refused');
        await writer.done();
      },
    },
    {
      title: { en: 'The server closes; writers find nobody', 'zh-CN': '服务端关闭；写端找不到接收方' },
      text: {
        en: 'The slot is one kernel object: closing its handle (or its socket) frees the name at once (under Wine only once no writer holds a handle either). Opening it now fails: ENOENT, which is ERROR_FILE_NOT_FOUND on Windows.',
        'zh-CN':
          '邮槽是一个内核对象：关闭它的句柄（或套接字），名字立刻就空出来了（在 Wine 下，要等写端也都不再持有句柄）。现在再打开它会失败：ENOENT，在 Windows 上就是 ERROR_FILE_NOT_FOUND。',
      },
      async run(ctx) {
        ctx.note('server ← close');
        ctx.state.server.send('close');
        await ctx.state.server.expect('closed');
        await ctx.state.server.done();
        await ctx.node('node writer', '01-mailslots/client', [ctx.name, 'anyone?']).done();
        await ctx.c('C writer', 'mailslot_client', [ctx.state.path, 'anyone?']).done();
      },
    },
    {
      title: { en: 'The other way round: a C server, a Node writer', 'zh-CN': '反过来：C 服务端，Node 写端' },
      text: {
        en: 'The C server creates the slot and reads the two messages the Node writer sends, waiting as long as it takes. Then it sets a read timeout of 300 ms (SetMailslotInfo; SO_RCVTIMEO on Linux) and waits in one more read that nobody answers: it gives up with ERROR_SEM_TIMEOUT (Windows) or EAGAIN (Linux).',
        'zh-CN':
          'C 服务端创建邮槽，读出 Node 写端发来的两条消息，需要等多久就等多久。然后它把读超时设为 300 毫秒（SetMailslotInfo；Linux 上是 SO_RCVTIMEO），再等一次没人回应的读取：它以 ERROR_SEM_TIMEOUT（Windows）或 EAGAIN（Linux）放弃。',
      },
      async run(ctx) {
        const server = ctx.c('C server', 'mailslot_server', [ctx.state.path, '2', '300']);
        await server.expect('created');
        await ctx.node('node writer', '01-mailslots/client', [ctx.name, 'one', 'two']).done();
        await server.expect('message 2:');
        await server.expect('no message within');
        await server.done();
      },
    },
    {
      title: { en: 'How many, how large, how deep: the counters in C', 'zh-CN': '有几条、多大、多深：C 里的计数' },
      text: {
        en: 'On Windows a GetMailslotInfo loop sizes each read by the next message, a write over the maximum is refused, and the slot has a quota CreateMailslotW cannot set. On POSIX a datagram queue holds a fixed number of messages, and a POSIX message queue (mq_open) is the closer twin: it counts its messages and refuses one too many.',
        'zh-CN':
          '在 Windows 上，GetMailslotInfo 循环按下一条消息的大小准备每次读取，超过上限的写入会被拒绝，邮槽还有一个 CreateMailslotW 无法设置的配额。在 POSIX 上，数据报队列只能容纳固定条数的消息；POSIX 消息队列（mq_open）是更接近的对应物：它能数出自己的消息条数，多一条就拒绝。',
      },
      async run(ctx) {
        await ctx.c('C', 'mailslot_info', [`${ctx.name}-info`]).done();
      },
    },
  ],
};
