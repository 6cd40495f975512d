/** A plain-text table with aligned columns (numbers right, words left). */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function textTable(columns: Column[], rows: string[][], indent = '  '): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number): string => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === 'right' ? text.padStart(width) : text.padEnd(width);
  };
  const line = (cells: string[]): string =>
    indent +
    cells
      .map((c, i) => cell(c, i))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.header)), indent + widths.map((w) => '─'.repeat(w)).join('  ')];
  for (const row of rows) out.push(row.length === 0 ? '' : line(row));
  return out.join('\n');
}
