/**
 * DeleteServerlessCache: the cache turns `deleting` and its backing group (or memcached cluster) is deleted as any is (with
 * FinalSnapshotName, after the snapshot workers have kept its data as a serverless snapshot); a job removes the
 * cache's record once the group has gone.
 */
import type { DeleteServerlessCacheRequest } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { fault } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { getCluster, saveCluster, saveGroup, type StoredGroup } from '../../../domain/elasticache/records.js';
import { getServerless, saveServerless, type ServerlessState } from '../../../domain/elasticache/serverless.js';
import { nodeSnapshotName } from '../../../domain/elasticache/serverless-snapshots.js';
import { snapshotOfCluster, snapshotOfGroup } from '../../../domain/elasticache/snapshots.js';
import { deleteReplicationGroup } from '../replication-groups/delete.js';
import type { GroupHandlerDeps } from '../replication-groups/group-rules.js';
import { deleteCacheCluster } from '../cache-clusters/lifecycle.js';
import { beginFinalSnapshot } from '../snapshots/create.js';
import { requireBackingAvailable, requireBackingGroup } from './rules.js';
import { newServerlessSnapshotName, tagNewSnapshot } from './snapshots.js';

export function deleteServerlessCache(deps: GroupHandlerDeps) {
  const { store, jobs } = deps;
  const deleteGroup = deleteReplicationGroup(deps);
  const deleteCluster = deleteCacheCluster(deps);
  return (input: DeleteServerlessCacheRequest, ctx: RequestContext): ServerlessState => {
    const cache = getServerless(store, ctx, input.ServerlessCacheName);
    const name = cache.state.ServerlessCacheName;
    if (cache.state.Status === 'deleting')
      throw fault('InvalidServerlessCacheStateFault', `Serverless cache ${name} is already being deleted.`);
    requireBackingAvailable(store, ctx, cache, ['available', 'create-failed']);
    const clusterId = cache.internal.backingClusterId;
    if (input.FinalSnapshotName !== undefined) {
      const snapshotName = newServerlessSnapshotName(store, ctx, input.FinalSnapshotName, 'FinalSnapshotName');
      requireBackingAvailable(store, ctx, cache);
      if (clusterId !== undefined) deleteClusterWithFinalSnapshot(deps, ctx, clusterId, nodeSnapshotName(snapshotName));
      else deleteWithFinalSnapshot(deps, ctx, requireBackingGroup(store, ctx, cache), nodeSnapshotName(snapshotName));
      tagNewSnapshot(store, ctx, snapshotName, undefined);
    } else if (clusterId !== undefined) {
      deleteCluster({ CacheClusterId: clusterId }, ctx);
    } else {
      deleteGroup({ ReplicationGroupId: requireBackingGroup(store, ctx, cache).state.ReplicationGroupId }, ctx);
    }
    cache.state.Status = 'deleting';
    saveServerless(store, ctx, cache);
    jobs.enqueue(ctx, KIND.serverlessCache, name, 'delete');
    return { ...cache.state, Endpoint: undefined, ReaderEndpoint: undefined };
  };
}

/** memcached: the backing cluster turns `deleting`; the snapshot's job reads its items out, then deletes it. */
function deleteClusterWithFinalSnapshot(deps: GroupHandlerDeps, ctx: RequestContext, clusterId: string, name: string) {
  const { store, jobs } = deps;
  const cluster = getCluster(store, ctx, clusterId);
  const snapshot = snapshotOfCluster(store, ctx, cluster, { name, source: 'manual', final: true });
  cluster.internal.finalSnapshotIdentifier = name;
  cluster.state.CacheClusterStatus = 'deleting';
  cluster.state.PendingModifiedValues = {};
  jobs.cancel(ctx, KIND.cacheCluster, clusterId, 'modify');
  saveCluster(store, ctx, cluster);
  beginFinalSnapshot(store, jobs, ctx, snapshot);
}

/**
 * DeleteReplicationGroup's final-snapshot path for the backing group, whose snapshot carries a name no client may
 * give (the group handler checks FinalSnapshotIdentifier against the names clients may choose): the group and its
 * members turn `deleting`, and the snapshot's job takes the data and then deletes the group.
 */
function deleteWithFinalSnapshot(deps: GroupHandlerDeps, ctx: RequestContext, group: StoredGroup, name: string) {
  const { store, jobs } = deps;
  const snapshot = snapshotOfGroup(store, ctx, group, { name, source: 'manual', final: true });
  const { state, internal } = group;
  internal.finalSnapshotIdentifier = name;
  state.Status = 'deleting';
  state.PendingModifiedValues = {};
  for (const memberId of state.MemberClusters) {
    const member = getCluster(store, ctx, memberId);
    member.state.CacheClusterStatus = 'deleting';
    saveCluster(store, ctx, member);
  }
  jobs.cancel(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'converge');
  saveGroup(store, ctx, group);
  beginFinalSnapshot(store, jobs, ctx, snapshot);
}
