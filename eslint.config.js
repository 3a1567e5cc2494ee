import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Layers, bottom to top (README "Layout"). A layer imports only from layers
 * below it; layers on one row are peers and do not import each other. The
 * core layers (all but node and cli/web) use no Node-only API so they can run
 * in a browser; Node adapters live in src/node.
 */
const LAYERS = [
  ['machine'],
  // introspection: reads guest memory and knows the guest OS (Linux) it runs
  ['introspection', 'encoding'],
  ['store'],
  ['checkpoint'],
  ['replay'],
  ['debug', 'analysis', 'migration'],
  ['node'],
  ['cli', 'web'],
];
const CORE = new Set(['machine', 'introspection', 'encoding', 'store', 'checkpoint', 'replay', 'debug', 'analysis', 'migration']);
const NODE_APIS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'worker_threads', 'child_process', 'net', 'dgram', 'http', 'https', 'stream', 'crypto', 'process'];

function layerRules() {
  const configs = [];
  LAYERS.forEach((row, level) => {
    const forbidden = LAYERS.slice(level).flat();
    for (const layer of row) {
      const patterns = [{
        group: forbidden.filter((l) => l !== layer).map((l) => `**/${l}/**`),
        message: `src/${layer} imports only from layers below it (${LAYERS.slice(0, level).flat().join(', ') || 'none'})`,
      }, {
        group: ['**/test/**', '**/bench/**'],
        message: 'the product never imports test or benchmark harnesses',
      }];
      if (CORE.has(layer)) patterns.push({ group: NODE_APIS, message: `src/${layer} is a core layer: no Node-only APIs (put adapters in src/node)` });
      configs.push({ files: [`src/${layer}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } });
    }
  });
  return configs;
}

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
  ...layerRules(),
);
