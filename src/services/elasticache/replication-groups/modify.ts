/**
 * ModifyReplicationGroup: failover flags and a new primary here; settings the members share and node-level changes
 * (engine, version, parameter group, node type, AUTH) in modify-settings.ts. Changes the nodes must see queue a
 * converge job, at once or (node changes without ApplyImmediately) at the next maintenance window.
 */
import type { ModifyReplicationGroupMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { fault, invalidCombination } from '../../../domain/elasticache/faults.js';
import { nextWindowStart } from '../../../domain/elasticache/identifiers.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  failoverEnabledOrPending,
  getCluster,
  getGroup,
  isClusterMode,
  nodeGroupOf,
  primaryOf,
  recordGroupEvent,
  requireGroupAvailable,
  saveCluster,
  saveGroup,
  templateMember,
  type GroupState,
} from '../../../domain/elasticache/records.js';
import type { GroupHandlerDeps } from './group-rules.js';
import { nodeChanges, settingChanges, type MemberChange } from './modify-settings.js';

export function modifyReplicationGroup(deps: GroupHandlerDeps) {
  const { store, jobs } = deps;
  return (input: ModifyReplicationGroupMessage, ctx: RequestContext): GroupState => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    requireGroupAvailable(group);
    const { state, internal } = group;
    const clusterMode = isClusterMode(state);
    const memberCount = state.MemberClusters.length;
    const memberChanges: MemberChange[] = [];
    let needsWork = false;

    if (input.ReplicationGroupDescription !== undefined) state.Description = input.ReplicationGroupDescription;

    // Failover flags.
    const failoverOn = failoverEnabledOrPending(state);
    const wantFailover = input.AutomaticFailoverEnabled ?? failoverOn;
    const wantMultiAz = input.MultiAZEnabled ?? state.MultiAZ === 'enabled';
    if (clusterMode && input.AutomaticFailoverEnabled === false) {
      throw invalidCombination(
        'Turning off automatic failover for replication group with cluster mode enabled is not supported.',
      );
    }
    if (wantFailover && !clusterMode && memberCount < 2) {
      throw invalidCombination(
        'When using automatic failover, there must be at least 2 cache clusters in the replication group.',
      );
    }
    if (wantMultiAz && !wantFailover) {
      throw invalidCombination('Multi-AZ requires automatic failover: set AutomaticFailoverEnabled to true.');
    }
    if (input.AutomaticFailoverEnabled !== undefined && input.AutomaticFailoverEnabled !== failoverOn) {
      state.AutomaticFailover = input.AutomaticFailoverEnabled ? 'enabling' : 'disabling';
      needsWork = true;
    }
    if (input.MultiAZEnabled !== undefined) state.MultiAZ = input.MultiAZEnabled ? 'enabled' : 'disabled';

    if (input.PrimaryClusterId !== undefined) {
      if (clusterMode)
        throw invalidCombination('PrimaryClusterId is not supported for replication groups with cluster mode enabled.');
      const target = input.PrimaryClusterId.toLowerCase();
      const nodeGroup = nodeGroupOf(state, target);
      if (!nodeGroup) throw fault('CacheClusterNotFoundFault', `CacheCluster not found: ${target}`);
      if (primaryOf(nodeGroup)?.CacheClusterId !== target) {
        internal.failover = { nodeGroupId: nodeGroup.NodeGroupId, to: target, reason: 'modify' };
        state.PendingModifiedValues = { ...state.PendingModifiedValues, PrimaryClusterId: target };
        needsWork = true;
      }
    }
    needsWork ||= settingChanges(deps, ctx, group, input, memberChanges);
    const nodes = nodeChanges(deps, ctx, group, input, memberChanges);
    needsWork ||= nodes.needsWork;

    for (const member of state.MemberClusters.map((m) => getCluster(store, ctx, m))) {
      for (const change of memberChanges) change(member.state);
      saveCluster(store, ctx, member);
    }
    const immediate = input.ApplyImmediately === true || input.CacheParameterGroupName !== undefined;
    if (needsWork) {
      const onlyPending =
        !immediate &&
        nodes.pendingOnly &&
        !internal.failover &&
        !internal.pendingAuthToken &&
        !internal.pendingTransitEncryption &&
        input.AutomaticFailoverEnabled === undefined;
      if (!onlyPending) {
        state.Status = 'modifying';
        jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'converge');
      } else {
        // Waits for the maintenance window, as AWS does without ApplyImmediately.
        const window = templateMember(store, ctx, group).state.PreferredMaintenanceWindow;
        jobs.enqueue(
          ctx,
          KIND.replicationGroup,
          state.ReplicationGroupId,
          'converge',
          { maintenance: true },
          { runAfter: nextWindowStart(window) },
        );
      }
    }
    saveGroup(store, ctx, group);
    recordGroupEvent(store, ctx, state.ReplicationGroupId, `Replication group ${state.ReplicationGroupId} modified`);
    return state;
  };
}
