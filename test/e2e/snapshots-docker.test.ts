/** Snapshots on the docker runtime: the RDB is copied out of the container (see test/fixtures/snapshot-suite.ts). */
import t from 'tap';
import { realSnapshotChecks, restoreChecks } from '../fixtures/snapshot-suite.js';

t.test('docker runtime: a snapshot holds the node data', (t) => realSnapshotChecks(t, 'docker'));
t.test('docker runtime: restores hold the data', (t) => restoreChecks(t, 'docker', 10_000));
