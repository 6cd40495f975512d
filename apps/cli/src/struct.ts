/**
 * `--struct "long ID; char name[20]"`: C declarations turned into the fields
 * of @ipckit/shared-memory's defineStruct, so a region is read as the C
 * program that wrote it lays it out (this OS's `long`, natural alignment).
 */
import type { FieldType, ScalarType } from '@ipckit/shared-memory';
import { UsageError } from './exit.js';

/** C type names (after whitespace is collapsed) and the scalar each one is. */
const C_TYPES: Readonly<Record<string, ScalarType>> = {
  char: 'int8',
  'signed char': 'int8',
  'unsigned char': 'uint8',
  int8_t: 'int8',
  uint8_t: 'uint8',
  short: 'int16',
  'short int': 'int16',
  'unsigned short': 'uint16',
  'unsigned short int': 'uint16',
  int16_t: 'int16',
  uint16_t: 'uint16',
  int: 'int32',
  'signed int': 'int32',
  unsigned: 'uint32',
  'unsigned int': 'uint32',
  int32_t: 'int32',
  uint32_t: 'uint32',
  long: 'long',
  'long int': 'long',
  'signed long': 'long',
  'unsigned long': 'ulong',
  'unsigned long int': 'ulong',
  'long long': 'int64',
  'long long int': 'int64',
  'unsigned long long': 'uint64',
  'unsigned long long int': 'uint64',
  int64_t: 'int64',
  uint64_t: 'uint64',
  float: 'float',
  double: 'double',
  // Windows names, for structs copied from Win32 code
  BYTE: 'uint8',
  WORD: 'uint16',
  DWORD: 'uint32',
  LONG: 'int32',
  ULONG: 'uint32',
  BOOL: 'int32',
};

/**
 * The fields of a struct declaration: `type name;` or `type name[N];`
 * separated by `;` (a trailing one is optional), an optional `struct x { }`
 * around them. `char name[N]` is a NUL-terminated string and
 * `unsigned char`/`uint8_t name[N]` raw bytes; arrays of other types become
 * one field per element (`v[0]`, `v[1]`, ...), laid out exactly as the array.
 * A bad declaration is a UsageError naming it.
 */
export function parseStruct(declaration: string): Record<string, FieldType> {
  const body = declaration.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ').replace(/^\s*(?:typedef\s+)?struct\s*\w*\s*\{([\s\S]*)\}\s*\w*\s*;?\s*$/, '$1');
  const fields: Record<string, FieldType> = {};
  for (const raw of body.split(';')) {
    const text = raw.trim().replace(/\s+/g, ' ');
    if (text === '') continue;
    const m = /^(?:const )?(.+?) ?\b([A-Za-z_]\w*) ?(?:\[ ?(\d+) ?\])?$/.exec(text);
    if (!m) throw new UsageError(`--struct: cannot read "${text}" (expected a C declaration such as "long id" or "char name[20]")`);
    const [, typeName = '', name = '', count] = m;
    const scalar = C_TYPES[typeName];
    if (scalar === undefined) throw new UsageError(`--struct: unknown C type "${typeName}" in "${text}" (known: ${Object.keys(C_TYPES).join(', ')})`);
    const add = (key: string, type: FieldType): void => {
      if (key in fields) throw new UsageError(`--struct: the field ${key} is declared twice`);
      fields[key] = type;
    };
    if (count === undefined) {
      add(name, scalar);
      continue;
    }
    const n = Number(count);
    if (!Number.isSafeInteger(n) || n < 1 || n > 1 << 20) throw new UsageError(`--struct: bad array length in "${text}"`);
    if (typeName === 'char') add(name, `char[${n}]`);
    else if (scalar === 'uint8') add(name, `uint8[${n}]`);
    else for (let i = 0; i < n; i++) add(`${name}[${i}]`, scalar);
  }
  if (Object.keys(fields).length === 0) throw new UsageError('--struct: no fields (expected e.g. "long ID; char name[20]")');
  return fields;
}
