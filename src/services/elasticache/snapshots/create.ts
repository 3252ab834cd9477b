/**
 * CreateSnapshot, and the final snapshots DeleteCacheCluster and DeleteReplicationGroup take: the snapshot is
 * stored `creating` and its source turns `snapshotting` (or stays `deleting`) in the call's transaction; the
 * snapshot worker (control/snapshots/) takes the data.
 */
import type { CreateSnapshotMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import type { Scope, Store } from '../../../store/store.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import type { JobQueue } from '../../../domain/elasticache/jobs.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { checkKmsKeyId } from '../../../domain/elasticache/kms-keys.js';
import {
  getCluster,
  getGroup,
  isClusterMode,
  requireClusterAvailable,
  requireGroupAvailable,
  type StoredCluster,
  type StoredGroup,
} from '../../../domain/elasticache/records.js';
import {
  insertSnapshot,
  markSourceSnapshotting,
  newSnapshotName,
  snapshotOfCluster,
  snapshotOfGroup,
  snapshotsNotSupported,
  type StoredSnapshot,
} from '../../../domain/elasticache/snapshots.js';
import { applyTags } from '../tags.js';
import { presentSnapshot } from './present.js';

export interface SnapshotHandlerDeps {
  store: Store;
  jobs: JobQueue;
}

export function createSnapshot({ store, jobs }: SnapshotHandlerDeps) {
  return (input: CreateSnapshotMessage, ctx: RequestContext) => {
    if (input.CacheClusterId !== undefined && input.ReplicationGroupId !== undefined) {
      throw invalidCombination('Only one of CacheClusterId or ReplicationGroupId can be provided.');
    }
    if (input.CacheClusterId === undefined && input.ReplicationGroupId === undefined) {
      throw invalidValue('One of CacheClusterId or ReplicationGroupId must be provided.');
    }
    const name = newSnapshotName(store, ctx, input.SnapshotName, 'SnapshotName');
    const origin = { name, source: 'manual' as const };
    let snapshot: StoredSnapshot;
    if (input.ReplicationGroupId !== undefined) {
      const group = getGroup(store, ctx, input.ReplicationGroupId);
      requireGroupAvailable(group);
      snapshot = snapshotOfGroup(store, ctx, group, origin);
    } else {
      const cluster = getCluster(store, ctx, input.CacheClusterId);
      if (cluster.state.Engine === 'memcached') throw snapshotsNotSupported();
      const groupId = cluster.state.ReplicationGroupId;
      if (groupId !== undefined) {
        const group = getGroup(store, ctx, groupId);
        if (isClusterMode(group.state)) {
          throw fault(
            'SnapshotFeatureNotSupportedFault',
            'Snapshots of a replication group with cluster mode enabled are taken of the whole group: give ReplicationGroupId.',
          );
        }
        requireGroupAvailable(group);
        requireClusterAvailable(cluster);
        snapshot = snapshotOfCluster(store, ctx, cluster, origin, group);
      } else {
        requireClusterAvailable(cluster);
        snapshot = snapshotOfCluster(store, ctx, cluster, origin);
      }
    }
    if (input.KmsKeyId !== undefined) {
      checkKmsKeyId(input.KmsKeyId, ctx);
      snapshot.state.KmsKeyId = input.KmsKeyId;
    }
    insertSnapshot(store, ctx, snapshot);
    markSourceSnapshotting(store, ctx, snapshot);
    applyTags(store, snapshot.state.ARN, input.Tags);
    jobs.enqueue(ctx, KIND.snapshot, name, 'create');
    return { Snapshot: presentSnapshot(snapshot.state, true) };
  };
}

/**
 * A delete's FinalSnapshotIdentifier: the snapshot to store before the source (already `deleting`) goes. The caller
 * stores it with beginFinalSnapshot after saving the source, instead of queueing the source's delete job.
 */
export function finalSnapshotOf(
  store: Store,
  scope: Scope,
  source: { cluster: StoredCluster } | { group: StoredGroup },
  identifier: string,
): StoredSnapshot {
  const name = newSnapshotName(store, scope, identifier, 'FinalSnapshotIdentifier');
  const origin = { name, source: 'manual' as const, final: true };
  return 'cluster' in source
    ? snapshotOfCluster(store, scope, source.cluster, origin)
    : snapshotOfGroup(store, scope, source.group, origin);
}

/** Stores a final snapshot and queues its job, which deletes the source once the data is taken. */
export function beginFinalSnapshot(store: Store, jobs: JobQueue, scope: Scope, snapshot: StoredSnapshot): void {
  insertSnapshot(store, scope, snapshot);
  jobs.enqueue(scope, KIND.snapshot, snapshot.state.SnapshotName, 'create');
}
