/**
 * What the replication group handlers share: their dependencies, the replica-count rules, member numbering, and
 * the two member changes several operations make (adding new members, marking members for removal).
 */
import type { Scope, Store } from '../../../store/store.js';
import { newMemberFrom, memberInternal } from '../../../domain/elasticache/cluster-settings.js';
import { invalidValue } from '../../../domain/elasticache/faults.js';
import type { JobQueue } from '../../../domain/elasticache/jobs.js';
import type { SecurityGroupDirectory } from '../../../domain/elasticache/network.js';
import {
  failoverEnabledOrPending,
  getCluster,
  insertCluster,
  isClusterMode,
  memberName,
  nodeGroupOf,
  saveCluster,
  type ClusterState,
  type GroupState,
  type StoredGroup,
  type StoredMember,
} from '../../../domain/elasticache/records.js';
import { MAX_REPLICAS } from './limits.js';

export interface GroupHandlerDeps {
  store: Store;
  jobs: JobQueue;
  securityGroups: SecurityGroupDirectory;
}

export function checkReplicaCount(count: number): void {
  if (!Number.isInteger(count) || count < 0 || count > MAX_REPLICAS) {
    throw invalidValue(`The number of replicas per node group must be within 0 and ${MAX_REPLICAS}.`);
  }
}

export function requireApplyImmediately(value: boolean | undefined): void {
  if (value !== true)
    throw invalidValue('ApplyImmediately=false is not currently supported; set ApplyImmediately to true.');
}

/** Cluster mode disabled with automatic failover keeps at least one replica. */
export function minimumReplicas(state: GroupState): number {
  return !isClusterMode(state) && failoverEnabledOrPending(state) ? 1 : 0;
}

/** The next unused member number in a shard (new replicas take the next free number, as on AWS). */
export function nextMemberNumber(group: GroupState, nodeGroupId: string | undefined, taken: Set<string>): number {
  let n = 1;
  const id = group.ReplicationGroupId;
  const all = new Set([...group.MemberClusters, ...taken]);
  while (all.has(memberName(id, isClusterMode(group) ? nodeGroupId : undefined, n))) n++;
  return n;
}

/** Stores new member clusters shaped after `template`, one per member. */
export function insertMembers(
  store: Store,
  scope: Scope,
  group: StoredGroup,
  template: ClusterState,
  members: StoredMember[],
): void {
  for (const member of members) {
    const state = newMemberFrom(
      template,
      scope,
      member.CacheClusterId,
      group.state.ReplicationGroupId,
      member.PreferredAvailabilityZone!,
    );
    insertCluster(store, scope, state, memberInternal(group));
  }
}

/** Marks members for removal: their status turns `deleting`, the worker stops their nodes and drops them. */
export function removeMembers(store: Store, scope: Scope, group: StoredGroup, ids: string[]): void {
  group.internal.removingMembers = [...new Set([...(group.internal.removingMembers ?? []), ...ids])];
  for (const id of ids) {
    const member = getCluster(store, scope, id);
    member.state.CacheClusterStatus = 'deleting';
    saveCluster(store, scope, member);
    const nodeGroup = nodeGroupOf(group.state, id);
    if (nodeGroup) nodeGroup.Status = 'modifying';
  }
  group.state.Status = 'modifying';
}
