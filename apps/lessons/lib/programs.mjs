// Where the lessons' programs are: the TypeScript ones compiled to dist/, the C ones compiled on
// demand (cc on Linux, gcc from mingw-w64 on Windows) into build/c/, or taken from the folder the
// Windows lane cross-compiled them into (IPCKIT_NATIVE_DIR, from test/win32/native.json).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/lessons */
export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = resolve(APP_DIR, '..', '..');
export const DIST_DIR = join(APP_DIR, 'dist');
export const BUILD_DIR = join(APP_DIR, 'build');

/**
 * Every C program of the lessons and its source, relative to apps/lessons: one source for both OSes
 * (#ifdef _WIN32) or one per OS. test/win32/native.json lists the Windows sources for the lane (a
 * test checks that the two agree).
 */
export const C_PROGRAMS = {
  mailslot_client: 'c/mailslot_client.c',
  mailslot_server: 'c/mailslot_server.c',
  mailslot_info: 'c/mailslot_info.c',
  pipe_anon: 'c/pipe_anon.c',
  pipe_client: 'c/pipe_client.c',
  pipe_modes: 'c/pipe_modes.c',
  pipe_server: 'c/pipe_server.c',
  pipe_async: 'c/pipe_async.c',
  pipe_fifo: 'c/pipe_fifo.c',
  pipe_transact: 'c/pipe_transact.c',
  mapping: 'c/mapping.c',
  filemap: 'c/filemap.c',
  torn: 'c/torn.c',
  students: 'c/students.c',
  ring_consumer: 'c/ring_consumer.c',
  pingpong: 'c/pingpong.c',
  ex3_view: 'c/ex3_view.c',
  bounded_buffer: 'c/bounded_buffer.c',
  condvar: 'c/condvar.c',
  sec_owner: 'c/sec_owner.c',
  sec_pipe: 'c/sec_pipe.c',
  tb_sigpipe: 'c/tb_sigpipe.c',
  tb_wait: 'c/tb_wait.c',
  tb_lock: 'c/tb_lock.c',
  tb_pass: 'c/tb_pass.c',
  ex8_lock: 'c/ex8_lock.c',
};

const isWindows = process.platform === 'win32';

/** The source of a C program on this OS (or on `platform`), absolute. */
export function cSource(name, platform = isWindows ? 'win32' : 'posix') {
  const entry = C_PROGRAMS[name];
  if (entry === undefined) throw new Error(`no C program ${name} in lib/programs.mjs`);
  return join(APP_DIR, typeof entry === 'string' ? entry : entry[platform]);
}

/** The compiled Node script for `script`, e.g. '01-mailslots/server' -> dist/01-mailslots/server.js. */
export function nodeScript(script) {
  const file = join(DIST_DIR, `${script}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: build the lessons (npx nx run @ipckit/lessons:build)`);
  return file;
}

/** Local headers every source may include: a change to one rebuilds the programs. */
function headerTime(source) {
  const folder = dirname(source);
  let newest = 0;
  for (const header of ['lesson.h', 'security.h', 'ipckit_sync_posix.h', 'student.h']) {
    const file = join(folder, header);
    if (existsSync(file)) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * The executable of C program `name`, compiled when missing or older than its source. Under the
 * Windows lane the lane has already cross-compiled it (IPCKIT_NATIVE_DIR). Throws with the compiler's
 * output when it does not compile: never a silent skip.
 */
export function cProgram(name) {
  if (process.env.IPCKIT_NATIVE_DIR) {
    const exe = join(process.env.IPCKIT_NATIVE_DIR, `${name}${isWindows ? '.exe' : ''}`);
    if (!existsSync(exe)) throw new Error(`${exe} is missing (the Windows lane builds the programs listed in test/win32/native.json)`);
    return exe;
  }
  const source = cSource(name);
  return compileC(source, join(BUILD_DIR, 'c', name));
}

/**
 * Compiles one C source to `out` (cc on Linux, mingw's gcc on Windows), unless `out` is newer than it
 * and the lessons' headers. Throws with the compiler's output when it does not compile.
 * @param {string} source
 * @param {string} out  the executable, without .exe
 * @returns {string} the executable's path
 */
export function compileC(source, out) {
  const exe = `${out}${isWindows && !out.endsWith('.exe') ? '.exe' : ''}`;
  if (existsSync(exe) && statSync(exe).mtimeMs >= Math.max(statSync(source).mtimeMs, headerTime(source), headerTime(join(APP_DIR, 'c', 'lesson.c'))))
    return exe;
  mkdirSync(dirname(exe), { recursive: true });
  const [compiler, extra] = isWindows ? ['gcc', ['-static']] : ['cc', ['-Werror', '-pthread']];
  // -I c/: a starter in exercises/ includes "lesson.h" like the lessons' own programs.
  const r = spawnSync(compiler, ['-O2', '-Wall', ...extra, '-I', join(APP_DIR, 'c'), '-o', exe, source], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`\`${compiler} ${source}\` failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  return exe;
}

/**
 * The Windows programs the lane must build, as test/win32/native.json lists them (name -> source relative to test/win32).
 * @returns {Record<string, string>}
 */
export function windowsManifest() {
  return JSON.parse(readFileSync(join(APP_DIR, 'test', 'win32', 'native.json'), 'utf8'));
}
