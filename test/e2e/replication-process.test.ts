/** Replication groups on real nodes, process runtime (see test/fixtures/replication-suite.ts). */
import t from 'tap';
import { replicationSuite } from '../fixtures/replication-suite.js';

replicationSuite(t, 'process');
