// Lesson 6: publish/subscribe. One publisher and three subscribers, each a process of its own, on
// shm://, tcp:// and pipe:// (the same two programs, only the address changes); a late subscriber
// and the history; one that dies; a slow subscriber under `block` and under `drop-oldest`; and why a
// mailslot, Windows' one broadcast, is not a topic.
import { createEvent } from '@ipckit/sync';

const LABELS = ['sub A', 'sub B', 'sub C'];

/** Starts the publisher on `address`; resolves with it and the address subscribers use (tcp: the real port). */
async function publisher(ctx, address, args = []) {
  const proc = ctx.node('publisher', '06-topics/publisher', [address, ...args]);
  const line = await proc.expect('publishing ');
  return { proc, address: /^publishing (\S+):/.exec(line)?.[1] ?? address };
}

/** Starts one subscriber a time, each counted in before the next starts (so their lines keep one order). */
async function subscribers(ctx, address, labels = LABELS) {
  const subs = [];
  for (const label of labels) {
    const sub = ctx.node(label, '06-topics/subscriber', [address]);
    await sub.expect('subscribed');
    subs.push(sub);
  }
  return subs;
}

/** Tells the publisher `command` and waits for its answer. */
async function tell(ctx, proc, command, answer) {
  ctx.note(`${proc.label} ← ${command}`);
  proc.send(command);
  return proc.expect(answer);
}

/** Each subscriber in turn says what it received, once it has message `seq`. */
async function report(subs, seq) {
  for (const sub of subs) {
    sub.send(`report ${String(seq)}`);
    await sub.expect('got ');
  }
}

/** The publisher closes; then each subscriber in turn says how its topic ended. */
async function closeAll(ctx, pub, subs) {
  await tell(ctx, pub, 'close', 'closed after');
  await pub.done();
  for (const sub of subs) {
    sub.send('end');
    await sub.expect('messages received');
    await sub.done();
  }
}

/** Sub C is made slow: its event loop blocks on an event the lesson sets later. */
async function stall(ctx, sub) {
  const free = await createEvent(`${ctx.name}-free`, { manualReset: true });
  ctx.note(`${sub.label} ← stall`);
  sub.send(`stall ${ctx.name}-free`);
  await sub.expect('busy');
  return async () => {
    ctx.note(`the event is set: ${sub.label} may run`);
    free.set();
    await sub.expect('free again');
    free.close();
  };
}

/** Steps 1 and 2: a publisher on `address`, three subscribers counted in, three messages to each, then all closed. */
async function threeSubscribers(ctx, address) {
  const { proc: pub, address: bound } = await publisher(ctx, address);
  const subs = await subscribers(ctx, bound);
  await tell(ctx, pub, 'wait 3', 'counted in');
  await tell(ctx, pub, 'send 3', 'sent ');
  await report(subs, 2);
  await closeAll(ctx, pub, subs);
}

export default {
  number: 6,
  slug: 'publish-subscribe',
  /** The seed articles it answers (lib/articles.mjs). */
  articles: ['ipc-3', 'ipc-1'],
  title: { en: 'Lesson 6 · Publish/subscribe', 'zh-CN': '第 6 课 · 发布/订阅' },
  intro: {
    en: 'A channel joins two processes. A topic joins one publisher to any number of subscribers that come and go: each message is numbered, each subscriber gets them in order, and a subscriber that falls behind is handled by a policy the publisher chose. Windows and POSIX have no such object; ipckit builds one on shared memory and on sockets.',
    'zh-CN':
      '通道连接两个进程。主题把一个发布者和任意多个来来去去的订阅者连在一起：每条消息都有编号，每个订阅者都按顺序收到它们，跟不上的订阅者由发布者选定的策略处理。Windows 和 POSIX 都没有这样的对象；ipckit 在共享内存和套接字之上构建了它。',
  },
  masks: [[/127\.0\.0\.1:\d+/, '127.0.0.1:<port>']],
  steps: [
    {
      title: { en: 'One publisher, three subscribers (shm://)', 'zh-CN': '一个发布者，三个订阅者（shm://）' },
      text: {
        en: 'Four processes. The publisher writes each message once into shared memory; each subscriber reads it there, in place, through its own cursor. Each message has a sequence number, and every subscriber gets every one, in order.',
        'zh-CN':
          '四个进程。发布者把每条消息只写一次，写进共享内存；每个订阅者通过自己的游标，就地从那里读取。每条消息都有一个序号，每个订阅者都按顺序收到每一条。',
      },
      async run(ctx) {
        await threeSubscribers(ctx, `shm://${ctx.name}`);
      },
    },
    {
      title: { en: 'The same programs on tcp://', 'zh-CN': '同样的程序，换成 tcp://' },
      text: {
        en: 'Only the address changes. Now the publisher is a socket server: each subscriber connects and gets its own connection, and each message is written to every one of them, a copy per subscriber in the kernel.',
        'zh-CN': '只有地址变了。现在发布者是一个套接字服务端：每个订阅者连上来，各有一条自己的连接，每条消息要写到每一条连接上，在内核里每个订阅者一份拷贝。',
      },
      async run(ctx) {
        await threeSubscribers(ctx, 'tcp://127.0.0.1:0');
      },
    },
    {
      title: { en: 'pipe://: a late subscriber, the history, and one that dies', 'zh-CN': 'pipe://：迟到的订阅者、历史消息，以及一个崩溃的订阅者' },
      text: {
        en: 'A publisher with no subscribers sends into nothing; with history 2 it keeps the last two messages for whoever joins later. Then a subscriber is killed: the OS closes its end of the pipe, and the publisher stops counting it.',
        'zh-CN':
          '没有订阅者时，发布者发出的消息没人接收；设了 history 2，它会为以后加入的订阅者保留最近的两条消息。然后一个订阅者被杀掉：操作系统关闭它那一端的管道，发布者不再把它算在内。',
      },
      async run(ctx) {
        const { proc: pub, address } = await publisher(ctx, `pipe://${ctx.name}`, ['block', '64', '2']);
        await tell(ctx, pub, 'send 4', 'sent ');
        const [a, b] = await subscribers(ctx, address, ['sub A', 'sub B']);
        await report([a, b], 3);
        await tell(ctx, pub, 'send 1', 'sent ');
        await report([a, b], 4);
        ctx.note(`sub B killed (${ctx.platform === 'win32' ? 'TerminateProcess' : 'SIGKILL'})`);
        await b.kill();
        await tell(ctx, pub, 'count 1', 'counted in now');
        await tell(ctx, pub, 'send 1', 'sent ');
        await report([a], 5);
        await closeAll(ctx, pub, [a]);
      },
    },
    {
      title: { en: 'A slow subscriber under block: the publisher waits', 'zh-CN': 'block 策略下的慢订阅者：发布者等待' },
      text: {
        en: 'Capacity 4: a subscriber may fall four messages behind. Sub C stops reading. Four messages fit; the fifth finds no room, and under block the send waits (here it gives up after its timeout of 500 ms and nobody gets it). Once C reads again, the send goes through, and nobody has lost anything.',
        'zh-CN':
          '容量为 4：订阅者最多可以落后四条消息。sub C 停止读取。前四条放得下；第五条没有空间了，在 block 策略下发送会等待（这里它在 500 毫秒的超时后放弃，谁也没收到这条）。等 C 重新开始读取，发送就能完成，谁也没有丢失任何消息。',
      },
      async run(ctx) {
        const { proc: pub, address } = await publisher(ctx, `shm://${ctx.name}-block`, ['block', '4']);
        const subs = await subscribers(ctx, address);
        await tell(ctx, pub, 'wait 3', 'counted in');
        const release = await stall(ctx, subs[2]);
        await tell(ctx, pub, 'send 4', 'sent ');
        await tell(ctx, pub, 'try', 'send #4');
        await release();
        await tell(ctx, pub, 'send 4', 'sent ');
        await report(subs, 7);
        await closeAll(ctx, pub, subs);
      },
    },
    {
      title: { en: 'The same under drop-oldest: C is told what it missed', 'zh-CN': 'drop-oldest 策略下的同一情形：C 会被告知它错过了多少' },
      text: {
        en: "Now the publisher never waits: when C is four behind, C's oldest messages are dropped. When C reads again it gets the newest four, and the first delivery's missed field says how many it will never see. A and B, who kept up, miss nothing.",
        'zh-CN':
          '这次发布者从不等待：C 落后四条时，C 最旧的消息就被丢弃。C 重新读取时拿到最新的四条，第一条投递的 missed 字段说明它有多少条再也收不到了。跟上了进度的 A 和 B 一条也没丢。',
      },
      async run(ctx) {
        const { proc: pub, address } = await publisher(ctx, `shm://${ctx.name}-drop`, ['drop-oldest', '4']);
        const subs = await subscribers(ctx, address);
        await tell(ctx, pub, 'wait 3', 'counted in');
        const release = await stall(ctx, subs[2]);
        await tell(ctx, pub, 'send 4', 'sent ');
        // A and B have all four before more come: only C is behind when the oldest are dropped.
        await report(subs.slice(0, 2), 3);
        await tell(ctx, pub, 'send 4', 'sent ');
        await release();
        await report(subs, 7);
        await closeAll(ctx, pub, subs);
      },
    },
    {
      title: { en: 'Why a mailslot is not a topic', 'zh-CN': '为什么邮槽不是主题' },
      text: {
        en: "Windows' one broadcast is the mailslot: a write to \\\\*\\mailslot\\name reaches the slot of that name on every machine of the domain. On one machine, though, a name has one reader: a second server of the name is refused. And ipckit's mailslot:// has no topic form.",
        'zh-CN':
          'Windows 唯一的广播机制是邮槽：写到 \\\\*\\mailslot\\name 的消息会到达域中每台机器上同名的邮槽。可是在一台机器上，一个名字只有一个读端：同名的第二个服务端会被拒绝。而 ipckit 的 mailslot:// 没有主题形式。',
      },
      async run(ctx) {
        await ctx.node('node', '06-topics/mailslot', [`${ctx.name}-slot`]).done();
      },
    },
  ],
};
