import { defineConfig } from 'vitest/config';
import { GUEST_NODE_FLAGS } from './src/node/guest-process-flags.js';

export default defineConfig({
  test: {
    // the test workers run guests: V8's background pool sized to the host, as the CLI (src/node/guest-process-flags.ts)
    execArgv: [...GUEST_NODE_FLAGS],
    include: ['test/**/*.slow.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 600_000,
  },
});
