// Lesson 7: who may open what. Files and folders for their owner only (0600, 0700, O_EXCL,
// O_NOFOLLOW; on Windows CREATE_NEW and the file's DACL), ipckit's own pipe:// server and its 0700
// folder, a real second user refused with EACCES (as root: the user ipckit-other, made with useradd
// as packages/core/src/testing/another-user.ts does), one server per name (EADDRINUSE;
// FILE_FLAG_FIRST_PIPE_INSTANCE), a pipe's default and owner-only DACLs, and who is calling
// (SO_PEERCRED; GetNamedPipeClientProcessId, ImpersonateNamedPipeClient).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The second local user the project's tests use (a system user, no home, no login shell). */
export const OTHER_USER = 'ipckit-other';

/**
 * The second user { name, uid, gid }, made with useradd when missing; or { why } when this run cannot
 * have one (not Linux, or not root: only root can make a user, and become one).
 */
export function otherUser() {
  if (process.platform !== 'linux') return { why: 'not Linux' };
  if (process.getuid?.() !== 0) return { why: 'not root' };
  let id = spawnSync('id', ['-u', OTHER_USER], { encoding: 'utf8' });
  if (id.status !== 0) {
    spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', OTHER_USER], { encoding: 'utf8' });
    id = spawnSync('id', ['-u', OTHER_USER], { encoding: 'utf8' });
    if (id.status !== 0) return { why: `useradd ${OTHER_USER} failed` };
  }
  const gid = spawnSync('id', ['-g', OTHER_USER], { encoding: 'utf8' }).stdout.trim();
  return { name: OTHER_USER, uid: id.stdout.trim(), gid };
}

export default {
  number: 7,
  slug: 'who-may-open-what',
  /** The seed articles it answers (lib/articles.mjs): its named pipes reach across the network. */
  articles: ['ipc-2'],
  title: { en: 'Lesson 7 · Who may open what', 'zh-CN': '第 7 课 · 谁可以打开什么' },
  intro: {
    en: 'Every object a process names can be opened by someone else who knows the name. What decides who may: on POSIX the mode bits of the object and of every folder on its path, on Windows the DACL of its security descriptor. And once a peer is connected, the OS can say who it is.',
    'zh-CN':
      '进程起了名字的每个对象，知道这个名字的其他人都可以尝试打开。由什么决定谁可以打开：在 POSIX 上是对象本身以及路径上每一级目录的权限位，在 Windows 上是其安全描述符里的 DACL。对端连上之后，操作系统还能告诉你它是谁。',
  },
  masks: [
    // The second user's uid and gid, which useradd picks on each machine.
    [/\b(uid|gid) [1-9]\d*/, '$1 <n>'],
    // The user Wine runs as (Windows: the user of the session).
    [/user "[^"]*"/, 'user "<user>"'],
  ],
  steps: [
    {
      title: { en: 'A file for its owner only: 0600, O_EXCL, O_NOFOLLOW', 'zh-CN': '只属于所有者的文件：0600、O_EXCL、O_NOFOLLOW' },
      text: {
        en: 'The C program creates a file exclusively (O_CREAT | O_EXCL: a name that exists is refused, never opened), with mode 0600, and a folder with mode 0700; then it plants a symlink and opens it with O_NOFOLLOW, which refuses to follow it. On Windows CREATE_NEW is the exclusive create, and the file has no mode bits: its DACL says who may open it.',
        'zh-CN':
          'C 程序以独占方式创建一个文件（O_CREAT | O_EXCL：名字已存在就拒绝，绝不打开已有的），权限为 0600，再创建一个权限为 0700 的目录；然后放一个符号链接，用 O_NOFOLLOW 去打开它，O_NOFOLLOW 拒绝跟随链接。在 Windows 上，CREATE_NEW 就是独占创建，文件没有权限位：由它的 DACL 决定谁可以打开。',
      },
      async run(ctx) {
        await ctx.c('C owner', 'sec_owner', ['files', ctx.tmp]).done();
      },
    },
    {
      title: { en: "ipckit's pipe:// server and its 0700 folder", 'zh-CN': 'ipckit 的 pipe:// 服务端及其 0700 目录' },
      text: {
        en: "On POSIX ipckit puts its sockets in a folder of the user's own, created 0700, and refuses a folder that is a symlink, another user's, or open to group or others. On Windows libuv creates the pipe with the default security descriptor.",
        'zh-CN':
          '在 POSIX 上，ipckit 把套接字放在用户自己的目录里，该目录创建时为 0700；如果目录是符号链接、属于别的用户，或者对同组用户或其他用户开放，ipckit 就拒绝使用。在 Windows 上，libuv 用默认的安全描述符创建管道。',
      },
      async run(ctx) {
        const server = ctx.node('node server', '07-security/owner', [ctx.name]);
        ctx.state.server = server;
        ctx.state.path = (await server.expect('listening on ')).slice('listening on '.length);
        await server.expect(ctx.platform === 'posix' ? 'the socket:' : 'no mode bits');
      },
    },
    {
      title: { en: 'A second user tries', 'zh-CN': '另一个用户来试试' },
      text: {
        en: "As root the lesson makes the user ipckit-other (useradd), and the C program becomes that user (setgroups, setgid, setuid) before it opens the file, the folder and ipckit's socket: EACCES, three times. Not as root it cannot, and says so. Windows: no second user under Wine; see the next steps and the text.",
        'zh-CN':
          '以 root 运行时，这一课会创建用户 ipckit-other（useradd），C 程序先变成这个用户（setgroups、setgid、setuid），再去打开那个文件、那个目录和 ipckit 的套接字：三次都是 EACCES。不是 root 时做不到，程序会如实说明。Windows：Wine 下没有第二个用户；见后面几步和课文。',
      },
      async run(ctx) {
        const user = otherUser();
        if (user.name) {
          const args = ['try', user.uid, user.gid, 'open', 'secret', 'open', 'private', 'connect', ctx.state.path];
          await ctx.c('C other', 'sec_owner', args, { cwd: ctx.tmp }).done();
        } else if (ctx.platform === 'posix') {
          ctx.note(`${user.why}: this run cannot make a second user or act as one; run the lesson as root to see what it is refused`);
        } else {
          ctx.note('Windows: no second user here (under Wine every process is the same Unix user, and Wine does not enforce DACLs as Windows does)');
        }
        ctx.note('node server ← close');
        ctx.state.server.send('close');
        await ctx.state.server.expect('closed');
        await ctx.state.server.done();
      },
    },
    {
      title: { en: 'One name, one server', 'zh-CN': '一个名字，一个服务端' },
      text: {
        en: 'Whoever creates a name first holds it. A second bind on a socket path fails with EADDRINUSE. On Windows a second CreateNamedPipeW on a name only adds an instance of the pipe someone else made, unless FILE_FLAG_FIRST_PIPE_INSTANCE says it must be the first. The C server also prints the DACL of a pipe made with the default security descriptor, then of one made owner-only from an SDDL string.',
        'zh-CN':
          '谁先创建名字，名字就归谁。对同一个套接字路径再次 bind 会以 EADDRINUSE 失败。在 Windows 上，对一个名字再次调用 CreateNamedPipeW 只会给别人已经创建的管道再加一个实例，除非用 FILE_FLAG_FIRST_PIPE_INSTANCE 声明它必须是第一个实例。C 服务端还会打印用默认安全描述符创建的管道的 DACL，再打印用 SDDL 字符串创建的、只允许所有者访问的管道的 DACL。',
      },
      async run(ctx) {
        ctx.state.peerPath = ctx.platform === 'win32' ? `\\\\.\\pipe\\${ctx.name}-sec` : join(ctx.tmp, 'peer.sock');
        const server = ctx.c('C server', 'sec_pipe', ['serve', ctx.state.peerPath]);
        ctx.state.cServer = server;
        await server.expect('waits for a client');
      },
    },
    {
      title: {
        en: 'Who is calling: SO_PEERCRED, GetNamedPipeClientProcessId, impersonation',
        'zh-CN': '是谁在调用：SO_PEERCRED、GetNamedPipeClientProcessId、模拟',
      },
      text: {
        en: 'On Linux the client runs as ipckit-other (as root), and the server asks the kernel who connected: SO_PEERCRED gives the pid, uid and gid recorded at connect(), which the client cannot forge. On Windows GetNamedPipeClientProcessId names the client process, and ImpersonateNamedPipeClient makes the server thread act as the client until RevertToSelf.',
        'zh-CN':
          '在 Linux 上（以 root 运行时）客户端以 ipckit-other 的身份运行，服务端向内核询问是谁连了进来：SO_PEERCRED 给出 connect() 时记录下的 pid、uid 和 gid，客户端无法伪造。在 Windows 上，GetNamedPipeClientProcessId 给出客户端进程，ImpersonateNamedPipeClient 让服务端线程以客户端的身份行事，直到 RevertToSelf。',
      },
      async run(ctx) {
        const user = otherUser();
        const as = ctx.platform === 'posix' && user.name ? [user.uid, user.gid] : [];
        await ctx.c('C client', 'sec_pipe', ['client', ctx.state.peerPath, ...as]).done();
        await ctx.state.cServer.expect('served one client');
        await ctx.state.cServer.done();
      },
    },
  ],
};
