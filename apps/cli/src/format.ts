/**
 * How messages and bytes are shown and read: text, hex (as `hexdump -C`) or
 * JSON lines, byte sizes, and plain text tables.
 */
import { IpcError } from '@ipckit/core';

/** The formats meant for reading: text (UTF-8), hex (as `hexdump -C`), one JSON line. */
export type MessageFormat = 'text' | 'hex' | 'json';
/** How `listen`, `request` and `connect` write a message: a format for reading, or the bytes exactly (`raw`, `length-prefixed`). */
export type OutputFormat = MessageFormat | 'raw' | 'length-prefixed';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'hex', 'json', 'raw', 'length-prefixed'];

const decoder = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder();

/** The message as UTF-8 text, or undefined when it is not valid UTF-8. */
export function utf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** `hexdump -C`: offset, 16 bytes in hex (two groups of 8), and the printable ASCII. */
export function hexdump(bytes: Uint8Array, baseOffset = 0): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ').padEnd(23);
    const right = hex.slice(8).join(' ').padEnd(23);
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${(baseOffset + at).toString(16).padStart(8, '0')}  ${left}  ${right}  |${ascii}|`);
  }
  lines.push((baseOffset + bytes.length).toString(16).padStart(8, '0'));
  return lines.join('\n');
}

/** A message as a JSON line: its channel, size, text (when UTF-8), parsed JSON (when it is JSON), else base64. */
export function messageJson(bytes: Uint8Array, channel: number): string {
  const text = utf8(bytes);
  const record: Record<string, unknown> = { channel, bytes: bytes.length };
  if (text === undefined) {
    record['base64'] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  } else {
    record['text'] = text;
    try {
      record['json'] = JSON.parse(text) as unknown;
    } catch {
      // not JSON: the text says it all
    }
  }
  return JSON.stringify(record);
}

/** One received message, as `format` says, ready to print (without the final newline). */
export function formatMessage(bytes: Uint8Array, format: MessageFormat, channel: number, count: number): string {
  switch (format) {
    case 'text':
      return lenient.decode(bytes);
    case 'hex':
      return `# message ${count}, channel ${channel}, ${bytes.length} bytes\n${hexdump(bytes)}`;
    case 'json':
      return messageJson(bytes, channel);
  }
}

/** Bytes from hex such as `68 65 6c 6c 6f` or `68656c6c6f` (spaces and colons ignored); EINVAL otherwise. */
export function parseHex(text: string): Uint8Array {
  const digits = text.replace(/[\s:]/g, '');
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new IpcError('EINVAL', `not hex bytes: ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)}`);
  }
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, '')} ${units[unit] ?? 'TiB'}`;
}

/** A table with a header row; column widths from the visible text (colour codes not counted). */
export function table(header: string[], rows: string[][]): string {
  // eslint-disable-next-line no-control-regex -- the escape sequences this module's styles add
  const visible = (s: string): number => s.replace(/\u001b\[\d+m/g, '').length;
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c))))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
