// Lesson 8: the rest of the toolbox, the POSIX breadth of Beej's Guide to IPC beside Windows' twins.
// A writer whose reader is gone (SIGPIPE, EPIPE; WriteFile's errors), one process waiting on several
// channels at once (poll, epoll; WaitForMultipleObjects), record locks between two processes (fcntl;
// LockFileEx) and who owns them, and an open file handed to a process that could not open it by name
// (SCM_RIGHTS; DuplicateHandle).
import { join } from 'node:path';
import { nodeScript } from '../programs.mjs';

export default {
  number: 8,
  slug: 'the-rest-of-the-toolbox',
  /** The seed articles it answers (lib/articles.mjs). */
  articles: ['beej-ipc'],
  title: { en: 'Lesson 8 · The rest of the toolbox', 'zh-CN': '第 8 课 · 工具箱里的其余工具' },
  intro: {
    en: 'Four tools every IPC program meets sooner or later: what happens to a writer whose reader is gone, one process waiting on several channels at once, locks on a range of a file, and handing an open file to another process.',
    'zh-CN':
      '四样工具，每个 IPC 程序迟早都会遇到：读端已经不在时写端会怎样，一个进程同时等待多个通道，对文件的一段区域加锁，以及把一个已经打开的文件交给另一个进程。',
  },
  steps: [
    {
      title: { en: 'A writer whose reader is gone: SIGPIPE, then EPIPE', 'zh-CN': '读端已经不在的写端：先是 SIGPIPE，再是 EPIPE' },
      text: {
        en: 'The read end of a pipe is closed and three writers try it. On POSIX the first is killed by SIGPIPE inside write; the second ignores SIGPIPE and gets -1 with EPIPE; the third is Node, which ignores SIGPIPE from its start and sees an EPIPE error. Windows has no signals: WriteFile fails, and GetLastError says why.',
        'zh-CN':
          '管道的读端已经关闭，三个写端去写它。在 POSIX 上，第一个在 write 里被 SIGPIPE 杀死；第二个忽略了 SIGPIPE，得到 -1 和 EPIPE；第三个是 Node，它一启动就忽略 SIGPIPE，看到的是一个 EPIPE 错误。Windows 没有信号：WriteFile 失败，GetLastError 说明原因。',
      },
      async run(ctx) {
        const args = ctx.platform === 'posix' ? [process.execPath, nodeScript('08-toolbox/epipe')] : [];
        await ctx.c('C writers', 'tb_sigpipe', args).done();
      },
    },
    {
      title: { en: 'Waiting on several at once: poll and epoll, WaitForMultipleObjects', 'zh-CN': '同时等待多个对象：poll 与 epoll，WaitForMultipleObjects' },
      text: {
        en: 'One process waits on three channels and a child uses them. poll and epoll answer which descriptors are ready: a read will not block. WaitForMultipleObjects answers which object is signalled, the lowest index first, and takes at most 64 handles.',
        'zh-CN':
          '一个进程同时等待三个通道，由子进程去使用它们。poll 和 epoll 回答的是哪些文件描述符已经就绪：此刻读取不会阻塞。WaitForMultipleObjects 回答的是哪个对象处于有信号状态，先报下标最小的，而且最多只能等 64 个句柄。',
      },
      async run(ctx) {
        await ctx.c('C waiter', 'tb_wait').done();
      },
    },
    {
      title: { en: 'A lock on bytes 0-99, between two processes', 'zh-CN': '两个进程之间，对第 0 到 99 字节加锁' },
      text: {
        en: 'The holder locks the first 100 bytes of a file. The other process fails to take the same lock at once, then writes and reads those bytes without it: POSIX lets it (the lock is advisory); Windows, its documentation says, does not (the lock is mandatory), but Wine does. Then it waits for the lock, and gets it when the holder releases.',
        'zh-CN':
          '持有者锁住一个文件的前 100 个字节。另一个进程立即尝试加同一把锁，失败了；接着它不加锁就去写、去读这些字节：POSIX 允许（锁是建议性的）；按文档，Windows 不允许（锁是强制性的），但 Wine 允许。然后它等待这把锁，持有者释放后它就得到了。',
      },
      async run(ctx) {
        const file = join(ctx.tmp, 'locked.dat');
        const holder = ctx.c('C holder', 'tb_lock', ['hold', file]);
        await holder.expect('holding bytes 0-99');
        const other = ctx.c('C other', 'tb_lock', ['try', file]);
        await other.expect('waits for the holder');
        ctx.note('C holder ← release');
        holder.send('release');
        await holder.done();
        await other.done();
      },
    },
    {
      title: { en: 'Who owns a lock: the process, the open file, the handle', 'zh-CN': '锁归谁所有：进程、打开的文件、句柄' },
      text: {
        en: 'A classic fcntl lock belongs to the process: a second descriptor of the same file does not conflict with it, and closing any descriptor of the file drops it. An F_OFD_SETLK lock belongs to the open file, so two opens conflict even in one process. A LockFileEx lock belongs to the handle.',
        'zh-CN':
          '传统的 fcntl 锁归进程所有：同一文件的第二个文件描述符与它不冲突，而关闭该文件的任何一个文件描述符都会把它释放。F_OFD_SETLK 加的锁归打开的文件所有，所以即使在同一个进程里，两次打开也会冲突。LockFileEx 加的锁归句柄所有。',
      },
      async run(ctx) {
        await ctx.c('C owner', 'tb_lock', ['owner', join(ctx.tmp, 'locked.dat')]).done();
      },
    },
    {
      title: { en: 'Handing an open file to another process', 'zh-CN': '把已打开的文件交给另一个进程' },
      text: {
        en: 'The giver opens a file and makes it impossible to open by name: on POSIX it unlinks it, on Windows it opens it with share mode 0. The taker fails to open it by name, then reads it through what the giver hands over: a descriptor sent as SCM_RIGHTS over a Unix domain socket, or a handle DuplicateHandle made in the taker.',
        'zh-CN':
          '给出方打开一个文件，并让别人无法再按名字打开它：在 POSIX 上把它删除（unlink），在 Windows 上以共享模式 0 打开它。接收方按名字打开失败，然后通过给出方交过来的东西读到它：经 Unix 域套接字以 SCM_RIGHTS 发来的文件描述符，或者 DuplicateHandle 在接收方进程里创建的句柄。',
      },
      async run(ctx) {
        const endpoint = ctx.platform === 'posix' ? join(ctx.tmp, 'pass.sock') : `${ctx.name}-pass`;
        const file = join(ctx.tmp, 'secret.txt');
        const giver = ctx.c('C giver', 'tb_pass', ['give', endpoint, file]);
        await giver.expect('for the taker');
        await ctx.c('C taker', 'tb_pass', ['take', endpoint, file]).done();
        await giver.done();
      },
    },
  ],
};
