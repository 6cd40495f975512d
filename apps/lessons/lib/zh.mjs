// How the Chinese texts are written, as checks a test runs: punctuation and terms.
//
// Punctuation: Chinese prose takes full-width punctuation (，。：；（）“”？！、); code, identifiers,
// commands and English titles keep ASCII. A mark is ASCII where it should not be when it touches
// Chinese (the character before it, or after it, is Chinese or full-width), when it follows inline
// code in a Chinese line ("`ENOENT`:Windows"), when it is a straight quote in a Chinese line, or when
// a bracket holds Chinese. Digits on both sides (1,024 or 21:23) are numbers, not prose; a title in
// 《》 is quoted as its author wrote it.
//
// Terms: the words Chinese Windows and Linux programmers use (the glossary, text/glossary.*.md), and a
// list of phrases that read as translated from English, each with the wording that replaces it.

const HAN = /\p{Script=Han}/u;
const FULL = /[，。：；（）“”‘’？！、《》…—]/u;
/** What inline code becomes in a masked line: one character that is neither prose nor punctuation. */
const CODE = '\u0001';
const chinese = (ch) => ch !== undefined && (HAN.test(ch) || FULL.test(ch));

/** Markdown without its fenced blocks, each fence replaced by as many empty lines. */
export function prose(markdown) {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```[ \t]*$/gm, (block) => block.replace(/[^\n]/g, ''));
}

/**
 * One line of prose with what is not prose masked: inline code becomes \u0001 (one character),
 * HTML comments, tags, link targets and URLs disappear.
 */
function maskLine(line) {
  return line
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/`[^`]*`/g, '\u0001')
    .replace(/《[^》]*》/g, '《》') // a title is quoted as its author wrote it
    .replace(/\]\([^)\s]*\)/g, ']')
    .replace(/https?:\/\/\S+/g, '')
    .replace(/<[a-z/][^>]*>/gi, '');
}

/**
 * Where Chinese prose uses ASCII punctuation: [{ line, column, mark, text }], line and column from 1.
 * @param {string} text  markdown (fenced blocks are skipped) or a plain string
 * @returns {Array<{ line: number, column: number, mark: string, text: string, why: string }>}
 */
export function punctuationProblems(text) {
  const problems = [];
  prose(text)
    .split('\n')
    .forEach((raw, index) => {
      // A table row is checked cell by cell: an English cell beside a Chinese one is English.
      const masked = maskLine(raw);
      const cells = /^\s*\|/.test(masked) ? masked.split(/(?<!\\)\|/) : [masked];
      for (const cell of cells) if (HAN.test(cell)) check(cell, raw, index);
    });
  return problems;

  function check(line, raw, index) {
    const chars = [...line];
    const prev = (i) => {
      for (let j = i - 1; j >= 0; j--) if (!/[\s*_]/.test(chars[j])) return chars[j];
      return undefined;
    };
    const next = (i) => {
      for (let j = i + 1; j < chars.length; j++) if (!/[\s*_]/.test(chars[j])) return chars[j];
      return undefined;
    };
    const report = (i, why) => problems.push({ line: index + 1, column: i + 1, mark: chars[i], text: raw.trim(), why });
    // Brackets: the innermost pairs first.
    const stack = [];
    chars.forEach((ch, i) => {
      if (ch === '(') stack.push(i);
      else if (ch === ')' && stack.length > 0) {
        const open = stack.pop();
        const inner = chars.slice(open + 1, i).join('');
        if (HAN.test(inner) || chinese(prev(open)) || prev(open) === CODE) report(open, 'a bracket in Chinese prose: （）');
      }
    });
    chars.forEach((ch, i) => {
      const before = prev(i);
      const after = next(i);
      const digits = /\d/.test(before ?? '') && /\d/.test(after ?? '');
      if (ch === '"') report(i, 'a straight quote in a Chinese line: “”');
      else if (/[,;:?!]/.test(ch) && !digits && (chinese(before) || chinese(after) || [CODE, ')', ']'].includes(before ?? ''))) {
        if (ch === '!' && chars[i + 1] === '[') return; // an image: ![…](…)
        report(i, `ASCII "${ch}" beside Chinese: ${{ ',': '，or 、', ';': '；', ':': '：', '?': '？', '!': '！' }[ch]}`);
      } else if (ch === '.' && HAN.test(before ?? '') && (after === undefined || /\s/.test(chars[i + 1] ?? ' '))) {
        report(i, 'an ASCII full stop after Chinese: 。');
      }
    });
  }
}

/**
 * Phrases that read as translated, and what a Chinese programmer writes instead. Each entry:
 * [pattern, the usual wording]. The texts must not contain a pattern.
 * @type {Array<[RegExp, string]>}
 */
export const TRANSLATED_PHRASES = [
  [/亲手加帧|加帧/, '组帧'],
  [/亲自说|亲手构造/, '直接按帧格式收发、自己组好的一帧'],
  [/有主人的锁|没有主人/, '有所有者的锁、没有所有者'],
  [/死在锁里|死的时候还拿着/, '持锁时崩溃、退出时仍持有它'],
  [/死掉的进程/, '已退出的进程'],
  [/区段/, '文件映射对象（内核里称为 section，只提一次）'],
  [/最近的亲戚/, '最接近的机制'],
  [/发出即不管/, '发完即忘'],
  [/找不到人/, '找不到接收方'],
  [/根本不是句柄的句柄/, '无效句柄'],
  [/一起走了|随服务端而去/, '一起消失了'],
  [/孪生错误/, '与之对称的错误'],
  [/被遗忘的端/, '忘关的一端'],
  [/管道一直撑开/, '管道一直关不掉'],
  [/怎么回答/, '返回什么'],
  [/背后有文件/, '以文件为后备'],
  [/活得更久|一直活着/, '依然存在'],
  [/拿锁|拿着锁/, '加锁、持有锁'],
  [/归你了/, '你已经获得了'],
  [/说同一套接口|说什么就用什么/, '实现同一套接口、用什么就用什么'],
  [/分页文件/, '页面文件（中文版 Windows 的叫法）'],
  [/上睡眠/, '阻塞在……上'],
];

/**
 * The translated-sounding phrases `text` still holds: [{ line, phrase, instead }].
 * @param {string} text
 * @returns {Array<{ line: number, phrase: string, instead: string }>}
 */
export function termProblems(text) {
  const problems = [];
  prose(text)
    .split('\n')
    .forEach((line, index) => {
      for (const [pattern, instead] of TRANSLATED_PHRASES) {
        const m = pattern.exec(maskLine(line));
        if (m) problems.push({ line: index + 1, phrase: m[0], instead });
      }
    });
  return problems;
}
