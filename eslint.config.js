import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'guest/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-fallthrough': 'off',
      'no-case-declarations': 'off',
      'prefer-const': 'error',
    },
  },
  {
    // Layering: lower layers must not import upper ones or Node-only APIs.
    files: ['src/machine/**/*.ts', 'src/snapshot/**/*.ts', 'src/replay/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'worker_threads', 'child_process', 'net'], message: 'core layers must not use Node-only APIs; put adapters in src/node' },
          { group: ['**/cli/**', '**/node/**', '**/store/**', '**/debug/**', '**/analysis/**', '**/migration/**', '**/web/**'], message: 'a layer imports only from layers below it' },
        ],
      }],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'worker_threads', 'child_process', 'net'], message: 'the store takes its file system injected; Node adapters live in src/node' },
          { group: ['**/replay/**', '**/cli/**', '**/node/**', '**/debug/**', '**/analysis/**', '**/migration/**', '**/web/**'], message: 'a layer imports only from layers below it' },
        ],
      }],
    },
  },
  {
    files: ['src/machine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'worker_threads', 'child_process', 'net'], message: 'core layers must not use Node-only APIs; put adapters in src/node' },
          { group: ['**/snapshot/**', '**/replay/**', '**/cli/**', '**/node/**', '**/store/**', '**/debug/**', '**/analysis/**', '**/migration/**', '**/web/**'], message: 'the machine knows nothing of upper layers' },
        ],
      }],
    },
  },
);
