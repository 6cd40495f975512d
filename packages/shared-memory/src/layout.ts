/**
 * C struct layouts: fields laid out as the platform's C compiler lays them
 * out (natural alignment, padding between fields and at the end), so a
 * record written from Node reads back in C and the other way round.
 *
 * ```ts
 * // struct student { long ID; char name[20]; };  24 bytes on Windows, 32 on 64-bit Linux
 * const Student = defineStruct({ ID: 'long', name: 'char[20]' });
 * region.writeStruct(Student, { ID: 99041232, name: 'SecBug' });
 * ```
 */
import { IpcError } from '@ipckit/core';
import { C_LONG_BYTES } from '@ipckit/sys';

/** Scalar C types: fixed-width integers, `float`, `double`, and the platform-sized `long`/`ulong`. */
export type ScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float' | 'double' | 'long' | 'ulong';
/** A field type: a scalar, `char[N]` (a NUL-terminated UTF-8 string) or `uint8[N]` (raw bytes). */
export type FieldType = ScalarType | `char[${number}]` | `uint8[${number}]`;

/** The JavaScript value of a field type. `int64`/`uint64` are bigint; `long`/`ulong` are numbers. */
export type FieldValue<T extends FieldType> = T extends 'int64' | 'uint64'
  ? bigint
  : T extends `char[${number}]`
    ? string
    : T extends `uint8[${number}]`
      ? Uint8Array
      : number;

/** The JavaScript object of a struct with fields `F`. */
export type StructValue<F extends Record<string, FieldType>> = { -readonly [K in keyof F]: FieldValue<F[K]> };

/** Where one field sits. */
export interface FieldInfo {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}

/** A struct layout: its size, alignment and field offsets, and how to read and write it. */
export interface StructLayout<V> {
  /** sizeof(struct), end padding included. */
  readonly size: number;
  /** alignof(struct): the largest field alignment. */
  readonly align: number;
  readonly fields: readonly FieldInfo[];
  /** Offset of a field by name. */
  offsetOf(name: string): number;
  /** Reads the struct at `offset` of `view`. */
  read(view: DataView, offset?: number): V;
  /** Writes `value` at `offset` of `view`; fields left out are written as zero. */
  write(view: DataView, value: Partial<V>, offset?: number): void;
}

/** Which C data model to lay out for: `win32` (LLP64, 4-byte long) or `posix` (LP64, 8-byte long). */
export interface StructOptions {
  platform?: 'win32' | 'posix';
}

const SCALAR_SIZES: Readonly<Record<Exclude<ScalarType, 'long' | 'ulong'>, number>> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float: 4,
  double: 8,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Codec {
  size: number;
  align: number;
  get(view: DataView, at: number): unknown;
  set(view: DataView, at: number, value: unknown, name: string): void;
}

function num(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw new IpcError('EINVAL', `field ${name} must be a number, got ${typeof value}`);
  return value;
}

function big(value: unknown, name: string): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new IpcError('EINVAL', `field ${name} must be a bigint, got ${typeof value}`);
}

function scalarCodec(type: ScalarType, longBytes: 4 | 8): Codec {
  const le = true;
  const sized: Exclude<ScalarType, 'long' | 'ulong'> =
    type === 'long' ? (longBytes === 4 ? 'int32' : 'int64') : type === 'ulong' ? (longBytes === 4 ? 'uint32' : 'uint64') : type;
  const asNumber = type === 'long' || type === 'ulong';
  const size = SCALAR_SIZES[sized];
  const base = { size, align: size };
  switch (sized) {
    case 'int8':
      return { ...base, get: (v, a) => v.getInt8(a), set: (v, a, x, n) => v.setInt8(a, num(x, n)) };
    case 'uint8':
      return { ...base, get: (v, a) => v.getUint8(a), set: (v, a, x, n) => v.setUint8(a, num(x, n)) };
    case 'int16':
      return { ...base, get: (v, a) => v.getInt16(a, le), set: (v, a, x, n) => v.setInt16(a, num(x, n), le) };
    case 'uint16':
      return { ...base, get: (v, a) => v.getUint16(a, le), set: (v, a, x, n) => v.setUint16(a, num(x, n), le) };
    case 'int32':
      return { ...base, get: (v, a) => v.getInt32(a, le), set: (v, a, x, n) => v.setInt32(a, num(x, n), le) };
    case 'uint32':
      return { ...base, get: (v, a) => v.getUint32(a, le), set: (v, a, x, n) => v.setUint32(a, num(x, n), le) };
    case 'float':
      return { ...base, get: (v, a) => v.getFloat32(a, le), set: (v, a, x, n) => v.setFloat32(a, num(x, n), le) };
    case 'double':
      return { ...base, get: (v, a) => v.getFloat64(a, le), set: (v, a, x, n) => v.setFloat64(a, num(x, n), le) };
    case 'int64':
      return asNumber
        ? { ...base, get: (v, a) => Number(v.getBigInt64(a, le)), set: (v, a, x, n) => v.setBigInt64(a, big(x, n), le) }
        : { ...base, get: (v, a) => v.getBigInt64(a, le), set: (v, a, x, n) => v.setBigInt64(a, big(x, n), le) };
    case 'uint64':
      return asNumber
        ? { ...base, get: (v, a) => Number(v.getBigUint64(a, le)), set: (v, a, x, n) => v.setBigUint64(a, big(x, n), le) }
        : { ...base, get: (v, a) => v.getBigUint64(a, le), set: (v, a, x, n) => v.setBigUint64(a, big(x, n), le) };
  }
}

function codecFor(type: FieldType, longBytes: 4 | 8, name: string): Codec {
  const array = /^(char|uint8)\[(\d+)\]$/.exec(type);
  if (array) {
    const length = Number(array[2]);
    if (!Number.isSafeInteger(length) || length < 1) throw new IpcError('EINVAL', `field ${name}: bad array length in ${type}`);
    if (array[1] === 'char') {
      return {
        size: length,
        align: 1,
        get: (v, a) => {
          const bytes = new Uint8Array(v.buffer, v.byteOffset + a, length);
          const end = bytes.indexOf(0);
          return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
        },
        set: (v, a, x, n) => {
          const text = x === undefined ? '' : x;
          if (typeof text !== 'string') throw new IpcError('EINVAL', `field ${n} must be a string`);
          const encoded = encoder.encode(text);
          if (encoded.length > length - 1) {
            throw new IpcError('EINVAL', `field ${n} holds ${length} bytes with the NUL; "${text}" needs ${encoded.length + 1}`);
          }
          const bytes = new Uint8Array(v.buffer, v.byteOffset + a, length);
          bytes.fill(0);
          bytes.set(encoded);
        },
      };
    }
    return {
      size: length,
      align: 1,
      get: (v, a) => new Uint8Array(v.buffer, v.byteOffset + a, length).slice(),
      set: (v, a, x, n) => {
        const bytes = new Uint8Array(v.buffer, v.byteOffset + a, length);
        bytes.fill(0);
        if (x === undefined) return;
        if (!(x instanceof Uint8Array) || x.length > length) throw new IpcError('EINVAL', `field ${n} must be a Uint8Array of at most ${length} bytes`);
        bytes.set(x);
      },
    };
  }
  if (type in SCALAR_SIZES || type === 'long' || type === 'ulong') return scalarCodec(type as ScalarType, longBytes);
  throw new IpcError('EINVAL', `field ${name}: unknown C type ${type}`);
}

/**
 * Lays out a C struct. Fields keep their order; each is aligned to its own
 * size (arrays to their element), and the struct is padded to a multiple of
 * its largest alignment, as MSVC, GCC and Clang do on x86-64 and arm64.
 * Numbers are little-endian.
 *
 * Platform-specific behaviour: `long`/`ulong` are 4 bytes on Windows and 8 on
 * 64-bit POSIX (pass `platform` to lay out for the other OS). An 8-byte
 * `long` reads as a number: exact up to 2^53.
 */
export function defineStruct<const F extends Record<string, FieldType>>(fields: F, options: StructOptions = {}): StructLayout<StructValue<F>> {
  const longBytes: 4 | 8 = options.platform === undefined ? C_LONG_BYTES : options.platform === 'win32' ? 4 : 8;
  const infos: FieldInfo[] = [];
  const codecs: Array<[string, Codec, number]> = [];
  let offset = 0;
  let align = 1;
  for (const [name, type] of Object.entries(fields)) {
    const codec = codecFor(type, longBytes, name);
    offset = Math.ceil(offset / codec.align) * codec.align;
    infos.push({ name, type, offset, size: codec.size });
    codecs.push([name, codec, offset]);
    offset += codec.size;
    align = Math.max(align, codec.align);
  }
  if (infos.length === 0) throw new IpcError('EINVAL', 'a struct needs at least one field');
  const size = Math.ceil(offset / align) * align;
  const byName = new Map(infos.map((f) => [f.name, f.offset]));
  const check = (view: DataView, at: number): void => {
    if (!Number.isSafeInteger(at) || at < 0 || at + size > view.byteLength) {
      throw new IpcError('EINVAL', `a ${size}-byte struct at offset ${at} does not fit in ${view.byteLength} bytes`);
    }
  };
  return {
    size,
    align,
    fields: infos,
    offsetOf(name) {
      const found = byName.get(name);
      if (found === undefined) throw new IpcError('EINVAL', `no field ${name}`);
      return found;
    },
    read(view, at = 0) {
      check(view, at);
      const out: Record<string, unknown> = {};
      for (const [name, codec, off] of codecs) out[name] = codec.get(view, at + off);
      return out as StructValue<F>;
    },
    write(view, value, at = 0) {
      check(view, at);
      const record = value as Record<string, unknown>;
      // Validate every field before touching memory, so a bad value writes nothing.
      const scratch = new DataView(new ArrayBuffer(size));
      for (const [name, codec, off] of codecs) codec.set(scratch, off, record[name], name);
      new Uint8Array(view.buffer, view.byteOffset + at, size).set(new Uint8Array(scratch.buffer));
    },
  };
}
