import { longLogSuite } from './long-log.js';

longLogSuite(2300, 200);
