// Checks C sources as MSVC's C compiler would take them, without MSVC: no MSVC can be had on Linux,
// so this is clang in its MSVC mode (the driver clang-cl is, `--driver-mode=cl`, targeting
// x86_64-pc-windows-msvc: _MSC_VER defined, __GNUC__ not, Microsoft's C dialect and keywords) over
// mingw-w64's Windows headers (the Windows SDK's are not to be had either), plus a scan of the
// preprocessed source for what clang accepts in that mode but MSVC does not.
//
//   node tools/msvc-check/index.mjs [-I dir]... file.c...   checks each file; exit 1 on any problem
//   import { checkMsvc, ensureMsvcCheck } from '../../tools/msvc-check/index.mjs';
//
// What it finds, per file (a problem is any of them; warnings count, as /WX would make them):
//   - clang-cl's errors and warnings at /W4, plus the clang warnings closest to MSVC's /W4 ones that
//     clang-cl's /W4 leaves out (C4267/C4244 narrowing, C4456-C4459 shadowing, C4018/C4389
//     signed/unsigned, C4702 unreachable code), and -Wvla / -Wgnu (MSVC has no VLAs, no GNU C);
//   - an aggregate initialized with what is not a constant (MSVC's C4204/C4221, C89's rule);
//   - GNU keywords and builtins in the file's own lines after preprocessing (__attribute__, asm,
//     __builtin_*, __atomic_*, typeof, ...), which clang takes even in MSVC mode;
//   - a header included by the file that mingw-w64 has and MSVC does not (unistd.h, pthread.h, ...).
// What it cannot find: anything that differs between mingw-w64's headers and the Windows SDK's
// (a declaration one has and the other lacks), MSVC's own diagnostics, and link errors.
//
// Needs Debian's clang and mingw-w64's headers; ensureMsvcCheck() installs them when missing
// (tools/apt.mjs: one apt-get install from Debian's mirror, nothing else is downloaded).
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensurePackages } from '../apt.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Debian's clang (the `clang` package: its default version, clang 14 on Debian 12). */
export const CLANG = '/usr/bin/clang';
/** mingw-w64's Windows and C runtime headers (package mingw-w64-common). */
export const MINGW_INCLUDE = '/usr/share/mingw-w64/include';
/** The fix-ups put before mingw-w64's headers (see include/_mingw.h). */
export const SHIM_INCLUDE = join(HERE, 'include');

/**
 * Installs clang and mingw-w64's headers when missing; returns the packages it installed.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {string[]}
 */
export function ensureMsvcCheck({ log } = {}) {
  return ensurePackages(
    [
      { file: CLANG, pkg: 'clang' },
      { file: join(MINGW_INCLUDE, 'windows.h'), pkg: 'mingw-w64-common' },
    ],
    log ? { log } : {},
  );
}

/**
 * clang's flags for MSVC mode, after `--driver-mode=cl`: cl's own (/W4, /TC) and clang's in -Xclang-
 * free form, which clang-cl passes on.
 */
export const MSVC_FLAGS = [
  '--target=x86_64-pc-windows-msvc',
  // Visual Studio 2019's compiler (_MSC_VER 1920), whatever clang's default.
  '-fms-compatibility-version=19.20',
  '/TC',
  '/W4',
  '-Wvla',
  '-Wgnu',
  '-Wshorten-64-to-32',
  '-Wimplicit-int-conversion',
  '-Wfloat-conversion',
  '-Wshadow',
  '-Wsign-compare',
  '-Wunreachable-code',
  // `STARTUPINFOW si = {sizeof si};` is fine for MSVC (no such warning), and -Wextra's complaint.
  '-Wno-missing-field-initializers',
  '-fno-color-diagnostics',
  '-Xclang',
  '-fno-caret-diagnostics',
  '-ferror-limit=0',
  '-imsvc',
  SHIM_INCLUDE,
  '-imsvc',
  MINGW_INCLUDE,
  // mingw's setjmp.h declares _setjmp with two arguments, clang's intrin.h (MSVC's) with one.
  '-DUSE_NO_MINGW_SETJMP_TWO_ARGS',
];

/** GNU C that clang accepts in MSVC mode and MSVC does not (x64 MSVC has no inline assembly at all). */
const GNU_WORDS =
  /\b(__attribute__|__attribute|__asm__|__asm|asm|__volatile__|__builtin_\w+|__atomic_\w+|__sync_\w+|__typeof__|__typeof|typeof|__extension__|__int128|__label__|__auto_type|__alignof__|__inline__|__restrict__|__signed__|__const__)\b/g;

/** Headers mingw-w64 ships that MSVC and the Windows SDK do not (POSIX, winpthreads, GNU). */
const MINGW_ONLY_HEADERS = new Set([
  'unistd.h',
  'pthread.h',
  'pthread_time.h',
  'pthread_unistd.h',
  'pthread_signal.h',
  'pthread_compat.h',
  'sched.h',
  'semaphore.h',
  'dirent.h',
  'getopt.h',
  'strings.h',
  'libgen.h',
  'sys/time.h',
  'sys/param.h',
  'sys/file.h',
  'stdatomic.h',
  'stdalign.h',
  'stdnoreturn.h',
]);

/**
 * What the standard macros of clang's own headers expand to (va_start, offsetof): in the file's lines
 * after preprocessing, but MSVC's headers define the same macros their own way.
 */
const STANDARD_EXPANSIONS = new Set(['__builtin_va_start', '__builtin_va_end', '__builtin_va_arg', '__builtin_va_copy', '__builtin_offsetof']);

function clang(args) {
  const r = spawnSync(CLANG, ['--driver-mode=cl', ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${CLANG} could not start: ${r.error.message}`);
  return r;
}

function stripLiterals(line) {
  return line.replace(/"(?:\\.|[^"\\])*"/g, '""').replace(/'(?:\\.|[^'\\])*'/g, "''");
}

/**
 * What MSVC mode says of one C source.
 * @param {string} source
 * @param {{ include?: string[] }} [options]  more -I folders (the source's own folder is searched anyway)
 * @returns {{ source: string, command: string, ok: boolean, diagnostics: string[], gnu: string[], headers: string[] }}
 *   diagnostics: clang's error and warning lines; gnu: `file:line: word` for each GNU word in the
 *   file's own code; headers: `file:line: <header>` for each mingw-only header it includes.
 */
export function checkMsvc(source, { include = [] } = {}) {
  const file = resolve(source);
  const args = [...MSVC_FLAGS, ...include.flatMap((dir) => ['-I', dir])];
  // `--` before the file: to clang-cl a path like /work/... reads as options (/w...).
  const command = [CLANG, '--driver-mode=cl', '/Zs', ...args, '--', file].join(' ');

  const syntax = clang(['/Zs', ...args, '--', file]);
  const diagnostics = `${syntax.stdout}${syntax.stderr}`.split('\n').filter((l) => /: (fatal error|error|warning): /.test(l));
  if (syntax.status !== 0 && diagnostics.length === 0) diagnostics.push(`clang exited with ${syntax.status}: ${syntax.stderr.trim()}`);

  // MSVC's C without /std:c11 (what `cl file.c` is) wants constants in an aggregate's initializer
  // (C4204, C4221 at /W4) as C89 did; clang says so only in C89 mode, where the rest of C99 that MSVC
  // takes (declarations in for, mixed with statements) makes other noise: only that message counts.
  const c89 = clang(['/Zs', ...args, '/clang:-std=gnu89', '-Dinline=__inline', '-Wc99-extensions', '--', file]);
  for (const l of `${c89.stdout}${c89.stderr}`.split('\n'))
    if (l.includes('initializer for aggregate is not a compile-time constant'))
      diagnostics.push(`${l.replace(/ \[-Wc99-extensions\]$/, '')} (MSVC: C4204 or C4221 at /W4)`);

  // The preprocessed source: every line of the project's own files (not a system header's), after
  // macro expansion, with where it came from (`# N "file" flags` markers: 1 enters a file, 2 returns
  // to one, 3 marks a system header).
  const pre = clang(['/E', ...args, '--', file]);
  const gnu = [];
  const headers = [];
  if (pre.status !== 0) diagnostics.push(`clang /E exited with ${pre.status}`);
  else {
    let current = '';
    let own = false; // a file of the project's, not a system header (flag 3) nor <built-in>
    let line = 0;
    for (const text of pre.stdout.split('\n')) {
      const marker = /^#(?:line)?\s+(\d+)\s+"((?:\\.|[^"\\])*)"((?:\s+\d)*)\s*$/.exec(text);
      if (marker) {
        const path = marker[2].replace(/\\\\/g, '\\');
        const flags = marker[3].trim().split(/\s+/);
        const ownNext = !flags.includes('3') && !path.startsWith('<');
        if (flags.includes('1') && own && !ownNext) {
          const header = path.startsWith(`${MINGW_INCLUDE}/`) ? path.slice(MINGW_INCLUDE.length + 1) : path;
          if (MINGW_ONLY_HEADERS.has(header)) headers.push(`${current}:${line}: <${header}> (mingw-w64 has it, MSVC does not)`);
        }
        current = path;
        own = ownNext;
        line = Number(marker[1]);
        continue;
      }
      if (own) {
        if (/^\s*#pragma\s+GCC\b/.test(text)) gnu.push(`${current}:${line}: #pragma GCC (MSVC: C4068 unknown pragma)`);
        else for (const m of stripLiterals(text).matchAll(GNU_WORDS)) if (!STANDARD_EXPANSIONS.has(m[1])) gnu.push(`${current}:${line}: ${m[1]}`);
      }
      line++;
    }
  }
  return { source: file, command, ok: diagnostics.length === 0 && gnu.length === 0 && headers.length === 0, diagnostics, gnu, headers };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const include = [];
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-I') include.push(argv[++i]);
    else files.push(argv[i]);
  }
  if (files.length === 0) {
    console.error('usage: node tools/msvc-check/index.mjs [-I dir]... file.c...');
    process.exit(2);
  }
  ensureMsvcCheck();
  let bad = 0;
  for (const f of files) {
    const r = checkMsvc(f, { include });
    const problems = [...r.diagnostics, ...r.gnu, ...r.headers];
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${f}`);
    for (const p of problems) console.log(`     ${p}`);
    if (!r.ok) bad++;
  }
  console.log(`${files.length - bad} passed, ${bad} failed`);
  process.exit(bad ? 1 : 0);
}
