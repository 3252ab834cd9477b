/**
 * IncreaseReplicaCount and DecreaseReplicaCount: new replicas join each shard behind its primary, removed ones
 * (the newest first, or those named) turn `deleting` until the worker has stopped their nodes.
 */
import type { DecreaseReplicaCountMessage, IncreaseReplicaCountMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { checkNodeQuota } from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { checkZone, findSubnetGroup, subnetZones } from '../../../domain/elasticache/network.js';
import {
  MEMBER_NODE,
  getGroup,
  isClusterMode,
  memberName,
  nodeGroupOf,
  primaryOf,
  replicasOf,
  requireGroupAvailable,
  saveGroup,
  templateMember,
  type GroupState,
  type StoredGroup,
  type StoredMember,
  type StoredNodeGroup,
} from '../../../domain/elasticache/records.js';
import {
  checkReplicaCount,
  insertMembers,
  minimumReplicas,
  nextMemberNumber,
  removeMembers,
  requireApplyImmediately,
  type GroupHandlerDeps,
} from './group-rules.js';

/** The replica count each shard should have: NewReplicaCount for all, or ReplicaConfiguration per shard. */
function replicaTargets(
  group: StoredGroup,
  input: {
    NewReplicaCount?: number;
    ReplicaConfiguration?: { NodeGroupId?: string; NewReplicaCount?: number; PreferredAvailabilityZones?: string[] }[];
  },
): Map<string, { count: number; zones?: string[] }> {
  const targets = new Map<string, { count: number; zones?: string[] }>();
  if (input.NewReplicaCount !== undefined && input.ReplicaConfiguration?.length) {
    throw invalidCombination('Specify either NewReplicaCount or ReplicaConfiguration, not both.');
  }
  if (input.NewReplicaCount !== undefined) {
    for (const g of group.state.NodeGroups ?? []) targets.set(g.NodeGroupId, { count: input.NewReplicaCount });
  } else if (input.ReplicaConfiguration?.length) {
    for (const config of input.ReplicaConfiguration) {
      const id = requireValue(config.NodeGroupId, 'NodeGroupId');
      if (!group.state.NodeGroups.some((g) => g.NodeGroupId === id)) {
        throw fault(
          'NodeGroupNotFoundFault',
          `Node group ${id} not found in replication group ${group.state.ReplicationGroupId}.`,
        );
      }
      targets.set(id, {
        count: requireValue(config.NewReplicaCount, 'NewReplicaCount'),
        zones: config.PreferredAvailabilityZones,
      });
    }
  }
  for (const { count } of targets.values()) checkReplicaCount(count);
  return targets;
}

export function increaseReplicaCount({ store, jobs }: GroupHandlerDeps) {
  return (input: IncreaseReplicaCountMessage, ctx: RequestContext): GroupState => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    requireApplyImmediately(input.ApplyImmediately);
    requireGroupAvailable(group);
    const targets = replicaTargets(group, input);
    if (targets.size === 0) throw invalidValue('Specify NewReplicaCount or ReplicaConfiguration.');
    const { state } = group;
    const template = templateMember(store, ctx, group).state;
    const subnetGroup = findSubnetGroup(store, ctx, template.CacheSubnetGroupName) ?? { Subnets: [] };
    const zones = subnetZones(ctx.region, subnetGroup);
    const added: { nodeGroup: StoredNodeGroup; member: StoredMember }[] = [];
    const taken = new Set<string>();
    for (const nodeGroup of state.NodeGroups ?? []) {
      const target = targets.get(nodeGroup.NodeGroupId);
      if (!target) continue;
      const current = replicasOf(nodeGroup).length;
      if (target.count < current) {
        throw invalidValue(
          `NewReplicaCount (${target.count}) must not be lower than the current number of replicas (${current}) of node group ${nodeGroup.NodeGroupId}.`,
        );
      }
      const adding = target.count - current;
      if (target.zones?.length && target.zones.length !== adding) {
        throw invalidValue(
          `The number of PreferredAvailabilityZones (${target.zones.length}) must equal the number of replicas to add (${adding}).`,
        );
      }
      for (let i = 0; i < adding; i++) {
        const zone = target.zones?.[i]
          ? checkZone(zones, target.zones[i], subnetGroup.CacheSubnetGroupName ?? 'default')
          : zones[(current + 1 + i) % zones.length];
        const id = memberName(
          state.ReplicationGroupId,
          isClusterMode(state) ? nodeGroup.NodeGroupId : undefined,
          nextMemberNumber(state, nodeGroup.NodeGroupId, taken),
        );
        taken.add(id);
        added.push({
          nodeGroup,
          member: {
            CacheClusterId: id,
            CacheNodeId: MEMBER_NODE,
            PreferredAvailabilityZone: zone,
            CurrentRole: 'replica',
          },
        });
      }
    }
    if (added.length === 0)
      throw fault('NoOperationFault', 'The replication group already has the requested number of replicas.');
    checkNodeQuota(store, ctx, added.length);
    insertMembers(
      store,
      ctx,
      group,
      template,
      added.map((a) => a.member),
    );
    for (const { nodeGroup, member } of added) {
      nodeGroup.NodeGroupMembers.push(member);
      nodeGroup.Status = 'modifying';
      state.MemberClusters.push(member.CacheClusterId);
    }
    state.Status = 'modifying';
    saveGroup(store, ctx, group);
    jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'converge');
    return state;
  };
}

export function decreaseReplicaCount({ store, jobs }: GroupHandlerDeps) {
  return (input: DecreaseReplicaCountMessage, ctx: RequestContext): GroupState => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    requireApplyImmediately(input.ApplyImmediately);
    requireGroupAvailable(group);
    const { state } = group;
    const targets = replicaTargets(group, input);
    const toRemove: string[] = [];
    if (input.ReplicasToRemove?.length) {
      if (targets.size > 0 && input.NewReplicaCount !== undefined) {
        throw invalidCombination('Specify either NewReplicaCount or ReplicasToRemove, not both.');
      }
      for (const raw of input.ReplicasToRemove) {
        const id = raw.toLowerCase();
        const nodeGroup = nodeGroupOf(state, id);
        if (!nodeGroup)
          throw invalidValue(`Cache cluster ${id} is not a member of replication group ${state.ReplicationGroupId}.`);
        if (primaryOf(nodeGroup)?.CacheClusterId === id)
          throw invalidValue(`Cache cluster ${id} is a primary; only replicas can be removed.`);
        toRemove.push(id);
      }
    } else if (targets.size === 0) {
      throw invalidValue('Specify NewReplicaCount, ReplicaConfiguration or ReplicasToRemove.');
    } else {
      for (const nodeGroup of state.NodeGroups ?? []) {
        const target = targets.get(nodeGroup.NodeGroupId);
        if (!target) continue;
        const replicas = replicasOf(nodeGroup);
        if (target.count > replicas.length) {
          throw invalidValue(
            `NewReplicaCount (${target.count}) must not be higher than the current number of replicas (${replicas.length}) of node group ${nodeGroup.NodeGroupId}.`,
          );
        }
        // The newest replicas go first.
        toRemove.push(
          ...replicas
            .slice(target.count)
            .map((m) => m.CacheClusterId)
            .reverse(),
        );
      }
    }
    if (toRemove.length === 0)
      throw fault('NoOperationFault', 'The replication group already has the requested number of replicas.');
    const minimum = minimumReplicas(state);
    for (const nodeGroup of state.NodeGroups ?? []) {
      const left = replicasOf(nodeGroup).filter((m) => !toRemove.includes(m.CacheClusterId)).length;
      if (left < minimum)
        throw invalidValue('Must have at least 1 replica when cluster mode is disabled with auto failover enabled.');
    }
    removeMembers(store, ctx, group, toRemove);
    saveGroup(store, ctx, group);
    jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'converge');
    return state;
  };
}
