/**
 * ModifyReplicationGroupShardConfiguration (cluster mode enabled): shards added (their members created, their slots
 * arriving by migration), removed (their slots moving away first), or rebalanced at an equal count. The target slots
 * are written here; the worker migrates keys until the shards own them.
 */
import type { ModifyReplicationGroupShardConfigurationMessage } from '@aws-sdk/client-elasticache';
import { formatSlotRanges, rebalancedSlots, slotsToRanges } from '../../../common/slot-ranges.js';
import type { RequestContext } from '../../../api/query-api.js';
import { checkNodeQuota } from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { checkZone, findSubnetGroup, subnetZones } from '../../../domain/elasticache/network.js';
import {
  MEMBER_NODE,
  getCluster,
  getGroup,
  isClusterMode,
  memberName,
  nodeGroupIdOf,
  requireGroupAvailable,
  saveCluster,
  saveGroup,
  templateMember,
  type GroupState,
  type StoredMember,
} from '../../../domain/elasticache/records.js';
import { slotsOf } from '../../../domain/elasticache/slots.js';
import { insertMembers, requireApplyImmediately, type GroupHandlerDeps } from './group-rules.js';
import { MAX_NODE_GROUPS } from './limits.js';

export function modifyShardConfiguration({ store, jobs }: GroupHandlerDeps) {
  return (input: ModifyReplicationGroupShardConfigurationMessage, ctx: RequestContext): GroupState => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    const { state, internal } = group;
    if (!isClusterMode(state)) {
      throw invalidCombination(
        `Replication group ${state.ReplicationGroupId} does not have cluster mode enabled; only cluster-mode-enabled groups can be resharded.`,
      );
    }
    requireApplyImmediately(input.ApplyImmediately);
    requireGroupAvailable(group);
    const count = requireValue(input.NodeGroupCount, 'NodeGroupCount');
    if (count < 1) throw invalidValue('The parameter NodeGroupCount must be at least 1.');
    if (count > MAX_NODE_GROUPS) {
      throw fault(
        'NodeGroupsPerReplicationGroupQuotaExceededFault',
        `A replication group can have at most ${MAX_NODE_GROUPS} node groups.`,
      );
    }
    const current = state.NodeGroups ?? [];
    const currentIds = current.map((g) => g.NodeGroupId);
    const remove = input.NodeGroupsToRemove ?? [];
    const retain = input.NodeGroupsToRetain ?? [];
    for (const id of [...remove, ...retain]) {
      if (!currentIds.includes(id))
        throw fault(
          'NodeGroupNotFoundFault',
          `Node group ${id} not found in replication group ${state.ReplicationGroupId}.`,
        );
    }
    let removing: string[] = [];
    if (count < current.length) {
      if (remove.length > 0 === retain.length > 0) {
        throw invalidValue('To remove node groups, specify exactly one of NodeGroupsToRemove or NodeGroupsToRetain.');
      }
      removing = remove.length > 0 ? [...new Set(remove)] : currentIds.filter((id) => !retain.includes(id));
      if (current.length - removing.length !== count) {
        throw invalidValue(
          `Removing ${removing.length} of ${current.length} node groups does not leave NodeGroupCount (${count}) node groups.`,
        );
      }
    } else if (remove.length > 0 || retain.length > 0) {
      throw invalidCombination(
        'NodeGroupsToRemove and NodeGroupsToRetain are only used when NodeGroupCount decreases.',
      );
    }
    const adding = Math.max(0, count - current.length);
    const replicas = Math.max(0, (current[0]?.NodeGroupMembers?.length ?? 1) - 1);
    checkNodeQuota(store, ctx, adding * (replicas + 1));
    const resharding = input.ReshardingConfiguration ?? [];
    const template = templateMember(store, ctx, group).state;
    const subnetGroup = findSubnetGroup(store, ctx, template.CacheSubnetGroupName) ?? { Subnets: [] };
    const zones = subnetZones(ctx.region, subnetGroup);

    // New shards take the next free ids; their members are created, their slots arrive by migration.
    let next = Math.max(0, ...currentIds.map(Number)) + 1;
    for (let i = 0; i < adding; i++) {
      const config = resharding[current.length + i] ?? resharding[i];
      const nodeGroupId = nodeGroupIdOf(next++);
      const requested = config?.PreferredAvailabilityZones ?? [];
      const members: StoredMember[] = Array.from({ length: replicas + 1 }, (_, n) => {
        const zone = requested[n]
          ? checkZone(zones, requested[n], subnetGroup.CacheSubnetGroupName ?? 'default')
          : zones[(i + n) % zones.length];
        return {
          CacheClusterId: memberName(state.ReplicationGroupId, nodeGroupId, n + 1),
          CacheNodeId: MEMBER_NODE,
          PreferredAvailabilityZone: zone,
          CurrentRole: n === 0 ? 'primary' : 'replica',
        };
      });
      current.push({ NodeGroupId: nodeGroupId, Status: 'creating', Slots: '', NodeGroupMembers: members });
      state.MemberClusters.push(...members.map((m) => m.CacheClusterId));
      insertMembers(store, ctx, group, template, members);
    }
    const remaining = current.filter((g) => !removing.includes(g.NodeGroupId)).map((g) => g.NodeGroupId);
    const owned = Object.fromEntries(current.map((g) => [g.NodeGroupId, slotsOf(g.Slots)]));
    internal.targetSlots = targetSlotStrings(owned, remaining);
    if (removing.length > 0) {
      internal.removingShards = removing;
      for (const g of current) if (removing.includes(g.NodeGroupId)) g.Status = 'deleting';
      const leaving = current
        .filter((g) => removing.includes(g.NodeGroupId))
        .flatMap((g) => g.NodeGroupMembers.map((m) => m.CacheClusterId));
      for (const id of leaving) {
        const member = getCluster(store, ctx, id);
        member.state.CacheClusterStatus = 'deleting';
        saveCluster(store, ctx, member);
      }
    }
    state.Status = 'modifying';
    state.PendingModifiedValues = {
      ...state.PendingModifiedValues,
      Resharding: { SlotMigration: { ProgressPercentage: 0 } },
    };
    saveGroup(store, ctx, group);
    jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'converge');
    return state;
  };
}

function targetSlotStrings(owned: Record<string, number[]>, remaining: string[]): Record<string, string> {
  const target = rebalancedSlots(owned, remaining);
  return Object.fromEntries(Object.entries(target).map(([id, slots]) => [id, formatSlotRanges(slotsToRanges(slots))]));
}
