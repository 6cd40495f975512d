/**
 * The progress bar on stderr: one redrawn line on a terminal, one line per
 * case otherwise (CI logs), nothing with --quiet.
 */
import type { Progress } from './runner.js';

export function createProgress(mode: 'bar' | 'lines' | 'none', stream: NodeJS.WriteStream = process.stderr): Progress & { finish(): void } {
  const started = Date.now();
  let drawn = false;
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  return {
    start(label, done, total) {
      if (mode === 'none') return;
      const fraction = total === 0 ? 1 : done / total;
      if (mode === 'lines') {
        if (label !== 'done') stream.write(`[${String(done + 1).padStart(String(total).length)}/${total}] ${label}\n`);
        return;
      }
      const width = 24;
      const filled = Math.round(fraction * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      // Only a terminal has columns: `--progress bar` into a pipe or a file gets 100.
      const columns = (stream.isTTY ? stream.columns : undefined) ?? 100;
      const text = `${bar} ${String(Math.round(fraction * 100)).padStart(3)}% ${done}/${total} ${elapsed()}  ${label}`;
      stream.write(`\r\x1b[K${text.slice(0, columns - 1)}`);
      drawn = true;
    },
    note(line) {
      if (mode === 'none') return;
      if (drawn) stream.write('\r\x1b[K');
      stream.write(`${line}\n`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
