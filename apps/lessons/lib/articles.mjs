// The articles this series grew from (the seed material of the project), named once here so that
// each lesson can say which ones it answers. A lesson lists their ids in `articles`; its text opens
// with a box naming each by its title (test/texts.test.ts checks it), and the articles' mistakes are
// shown beside the corrected code or statement.
//
// Only titles, authors as the pages name them, and what each taught: the pages are reposts on
// several sites, so no address is given.

/**
 * @typedef {{ title: string, by: { en: string, 'zh-CN': string } }} Article
 * @type {Record<string, Article>}
 */
export const ARTICLES = {
  'ipc-1': {
    title: '【IPC进程间通讯之一】邮槽MailSlot',
    by: { en: "part 1 of lovecodeless's IPC series (CSDN)", 'zh-CN': 'lovecodeless 的 IPC 系列第一篇（CSDN）' },
  },
  'ipc-2': {
    title: '【IPC进程间通讯之二】管道Pipe',
    by: { en: "part 2 of lovecodeless's IPC series (CSDN)", 'zh-CN': 'lovecodeless 的 IPC 系列第二篇（CSDN）' },
  },
  'ipc-3': {
    title: '【IPC进程间通讯之三】内存映射文件Mapping File',
    by: { en: "part 3 of lovecodeless's IPC series (CSDN)", 'zh-CN': 'lovecodeless 的 IPC 系列第三篇（CSDN）' },
  },
  'ezhchai-3': {
    title: '进程间通信(3)：共享内存',
    by: { en: "ezhchai's article (CSDN), part 3 of another series", 'zh-CN': 'ezhchai 的文章（CSDN），另一个系列的第三篇' },
  },
  dongsheng: { title: '创建内存映射文件', by: { en: "a note reposted from dongsheng's cnblogs blog", 'zh-CN': '转载自 dongsheng 博客园博客的一篇笔记' } },
  'why-cfm': { title: '为什么使用 CreateFileMapping', by: { en: 'a question-and-answer page (2023)', 'zh-CN': '一个问答页面（2023 年）' } },
  'sharing-en': {
    title: 'The sharing of data between processes: shared memory',
    by: { en: 'an English post, machine-translated from Chinese', 'zh-CN': '一篇由中文机器翻译成英文的帖子' },
  },
  'beej-ipc': {
    title: "Beej's Guide to Unix Interprocess Communication",
    by: { en: 'Brian "Beej Jorgensen" Hall, a tour of the POSIX calls', 'zh-CN': 'Brian “Beej Jorgensen” Hall 写的 POSIX 调用导览' },
  },
};

/**
 * The articles a lesson grew from, in the order it names them.
 * @param {{ articles?: string[] }} lesson
 * @returns {Article[]}
 */
export function articlesOf(lesson) {
  return (lesson.articles ?? []).map((id) => {
    const article = ARTICLES[id];
    if (!article) throw new Error(`no article "${id}" in lib/articles.mjs`);
    return article;
  });
}
