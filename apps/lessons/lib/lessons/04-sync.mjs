// Lesson 4: synchronization. A torn read caught in the act, then the same with a named mutex; a
// holder killed inside the lock and the next one told; the students scenario with events; a bounded
// buffer with two counting semaphores, its producer blocking when it is full; a condition waited for
// across processes (a process-shared pthread condition variable; on Windows a named mutex and event);
// and the lock-free ring of shm://, a Node producer and a C consumer.

/** Kills a process the hard way and says so, the way each OS calls it. */
async function killHard(ctx, proc) {
  ctx.note(`${proc.label} killed (${ctx.platform === 'win32' ? 'TerminateProcess' : 'SIGKILL'})`);
  await proc.kill();
}

export default {
  number: 4,
  slug: 'synchronization',
  /** The seed articles it answers (lib/articles.mjs). */
  articles: ['sharing-en', 'ipc-3', 'why-cfm'],
  title: { en: 'Lesson 4 · Synchronization', 'zh-CN': '第 4 课 · 同步' },
  intro: {
    en: 'Shared memory gives two processes the same bytes and nothing else: no turns, no "ready", no "done". This lesson catches what goes wrong without them, then adds them: a mutex, events, semaphores, a condition variable shared by two processes, and a ring that needs no lock at all.',
    'zh-CN':
      '共享内存只给两个进程同一批字节，别的什么都不给：没有轮流，没有“就绪”，也没有“完成”。这一课先抓住缺少它们时会出什么错，再把它们加上：互斥量、事件、信号量、两个进程共享的条件变量，以及一个根本不需要锁的环形缓冲区。',
  },
  masks: [
    [/read \d+ times without the lock: \d+ torn(, e\.g\. .*)?$/, 'read <n> times without the lock: <n> torn, e.g. <a torn record>'],
    [/stopped after \d+ writes/, 'stopped after <n> writes'],
    [/the ring was full \d+ times/, 'the ring was full <n> times'],
    [/found the ring empty \d+ times/, 'found the ring empty <n> times'],
    [/found the buffer full \d+ times/, 'found the buffer full <n> times'],
    [/found the buffer empty \d+ times/, 'found the buffer empty <n> times'],
    [/woke up \d+ times? to check/, 'woke up <n> times to check'],
  ],
  steps: [
    {
      title: { en: 'A torn read', 'zh-CN': '撕裂读' },
      text: {
        en: 'The writer flips a 32-byte record between {1, "AAA…"} and {2, "BBB…"} without a lock. Two readers, Node and C, copy it again and again, as the article\'s MemRead does (stu = *lpstu), and count the copies that are neither: half of one write and half of the next.',
        'zh-CN':
          '写端在不加锁的情况下，把一条 32 字节的记录在 {1，“AAA…”} 和 {2，“BBB…”} 之间来回改写。两个读端（Node 和 C）像文章里的 MemRead（stu = *lpstu）那样一遍遍地拷贝它，并数出两者都不是的拷贝：一半来自这次写入，一半来自下一次。',
      },
      async run(ctx) {
        const writer = ctx.node('node writer', '04-sync/flipper', [ctx.name]);
        await writer.expect('flipping');
        await ctx.node('node reader', '04-sync/peek', [ctx.name]).done(0, 30_000);
        await ctx.c('C reader', 'torn', ['peek', ctx.name]).done(0, 30_000);
        ctx.note('node writer ← stop');
        writer.send('stop');
        await writer.expect('stopped');
        await writer.done();
      },
    },
    {
      title: { en: 'The same with a named mutex', 'zh-CN': '加上命名互斥量' },
      text: {
        en: 'Now the writer holds the mutex for each write and the readers for each read: CreateMutexW and WaitForSingleObject / ReleaseMutex on Windows, a process-shared robust pthread mutex in shared memory on Linux. Not one torn read.',
        'zh-CN':
          '现在写端每次写入时都持有互斥量，读端每次读取时也一样：Windows 上是 CreateMutexW 与 WaitForSingleObject / ReleaseMutex；Linux 上是放在共享内存里的、进程间共享的健壮（robust）pthread 互斥量。一次撕裂读都没有了。',
      },
      async run(ctx) {
        const name = `${ctx.name}-locked`;
        const writer = ctx.node('node writer', '04-sync/flipper', [name, '--lock']);
        await writer.expect('flipping');
        await ctx.node('node reader', '04-sync/peek', [name, '--lock', '2000']).done(0, 60_000);
        await ctx.c('C reader', 'torn', ['peek', name, '--lock', '2000']).done(0, 60_000);
        ctx.note('node writer ← stop');
        writer.send('stop');
        await writer.expect('stopped');
        await writer.done();
      },
    },
    {
      title: { en: 'A holder dies inside the lock', 'zh-CN': '持有者持锁时崩溃' },
      text: {
        en: 'A process takes the mutex, writes half an update and is killed. A mutex knows its holder, so the next one to take it is told: WAIT_ABANDONED on Windows, EOWNERDEAD on Linux (ipckit: guard.abandoned). It must check the data and repair it.',
        'zh-CN':
          '一个进程拿到互斥量，只写了一半的更新就被杀掉了。互斥量知道谁持有它，所以下一个拿到它的进程会被告知：Windows 上是 WAIT_ABANDONED；Linux 上是 EOWNERDEAD（在 ipckit 里是 guard.abandoned）。它必须检查数据并修复。',
      },
      async run(ctx) {
        const name = `${ctx.name}-dead`;
        const keeper = ctx.node('node keeper', '04-sync/flipper', [name, '--still']);
        await keeper.expect('created the record');
        const holder = ctx.node('node holder', '04-sync/holder', [name]);
        await holder.expect('holding the lock');
        await killHard(ctx, holder);
        await ctx.c('C check', 'torn', ['check', name]).done();
        await ctx.node('node check', '04-sync/check', [name]).done();
        ctx.note('node keeper ← stop');
        keeper.send('stop');
        await keeper.expect('stopped');
        await keeper.done();
      },
    },
    {
      title: { en: 'Events: wait instead of polling', 'zh-CN': '事件：等待，而不是轮询' },
      text: {
        en: 'The series\' students, done right: a C reader started first sleeps on the event "ready"; the Node writer fills 30 records under the mutex and sets it; the reader reads under the mutex and sets "done", and only then does the writer close.',
        'zh-CN':
          '把英文帖子里的学生例子做对：先启动的 C 读端阻塞在事件 ready 上；Node 写端在互斥量保护下写好 30 条记录，然后设置这个事件；读端在互斥量保护下读取，再设置 “done”，写端这时才关闭。',
      },
      async run(ctx) {
        const base = `${ctx.name}-students`;
        const reader = ctx.c('C reader', 'students', ['reader', base]);
        await reader.expect('waiting for');
        const writer = ctx.node('node writer', '04-sync/students-writer', [base]);
        await reader.expect('read 30 records');
        await writer.expect('closing everything');
        await reader.done();
        await writer.done();
      },
    },
    {
      title: { en: 'Semaphores: a bounded buffer', 'zh-CN': '信号量：有界缓冲区' },
      text: {
        en: 'A buffer of 4 slots in shared memory and two counting semaphores: "empty" counts the free slots (4), "full" the slots holding an item (0). The C producer takes a unit of "empty" before each put and gives one to "full" after; the C consumer the other way round. Started alone, the producer fills the 4 slots and blocks on "empty" until the consumer, started next, frees one.',
        'zh-CN':
          '共享内存里有一个 4 个槽位的缓冲区，外加两个计数信号量：“empty”记录空闲的槽位（初值 4），“full”记录放了数据的槽位（初值 0）。C 生产者每放入一项之前先从“empty”取走一个计数，放好之后给“full”加一；C 消费者正好相反。生产者先单独启动，填满 4 个槽位后阻塞在“empty”上，直到随后启动的消费者腾出一个槽位。',
      },
      async run(ctx) {
        const name = `${ctx.name}-buffer`;
        const producer = ctx.c('C producer', 'bounded_buffer', ['producer', name, '10']);
        await producer.expect('waiting on "empty"');
        const consumer = ctx.c('C consumer', 'bounded_buffer', ['consumer', name, '10']);
        await consumer.done();
        await producer.done();
      },
    },
    {
      title: { en: 'A condition variable across processes', 'zh-CN': '跨进程的条件变量' },
      text: {
        en: 'A waiter sleeps until 3 jobs are done; a worker does them, changing the count under the lock and signalling after each. On Linux: a robust mutex and a condition variable in shared memory, both PTHREAD_PROCESS_SHARED. Windows has no condition variable two processes can share, so there the same program pairs a named mutex with a named auto-reset event and waits with SignalObjectAndWait.',
        'zh-CN':
          '等待方一直阻塞，直到 3 个任务都完成；工作方逐个完成任务，每次都在持有锁时修改计数，然后发出通知。Linux 上用的是放在共享内存里的健壮互斥量和条件变量，两者都设为 PTHREAD_PROCESS_SHARED。Windows 没有能在两个进程之间共享的条件变量，所以同一个程序在那里改用一个命名互斥量加一个命名的自动重置事件，并用 SignalObjectAndWait 等待。',
      },
      async run(ctx) {
        const name = `${ctx.name}-cond`;
        const waiter = ctx.c('C waiter', 'condvar', ['waiter', name, '3']);
        await waiter.expect('waiting until');
        const worker = ctx.c('C worker', 'condvar', ['worker', name, '3']);
        await worker.done();
        await waiter.done();
      },
    },
    {
      title: { en: 'A ring: no lock at all', 'zh-CN': '环形缓冲区：根本不用锁' },
      text: {
        en: 'One producer, one consumer, and two counters: the producer alone writes head, the consumer alone writes tail, each with one atomic store after the bytes it covers. Node produces 1000 messages into a 4 KiB ring; C consumes them. This is the ring inside every shm:// channel.',
        'zh-CN':
          '一个生产者、一个消费者、两个计数器：只有生产者写 head，只有消费者写 tail，各自在它所覆盖的字节写好之后用一次原子存储发布。Node 往一个 4 KiB 的环里生产 1000 条消息，C 来消费。每个 shm:// 通道里用的就是这种环。',
      },
      async run(ctx) {
        const name = `${ctx.name}-ring`;
        const producer = ctx.node('node writer', '04-sync/ring-producer', [name, '1000']);
        await producer.expect('a ring of');
        const consumer = ctx.c('C reader', 'ring_consumer', [name, '1000']);
        await consumer.expect('attached');
        ctx.note('node writer ← go');
        producer.send('go');
        await consumer.expect('read 1000 messages');
        await consumer.done();
        ctx.note('node writer ← close');
        producer.send('close');
        await producer.expect('wrote 1000 messages');
        await producer.done();
      },
    },
  ],
};
