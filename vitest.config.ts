import { defineConfig } from 'vitest/config';
import { GUEST_NODE_FLAGS } from './src/node/guest-process-flags.js';

export default defineConfig({
  test: {
    // the test workers run guests: V8's background pool sized to the host, as the CLI (src/node/guest-process-flags.ts)
    execArgv: [...GUEST_NODE_FLAGS],
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.slow.test.ts', 'node_modules/**'],
    // vitest's default (cores - 1) runs the suite on one core of a 2-core CI machine
    maxWorkers: 2,
    // hang guards, not timing checks: a boot test takes about 1 min alone and more beside another
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
