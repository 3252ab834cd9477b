/**
 * What every replication group step works with: the store, the member nodes, the endpoint listeners and the log,
 * and the group and its members read through the domain accessors. A step re-reads the group (`load`) before it
 * acts, each read and each `update` its own transaction, so a job run again after a crash sees what the last run
 * left and finishes the work instead of repeating it.
 */
import type { Logger } from '../../common/logger.js';
import type { EndpointManager, GroupAddress } from '../../dataplane/endpoints.js';
import type { LinkExplainer } from '../../dataplane/replication.js';
import type { Scope, Store } from '../../store/store.js';
import {
  MEMBER_NODE,
  findCluster,
  findGroup,
  nodeGroupOf,
  primaryOf,
  recordClusterEvent,
  recordGroupEvent,
  updateCluster,
  updateGroup,
  type GroupState,
  type StoredCluster,
  type StoredGroup,
  type StoredNodeGroup,
} from '../../domain/elasticache/records.js';
import type { ClusterNodes, LiveNode } from '../cluster-nodes.js';

export interface GroupContext {
  readonly store: Store;
  readonly nodes: ClusterNodes;
  readonly endpoints: EndpointManager;
  readonly log: Logger;
  /** Nodes really run (any runtime but none): without them, steps change the stored state only. */
  readonly real: boolean;
  /** The group as stored now; undefined once it is gone. */
  find(scope: Scope, id: string): StoredGroup | undefined;
  /** The group as stored now, for a step of a job on it: an error (the job retries) if it is gone. */
  load(scope: Scope, id: string): StoredGroup;
  update(scope: Scope, id: string, change: (group: StoredGroup) => void): StoredGroup | undefined;
  groupEvent(scope: Scope, id: string, message: string): void;
  member(scope: Scope, memberId: string): StoredCluster | undefined;
  updateMember(scope: Scope, memberId: string, change: (member: StoredCluster) => void): StoredCluster | undefined;
  memberEvent(scope: Scope, memberId: string, message: string): void;
}

export function groupContext(store: Store, nodes: ClusterNodes, endpoints: EndpointManager, log: Logger): GroupContext {
  return {
    store,
    nodes,
    endpoints,
    log,
    real: nodes.runtime.name !== 'none',
    find: (scope, id) => findGroup(store, scope, id),
    load: (scope, id) => findGroup(store, scope, id) ?? gone(id),
    update: (scope, id, change) => updateGroup(store, scope, id, change),
    groupEvent: (scope, id, message) => recordGroupEvent(store, scope, id, message),
    member: (scope, memberId) => findCluster(store, scope, memberId),
    updateMember: (scope, memberId, change) => updateCluster(store, scope, memberId, change),
    memberEvent: (scope, memberId, message) => recordClusterEvent(store, scope, memberId, message),
  };
}

/** What a step that needs the group finds when it has gone: an error, and the job retries. */
export function gone(id: string): never {
  throw new Error(`replication group ${id} is gone`);
}

/** The group as its endpoint listeners know it. */
export function groupAddress(scope: Scope, id: string): GroupAddress {
  return { ...scope, groupId: id };
}

/** Says, beside a replica's link that stays down, what of the emulator stands where it follows its primary. */
export function explainer(ctx: GroupContext): LinkExplainer {
  return (host, port) => ctx.endpoints.describeListener(host, port);
}

/** A member's node, as the emulator and the other nodes reach it; an error when it does not run (the job retries). */
export async function live(ctx: GroupContext, scope: Scope, memberId: string): Promise<LiveNode> {
  const node = await ctx.nodes.liveNode(scope, memberId, MEMBER_NODE);
  if (!node) throw new Error(`the node of ${memberId} is not running`);
  return node;
}

/** The nodes of the group's members (those `keep` accepts), each of which must run. */
export async function liveMembers(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  keep: (memberId: string) => boolean = () => true,
): Promise<LiveNode[]> {
  const ids = ctx.load(scope, id).state.MemberClusters.filter(keep);
  return Promise.all(ids.map((m) => live(ctx, scope, m)));
}

/** The shard's primary member; an error (the job retries) if the stored shard has none. */
export function primaryIdOf(nodeGroup: StoredNodeGroup): string {
  const primary = primaryOf(nodeGroup);
  if (!primary) throw new Error(`shard ${nodeGroup.NodeGroupId} has no primary`);
  return primary.CacheClusterId;
}

/** A shard by id; an error (the job retries) if the group has no such shard. */
export function shardById(state: GroupState, nodeGroupId: string): StoredNodeGroup {
  const nodeGroup = state.NodeGroups.find((ng) => ng.NodeGroupId === nodeGroupId);
  if (!nodeGroup) throw new Error(`replication group ${state.ReplicationGroupId} has no shard ${nodeGroupId}`);
  return nodeGroup;
}

/** The shard a member belongs to; an error (the job retries) if it is in none. */
export function shardOf(state: GroupState, memberId: string): StoredNodeGroup {
  const nodeGroup = nodeGroupOf(state, memberId);
  if (!nodeGroup) throw new Error(`${memberId} is in no shard of replication group ${state.ReplicationGroupId}`);
  return nodeGroup;
}
