// The Vitest configuration of every ipckit project. Each project keeps a one-line vitest.config.ts
// that re-exports it, because @nx/vitest infers a project's `test` target from that file.
//
// Plain JavaScript with a declaration file, and a workspace package rather than a relative import:
// Nx loads every vitest.config.ts while it builds the project graph, before anything is compiled,
// and each project's tsconfig.spec.json type-checks its vitest.config.ts as part of a composite
// project, where a relative import of a .ts file outside the project fails with TS6307. A package
// resolved through node_modules to a .d.ts is neither compiled nor a file of the project.

/**
 * The shared configuration, with `test` options of one project laid over it.
 * @param {import('vitest/config').TestUserConfig} [test]
 * @returns {import('vitest/config').ViteUserConfig}
 */
export function vitestPreset(test = {}) {
  return {
    test: {
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      // Peers run as real processes and native code is loaded: separate processes, not threads.
      pool: 'forks',
      // One line per test, so CI logs show every conformance test by name.
      reporters: ['verbose'],
      ...test,
    },
  };
}

export default vitestPreset();
