/**
 * Snapshots: CreateSnapshot (create.ts, with the final snapshots of the deletes), DescribeSnapshots, CopySnapshot
 * (also the export to a bucket) and DeleteSnapshot. Handlers write the record and a snapshot job in the call's
 * transaction; the snapshot workers (control/snapshots/) move the files. Memcached has no snapshots.
 */
import type { CopySnapshotMessage, DeleteSnapshotMessage, DescribeSnapshotsMessage } from '@aws-sdk/client-elasticache';
import type { Store } from '../../../store/store.js';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import { fault, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import { clusterStyleId } from '../../../domain/elasticache/identifiers.js';
import { JobQueue, type WorkQueue } from '../../../domain/elasticache/jobs.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { checkKmsKeyId } from '../../../domain/elasticache/kms-keys.js';
import { clusterNotFound, findCluster, listClusters } from '../../../domain/elasticache/records.js';
import {
  getSnapshot,
  insertSnapshot,
  snapshotCopy,
  listSnapshots,
  newSnapshotName,
  requireSnapshotAvailable,
  saveSnapshot,
} from '../../../domain/elasticache/snapshots.js';
import { paginate, type PageLimits } from '../pagination.js';
import { applyTags } from '../tags.js';
import { createSnapshot, type SnapshotHandlerDeps } from './create.js';
import { presentSnapshot } from './present.js';
import { isBackingId } from '../../../domain/elasticache/serverless.js';

/** DescribeSnapshots pages differently from the other Describes. */
const SNAPSHOT_PAGES: PageLimits = { min: 20, max: 50, default: 50 };

/** DescribeSnapshots' SnapshotSource: `user` (manual) or `system` (automated); the stored names are taken too. */
const SOURCES: Record<string, string> = {
  user: 'manual',
  manual: 'manual',
  system: 'automated',
  automated: 'automated',
};

/** S3's bucket naming rules, which also keep the export folder inside the exports directory. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function snapshotHandlers(store: Store, work: WorkQueue): HandlerTable {
  const deps: SnapshotHandlerDeps = { store, jobs: new JobQueue(store, work) };
  const { jobs } = deps;

  const DescribeSnapshots = (input: DescribeSnapshotsMessage, ctx: RequestContext) => {
    let found =
      input.SnapshotName !== undefined
        ? [getSnapshot(store, ctx, input.SnapshotName)]
        : listSnapshots(store, ctx)
            // Serverless snapshots' node snapshots are shown by DescribeServerlessCacheSnapshots only.
            .filter((s) => !isBackingId(s.state.SnapshotName))
            .sort((a, b) => a.internal.requestedAt - b.internal.requestedAt);
    if (input.SnapshotSource !== undefined) {
      const source = SOURCES[input.SnapshotSource.toLowerCase()];
      if (!source)
        throw invalidValue(`Invalid snapshot source: ${input.SnapshotSource}. Valid values are user and system.`);
      found = found.filter((s) => s.state.SnapshotSource === source);
    }
    if (input.ReplicationGroupId !== undefined) {
      const id = input.ReplicationGroupId.toLowerCase();
      found = found.filter((s) => s.state.ReplicationGroupId === id);
    }
    if (input.CacheClusterId !== undefined) {
      const id = input.CacheClusterId.toLowerCase();
      found = found.filter(
        (s) => s.state.CacheClusterId === id || s.state.NodeSnapshots.some((n) => n.CacheClusterId === id),
      );
      if (found.length === 0 && !findCluster(store, ctx, id)) throw clusterNotFound(id);
    }
    const { page, marker } = paginate(found, input, SNAPSHOT_PAGES);
    return {
      Marker: marker,
      Snapshots: page.map((s) => presentSnapshot(s.state, input.ShowNodeGroupConfig ?? false)),
    };
  };

  const CopySnapshot = (input: CopySnapshotMessage, ctx: RequestContext) => {
    const source = requireSnapshotAvailable(store, ctx, input.SourceSnapshotName);
    if (input.KmsKeyId !== undefined) checkKmsKeyId(input.KmsKeyId, ctx);
    if (input.TargetBucket !== undefined) {
      // An export: AWS writes the RDB files into the bucket; locally they go to the bucket's export folder.
      const bucket = input.TargetBucket;
      if (!BUCKET.test(bucket) || bucket.includes('..')) {
        throw invalidValue(`The S3 bucket ${bucket} is not a valid bucket name.`);
      }
      const name = clusterStyleId(input.TargetSnapshotName, 'TargetSnapshotName', 255);
      jobs.enqueue(ctx, KIND.snapshot, source.state.SnapshotName, 'export', { bucket, name });
      return { Snapshot: presentSnapshot(source.state, true) };
    }
    const name = newSnapshotName(store, ctx, input.TargetSnapshotName, 'TargetSnapshotName');
    const copy = snapshotCopy(ctx, source, name, input.KmsKeyId);
    const { state } = copy;
    insertSnapshot(store, ctx, copy);
    applyTags(store, state.ARN, input.Tags);
    jobs.enqueue(ctx, KIND.snapshot, name, 'copy');
    return { Snapshot: presentSnapshot(state, true) };
  };

  const DeleteSnapshot = (input: DeleteSnapshotMessage, ctx: RequestContext) => {
    const snapshot = getSnapshot(store, ctx, requireValue(input.SnapshotName, 'SnapshotName'));
    const { state } = snapshot;
    if (!['available', 'failed'].includes(state.SnapshotStatus)) {
      throw fault(
        'InvalidSnapshotStateFault',
        `Snapshot ${state.SnapshotName} is not in a state that allows deletion (it is ${state.SnapshotStatus}).`,
      );
    }
    if (listClusters(store, ctx).some((c) => c.internal.restoreFrom?.snapshot === state.SnapshotName)) {
      throw fault('InvalidSnapshotStateFault', `Snapshot ${state.SnapshotName} is in use by a restore in progress.`);
    }
    state.SnapshotStatus = 'deleting';
    saveSnapshot(store, ctx, snapshot);
    jobs.enqueue(ctx, KIND.snapshot, state.SnapshotName, 'delete');
    return { Snapshot: presentSnapshot(state, true) };
  };

  return { CreateSnapshot: createSnapshot(deps), DescribeSnapshots, CopySnapshot, DeleteSnapshot };
}
