// Lesson 2: pipes. Anonymous pipes between a parent and its child (Node's own, then CreatePipe /
// pipe2 in C with the Node child at the far end, then the classic mistake), then a named pipe served
// by Node and used by a Node client and a C client that frames by hand, then byte and message mode,
// a server loop in C (an instance per client), overlapped I/O, a FIFO, and peek, read mode and
// transactions on a message pipe.
import { pipePath } from '@ipckit/named-pipe';
import { nodeScript } from '../programs.mjs';

export default {
  number: 2,
  slug: 'pipes',
  /** The seed articles it answers (lib/articles.mjs). */
  articles: ['ipc-2', 'ezhchai-3'],
  title: { en: 'Lesson 2 · Pipes, anonymous and named', 'zh-CN': '第 2 课 · 管道：匿名管道与命名管道' },
  intro: {
    en: 'A pipe is a buffer in the kernel with a writing end and a reading end. An anonymous pipe has no name: only processes that inherit an end can use it. A named pipe has a name that any process can open.',
    'zh-CN': '管道是内核里的一块缓冲区，一端写、一端读。匿名管道没有名字：只有继承了某一端的进程才能使用它。命名管道有名字，任何进程都可以按名字打开。',
  },
  steps: [
    {
      title: { en: 'Anonymous pipes, the Node way', 'zh-CN': '匿名管道：Node 的做法' },
      text: {
        en: 'child_process.spawn with stdio "pipe" gives the child a new stdin and stdout; the parent keeps the other ends. The parent writes three lines and closes its end; the child answers each in capitals and stops at end-of-file.',
        'zh-CN':
          'child_process.spawn 的 stdio 设为 “pipe” 时，子进程得到新的标准输入和标准输出，父进程握着另一端。父进程写三行，然后关闭自己这一端；子进程把每一行改成大写写回，读到文件结束（EOF）就停下。',
      },
      async run(ctx) {
        const parent = ctx.node('node parent', '02-pipes/anon-parent');
        await parent.expect('exited with code');
        await parent.done();
      },
    },
    {
      title: {
        en: 'The same in C: CreatePipe or pipe2, an inherited handle, a redirected child',
        'zh-CN': '用 C 做同样的事：CreatePipe 或 pipe2、可继承的句柄、重定向的子进程',
      },
      text: {
        en: 'The C parent makes two real pipes, lets the child inherit only the far ends (an inheritable handle on Windows; dup2 onto 0 and 1 after fork on POSIX), and starts the same Node child.',
        'zh-CN':
          'C 父进程创建两个真正的管道，只让子进程继承远端（Windows 上是可继承的句柄；POSIX 上是 fork 之后 dup2 到 0 和 1），然后启动同一个 Node 子进程。',
      },
      async run(ctx) {
        const parent = ctx.c('C parent', 'pipe_anon', [process.execPath, nodeScript('02-pipes/anon-child')]);
        await parent.expect('exited with code');
        await parent.done();
      },
    },
    {
      title: { en: 'The classic mistake: a write end left open', 'zh-CN': '经典错误：忘了关闭写端' },
      text: {
        en: "A pipe reads end-of-file only when every write end in every process is closed. This parent forgets its own copy of the child's stdout write end: the child has exited, and still no end-of-file comes.",
        'zh-CN':
          '只有当所有进程里的所有写端都关闭了，管道才会读到文件结束。这个父进程忘了关闭它自己手里那份子进程标准输出的写端：子进程早已退出，文件结束却始终不来。',
      },
      async run(ctx) {
        const parent = ctx.c('C parent', 'pipe_anon', ['--forget-close', process.execPath, nodeScript('02-pipes/anon-child')]);
        await parent.expect('end-of-file at once');
        await parent.done();
      },
    },
    {
      title: { en: 'A named pipe: a server anyone can find by name', 'zh-CN': '命名管道：任何人都能按名字找到的服务端' },
      text: {
        en: 'On Windows \\\\.\\pipe\\<name> (CreateNamedPipeW and ConnectNamedPipe, inside libuv); on Linux a Unix domain socket, whose name is a path.',
        'zh-CN': 'Windows 上是 \\\\.\\pipe\\<名字>（由 libuv 内部调用 CreateNamedPipeW 和 ConnectNamedPipe）；Linux 上是 Unix 域套接字，它的名字是一个路径。',
      },
      async run(ctx) {
        ctx.state.path = await pipePath(ctx.name);
        const server = ctx.node('server', '02-pipes/server', [ctx.name]);
        ctx.state.server = server;
        await server.expect('listening on');
      },
    },
    {
      title: { en: 'A Node client: one message, one reply', 'zh-CN': 'Node 客户端：一条消息，一条回复' },
      text: {
        en: 'The client opens the pipe by name and sends messages; the server answers each in capitals. Both sides see whole messages because ipckit frames them.',
        'zh-CN': '客户端按名字打开管道并发送消息；服务端把每条消息改成大写回复。双方看到的都是完整的消息，因为 ipckit 给它们加了帧。',
      },
      async run(ctx) {
        await ctx.node('node client', '02-pipes/client', [ctx.name, 'hello', 'named pipe']).done();
        await ctx.state.server.expect('the client left');
      },
    },
    {
      title: { en: 'A C client frames by hand', 'zh-CN': 'C 客户端自己组帧' },
      text: {
        en: 'Two frames in one write, then one frame in three writes: the server still gets exactly three messages. The stream keeps no boundaries; the 4-byte lengths do.',
        'zh-CN': '一次写入两帧，再用三次写入写一帧：服务端收到的仍然恰好是三条消息。字节流本身不保留边界；靠的是那 4 个字节的长度。',
      },
      async run(ctx) {
        await ctx.c('C client', 'pipe_client', [ctx.state.path]).done();
        await ctx.state.server.expect('the client left');
      },
    },
    {
      title: { en: 'Byte mode and message mode', 'zh-CN': '字节模式与消息模式' },
      text: {
        en: 'Two writes, "hello" and "world", and one read with room for both. Windows pipes have a message mode that keeps the writes apart; POSIX has SOCK_SEQPACKET. They differ when a message does not fit the read.',
        'zh-CN':
          '两次写入 “hello” 和 “world”，再用一次足够大的读取。Windows 管道有保留每次写入边界的消息模式；POSIX 有 SOCK_SEQPACKET。当一条消息装不进这次读取时，两者的行为不同。',
      },
      async run(ctx) {
        await ctx.c('C modes', 'pipe_modes', [ctx.name]).done();
      },
    },
    {
      title: { en: 'The server closes', 'zh-CN': '服务端关闭' },
      text: {
        en: 'Closing the listener frees the name (on Linux it also removes the socket file).',
        'zh-CN': '关闭监听端就释放了名字（在 Linux 上还会删除套接字文件）。',
      },
      async run(ctx) {
        ctx.note('server ← close');
        ctx.state.server.send('close');
        await ctx.state.server.expect('closed');
        await ctx.state.server.done();
      },
    },
    {
      title: { en: 'A server loop in C: an instance per client', 'zh-CN': '用 C 写服务端循环：每个客户端一个实例' },
      text: {
        en: 'The C server makes a pipe instance, waits in ConnectNamedPipe, and makes the next instance while it serves the client. The first client holds its connection; the second connects meanwhile and waits. When the first leaves (DisconnectNamedPipe, CloseHandle), ConnectNamedPipe on the second instance fails with ERROR_PIPE_CONNECTED: the client was there first, which is success. On Linux the twin is an accept loop, the second client waiting in the listen backlog.',
        'zh-CN':
          'C 服务端创建一个管道实例，在 ConnectNamedPipe 里等待，并在服务当前客户端的同时创建下一个实例。第一个客户端一直占着连接；第二个客户端在这期间连上来并等待。第一个客户端离开后（DisconnectNamedPipe、CloseHandle），对第二个实例调用 ConnectNamedPipe 会以 ERROR_PIPE_CONNECTED 失败：客户端先到了，这算成功。Linux 上的对应做法是 accept 循环，第二个客户端在 listen 的积压队列里等待。',
      },
      async run(ctx) {
        const path = await pipePath(`${ctx.name}-c`);
        const server = ctx.c('C server', 'pipe_server', ['serve', path, '2']);
        await server.expect(/waits for a client/);
        const first = ctx.c('C client 1', 'pipe_server', ['client', path, 'hello', '--hold']);
        await first.expect('holding the connection');
        const second = ctx.c('C client 2', 'pipe_server', ['client', path, 'world']);
        await second.expect('connected');
        ctx.note('C client 1 ← close');
        first.send('close');
        await first.done();
        await second.done();
        await server.expect('served 2 clients');
        await server.done();
      },
    },
    {
      title: { en: 'Overlapped I/O: start the call, wait for it later', 'zh-CN': '重叠 I/O：先发起调用，稍后再等它完成' },
      text: {
        en: 'With FILE_FLAG_OVERLAPPED, ConnectNamedPipe and ReadFile return at once with ERROR_IO_PENDING; the OVERLAPPED event is signalled when the kernel has done the work, and GetOverlappedResult gives the result. POSIX has readiness instead: a non-blocking accept or read fails with EAGAIN, and poll says when the call would not block.',
        'zh-CN':
          '使用 FILE_FLAG_OVERLAPPED 时，ConnectNamedPipe 和 ReadFile 会立即返回 ERROR_IO_PENDING；内核完成操作后，OVERLAPPED 里的事件变为有信号，GetOverlappedResult 给出结果。POSIX 用的是就绪通知：非阻塞的 accept 或 read 以 EAGAIN 失败，poll 告诉你什么时候调用不会阻塞。',
      },
      async run(ctx) {
        await ctx.c('C async', 'pipe_async', [await pipePath(`${ctx.name}-async`)]).done();
      },
    },
    {
      title: { en: 'A FIFO: a named pipe in the file system', 'zh-CN': 'FIFO：文件系统里的命名管道' },
      text: {
        en: 'mkfifo makes a file that is a pipe. The reader opens it and blocks until a writer opens it too; the writer writes two lines and closes; the reader reads them and then end-of-file. Windows has no FIFOs: the program uses a one-way named pipe there, whose ConnectNamedPipe waits for the writer the same way.',
        'zh-CN':
          'mkfifo 创建一个本身就是管道的文件。读端打开它，并一直阻塞到写端也打开为止；写端写两行后关闭；读端读到这两行，然后读到文件结束。Windows 没有 FIFO：程序在那里改用单向命名管道，它的 ConnectNamedPipe 同样会等写端到来。',
      },
      async run(ctx) {
        const reader = ctx.c('C reader', 'pipe_fifo', ['read', ctx.tmp, `${ctx.name}-fifo`]);
        await reader.expect('blocks until a writer');
        await ctx.c('C writer', 'pipe_fifo', ['write', ctx.tmp, `${ctx.name}-fifo`, 'one', 'two words']).done();
        await reader.expect(/the writer closed/);
        await reader.done();
      },
    },
    {
      title: { en: "A message pipe from the client's side: peek, read mode, transact", 'zh-CN': '从客户端看消息管道：窥视、读取模式、事务' },
      text: {
        en: "PeekNamedPipe says what is waiting and copies it without taking it. The client's handle starts in byte-read mode even on a message-type pipe: SetNamedPipeHandleState(PIPE_READMODE_MESSAGE) makes each read one message. TransactNamedPipe writes a request and reads the reply in one call. POSIX: ioctl(FIONREAD) and recv(MSG_PEEK), no read mode to set, no transaction call.",
        'zh-CN':
          'PeekNamedPipe 告诉你有什么在等着，并且只复制、不取走。即使管道是消息类型，客户端的句柄一开始也是字节读取模式：SetNamedPipeHandleState(PIPE_READMODE_MESSAGE) 让每次读取返回一条消息。TransactNamedPipe 用一次调用写出请求并读回回复。POSIX：ioctl(FIONREAD) 和 recv(MSG_PEEK)，没有读取模式可设，也没有事务调用。',
      },
      async run(ctx) {
        await ctx.c('C transact', 'pipe_transact', [`${ctx.name}-transact`]).done();
      },
    },
  ],
};
