import { stressSuite } from './stress-harness.js';

stressSuite({
  writers: [
    { pages: 64, mutations: 8, interval: 0, count: 300 },
    { pages: 128, mutations: 30, interval: 5, count: 200 },
    { pages: 96, mutations: 4, interval: 15, count: 150 },
    { pages: 160, mutations: 60, interval: 2, count: 150 },
    { pages: 256, mutations: 100, interval: 10, count: 100 },
    { pages: 48, mutations: 2, interval: 1, count: 300 },
  ],
  readers: 3,
  pruneAt: 6000,
  keepLast: 40,
  hangWriter: 3,
  hangAt: 30,
});
