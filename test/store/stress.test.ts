import { stressSuite } from './stress-harness.js';

// The short version; stress.slow.test.ts runs longer with more writers.
stressSuite({
  writers: [
    { pages: 64, mutations: 8, interval: 0, count: 40 },
    { pages: 128, mutations: 30, interval: 5, count: 25 },
    { pages: 96, mutations: 4, interval: 15, count: 20 },
    { pages: 160, mutations: 60, interval: 2, count: 20 },
  ],
  readers: 2,
  pruneAt: 1500,
  keepLast: 12,
  hangWriter: 2,
  hangAt: 8,
});
