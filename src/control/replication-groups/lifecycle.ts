/**
 * A group's life outside converge: dead members healed (a replica promoted first where automatic failover is on),
 * a member rebooted, the group deleted with its members, and, after an emulator restart, its endpoints reopened.
 */
import { setListenAddresses } from '../../dataplane/node-admin.js';
import { replicaOf } from '../../dataplane/replication.js';
import type { Scope } from '../../store/store.js';
import { arn } from '../../domain/elasticache/arns.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { MEMBER_NODE, nodeGroupOf, primaryOf, type GroupState } from '../../domain/elasticache/records.js';
import { completeSlotMap } from './cluster-mode.js';
import { groupAddress, type GroupContext } from './group-context.js';
import { followRealPrimary, promoteBestReplica } from './failover.js';
import { openEndpoints } from './group-endpoints.js';
import { deleteMemberRecord, rejoin, stopMemberNodes } from './members.js';

/**
 * Members whose node died: a dead primary hands over to its best replica first when automatic failover is on
 * (as AWS does); without it, the primary is replaced in place and the replicas resync from it. Then every dead
 * node is replaced and rejoins its shard. Last, roles changed on the nodes themselves are followed.
 */
export async function heal(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const group = ctx.find(scope, id);
  if (!group || !['available', 'modifying', 'migrating'].includes(group.state.Status) || !ctx.real) return;
  const dead: string[] = [];
  for (const memberId of group.state.MemberClusters) {
    const member = ctx.member(scope, memberId);
    if (member?.state.CacheClusterStatus !== 'available') continue;
    if (!(await ctx.nodes.liveNode(scope, memberId, MEMBER_NODE))) dead.push(memberId);
  }
  if (dead.length === 0) {
    // Not while a change is under way: its own steps move the roles.
    if (group.state.Status === 'available' || group.state.Status === 'migrating')
      await followRealPrimary(ctx, scope, id);
    return;
  }
  const failoverOn = group.state.AutomaticFailover === 'enabled';
  for (const memberId of dead) {
    const { state } = ctx.load(scope, id);
    const nodeGroup = nodeGroupOf(state, memberId);
    if (failoverOn && nodeGroup && primaryOf(nodeGroup)?.CacheClusterId === memberId) {
      await promoteBestReplica(ctx, scope, id, state, nodeGroup, dead);
    }
    ctx.memberEvent(scope, memberId, `Recovering cache nodes ${MEMBER_NODE}`);
    await rejoin(ctx, scope, id, memberId, 'restart');
    ctx.memberEvent(scope, memberId, `Finished recovery for cache nodes ${MEMBER_NODE}`);
  }
  await completeSlotMap(ctx, scope, id);
}

/** RebootCacheCluster of a member: the node restarts empty and resyncs from its primary (or is the primary). */
export async function rebootMember(ctx: GroupContext, scope: Scope, id: string, memberId: string): Promise<void> {
  if (ctx.real) await rejoin(ctx, scope, id, memberId, 'restart');
  await completeSlotMap(ctx, scope, id);
  ctx.updateMember(scope, memberId, ({ state }) => {
    for (const node of state.CacheNodes) node.CacheNodeStatus = 'available';
    if (state.CacheClusterStatus === 'rebooting cluster nodes') state.CacheClusterStatus = 'available';
    ctx.memberEvent(scope, memberId, `Cache node ${MEMBER_NODE} restarted`);
  });
}

/** Deletes the group: its endpoints, its members' nodes and records (but the primary's, when it is retained). */
export async function remove(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { store } = ctx;
  const group = ctx.find(scope, id);
  if (!group) return;
  const { state, internal } = group;
  const retained = internal.retainPrimaryCluster ? primaryOf(state.NodeGroups[0])?.CacheClusterId : undefined;
  for (const endpoint of [
    state.ConfigurationEndpoint,
    state.NodeGroups[0]?.PrimaryEndpoint,
    state.NodeGroups[0]?.ReaderEndpoint,
  ]) {
    if (endpoint?.Address) await ctx.endpoints.closeEndpoint(endpoint.Address, endpoint.Port!);
  }
  ctx.endpoints.forgetGroup(groupAddress(scope, id));
  await Promise.all(
    state.MemberClusters.filter((m) => m !== retained).map((memberId) => stopMemberNodes(ctx, scope, memberId)),
  );
  if (retained && ctx.real) {
    const node = await ctx.nodes.liveNode(scope, retained, MEMBER_NODE);
    if (node) await replicaOf(node.admin, undefined);
    // A node that held the group's primary endpoint lets go of it: the address is freed with the group.
    const own = store.endpoints.find(scope, KIND.cacheCluster, retained, MEMBER_NODE);
    if (node?.servesEndpoint && own) await setListenAddresses(node.admin, [own.address], own.port);
  }
  await ctx.nodes.runtime.releaseUnused?.();
  store.transaction(() => {
    for (const memberId of state.MemberClusters) {
      if (memberId === retained) {
        ctx.updateMember(scope, memberId, ({ state: m }) => {
          delete m.ReplicationGroupId;
          m.ReplicationGroupLogDeliveryEnabled = false;
          m.CacheClusterStatus = 'available';
        });
        continue;
      }
      deleteMemberRecord(ctx, scope, memberId);
    }
    store.endpoints.release(scope, KIND.replicationGroup, id);
    store.resources.delete(scope, KIND.replicationGroup, id);
    store.tags.removeAll(arn(scope, 'replicationgroup', id));
    ctx.groupEvent(scope, id, `Replication group ${id} deleted`);
  });
  ctx.log.info({ replicationGroup: id }, 'replication group deleted');
}

/** After an emulator restart: the groups' endpoints listen again and follow the stored roles. */
export async function adoptGroups(ctx: GroupContext): Promise<void> {
  for (const { scope, state } of ctx.store.resources.listEverywhere<GroupState>(KIND.replicationGroup)) {
    if (state.Status === 'creating' || state.Status === 'deleting') continue;
    await openEndpoints(ctx, scope, state.ReplicationGroupId);
  }
}
