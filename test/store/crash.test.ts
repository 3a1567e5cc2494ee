import { crashSuite } from './crash-harness.js';

// A quick run; crash.slow.test.ts (or CRASH_ITERATIONS=n) kills many more times.
crashSuite(10);
