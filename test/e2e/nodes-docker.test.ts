/** Real cache nodes on the docker runtime (see test/fixtures/node-suite.ts). */
import t from 'tap';
import { missingImageTest, realNodeSuite } from '../fixtures/node-suite.js';

realNodeSuite(t, 'docker');
missingImageTest(t);
