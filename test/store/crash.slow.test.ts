import { crashSuite } from './crash-harness.js';

crashSuite(150);
