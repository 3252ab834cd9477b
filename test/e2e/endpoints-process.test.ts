/** Endpoints on the process runtime (see test/fixtures/endpoint-suite.ts). */
import t from 'tap';
import { endpointSuite } from '../fixtures/endpoint-suite.js';

endpointSuite(t, 'process');
