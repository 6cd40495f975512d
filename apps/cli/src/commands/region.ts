/** `ipckit region NAME`: a shared-memory region's bytes, as hex or through a C struct. */
import { IpcError } from '@ipckit/core';
import { defineStruct, openRegion } from '@ipckit/shared-memory';
import type { Context } from '../context.js';
import { EXIT, UsageError } from '../exit.js';
import { hexdump } from '../format.js';
import { parseStruct } from '../struct.js';

/** Options of `ipckit region`. */
export interface RegionCommandOptions {
  /** C declarations of the fields, e.g. "long ID; char name[20]". */
  struct?: string;
  /** Where to start, in bytes. */
  offset: number;
  /** How many bytes to dump (default: to the end). */
  length?: number;
  /** With --struct: how many structs in a row. */
  count: number;
  /** Lay `long` out as on `win32` or `posix` instead of this OS. */
  platform?: 'win32' | 'posix';
  json: boolean;
  /** Open a region of another user (POSIX). */
  allowOtherOwner: boolean;
}

/** A struct field's value as JSON can carry it: bigint as a string, bytes as hex. */
function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Uint8Array)
    return Buffer.from(value)
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1 ');
  return String(value);
}

/** Dumps the region (read-only: nothing is written, and nothing stays mapped). */
export async function regionCommand(ctx: Context, name: string, options: RegionCommandOptions): Promise<number> {
  const layout =
    options.struct === undefined ? undefined : defineStruct(parseStruct(options.struct), options.platform === undefined ? {} : { platform: options.platform });
  const region = await openRegion(name, { readOnly: true, allowOtherOwner: options.allowOtherOwner });
  try {
    if (options.offset > region.size) throw new IpcError('EINVAL', `--offset ${options.offset} is past the end of ${region.path} (${region.size} bytes)`);
    if (layout === undefined) {
      const length = options.length ?? region.size - options.offset;
      if (options.offset + length > region.size)
        throw new IpcError('EINVAL', `${length} bytes at ${options.offset} go past the end of ${region.path} (${region.size} bytes)`);
      const bytes = region.read(options.offset, length);
      if (options.json)
        ctx.print(JSON.stringify({ name, path: region.path, size: region.size, offset: options.offset, hex: Buffer.from(bytes).toString('hex') }));
      else ctx.print(`${ctx.outStyle.dim(`# ${region.path}, ${region.size} bytes; ${length} at offset ${options.offset}`)}\n${hexdump(bytes, options.offset)}`);
      return EXIT.OK;
    }
    const need = layout.size * options.count;
    if (options.offset + need > region.size) {
      throw new UsageError(
        `${options.count} struct${options.count === 1 ? '' : 's'} of ${layout.size} bytes at ${options.offset} go past the end of ${region.path} (${region.size} bytes)`,
      );
    }
    const bytes = region.read(options.offset, need);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const records = Array.from({ length: options.count }, (_, i) => layout.read(view, i * layout.size) as Record<string, unknown>);
    if (options.json) {
      ctx.print(JSON.stringify(records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, jsonValue(v)])))));
      return EXIT.OK;
    }
    const width = Math.max(...layout.fields.map((f) => f.name.length));
    const lines = [
      ctx.outStyle.dim(`# ${region.path}, ${region.size} bytes; struct of ${layout.size} bytes (align ${layout.align}) at offset ${options.offset}`),
    ];
    records.forEach((record, i) => {
      if (options.count > 1) lines.push(ctx.outStyle.bold(`[${i}] at ${options.offset + i * layout.size}`));
      for (const field of layout.fields) {
        lines.push(`${field.name.padEnd(width)}  ${show(record[field.name])}  ${ctx.outStyle.dim(`${field.type} @${field.offset}`)}`);
      }
    });
    ctx.print(lines.join('\n'));
    return EXIT.OK;
  } finally {
    region.close();
  }
}
