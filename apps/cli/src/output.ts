/**
 * Writing received messages to stdout in the format the user chose. `raw`
 * and `length-prefixed` write each message's bytes exactly; `text` decodes
 * UTF-8 and says on stderr when that changed bytes; `hex` and `json` are for
 * reading. Writes wait for stdout to drain, so a slow reader slows the
 * channel instead of filling memory.
 */
import { once } from 'node:events';
import type { Context } from './context.js';
import { formatMessage, utf8, type OutputFormat } from './format.js';

/** How a listener (or a session) writes each message. */
export interface OutputOptions {
  format: OutputFormat;
  /** `raw`: the bytes written after each message (default a newline). */
  delimiter?: Uint8Array;
}

const NEWLINE = Uint8Array.of(0x0a);

/** Writes messages to `ctx.out` as `options` say; `write` resolves once stdout took them. */
export class MessageOutput {
  private written = 0;

  constructor(
    private readonly ctx: Context,
    private readonly options: OutputOptions,
  ) {}

  /** Writes `message`, the `count`-th overall, received on channel `channel`. */
  async write(message: Uint8Array, channel: number): Promise<void> {
    const count = ++this.written;
    const { format } = this.options;
    let chunks: Uint8Array[];
    switch (format) {
      case 'raw':
        chunks = [message, this.options.delimiter ?? NEWLINE];
        break;
      case 'length-prefixed': {
        // The framing of docs/framing.md: a u32 little-endian length, then the bytes.
        const header = new Uint8Array(4);
        new DataView(header.buffer).setUint32(0, message.length, true);
        chunks = [header, message];
        break;
      }
      case 'text':
        if (utf8(message) === undefined) {
          this.ctx.note(
            `#${channel}: message ${count} (${message.length} bytes) is not valid UTF-8: printed with U+FFFD in place of the bad bytes (--format raw writes the bytes as they are)`,
          );
        }
        chunks = [Buffer.from(`${formatMessage(message, format, channel, count)}\n`)];
        break;
      default:
        chunks = [Buffer.from(`${formatMessage(message, format, channel, count)}\n`)];
    }
    let ok = true;
    for (const chunk of chunks) ok = this.ctx.out.write(chunk) && ok;
    if (!ok) await once(this.ctx.out, 'drain');
  }
}
