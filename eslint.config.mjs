// ESLint for the whole workspace: typescript-eslint's strict, type-aware preset on the TypeScript
// sources and tests, ESLint's recommended rules on the plain JavaScript tools and scripts, and
// eslint-config-prettier last, so formatting is Prettier's alone (`npm run format:check`).
// Run after a build: type-aware rules resolve @ipckit/* packages through their dist/ declarations.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/out-tsc/**', '**/build/**', '**/build-win32/**', '.nx/**', '.cache/**', 'coverage/**', 'tmp/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        // Declaration files no tsconfig includes (the Vitest preset's, a test fixture's, tools' chromium and terminal helpers) get the default project.
        projectService: {
          allowDefaultProject: ['tools/vitest-preset/index.d.ts', 'packages/native/test/fixtures/shm.d.mts', 'tools/chromium.d.mts', 'tools/terminal.d.mts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers and booleans print fine in messages; objects, undefined and null do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `() => void promise` and `(resolve) => setTimeout(resolve)` are the idiom for callbacks that return nothing.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Off: noUncheckedIndexedAccess types every indexed read as possibly undefined; in the
      // bounds-checked loops over typed arrays (ring.ts, the bench's sample buffers) `!` states
      // what is known at no cost, and `as number` would be the same assertion, longer.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Off: an `async` method with no `await` is how this code implements a Promise-returning
      // interface (close(), createSlot(), probe(), listen()) so that a throw becomes a rejection,
      // as callers expect; removing `async` to please the rule would change that behaviour.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a binding unused on purpose: a parameter an interface requires
      // but this implementation ignores (a one-way channel's send), the item of a draining loop.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  prettier,
);
