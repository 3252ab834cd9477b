/**
 * Which member a replication group's primary and reader endpoints lead to alone (cluster mode disabled): where the
 * runtime lets nodes listen on their endpoints, that member's node may hold the group endpoint itself, with no
 * forwarder of the emulator in front (ClusterNodes.canHold says whether its port allows it).
 */
import { isClusterMode, primaryOf, replicasOf, type GroupState } from '../../domain/elasticache/records.js';

/** The group endpoints a node can hold; the configuration endpoint (cluster mode) stays the emulator's. */
export type HeldRole = 'primary' | 'reader';
export const HELD_ROLES: readonly HeldRole[] = ['primary', 'reader'];

/**
 * The member a group endpoint leads to alone: the primary for the primary endpoint; for the reader endpoint the
 * only replica, or the primary when there is none (as AWS's reader endpoint does). With two or more replicas the
 * reader endpoint leads to none: the emulator's listener stays in front and spreads connections over them.
 */
export function soleMemberOf(group: GroupState, role: HeldRole): string | undefined {
  const shard = group.NodeGroups[0];
  if (isClusterMode(group) || !shard) return undefined;
  const primary = primaryOf(shard)?.CacheClusterId;
  if (role === 'primary') return primary;
  const replicas = replicasOf(shard);
  if (replicas.length === 0) return primary;
  return replicas.length === 1 ? replicas[0].CacheClusterId : undefined;
}

/** The group endpoints that lead to this member alone. */
export function rolesLeadingTo(group: GroupState, memberId: string): HeldRole[] {
  return HELD_ROLES.filter((role) => soleMemberOf(group, role) === memberId);
}
