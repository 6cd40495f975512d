// The glibc floor of the Linux prebuilds, made and checked.
//
// A shared object built on a new glibc asks for the newest version of each C-library symbol it
// calls (pthread_create@GLIBC_2.34 on Debian 12), and an older glibc then refuses to load it
// ("version `GLIBC_2.34' not found"). So the prebuild is linked against stubs: small shared
// objects named libc.so.6, libm.so.6 and ld-linux-*.so.*, generated here from the target's real
// libraries, that define each symbol once, at the newest version not above the floor
// (pthread_create@GLIBC_2.2.5 on x64, @GLIBC_2.17 on arm64). The linker records those versions;
// at run time the real glibc provides them (glibc keeps every old version of a symbol). Symbols
// newer than the floor are absent from the stubs, so a source that starts using one cannot link
// past checkFloor(): glibc-compat.cc provides the few the sources need today.
//
// https://sourceware.org/glibc/wiki/Development_Todo/Master#Symbol_versioning
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** "2.2.5" -> [2, 2, 5]. */
const parts = (version) => version.split('.').map(Number);

/** Compares two glibc versions ("2.17" < "2.28"); negative, zero or positive. */
export function compareVersions(a, b) {
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The dynamic symbols of an ELF file (`readelf --dyn-syms -W`, which reads every architecture):
 * name, version (without GLIBC_ when it is a glibc one: `lib` says which family), whether it is
 * defined, its type, binding and size.
 */
export function dynamicSymbols(file) {
  const r = spawnSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`readelf --dyn-syms ${file} failed: ${r.error?.message ?? r.stderr}`);
  const symbols = [];
  const line = /^\s*\d+:\s+[0-9a-f]+\s+(0x[0-9a-f]+|\d+)\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s+([^\s@]+)(?:(@@?)([\w.]+))?/;
  for (const text of r.stdout.split('\n')) {
    const m = line.exec(text);
    if (!m || m[5] === '') continue;
    symbols.push({
      name: m[5],
      size: Number(m[1]),
      type: m[2],
      bind: m[3],
      defined: m[4] !== 'UND',
      version: m[7],
      isDefault: m[6] === '@@',
    });
  }
  return symbols;
}

/** The libraries the ELF file needs (DT_NEEDED). */
export function neededLibraries(file) {
  const r = spawnSync('readelf', ['-d', '-W', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`readelf -d ${file} failed: ${r.error?.message ?? r.stderr}`);
  return [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/**
 * For each public symbol of the glibc library `file`, the newest GLIBC_x version not above
 * `floor`; symbols that only exist above it (or only as GLIBC_PRIVATE) are left out.
 */
function symbolsAtFloor(file, floor) {
  const best = new Map();
  for (const s of dynamicSymbols(file)) {
    if (!s.defined || !s.version?.startsWith('GLIBC_') || s.version === 'GLIBC_PRIVATE' || s.name.startsWith('GLIBC_')) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name)) continue;
    const version = s.version.slice('GLIBC_'.length);
    if (!/^\d+(\.\d+)*$/.test(version) || compareVersions(version, floor) > 0) continue;
    const seen = best.get(s.name);
    if (seen === undefined || compareVersions(version, seen.version) > 0) best.set(s.name, { ...s, version });
  }
  return [...best.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Assembly defining `symbols` (never run: only their names, kinds and sizes matter to the linker). */
function stubAssembly(symbols) {
  const out = [];
  for (const s of symbols) {
    const size = Math.max(1, s.size);
    if (s.type === 'TLS') {
      out.push('.section .tbss,"awT",%nobits', `.globl ${s.name}`, `.type ${s.name}, %tls_object`, `.size ${s.name}, ${size}`, `${s.name}:`, `.zero ${size}`);
    } else if (s.type === 'OBJECT') {
      out.push('.data', `.globl ${s.name}`, `.type ${s.name}, %object`, `.size ${s.name}, ${size}`, `${s.name}:`, `.zero ${size}`);
    } else {
      out.push('.text', `.globl ${s.name}`, `.type ${s.name}, %function`, `${s.name}:`, '.byte 0');
    }
    if (s.bind === 'WEAK') out.push(`.weak ${s.name}`);
  }
  return `${out.join('\n')}\n`;
}

/** A version script giving each symbol its one version, as the default (`sym@@GLIBC_x`). */
function stubVersionScript(symbols) {
  const byVersion = new Map();
  for (const s of symbols) byVersion.set(s.version, [...(byVersion.get(s.version) ?? []), s.name]);
  const versions = [...byVersion.keys()].sort(compareVersions);
  return (
    versions
      .map(
        (v) =>
          `GLIBC_${v} {\n  global:\n${byVersion
            .get(v)
            .map((n) => `    ${n};`)
            .join('\n')}\n};`,
      )
      .join('\n') + '\n'
  );
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
}

/**
 * Writes stub libraries for `target` (a Linux entry of TARGETS) into `dir` and returns the
 * linker flags that make `-lc` and `-lm` find them: `-L<dir>`. `dir/libc.so` is a linker script
 * like the real one: the stub libc, the real static libc_nonshared.a (functions that are only ever
 * linked statically) and the stub loader.
 */
export function makeStubs(target, floor, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const libs = [
    { soname: 'libc.so.6', file: join(target.libcDir, 'libc.so.6') },
    { soname: 'libm.so.6', file: join(target.libcDir, 'libm.so.6') },
    { soname: target.loader, file: join(target.libcDir, target.loader) },
  ];
  for (const lib of libs) {
    const symbols = symbolsAtFloor(lib.file, floor);
    if (symbols.length === 0) throw new Error(`${lib.file}: no GLIBC_ symbols at or below ${floor}`);
    const base = join(dir, lib.soname);
    writeFileSync(`${base}.s`, stubAssembly(symbols));
    writeFileSync(`${base}.map`, stubVersionScript(symbols));
    run(target.cc, ['-shared', '-nostdlib', '-o', base, `${base}.s`, `-Wl,--version-script=${base}.map`, `-Wl,-soname,${lib.soname}`]);
  }
  writeFileSync(
    join(dir, 'libc.so'),
    `/* Stub libc at the glibc floor ${floor} (packages/native/scripts/prebuild/glibc.mjs) */\n` +
      `GROUP ( ${join(dir, 'libc.so.6')} ${join(target.libcDevDir, 'libc_nonshared.a')} AS_NEEDED ( ${join(dir, target.loader)} ) )\n`,
  );
  symlinkSync('libm.so.6', join(dir, 'libm.so'));
  return [`-L${dir}`];
}

/**
 * What a Linux prebuild asks of the system, and whether it keeps to the floor: every symbol it
 * imports is a Node-API function (from Node itself), or carries a GLIBC_ version not above
 * `floor`, or a GCC_ one (libgcc_s), or is weak. Returns the newest glibc version it needs, the
 * libraries it needs, and the problems (empty when it keeps to the floor).
 */
export function checkFloor(file, floor) {
  const problems = [];
  let needs = '0';
  for (const s of dynamicSymbols(file)) {
    if (s.defined) continue;
    if (s.version === undefined) {
      if (/^(napi|node_api)_/.test(s.name) || s.bind === 'WEAK') continue;
      problems.push(`${s.name} has no symbol version (a symbol newer than glibc ${floor}, or a library the build did not expect)`);
    } else if (s.version.startsWith('GLIBC_')) {
      const v = s.version.slice('GLIBC_'.length);
      if (compareVersions(v, needs) > 0) needs = v;
      if (compareVersions(v, floor) > 0) problems.push(`${s.name}@${s.version} is newer than the floor ${floor}`);
    } else if (!s.version.startsWith('GCC_')) {
      problems.push(`${s.name}@${s.version}: a dependency on ${s.version.split('_')[0]} (libstdc++ must be linked statically)`);
    }
  }
  const needed = neededLibraries(file);
  for (const lib of needed) {
    if (!/^(libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|ld-linux-[\w-]+\.so\.\d)$/.test(lib)) problems.push(`needs ${lib}, which not every glibc system has`);
  }
  return { glibc: needs, needed, problems };
}
