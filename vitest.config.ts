import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.slow.test.ts', 'node_modules/**'],
    // vitest's default (cores - 1) runs the suite on one core of a 2-core CI machine
    maxWorkers: 2,
    // hang guards, not timing checks: a boot test takes about 1 min alone and more beside another
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
