/**
 * RebootCacheCluster and DeleteCacheCluster. A group member is rebooted by its group's worker, and deleted under the
 * group's rules (replication-groups/members.ts).
 */
import type { DeleteCacheClusterMessage, RebootCacheClusterMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { findGroup, getCluster, requireClusterAvailable, saveCluster } from '../../../domain/elasticache/records.js';
import type { StoredSnapshot } from '../../../domain/elasticache/snapshots.js';
import { removeMemberCluster } from '../replication-groups/members.js';
import { beginFinalSnapshot, finalSnapshotOf } from '../snapshots/create.js';

import { presentCluster, type ClusterHandlerDeps } from './present.js';

export function rebootCacheCluster({ store, jobs }: ClusterHandlerDeps) {
  return (input: RebootCacheClusterMessage, ctx: RequestContext) => {
    const cluster = getCluster(store, ctx, input.CacheClusterId);
    const { state } = cluster;
    requireClusterAvailable(cluster);
    const ids = input.CacheNodeIdsToReboot ?? [];
    if (ids.length === 0)
      throw invalidValue('The parameter CacheNodeIdsToReboot must be provided and must not be blank.');
    const nodes = state.CacheNodes ?? [];
    for (const nodeId of ids) {
      if (!nodes.some((n) => n.CacheNodeId === nodeId)) {
        throw invalidValue(`Cache node ${nodeId} does not exist in cluster ${state.CacheClusterId}.`);
      }
    }
    if (state.ReplicationGroupId && findGroup(store, ctx, state.ReplicationGroupId)?.state.ClusterEnabled) {
      throw invalidCombination('Rebooting nodes of a replication group with cluster mode enabled is not supported.');
    }
    state.CacheClusterStatus = 'rebooting cluster nodes';
    for (const node of nodes) if (ids.includes(node.CacheNodeId)) node.CacheNodeStatus = 'rebooting';
    saveCluster(store, ctx, cluster);
    if (state.ReplicationGroupId) {
      // A member's node comes back as a replica of the group's primary: the group's worker restarts it.
      jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'reboot-member', {
        clusterId: state.CacheClusterId,
      });
    } else {
      jobs.enqueue(ctx, KIND.cacheCluster, state.CacheClusterId, 'reboot', { nodeIds: [...new Set(ids)] });
    }
    return { CacheCluster: presentCluster(state, false) };
  };
}

export function deleteCacheCluster({ store, jobs }: ClusterHandlerDeps) {
  return (input: DeleteCacheClusterMessage, ctx: RequestContext) => {
    const cluster = getCluster(store, ctx, input.CacheClusterId);
    const { state, internal } = cluster;
    if (state.ReplicationGroupId) {
      if (input.FinalSnapshotIdentifier !== undefined) {
        throw invalidCombination('FinalSnapshotIdentifier is not supported for members of a replication group.');
      }
      removeMemberCluster(store, jobs, ctx, cluster);
      return { CacheCluster: presentCluster(state, false) };
    }
    if (!['available', 'incompatible-network', 'restore-failed', 'create-failed'].includes(state.CacheClusterStatus)) {
      throw fault('InvalidCacheClusterStateFault', `Cache cluster ${state.CacheClusterId} is not in available state.`);
    }
    let finalSnapshot: StoredSnapshot | undefined;
    if (input.FinalSnapshotIdentifier !== undefined) {
      if (state.Engine === 'memcached') {
        throw fault('SnapshotFeatureNotSupportedFault', 'Snapshots are not supported for Memcached clusters.');
      }
      finalSnapshot = finalSnapshotOf(store, ctx, { cluster }, input.FinalSnapshotIdentifier);
      internal.finalSnapshotIdentifier = finalSnapshot.state.SnapshotName;
    }
    state.CacheClusterStatus = 'deleting';
    state.PendingModifiedValues = {};
    jobs.cancel(ctx, KIND.cacheCluster, state.CacheClusterId, 'modify');
    saveCluster(store, ctx, cluster);
    // With a final snapshot, the snapshot's job deletes the cluster once the data is kept.
    if (finalSnapshot) beginFinalSnapshot(store, jobs, ctx, finalSnapshot);
    else jobs.enqueue(ctx, KIND.cacheCluster, state.CacheClusterId, 'delete');
    return { CacheCluster: presentCluster(state, false) };
  };
}
