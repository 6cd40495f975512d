// Lesson 3: memory-mapped files. A Node writer creates a named region with the article's student
// record; a Node reader and a C reader read it; the articles' pitfalls run for real; lifetimes on the
// two OSes; a file-backed mapping read back with plain file I/O.
import { join } from 'node:path';

export default {
  number: 3,
  slug: 'memory-mapped-files',
  /** The seed articles it answers (lib/articles.mjs). */
  articles: ['ipc-3', 'ezhchai-3', 'dongsheng', 'why-cfm', 'sharing-en'],
  title: { en: 'Lesson 3 · Memory-mapped files', 'zh-CN': '第 3 课 · 内存映射文件' },
  intro: {
    en: 'Two processes map the same physical pages into their own address spaces: what one writes, the other reads, with no system call and no copy in between.',
    'zh-CN': '两个进程把同一批物理页映射进各自的地址空间：一个写，另一个就能读到，中间没有系统调用，也没有拷贝。',
  },
  steps: [
    {
      title: { en: 'What the OS maps in: pages, and the granularity of offsets', 'zh-CN': '操作系统按什么单位映射：页，以及偏移量的粒度' },
      text: {
        en: 'Memory is mapped a page at a time (4 KiB here). On Windows a view must also start at a multiple of the allocation granularity, 64 KiB; on POSIX at a multiple of the page size.',
        'zh-CN': '内存按页映射（这里一页是 4 KiB）。在 Windows 上，视图的起点还必须是分配粒度（64 KiB）的整数倍；在 POSIX 上是页大小的整数倍。',
      },
      async run(ctx) {
        await ctx.c('C', 'mapping', ['granularity']).done();
      },
    },
    {
      title: { en: 'The writer creates a region and writes the student', 'zh-CN': '写端创建共享区并写入学生记录' },
      text: {
        en: "The article's struct student { long ID; char name[20]; } is 24 bytes on Windows and 32 on 64-bit Linux: long is 4 bytes there and 8 here, and the struct is padded to its alignment.",
        'zh-CN':
          '文章里的 struct student { long ID；char name[20]；} 在 Windows 上是 24 字节，在 64 位 Linux 上是 32 字节：long 在前者是 4 字节、在后者是 8 字节，而且结构体要按对齐补齐。',
      },
      async run(ctx) {
        const writer = ctx.node('node writer', '03-mapping/writer', [ctx.name]);
        ctx.state.writer = writer;
        await writer.expect('wrote "far from the start"');
      },
    },
    {
      title: { en: 'A Node reader opens it by name', 'zh-CN': 'Node 读端按名字打开它' },
      text: {
        en: 'Read-only, and with a second view at offset 70,000: not a multiple of the granularity, so ipckit maps from the multiple below and skips the difference.',
        'zh-CN': '以只读方式打开，并在偏移 70,000 处再映射一个视图：它不是粒度的整数倍，所以 ipckit 从下面最近的整数倍开始映射，再跳过差值。',
      },
      async run(ctx) {
        await ctx.node('node reader', '03-mapping/reader', [ctx.name]).done();
      },
    },
    {
      title: { en: 'A C reader opens the same region', 'zh-CN': 'C 读端打开同一个共享区' },
      text: {
        en: "The article's process2, fixed: OpenFileMappingW with a real wide string (or shm_open), MapViewOfFile (or mmap), read, then UnmapViewOfFile and CloseHandle (or munmap).",
        'zh-CN':
          '修正后的文章 process2：用真正的宽字符串调用 OpenFileMappingW（或 shm_open）、MapViewOfFile（或 mmap），读取，然后 UnmapViewOfFile 和 CloseHandle（或 munmap）。',
      },
      async run(ctx) {
        await ctx.c('C reader', 'mapping', ['read', ctx.name]).done();
      },
    },
    {
      title: { en: "The articles' pitfalls, run", 'zh-CN': '把文章里的陷阱跑一遍' },
      text: {
        en: 'A narrow string cast to LPCWSTR, (HANDLE)0xFFFFFFFF and NULL for "no file", an offset that is not a multiple of the granularity, and a create that quietly opens an existing object.',
        'zh-CN': '把窄字符串强转成 LPCWSTR、用（HANDLE）0xFFFFFFFF 和 NULL 表示“没有文件”、不是粒度整数倍的偏移量，以及悄悄打开了已有对象的“创建”。',
      },
      async run(ctx) {
        await ctx.c('C', 'mapping', ['pitfalls', ctx.name]).done();
      },
    },
    {
      title: { en: 'The writer closes: the region is gone', 'zh-CN': '写端关闭：共享区没了' },
      text: {
        en: "On Windows a mapping lives while any process has a handle or a view; the writer held the last one. On POSIX the name lives until shm_unlink, which ipckit's creator calls when it closes.",
        'zh-CN':
          '在 Windows 上，只要还有进程持有句柄或视图，映射对象就一直存在；写端持有的是最后一个。在 POSIX 上，名字一直存在到 shm_unlink 为止，ipckit 的创建者在关闭时会调用它。',
      },
      async run(ctx) {
        ctx.note('node writer ← close');
        ctx.state.writer.send('close');
        await ctx.state.writer.expect('closed the region');
        await ctx.state.writer.done();
        await ctx.c('C reader', 'mapping', ['read', ctx.name]).done();
      },
    },
    {
      title: { en: 'Handles never closed: what is left behind', 'zh-CN': '从不关闭句柄：会留下什么' },
      text: {
        en: "The English post's writer never closes anything. When a Windows process ends, the kernel closes its handles, and the mapping goes. A POSIX shared memory object outlives every process until someone calls shm_unlink.",
        'zh-CN':
          '英文帖子里的写端什么都不关闭。Windows 进程结束时，内核会关闭它的所有句柄，映射也随之消失。POSIX 共享内存对象则会比所有进程都活得久，直到有人调用 shm_unlink。',
      },
      async run(ctx) {
        const leaked = `${ctx.name}-leak`;
        await ctx.c('C', 'mapping', ['leak', leaked]).done();
        await ctx.c('C reader', 'mapping', ['read', leaked]).done();
        await ctx.c('C', 'mapping', ['unlink', leaked]).done();
      },
    },
    {
      title: { en: 'A mapping with a file behind it', 'zh-CN': '以文件为后备的映射' },
      text: {
        en: 'The same calls on a file: what is written through the mapping is in the file, and a program that knows nothing of mappings reads it with fopen and fread.',
        'zh-CN': '对一个文件做同样的调用：通过映射写入的内容就在文件里，一个对映射一无所知的程序用 fopen 和 fread 就能读到。',
      },
      async run(ctx) {
        const file = join(ctx.tmp, 'mapped.dat');
        await ctx.node('node writer', '03-mapping/file', [file]).done();
        await ctx.c('C reader', 'mapping', ['file', file]).done();
      },
    },
    {
      title: { en: "The articles' server and client, fixed, in C", 'zh-CN': '修正后的文章服务端和客户端（C）' },
      text: {
        en: "ezhchai's SharedMemorySrv and SharedMemoryClt: CreateFileMappingW with INVALID_HANDLE_VALUE and a real wide name, CopyMemory into a FILE_MAP_WRITE view (a read/write view, whatever the article's comment says), a reader with FILE_MAP_READ, and a wait for a word instead of getchar() or while (1) {}.",
        'zh-CN':
          'ezhchai 的 SharedMemorySrv 和 SharedMemoryClt：用 INVALID_HANDLE_VALUE 和真正的宽字符串名字调用 CreateFileMappingW，用 CopyMemory 写进 FILE_MAP_WRITE 视图（不管文章的注释怎么写，它都是可读写的视图），读端用 FILE_MAP_READ，并用等待一个命令代替 getchar() 或 while (1) {}。',
      },
      async run(ctx) {
        const server = ctx.c('C server', 'filemap', ['share', `${ctx.name}-c`, 'ezhchai']);
        await server.expect('copied in');
        await ctx.c('C reader', 'filemap', ['read', `${ctx.name}-c`]).done();
        ctx.note('C server ← close');
        server.send('close');
        await server.expect('closed');
        await server.done();
      },
    },
    {
      title: { en: 'CreateFileMapping grows a file', 'zh-CN': 'CreateFileMapping 会把文件扩大' },
      text: {
        en: 'The cnblogs note maps c:/map.dat with a size of 1 MiB and says the file grows to it. It does on Windows: a mapping larger than its file extends the file. mmap never does: the program must ftruncate the file first, or a write past its end is a SIGBUS.',
        'zh-CN':
          '博客园那篇笔记以 1 MiB 的大小映射 c:/map.dat，并说文件会被扩大到这个大小。在 Windows 上确实如此：映射比文件大时，文件会被扩大。mmap 从不这样做：程序必须先用 ftruncate 扩大文件，否则写到文件末尾之外就是 SIGBUS。',
      },
      async run(ctx) {
        ctx.state.grown = join(ctx.tmp, 'grown.dat');
        await ctx.c('C', 'filemap', ['grow', ctx.state.grown, '65536']).done();
      },
    },
    {
      title: { en: 'Copy-on-write stays in the process that writes', 'zh-CN': '写时复制只留在写入的那个进程里' },
      text: {
        en: "The question-and-answer page lists PAGE_WRITECOPY among the protections and says every process's changes reach the others. A copy-on-write view (PAGE_WRITECOPY and FILE_MAP_COPY, or MAP_PRIVATE) gives the writer its own copy of each page it writes: another process, and the file, never see it.",
        'zh-CN':
          '那篇问答把 PAGE_WRITECOPY 列为保护属性之一，又说每个进程所做的修改都会同步到其他进程中。写时复制视图（PAGE_WRITECOPY 加 FILE_MAP_COPY，或 MAP_PRIVATE）会给写入的一方单独复制它写到的每一页：其他进程和文件本身都看不到这些修改。',
      },
      async run(ctx) {
        const writer = ctx.c('C cow', 'filemap', ['cow', ctx.state.grown]);
        await writer.expect('copy-on-write view');
        await ctx.c('C reader', 'filemap', ['peek', ctx.state.grown]).done();
        ctx.note('C cow ← close');
        writer.send('close');
        await writer.expect('closed the view');
        await writer.done();
        await ctx.c('C reader', 'filemap', ['peek', ctx.state.grown]).done();
      },
    },
    {
      title: { en: 'Names: Local\\ and Global\\', 'zh-CN': '名字：Local\\ 与 Global\\' },
      text: {
        en: "On Windows a name without a prefix lives in the session's Local\\ namespace; Global\\ is shared by every session and creating in it needs SeCreateGlobalPrivilege. POSIX has one namespace per machine: the object's mode keeps other users out.",
        'zh-CN':
          '在 Windows 上，不带前缀的名字位于本会话的 Local\\ 命名空间；Global\\ 由所有会话共享，在其中创建对象需要 SeCreateGlobalPrivilege 特权。POSIX 每台机器只有一个命名空间：靠对象的权限位把其他用户挡在外面。',
      },
      async run(ctx) {
        await ctx.c('C', 'filemap', ['names', `${ctx.name}-names`]).done();
      },
    },
  ],
};
