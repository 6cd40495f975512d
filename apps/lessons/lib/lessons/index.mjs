// The lessons, in order. Each module's default export is { number, slug, title, intro, steps }.
import mailslots from './01-mailslots.mjs';
import pipes from './02-pipes.mjs';
import mapping from './03-mapping.mjs';
import sync from './04-sync.mjs';
import choosing from './05-choosing.mjs';
import topics from './06-topics.mjs';
import security from './07-security.mjs';
import toolbox from './08-toolbox.mjs';

/**
 * @typedef {{ en: string, 'zh-CN': string }} Text
 * @typedef {{ title: Text, text?: Text, run: (ctx: any) => Promise<void> }} Step
 * @typedef {{ number: number, slug: string, articles?: string[], title: Text, intro: Text, masks?: Array<[RegExp, string]>, steps: Step[] }} Lesson
 */

/** @type {Lesson[]} */
export const LESSONS = [mailslots, pipes, mapping, sync, choosing, topics, security, toolbox];

/**
 * The lesson `key` names: its number, its slug, or a word of its English title.
 * @param {string | number} key
 * @returns {Lesson | undefined}
 */
export function findLesson(key) {
  const k = String(key).toLowerCase();
  return LESSONS.find((l) => String(l.number) === k || l.slug === k) ?? LESSONS.find((l) => l.slug.includes(k) || l.title.en.toLowerCase().includes(k));
}
