/** Real cache nodes on the docker runtime (see test/fixtures/node-suite.ts; the ports endpoint mode is tested on the process runtime). */
import t from 'tap';
import { missingImageTest, realNodeSuite, scaleUpTest } from '../fixtures/node-suite.js';

realNodeSuite(t, 'docker');
missingImageTest(t);
scaleUpTest(t);
