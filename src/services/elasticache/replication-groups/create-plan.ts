/**
 * CreateReplicationGroup's shard plan: how many shards, which slots each owns (cluster mode enabled), and the zone
 * of each member, from NumCacheClusters / NumNodeGroups / ReplicasPerNodeGroup / NodeGroupConfiguration /
 * PreferredCacheClusterAZs, checked as AWS checks them.
 */
import type { CreateReplicationGroupMessage, NodeGroupConfiguration } from '@aws-sdk/client-elasticache';
import { evenSlots, formatSlotRanges } from '../../../common/slot-ranges.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import { checkZone } from '../../../domain/elasticache/network.js';
import { nodeGroupIdOf } from '../../../domain/elasticache/records.js';
import { checkCoverage, parseSlots } from '../../../domain/elasticache/slots.js';
import { checkReplicaCount } from './group-rules.js';
import { MAX_NODE_GROUPS, MAX_REPLICAS } from './limits.js';

export interface ShardPlan {
  /** Cluster mode enabled only: with it disabled the one shard is 0001. */
  nodeGroupId?: string;
  slots?: string;
  /** One zone per member, the primary's first. */
  zones: string[];
}

export interface PlanContext {
  clusterMode: boolean;
  /** The subnet group's zones, and its name for error messages. */
  zones: string[];
  subnetGroupName: string;
  /** Built around an existing cluster (PrimaryClusterId): the primary is that cluster, in its zone. */
  existingPrimary?: { zone: string | undefined };
}

export function planShards(
  input: CreateReplicationGroupMessage,
  { clusterMode, zones, subnetGroupName, existingPrimary }: PlanContext,
): ShardPlan[] {
  const spread = (offset: number, count: number) =>
    Array.from({ length: count }, (_, i) => zones[(offset + i) % zones.length]);
  const shardZones = (config: NodeGroupConfiguration, replicas: number, offset: number): string[] => {
    const primary = config.PrimaryAvailabilityZone
      ? checkZone(zones, config.PrimaryAvailabilityZone, subnetGroupName)
      : zones[offset % zones.length];
    const replicaZones = config.ReplicaAvailabilityZones ?? [];
    if (replicaZones.length > 0 && replicaZones.length !== replicas) {
      throw invalidValue(
        `The number of ReplicaAvailabilityZones (${replicaZones.length}) must equal the replica count (${replicas}).`,
      );
    }
    return [
      primary,
      ...(replicaZones.length
        ? replicaZones.map((z) => checkZone(zones, z, subnetGroupName))
        : spread(offset + 1, replicas)),
    ];
  };

  if (
    input.NumCacheClusters !== undefined &&
    (input.NumNodeGroups !== undefined || input.ReplicasPerNodeGroup !== undefined)
  ) {
    throw invalidCombination('NumCacheClusters cannot be used together with NumNodeGroups or ReplicasPerNodeGroup.');
  }
  if (input.NumCacheClusters !== undefined && clusterMode) {
    throw invalidCombination(
      'NumCacheClusters is for cluster mode disabled; use NumNodeGroups and ReplicasPerNodeGroup.',
    );
  }
  const configs: NodeGroupConfiguration[] = input.NodeGroupConfiguration ?? [];
  if (configs.length > 0 && input.NumNodeGroups !== undefined && input.NumNodeGroups !== configs.length) {
    throw invalidValue(
      `NumNodeGroups (${input.NumNodeGroups}) must equal the number of NodeGroupConfiguration entries (${configs.length}).`,
    );
  }
  const shardCount = configs.length || (input.NumNodeGroups ?? 1);
  if (shardCount < 1) throw invalidValue('The parameter NumNodeGroups must be at least 1.');
  if (shardCount > MAX_NODE_GROUPS) {
    throw fault(
      'NodeGroupsPerReplicationGroupQuotaExceededFault',
      `A replication group can have at most ${MAX_NODE_GROUPS} node groups.`,
    );
  }
  if (!clusterMode && shardCount > 1) {
    throw invalidCombination(
      'A replication group with cluster mode disabled has exactly one node group; use a parameter group with cluster-enabled yes for more.',
    );
  }
  if (input.ReplicasPerNodeGroup !== undefined) checkReplicaCount(input.ReplicasPerNodeGroup);

  if (clusterMode) {
    const explicitSlots = configs.filter((c) => c.Slots !== undefined).length;
    if (explicitSlots > 0 && explicitSlots !== shardCount)
      throw invalidValue('Either every NodeGroupConfiguration gives Slots or none does.');
    if (explicitSlots > 0) checkCoverage(configs.map((c) => c.Slots!));
    const even = evenSlots(shardCount);
    const ids = new Set<string>();
    const shards: ShardPlan[] = [];
    for (let i = 0; i < shardCount; i++) {
      const config = configs[i] ?? {};
      const nodeGroupId = config.NodeGroupId ?? nodeGroupIdOf(i + 1);
      if (!/^\d{1,4}$/.test(nodeGroupId))
        throw invalidValue(`Invalid NodeGroupId: ${nodeGroupId}. It must be 1 to 4 digits.`);
      if (ids.has(nodeGroupId)) throw invalidValue(`NodeGroupId ${nodeGroupId} is given more than once.`);
      ids.add(nodeGroupId);
      const replicas = config.ReplicaCount ?? input.ReplicasPerNodeGroup ?? 0;
      checkReplicaCount(replicas);
      shards.push({
        nodeGroupId,
        slots: formatSlotRanges(config.Slots !== undefined ? parseSlots(config.Slots) : even[i]),
        zones: shardZones(config, replicas, i),
      });
    }
    return shards;
  }

  const config = configs[0];
  if (config?.Slots !== undefined) throw invalidCombination('Slots can only be given with cluster mode enabled.');
  const preferred = input.PreferredCacheClusterAZs;
  let members =
    input.NumCacheClusters ??
    (input.ReplicasPerNodeGroup ?? config?.ReplicaCount ?? (preferred?.length ? preferred.length - 1 : 0)) + 1;
  if (existingPrimary) members = Math.max(members, 1);
  if (members < 1 || members > MAX_REPLICAS + 1) {
    throw invalidValue(`The number of replicas per node group must be within 0 and ${MAX_REPLICAS}.`);
  }
  if (preferred?.length && preferred.length !== members) {
    throw invalidValue(
      `The number of PreferredCacheClusterAZs (${preferred.length}) must equal NumCacheClusters (${members}).`,
    );
  }
  const memberZones = preferred?.length
    ? preferred.map((z) => checkZone(zones, z, subnetGroupName))
    : config
      ? shardZones(config, members - 1, 0)
      : spread(0, members);
  if (existingPrimary) memberZones[0] = existingPrimary.zone!;
  return [{ zones: memberZones }];
}
