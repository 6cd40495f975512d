// The output a lesson's text quotes, checked against a real run. A quoted block is a fenced code
// block whose info string names the step and the OS it came from:
//
//   ```text output=linux step=3          lines the lesson's step 3 printed on Linux
//   ```text output=windows step=3        ... on Windows (node.exe under Wine, in the Windows lane)
//
// Both sides are masked before they are compared (process ids, times, the random part of object
// names, the per-user runtime folder, and what each lesson adds in its `masks`), so the text shows
// real values and stays right as long as the programs print the same things.
// `node apps/lessons/bin/quote.mjs` rewrites the blocks from a fresh run.

/** Masks every lesson shares: [pattern, replacement], applied to every occurrence. */
export const COMMON_MASKS = [
  [/\bpid \d+/, 'pid <pid>'],
  [/\blesson(\d)-[0-9a-z]{6}\b/, 'lesson$1-<id>'],
  // $XDG_RUNTIME_DIR/ipckit or <tmpdir>/ipckit-<uid>: where ipckit puts its sockets on POSIX.
  [/(?:\/[^\s"/]+)+\/ipckit(?:-\d+)?(?=\/)/, '<runtime-dir>'],
];

/** One line with every mask applied. */
export function maskLine(line, masks = []) {
  let out = line;
  for (const [pattern, replacement] of [...COMMON_MASKS, ...masks]) {
    const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
    out = out.replace(new RegExp(pattern.source, flags), replacement);
  }
  return out;
}

const FENCE = /^```text output=(linux|windows) step=(\d+)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;

/**
 * The quoted blocks of a lesson text: { os, step, lines, start, end } (start/end: offsets of the block's body).
 * @param {string} markdown
 * @returns {Array<{ os: string, step: number, lines: string[], start: number, end: number }>}
 */
export function quotedBlocks(markdown) {
  const blocks = [];
  for (const m of markdown.matchAll(FENCE)) {
    const bodyStart = m.index + m[0].indexOf('\n') + 1;
    const body = m[3];
    blocks.push({ os: m[1], step: Number(m[2]), lines: body.replace(/\n$/, '').split('\n'), start: bodyStart, end: bodyStart + body.length });
  }
  return blocks;
}

/** The OS name quoted blocks use for this process. */
export const thisOs = () => (process.platform === 'win32' ? 'windows' : 'linux');

/**
 * Compares a text's blocks for `os` with a run's transcript. Returns a list of problems (empty when
 * every block matches), each naming the step and showing the masked lines on both sides.
 * @param {string} markdown
 * @param {{ steps: Array<{ number: number, lines: string[] }> }} transcript
 * @param {string} os
 * @param {Array<[RegExp, string]>} [masks]
 * @returns {string[]}
 */
export function checkQuotes(markdown, transcript, os, masks = []) {
  const problems = [];
  for (const block of quotedBlocks(markdown).filter((b) => b.os === os)) {
    const step = transcript.steps.find((s) => s.number === block.step);
    if (!step) {
      problems.push(`step ${block.step}: quoted, but the lesson has no such step`);
      continue;
    }
    const quoted = block.lines.map((l) => maskLine(l, masks));
    const actual = step.lines.map((l) => maskLine(l, masks));
    if (quoted.join('\n') !== actual.join('\n')) {
      problems.push(`step ${block.step} (${os}) differs from the run:\n--- quoted\n${quoted.join('\n')}\n--- run\n${actual.join('\n')}`);
    }
  }
  return problems;
}

/** The text with its blocks for `os` replaced by what the run printed. */
export function updateQuotes(markdown, transcript, os) {
  let out = '';
  let at = 0;
  for (const block of quotedBlocks(markdown)) {
    if (block.os !== os) continue;
    const step = transcript.steps.find((s) => s.number === block.step);
    if (!step) continue;
    out += markdown.slice(at, block.start) + step.lines.join('\n') + '\n';
    at = block.end;
  }
  return out + markdown.slice(at);
}
