/**
 * DeleteReplicationGroup: the group and its members turn `deleting` (a retained primary stays, leaving the group
 * when the worker deletes it), and a delete job takes the nodes away.
 */
import type { DeleteReplicationGroupMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { fault, invalidCombination } from '../../../domain/elasticache/faults.js';
import type { StoredSnapshot } from '../../../domain/elasticache/snapshots.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  getCluster,
  getGroup,
  isClusterMode,
  primaryOf,
  saveCluster,
  saveGroup,
  type GroupState,
} from '../../../domain/elasticache/records.js';
import { beginFinalSnapshot, finalSnapshotOf } from '../snapshots/create.js';
import type { GroupHandlerDeps } from './group-rules.js';

export function deleteReplicationGroup({ store, jobs }: GroupHandlerDeps) {
  return (input: DeleteReplicationGroupMessage, ctx: RequestContext): GroupState => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    const { state, internal } = group;
    if (!['available', 'create-failed'].includes(state.Status)) {
      throw fault(
        'InvalidReplicationGroupStateFault',
        `Replication group ${state.ReplicationGroupId} is not in available state (it is ${state.Status}).`,
      );
    }
    const global = state.GlobalReplicationGroupInfo?.GlobalReplicationGroupId;
    if (global) {
      throw fault(
        'InvalidReplicationGroupStateFault',
        `Replication group ${state.ReplicationGroupId} is a member of global datastore ${global}; disassociate it first.`,
      );
    }
    if (input.RetainPrimaryCluster) {
      if (isClusterMode(state))
        throw invalidCombination(
          'RetainPrimaryCluster is not supported for replication groups with cluster mode enabled.',
        );
      internal.retainPrimaryCluster = true;
    }
    let finalSnapshot: StoredSnapshot | undefined;
    if (input.FinalSnapshotIdentifier !== undefined) {
      finalSnapshot = finalSnapshotOf(store, ctx, { group }, input.FinalSnapshotIdentifier);
      internal.finalSnapshotIdentifier = finalSnapshot.state.SnapshotName;
    }
    state.Status = 'deleting';
    state.PendingModifiedValues = {};
    for (const member of state.MemberClusters.map((m) => getCluster(store, ctx, m))) {
      const keep =
        internal.retainPrimaryCluster && member.state.CacheClusterId === primaryOf(state.NodeGroups[0])?.CacheClusterId;
      if (!keep) {
        member.state.CacheClusterStatus = 'deleting';
        saveCluster(store, ctx, member);
      }
    }
    jobs.cancel(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'converge');
    saveGroup(store, ctx, group);
    // With a final snapshot, the snapshot's job deletes the group once the data is kept.
    if (finalSnapshot) beginFinalSnapshot(store, jobs, ctx, finalSnapshot);
    else jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'delete');
    return state;
  };
}
