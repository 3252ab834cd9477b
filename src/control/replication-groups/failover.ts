/**
 * Promotions: a requested failover (TestFailover, ModifyReplicationGroup PrimaryClusterId), the takeover by the
 * best replica of a primary found dead, the planned hand-over of a rolling node change, and the role switch every
 * one of them ends with, which the group's state and endpoints follow.
 */
import { clusterFailover, readClusterNodes } from '../../dataplane/redis-cluster.js';
import { bestCandidate, failover as promote, replicaOf, replicationState } from '../../dataplane/replication.js';
import type { Scope } from '../../store/store.js';
import {
  MEMBER_NODE,
  isClusterMode,
  membersOf,
  replicasOf,
  type GroupState,
  type StoredNodeGroup,
} from '../../domain/elasticache/records.js';
import type { LiveNode } from '../cluster-nodes.js';
import { gone, live, liveMembers, primaryIdOf, shardById, type GroupContext } from './group-context.js';
import { publishRoles, serveGroupEndpoints } from './group-endpoints.js';
import { rejoin } from './members.js';
import { announceServerlessRoles } from '../serverless/announce.js';
import { applyUpstream, makeGroupPrimary, repointFollowers } from './upstream.js';

/** Promotes a replica of the requested shard (TestFailover, PrimaryClusterId); the old primary rejoins as a replica. */
export async function failover(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { state, internal } = ctx.load(scope, id);
  const request = internal.failover;
  if (!request) return;
  const nodeGroup = shardById(state, request.nodeGroupId);
  const oldPrimaryId = primaryIdOf(nodeGroup);
  let newPrimaryId = request.to;
  if (ctx.real) {
    const replicas = replicasOf(nodeGroup).map((m) => m.CacheClusterId);
    const found = await Promise.all(
      replicas.map(async (m) => ({ id: m, node: await ctx.nodes.liveNode(scope, m, MEMBER_NODE) })),
    );
    const reachable = found.flatMap(({ id: memberId, node }) => (node ? [{ id: memberId, node }] : []));
    if (!newPrimaryId) {
      const best = await bestCandidate(reachable.map((r) => ({ ...r.node.admin, memberId: r.id })));
      newPrimaryId = best?.memberId ?? replicas[0];
    }
    const candidate = await live(ctx, scope, newPrimaryId);
    const oldPrimary = await ctx.nodes.liveNode(scope, oldPrimaryId, MEMBER_NODE);
    if (isClusterMode(state)) {
      const others = await liveMembers(ctx, scope, id, (m) => m !== newPrimaryId);
      await clusterFailover(candidate, oldPrimary ? 'graceful' : 'force', others);
    } else {
      const others = reachable.filter((r) => r.id !== newPrimaryId).map((r) => r.node.admin);
      await promote({
        candidate: candidate.admin,
        candidatePeer: candidate.peer,
        oldPrimary: oldPrimary?.admin,
        others,
      });
    }
  } else {
    newPrimaryId ??= replicasOf(nodeGroup)[0]?.CacheClusterId;
  }
  if (!newPrimaryId) return;
  await switchRoles(ctx, scope, id, request.nodeGroupId, oldPrimaryId, newPrimaryId);
  recordFailover(ctx, scope, id, oldPrimaryId, newPrimaryId);
  if (request.reason === 'test') {
    // A test failover replaces the old primary, as a failure would; it comes back as a replica of the new one.
    ctx.memberEvent(scope, oldPrimaryId, `Recovering cache nodes ${MEMBER_NODE}`);
    if (ctx.real) await rejoin(ctx, scope, id, oldPrimaryId, 'restart');
    ctx.memberEvent(scope, oldPrimaryId, `Finished recovery for cache nodes ${MEMBER_NODE}`);
  }
  ctx.update(scope, id, (g) => {
    delete g.internal.failover;
    delete g.state.PendingModifiedValues.PrimaryClusterId;
  });
}

/**
 * The shard's primary died and automatic failover is on: its best live replica (not one of `dead`) takes over,
 * as AWS's automatic failover does. Nothing happens when no replica is left to take over. `state` is the group
 * as the caller read it, `nodeGroup` one of its shards.
 */
export async function promoteBestReplica(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  state: GroupState,
  nodeGroup: StoredNodeGroup,
  dead: string[],
): Promise<void> {
  const deadPrimaryId = primaryIdOf(nodeGroup);
  const alive: (LiveNode & { memberId: string })[] = [];
  for (const r of replicasOf(nodeGroup)) {
    const node = !dead.includes(r.CacheClusterId) && (await ctx.nodes.liveNode(scope, r.CacheClusterId, MEMBER_NODE));
    if (node) alive.push({ ...node, memberId: r.CacheClusterId });
  }
  const best = await bestCandidate(alive.map((a) => ({ ...a.admin, memberId: a.memberId })));
  const chosen = alive.find((a) => a.memberId === best?.memberId);
  if (!chosen) return;
  if (isClusterMode(state)) {
    const view = await readClusterNodes(chosen).catch(() => []);
    const promoted = view.find((n) => n.myself)?.role === 'primary';
    if (!promoted)
      await clusterFailover(
        chosen,
        'takeover',
        alive.filter((a) => a !== chosen),
      );
  } else {
    await promote({
      candidate: chosen.admin,
      candidatePeer: chosen.peer,
      others: alive.filter((a) => a !== chosen).map((a) => a.admin),
    });
  }
  await switchRoles(ctx, scope, id, nodeGroup.NodeGroupId, deadPrimaryId, chosen.memberId);
  recordFailover(ctx, scope, id, deadPrimaryId, chosen.memberId);
}

/** A rolling change's planned hand-over: the up-to-date replica `next` becomes the shard's primary, no write lost. */
export async function handOver(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  state: GroupState,
  nodeGroup: StoredNodeGroup,
  next: string,
): Promise<void> {
  const oldPrimaryId = primaryIdOf(nodeGroup);
  const candidate = await live(ctx, scope, next);
  const oldPrimary = await live(ctx, scope, oldPrimaryId);
  if (isClusterMode(state)) {
    await clusterFailover(candidate, 'graceful', await liveMembers(ctx, scope, id, (m) => m !== next));
  } else {
    const replicas = replicasOf(nodeGroup).filter((m) => m.CacheClusterId !== next);
    const others = await Promise.all(replicas.map((m) => live(ctx, scope, m.CacheClusterId)));
    const request = { candidate: candidate.admin, candidatePeer: candidate.peer, oldPrimary: oldPrimary.admin };
    await promote({ ...request, others: others.map((o) => o.admin) });
  }
  await switchRoles(ctx, scope, id, nodeGroup.NodeGroupId, oldPrimaryId, next);
}

/** The stored roles follow a promotion, and so do the endpoints: their clients reconnect and reach the new primary. */
export async function switchRoles(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  nodeGroupId: string,
  oldPrimaryId: string,
  newPrimaryId: string,
): Promise<void> {
  const group =
    ctx.update(scope, id, (g) => {
      const ng = shardById(g.state, nodeGroupId);
      for (const m of membersOf(ng)) {
        if (m.CacheClusterId === newPrimaryId) m.CurrentRole = 'primary';
        else if (m.CacheClusterId === oldPrimaryId) m.CurrentRole = 'replica';
      }
      // The new primary first, as AWS lists the shard's members.
      const primaries = membersOf(ng).filter((m) => m.CurrentRole === 'primary');
      ng.NodeGroupMembers = [...primaries, ...membersOf(ng).filter((m) => m.CurrentRole !== 'primary')];
    }) ?? gone(id);
  ctx.log.debug(
    { replicationGroup: id, shard: nodeGroupId, from: oldPrimaryId, to: newPrimaryId },
    'shard primary switched',
  );
  publishRoles(ctx, scope, group);
  // A serverless cache's nodes announce its endpoint or its reader endpoint by their roles: they swap them.
  await announceServerlessRoles(ctx, scope, id);
  // Where nodes hold the group endpoints themselves, the old holders let go of them, cutting their clients there,
  // and the new ones take them; otherwise the emulator's listener drops them.
  if (!(await serveGroupEndpoints(ctx, scope, id))) {
    const endpoint = group.state.NodeGroups[0]?.PrimaryEndpoint;
    if (endpoint?.Address) ctx.endpoints.dropConnections(endpoint.Address, endpoint.Port!);
  }
  const reader = group.state.NodeGroups[0]?.ReaderEndpoint;
  if (reader?.Address) ctx.endpoints.dropConnections(reader.Address, reader.Port!);
  // A promotion leaves the new primary standing alone: one with an upstream follows it again, and the groups that
  // follow this one follow the new primary.
  await applyUpstream(ctx, scope, id);
  await repointFollowers(ctx, scope, id);
}

/** Shown on the old primary's cache cluster and on the group, as AWS words it. */
export function recordFailover(ctx: GroupContext, scope: Scope, id: string, from: string, to: string): void {
  const message = `Failover from primary node ${from} to replica node ${to} completed`;
  ctx.memberEvent(scope, from, message);
  ctx.groupEvent(scope, id, message);
}

/**
 * Roles changed on the nodes behind the service's back (no client may, but a node restarted by hand or a change on
 * the admin path can): the group follows the one node that really is its primary, and every other member
 * replicates it; with no such node, the stored primary is made primary again. Cluster mode disabled only: in
 * cluster mode the nodes' own view is the topology, and clients cannot change it.
 */
export async function followRealPrimary(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { state, internal } = ctx.load(scope, id);
  if (isClusterMode(state) || !ctx.real) return;
  const nodeGroup = state.NodeGroups[0];
  if (!nodeGroup) return;
  const storedPrimaryId = primaryIdOf(nodeGroup);
  if (internal.upstream) {
    // Every member replicates, the primary from the upstream: the stored primary stays the one that follows it.
    const primary = await live(ctx, scope, storedPrimaryId);
    await makeGroupPrimary(ctx, scope, id, primary);
    for (const m of replicasOf(nodeGroup)) {
      const node = await ctx.nodes.liveNode(scope, m.CacheClusterId, MEMBER_NODE);
      if (node) await replicaOf(node.admin, primary.peer);
    }
    return;
  }
  const found = await Promise.all(
    membersOf(nodeGroup).map(async (m) => {
      const node = await ctx.nodes.liveNode(scope, m.CacheClusterId, MEMBER_NODE);
      const replication = node && (await replicationState(node.admin).catch(() => undefined));
      return node && replication ? [{ id: m.CacheClusterId, node, ...replication }] : [];
    }),
  );
  const members = found.flat();
  // A hand-over the nodes are making themselves ends within seconds: the next check sees where it ended.
  if (members.some((m) => m.failingOver)) return;
  const primaries = members.filter((m) => m.role === 'primary');
  const realPrimary =
    primaries.some((m) => m.id === storedPrimaryId) || primaries.length !== 1 ? storedPrimaryId : primaries[0].id;
  const primary = members.find((m) => m.id === realPrimary);
  if (!primary) return;
  if (primary.role !== 'primary') await replicaOf(primary.node.admin, undefined);
  for (const member of members) {
    if (member !== primary) await replicaOf(member.node.admin, primary.node.peer);
  }
  if (realPrimary === storedPrimaryId) return;
  ctx.log.warn(
    { replicationGroup: id, from: storedPrimaryId, to: realPrimary },
    "the group's primary changed on its nodes; the group follows it",
  );
  await switchRoles(ctx, scope, id, nodeGroup.NodeGroupId, storedPrimaryId, realPrimary);
  recordFailover(ctx, scope, id, storedPrimaryId, realPrimary);
}
