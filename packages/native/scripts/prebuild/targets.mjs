// What each prebuild is made of: its compiler, its flags and its sources, and the hash of all of it
// (the "inputs"), which prebuilds/manifest.json records so a test can tell a stale prebuild without
// a compiler. Used by scripts/prebuild.mjs (the build) and test/prebuilds.test.ts (the check).
//
// Sources follow one naming rule, the same one binding.gyp's conditions follow (a test checks):
//   src/<name>_linux.cc        Linux only
//   src/<name>_win32.cc        Windows only
//   src/<name>_unsupported.cc  every other OS (not prebuilt: nothing ships for them)
//   src/<name>.cc              every OS
// so a source added to src/ is compiled into every prebuild it belongs to without editing this file.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (packages/native). */
export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** The Node-API version the addon is built against, as in binding.gyp (Node >= 20.19 has 9 and 10). */
export const NAPI_VERSION = 8;
/**
 * The oldest glibc the Linux prebuilds run on. Node 20's and 22's own Linux binaries need 2.28
 * (they are built on RHEL 8), so an addon that asks for less gains nothing. scripts/prebuild.mjs
 * fails when a build needs a newer symbol version than this.
 */
export const GLIBC_FLOOR = '2.28';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Files compiled into the Linux prebuilds only: the glibc compatibility shims (see glibc-compat.cc). */
export const LINUX_COMPAT_SOURCES = [join(HERE, 'glibc-compat.cc')];
/** The exported symbols of the Linux prebuilds (everything else, the static libstdc++ included, stays inside). */
export const LINUX_EXPORTS = join(HERE, 'exports.map');

const require = createRequire(join(ROOT, 'package.json'));

/** The folder of an installed npm package, found from this package. */
export function packageDir(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(`the npm package ${name} is not installed (a dependency of @ipckit/native: run npm install at the repository root)`);
  }
}

/** src/*.cc for one OS family ('linux' | 'win32'), by the naming rule above, sorted (the order is part of the build). */
export function sourcesFor(os) {
  const all = readdirSync(join(ROOT, 'src'))
    .filter((f) => f.endsWith('.cc'))
    .sort();
  const tagged = /_(linux|win32|unsupported)\.cc$/;
  return all.filter((f) => !tagged.test(f) || f.endsWith(`_${os}.cc`)).map((f) => `src/${f}`);
}

/** src/*.h: every header may be included by any source. */
export function headers() {
  return readdirSync(join(ROOT, 'src'))
    .filter((f) => f.endsWith('.h'))
    .sort()
    .map((f) => `src/${f}`);
}

const COMMON_DEFINES = [`-DNAPI_VERSION=${NAPI_VERSION}`, '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED'];

/**
 * A Linux target: the host's own compiler and C library when the machine is that architecture,
 * Debian's cross compiler and /usr/<triplet>/lib otherwise. `glibcBase` is the oldest symbol
 * version glibc has on that architecture (its first port).
 */
function linuxTarget(arch, triplet, debArch, loader, glibcBase) {
  const native = process.platform === 'linux' && process.arch === arch;
  return {
    os: 'linux',
    cxx: `${triplet}-g++`,
    cc: `${triplet}-gcc`,
    // The target's C library: the glibc floor is checked against its symbol versions.
    libcDir: native ? `/lib/${triplet}` : `/usr/${triplet}/lib`,
    libcDevDir: native ? `/usr/lib/${triplet}` : `/usr/${triplet}/lib`,
    apt: native
      ? [{ file: `/usr/bin/${triplet}-g++`, pkg: 'g++' }]
      : [
          { file: `/usr/bin/${triplet}-g++`, pkg: `g++-${triplet.replace(/_/g, '-')}` },
          { file: `/usr/${triplet}/lib/libc_nonshared.a`, pkg: `libc6-dev-${debArch}-cross` },
        ],
    loader,
    glibcBase,
  };
}

/**
 * The prebuilds: `<platform>-<arch>` as Node names them (process.platform, process.arch), the
 * compiler (and the Debian packages that provide it, `apt`), and the flags. Everything a build depends on is here or
 * in the files {@link inputsHash} reads, so the hash changes whenever the output could.
 */
export const TARGETS = {
  'linux-x64': linuxTarget('x64', 'x86_64-linux-gnu', 'x86-64', 'ld-linux-x86-64.so.2', '2.2.5'),
  'linux-arm64': linuxTarget('arm64', 'aarch64-linux-gnu', 'arm64', 'ld-linux-aarch64.so.1', '2.17'),
  'win32-x64': {
    os: 'win32',
    // The posix-threads flavour: std::thread needs it (the win32 flavour has none).
    cxx: 'x86_64-w64-mingw32-g++-posix',
    dlltool: 'x86_64-w64-mingw32-dlltool',
    apt: [
      { file: '/usr/bin/x86_64-w64-mingw32-g++-posix', pkg: 'g++-mingw-w64-x86-64-posix' },
      { file: '/usr/bin/x86_64-w64-mingw32-dlltool', pkg: 'binutils-mingw-w64-x86-64' },
    ],
  },
};

/** The compiler flags of a Linux prebuild (both architectures), before sources and output. */
export function linuxFlags() {
  return [
    '-std=c++17',
    '-O2',
    '-fPIC',
    '-shared',
    // Only the two Node-API entry points are exported (exports.map); hidden by default also lets
    // --gc-sections drop whatever of the static libstdc++ nothing uses.
    '-fvisibility=hidden',
    '-ffunction-sections',
    '-fdata-sections',
    '-Wall',
    '-Wextra',
    ...COMMON_DEFINES,
  ];
}

/** The linker flags of a Linux prebuild. */
export function linuxLinkFlags() {
  return [
    // libstdc++ inside the addon: the system's libstdc++.so.6 may be older than GCC 12's
    // (GLIBCXX_3.4.30), and Node's binaries do not export theirs. libgcc_s stays shared: every
    // glibc system has it, and its symbol versions are old (GCC_3.0 to GCC_4.2.0).
    '-static-libstdc++',
    `-Wl,--version-script=${LINUX_EXPORTS}`,
    '-Wl,--gc-sections',
    // Resolve every symbol when Node loads the addon: a C library too old fails at dlopen, with
    // the missing version named, instead of at the first call that needs it.
    '-Wl,-z,now',
    '-Wl,-z,relro',
    '-Wl,-z,noexecstack',
    '-Wl,--hash-style=gnu',
    '-s',
  ];
}

/** The compiler and linker flags of the win32-x64 prebuild (mingw-w64), before sources and output. */
export function win32Flags() {
  return ['-std=c++17', '-O2', '-Wall', '-shared', ...COMMON_DEFINES, '-DWIN32_LEAN_AND_MEAN', '-D_WIN32_WINNT=0x0601'];
}

/**
 * The win32 link flags: -static, or the DLL needs libwinpthread-1.dll and libstdc++-6.dll, which
 * Windows does not have; no link timestamp and a fixed image base (the automatic one is a hash of
 * the output path), so the same sources give the same bytes.
 */
export function win32LinkFlags() {
  return ['-lnode', '-static', '-s', '-Wl,--no-insert-timestamp', '-Wl,--disable-auto-image-base'];
}

/** Every file whose content a target's build depends on, as absolute paths. */
export function inputFiles(target) {
  const t = TARGETS[target];
  if (!t) throw new Error(`unknown prebuild target ${target} (known: ${Object.keys(TARGETS).join(', ')})`);
  const addonApi = packageDir('node-addon-api');
  const headersDir = packageDir('node-api-headers');
  const files = [
    ...sourcesFor(t.os).map((f) => join(ROOT, f)),
    ...headers().map((f) => join(ROOT, f)),
    join(addonApi, 'napi.h'),
    join(addonApi, 'napi-inl.h'),
    ...readdirSync(join(headersDir, 'include'))
      .sort()
      .map((f) => join(headersDir, 'include', f)),
  ];
  if (t.os === 'linux') files.push(...LINUX_COMPAT_SOURCES, LINUX_EXPORTS, join(HERE, 'glibc.mjs'));
  if (t.os === 'win32') files.push(join(headersDir, 'def', 'node_api.def'));
  return files;
}

/**
 * The sha256 of everything a target's build reads (file names relative to where they live, and
 * their bytes), with line endings normalised so a checkout with CRLF hashes the same. The
 * compiler itself is not in it: prebuilds/manifest.json names the one used, and `--verify`
 * rebuilds with the one installed.
 */
export function inputsHash(target) {
  const hash = createHash('sha256');
  hash.update(`${target}\n`);
  // The recipe itself: the flags and the floor (not this file's text, so a comment or a
  // reformatting here does not make every prebuild stale).
  const t = TARGETS[target];
  const flags = t.os === 'linux' ? [linuxFlags(), linuxLinkFlags(), GLIBC_FLOOR] : [win32Flags(), win32LinkFlags()];
  // (Paths in the flags relative to the package, so the hash is the same in every checkout.)
  hash.update(`${JSON.stringify({ napi: NAPI_VERSION, compiler: t.cxx, flags }).replaceAll(ROOT, '.')}\n`);
  for (const file of inputFiles(target)) {
    const name = file.includes('node_modules') ? file.slice(file.lastIndexOf('node_modules')) : file.slice(ROOT.length + 1);
    hash.update(`${name.replaceAll('\\', '/')}\n`);
    hash.update(readFileSync(file, 'utf8').replaceAll('\r\n', '\n'));
    hash.update('\n');
  }
  return hash.digest('hex');
}
