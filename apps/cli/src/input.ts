/**
 * Reading messages from a byte stream (stdin) exactly as they are: each line,
 * each piece between delimiters, or the whole stream as one message. Bytes
 * are never decoded, so what goes in is what is sent (a file, a protobuf,
 * bytes that are not UTF-8); only the delimiter itself is taken out.
 */
import { IpcError } from '@ipckit/core';
import { parseHex } from './format.js';

/** How stdin becomes messages: each line (LF or CRLF taken off), pieces split on a delimiter, or the whole stream. */
export type Split = { kind: 'lines' } | { kind: 'delimiter'; delimiter: Uint8Array } | { kind: 'whole' };

/**
 * A delimiter as typed on a command line: the text's UTF-8 bytes, with the
 * escapes `\n`, `\r`, `\t`, `\0`, `\\` and `\xHH` (so `--delimiter '\0'`
 * splits on NUL, as `find -print0` writes). EINVAL when it is empty or an
 * escape is malformed.
 */
export function parseDelimiter(text: string, what = '--delimiter'): Uint8Array {
  const bytes: number[] = [];
  const escapes: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, '0': 0x00, '\\': 0x5c };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = text[i + 1];
    if (next !== undefined && escapes[next] !== undefined) {
      bytes.push(escapes[next]);
      i++;
    } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      throw new IpcError('EINVAL', `${what} ${JSON.stringify(text)}: unknown escape \\${next ?? ''} (known: \\n \\r \\t \\0 \\\\ \\xHH)`);
    }
  }
  if (bytes.length === 0) throw new IpcError('EINVAL', `${what} must not be empty`);
  return Uint8Array.from(bytes);
}

/**
 * The messages in `input`, as `split` cuts them, each as the exact bytes
 * read (a Buffer view, not a copy). A last piece without a line ending or
 * delimiter is a message too, unless it is empty. With `hex`, each piece is
 * read as hex bytes (`de ad be ef`) instead.
 */
export async function* readMessages(input: AsyncIterable<Buffer | string>, split: Split, hex = false): AsyncGenerator<Uint8Array> {
  const out = (piece: Buffer): Uint8Array => (hex ? parseHex(piece.toString('latin1')) : piece);
  if (split.kind === 'whole') {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    yield out(Buffer.concat(chunks));
    return;
  }
  const delimiter = split.kind === 'lines' ? Uint8Array.of(0x0a) : split.delimiter;
  let pending: Buffer = Buffer.alloc(0);
  const piece = (bytes: Buffer): Buffer =>
    // A line ends with LF or CRLF; only the line ending is taken off.
    split.kind === 'lines' && bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, bytes.length - 1) : bytes;
  for await (const chunk of input) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // What was pending holds no delimiter: search only where one could end, so a long piece
    // arriving in many chunks costs linear time.
    let from = Math.max(0, pending.length - delimiter.length + 1);
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    let start = 0;
    for (let at = pending.indexOf(delimiter, from); at !== -1; at = pending.indexOf(delimiter, from)) {
      yield out(piece(pending.subarray(start, at)));
      start = at + delimiter.length;
      from = start;
    }
    pending = pending.subarray(start);
  }
  if (pending.length > 0) yield out(piece(pending));
}
