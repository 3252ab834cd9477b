/**
 * The converge job: brings a group's nodes in line with what the API accepted. Members' nodes start, then the
 * topology converges (a Redis Cluster in cluster mode, replicas following their primary otherwise), node changes
 * roll through, a requested failover, an AUTH token change and a change of user group are carried out, the
 * endpoints follow the roles, and the group and its members turn available. Each step re-reads the group first.
 */
import { replicaOf, waitForSync } from '../../dataplane/replication.js';
import type { Scope } from '../../store/store.js';
import { MEMBER_NODE, isClusterMode, membersOf, replicasOf } from '../../domain/elasticache/records.js';
import { recordBackingCreated } from '../../domain/elasticache/serverless-events.js';
import { explainer, gone, live, primaryIdOf, type GroupContext } from './group-context.js';
import { completeSlotMap, convergeCluster } from './cluster-mode.js';
import { failover } from './failover.js';
import { openEndpoints, serveGroupEndpoints } from './group-endpoints.js';
import { dropMember } from './members.js';
import { applyAuthToken, hasPendingNodeChanges, rollNodeChanges } from './node-changes.js';
import { applyUserGroupChange } from '../user-acls.js';
import { applyUpstream, makeGroupPrimary, repointFollowers } from './upstream.js';

/** `maintenance`: the change waited for the maintenance window, and the group shows `modifying` from now. */
export async function converge(ctx: GroupContext, scope: Scope, id: string, maintenance = false): Promise<void> {
  let group = ctx.find(scope, id);
  if (!group || group.state.Status === 'deleting') return;
  if (maintenance || group.state.Status === 'available') {
    group = ctx.update(scope, id, (g) => (g.state.Status = 'modifying')) ?? gone(id);
  }
  const creating = group.state.Status === 'creating';
  // A serverless cache's nodes announce its endpoints (serverless/announce.ts), where its replica reaches its
  // primary: they are open before the nodes start.
  if (group.internal.serverlessCache !== undefined) await openEndpoints(ctx, scope, id);

  // Members whose nodes do not run yet start side by side.
  const starting = group.state.MemberClusters.filter(
    (m) => ctx.member(scope, m)?.state.CacheNodes[0]?.CacheNodeStatus === 'creating',
  );
  await Promise.all(starting.map((m) => ctx.nodes.startNode(scope, m, MEMBER_NODE)));

  group = ctx.load(scope, id);
  if (isClusterMode(group.state)) await convergeCluster(ctx, scope, id, creating);
  else await convergeReplication(ctx, scope, id);

  group = ctx.load(scope, id);
  if (hasPendingNodeChanges(group.internal)) await rollNodeChanges(ctx, scope, id);
  if (ctx.load(scope, id).internal.failover) await failover(ctx, scope, id);
  if (ctx.load(scope, id).internal.pendingAuthToken) await applyAuthToken(ctx, scope, id);
  await applyUserGroupChange(ctx, scope, id);
  await openEndpoints(ctx, scope, id);
  await completeSlotMap(ctx, scope, id);
  // Cluster mode: a global secondary's shard relays start or read its new shards and slots, and the relays of the
  // groups following this one read its new shards (a relay per shard: a shard added by resharding gets one).
  if (isClusterMode(ctx.load(scope, id).state)) {
    await applyUpstream(ctx, scope, id);
    await repointFollowers(ctx, scope, id);
  }
  finish(ctx, scope, id, creating);
}

/** Cluster mode disabled: removed members go, every replica follows the primary and has synced. */
async function convergeReplication(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const removing = ctx.load(scope, id).internal.removingMembers ?? [];
  for (const memberId of removing) await dropMember(ctx, scope, id, memberId);
  // A reader endpoint the removed replica held, or that now leads to one node, is served again at once.
  if (removing.length > 0) await serveGroupEndpoints(ctx, scope, id);
  if (!ctx.real) return;
  const nodeGroup = ctx.load(scope, id).state.NodeGroups[0];
  const primary = await live(ctx, scope, primaryIdOf(nodeGroup));
  await makeGroupPrimary(ctx, scope, id, primary);
  const replicas = await Promise.all(replicasOf(nodeGroup).map((m) => live(ctx, scope, m.CacheClusterId)));
  await Promise.all(replicas.map((r) => replicaOf(r.admin, primary.peer)));
  await Promise.all(replicas.map((r) => waitForSync(r.admin, undefined, explainer(ctx))));
}

/** The group, its shards and its members turn available, showing their endpoints; the pending resharding clears. */
function finish(ctx: GroupContext, scope: Scope, id: string, created: boolean): void {
  ctx.store.transaction(() => {
    const group = ctx.load(scope, id);
    const endpointOf = (memberId: string) => ctx.member(scope, memberId)?.state.CacheNodes[0]?.Endpoint;
    for (const memberId of group.state.MemberClusters) {
      ctx.updateMember(scope, memberId, ({ state }) => {
        if (state.CacheClusterStatus === 'deleting') return;
        if (state.CacheClusterStatus !== 'available') ctx.memberEvent(scope, memberId, 'Cache cluster created');
        state.CacheClusterStatus = 'available';
        state.CacheClusterCreateTime ??= new Date();
      });
    }
    ctx.update(scope, id, (g) => {
      g.state.Status = 'available';
      g.state.ReplicationGroupCreateTime ??= new Date();
      if (g.state.AutomaticFailover === 'enabling') g.state.AutomaticFailover = 'enabled';
      if (g.state.AutomaticFailover === 'disabling') g.state.AutomaticFailover = 'disabled';
      for (const ng of g.state.NodeGroups) {
        ng.Status = 'available';
        for (const m of membersOf(ng)) m.ReadEndpoint = endpointOf(m.CacheClusterId) ?? m.ReadEndpoint;
      }
      delete g.state.PendingModifiedValues.Resharding;
    });
    if (created) {
      ctx.groupEvent(scope, id, `Replication group ${id} created`);
      recordBackingCreated(ctx.store, scope, id);
    }
  });
  const message = created ? 'replication group available' : 'replication group modified';
  ctx.log.info({ replicationGroup: id, runtime: ctx.nodes.runtime.name }, message);
}
