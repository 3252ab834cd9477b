/** Real cache nodes on the process runtime (see test/fixtures/node-suite.ts). */
import t from 'tap';
import { portsModeTest, realNodeSuite } from '../fixtures/node-suite.js';

realNodeSuite(t, 'process');
portsModeTest(t, 'process');
