// Lesson 3: memory-mapped files. A Node writer creates a named region with the article's student
// record; a Node reader and a C reader read it; the articles' pitfalls run for real; lifetimes on the
// two OSes; a file-backed mapping read back with plain file I/O.
import { join } from 'node:path';

export default {
  number: 3,
  slug: 'memory-mapped-files',
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
        en: "The English article's writer never closes anything. When a Windows process ends, the kernel closes its handles, and the mapping goes. A POSIX shared memory object outlives every process until someone calls shm_unlink.",
        'zh-CN':
          '英文文章里的写端什么都不关闭。Windows 进程结束时，内核会关闭它的所有句柄，映射也随之消失。POSIX 共享内存对象则会比所有进程都活得久，直到有人调用 shm_unlink。',
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
  ],
};
