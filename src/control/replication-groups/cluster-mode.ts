/**
 * Cluster mode enabled: the group's nodes form one Redis Cluster. A new group's cluster is created; later, new
 * members join (new shards empty, new replicas behind their primary), slots move to where targetSlots says,
 * leaving nodes are forgotten and removed, and the stored roles follow failovers the cluster made on its own.
 */
import {
  addMembers,
  attachReplica,
  createCluster,
  forgetMembers,
  memberIds,
  moveSlots,
  readClusterNodes,
  waitClusterStable,
  waitSlotMapComplete,
} from '../../dataplane/redis-cluster.js';
import { formatSlotRanges, slotMoves, slotsToRanges } from '../../common/slot-ranges.js';
import type { Scope } from '../../store/store.js';
import { MEMBER_NODE, isClusterMode, membersOf, primaryOf, replicasOf } from '../../domain/elasticache/records.js';
import { parseSlots, slotsOf } from '../../domain/elasticache/slots.js';
import type { LiveNode } from '../cluster-nodes.js';
import { live, liveMembers, primaryIdOf, type GroupContext } from './group-context.js';
import { switchRoles } from './failover.js';
import { dropMember } from './members.js';

/** Creates the cluster of a new group, or brings a running one to the stored topology. */
export async function convergeCluster(ctx: GroupContext, scope: Scope, id: string, creating: boolean): Promise<void> {
  const group = ctx.load(scope, id);
  const { state, internal } = group;
  if (!ctx.real) {
    ctx.update(scope, id, (g) => {
      const target = g.internal.targetSlots ?? {};
      for (const ng of g.state.NodeGroups) if (target[ng.NodeGroupId] !== undefined) ng.Slots = target[ng.NodeGroupId];
    });
    await dropLeavingShards(ctx, scope, id, []);
    for (const memberId of ctx.load(scope, id).internal.removingMembers ?? [])
      await dropMember(ctx, scope, id, memberId);
    return;
  }
  const leavingShards = new Set(internal.removingShards ?? []);
  const removing = new Set(internal.removingMembers ?? []);
  const shards = state.NodeGroups;
  if (creating) {
    const specs = await Promise.all(
      shards.map(async (ng) => ({
        primary: await live(ctx, scope, primaryIdOf(ng)),
        replicas: await Promise.all(replicasOf(ng).map((m) => live(ctx, scope, m.CacheClusterId))),
        slots: parseSlots(ng.Slots!),
      })),
    );
    await createCluster(specs);
    // A group restored from a snapshot with its slots redistributed: the keys move with their slots.
    if (internal.targetSlots) await moveSlotsToTargets(ctx, scope, id);
    return;
  }
  await syncClusterRoles(ctx, scope, id);
  // Joiners: members whose cluster record is still creating.
  const anyShard = shards.find((ng) => !leavingShards.has(ng.NodeGroupId) && ng.Status !== 'creating') ?? shards[0];
  const anyLive = await live(ctx, scope, primaryIdOf(anyShard));
  for (const ng of shards) {
    const primaryId = primaryIdOf(ng);
    const joining = membersOf(ng).filter(
      (m) => ctx.member(scope, m.CacheClusterId)?.state.CacheClusterStatus === 'creating',
    );
    if (joining.length === 0) continue;
    const primary = await live(ctx, scope, primaryId);
    const joiners = await Promise.all(joining.map((m) => live(ctx, scope, m.CacheClusterId)));
    await addMembers(anyLive, joiners);
    for (const [i, member] of joining.entries()) {
      if (member.CacheClusterId !== primaryId) await attachReplica(joiners[i], primary);
    }
  }
  // Replicas leaving their shard are forgotten, then removed.
  if (removing.size > 0) {
    const leaving = [...removing];
    const leavingIds = await clusterIdsOf(ctx, scope, leaving);
    const remaining = await liveMembers(ctx, scope, id, (m) => !removing.has(m));
    if (leavingIds.length > 0) await forgetMembers(remaining, leavingIds);
    for (const memberId of leaving) await dropMember(ctx, scope, id, memberId);
  }
  if (internal.targetSlots) await moveSlotsToTargets(ctx, scope, id);
  if (leavingShards.size > 0) await dropLeavingShards(ctx, scope, id, [...leavingShards]);
  await waitClusterStable(await liveMembers(ctx, scope, id));
}

/**
 * Cluster mode: holds `available` until the slot map a cluster client loads (CLUSTER SLOTS, from whichever node
 * the configuration endpoint reaches) lists every replica, which Redis on its own does only seconds later.
 */
export async function completeSlotMap(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  if (!ctx.real || !isClusterMode(ctx.load(scope, id).state)) return;
  await waitSlotMapComplete(await liveMembers(ctx, scope, id));
}

/** The Redis Cluster node ids of those members whose node still runs. */
async function clusterIdsOf(ctx: GroupContext, scope: Scope, members: string[]): Promise<string[]> {
  const nodes = await Promise.all(members.map((m) => ctx.nodes.liveNode(scope, m, MEMBER_NODE)));
  return memberIds(nodes.filter((n): n is LiveNode => n !== undefined));
}

/**
 * Takes the roles from the cluster itself: Redis Cluster may have failed a shard over on its own. The state then
 * follows what the nodes say, as AWS's does after an automatic failover.
 */
async function syncClusterRoles(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { state } = ctx.load(scope, id);
  const members = state.MemberClusters.filter((m) => ctx.member(scope, m)?.state.CacheClusterStatus === 'available');
  const found = await Promise.all(
    members.map(async (m) => ({ m, node: await ctx.nodes.liveNode(scope, m, MEMBER_NODE) })),
  );
  const running = found.flatMap(({ m, node }) => (node ? [{ m, node }] : []));
  if (running.length === 0) return;
  const ids = await memberIds(running.map((x) => x.node));
  const view = await readClusterNodes(running[0].node);
  const memberOf = new Map(ids.map((nodeId, i) => [nodeId, running[i].m]));
  for (const ng of state.NodeGroups) {
    const oldPrimary = primaryOf(ng)?.CacheClusterId;
    const inShard = (nodeId: string) => membersOf(ng).some((m) => m.CacheClusterId === memberOf.get(nodeId));
    // A node that has just joined calls itself a primary, without slots, until it is told whom to follow: the
    // shard's primary is the one serving its slots (or its only primary, for a shard that has none yet).
    const primaries = view.filter((n) => n.role === 'primary' && !n.failed && inShard(n.id));
    const serving = primaries.filter((n) => n.slots.length > 0);
    const candidates = serving.length > 0 ? serving : primaries;
    if (candidates.some((n) => memberOf.get(n.id) === oldPrimary)) continue;
    const actual = candidates.length === 1 ? candidates[0] : undefined;
    const actualPrimary = actual && memberOf.get(actual.id);
    if (oldPrimary && actualPrimary && actualPrimary !== oldPrimary) {
      await switchRoles(ctx, scope, id, ng.NodeGroupId, oldPrimary, actualPrimary);
      ctx.groupEvent(scope, id, `Failover from primary node ${oldPrimary} to replica node ${actualPrimary} completed`);
    }
  }
}

/** Moves slots shard by shard until every shard owns its target slots, showing the progress in the group. */
async function moveSlotsToTargets(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { state, internal } = ctx.load(scope, id);
  const target = internal.targetSlots;
  if (!target) return;
  const moves = slotMoves(
    Object.fromEntries(state.NodeGroups.map((ng) => [ng.NodeGroupId, slotsOf(ng.Slots)])),
    Object.fromEntries(Object.entries(target).map(([to, value]) => [to, slotsOf(value)])),
  );
  await syncClusterRoles(ctx, scope, id);
  const total = moves.reduce((sum, move) => sum + move.slots.length, 0);
  let done = 0;
  const primaries = await Promise.all(
    ctx
      .load(scope, id)
      .state.NodeGroups.map(async (ng) => [ng.NodeGroupId, await live(ctx, scope, primaryIdOf(ng))] as const),
  );
  const primaryOfShard = new Map(primaries);
  const everyone = primaries.map(([, p]) => p);
  for (const { from, to, slots } of moves) {
    await moveSlots(primaryOfShard.get(from)!, primaryOfShard.get(to)!, slots, everyone, {
      onProgress: (percentage) => {
        const overall = Math.round(((done + (slots.length * percentage) / 100) / total) * 1000) / 10;
        const Resharding = { SlotMigration: { ProgressPercentage: overall } };
        ctx.update(
          scope,
          id,
          (g) => (g.state.PendingModifiedValues = { ...g.state.PendingModifiedValues, Resharding }),
        );
      },
    });
    done += slots.length;
    ctx.update(scope, id, (g) => {
      for (const ng of g.state.NodeGroups) {
        const owned = new Set(slotsOf(ng.Slots));
        if (ng.NodeGroupId === from) for (const s of slots) owned.delete(s);
        if (ng.NodeGroupId === to) for (const s of slots) owned.add(s);
        ng.Slots = formatSlotRanges(slotsToRanges(owned));
      }
    });
  }
  ctx.update(scope, id, (g) => {
    for (const ng of g.state.NodeGroups) if (target[ng.NodeGroupId] !== undefined) ng.Slots = target[ng.NodeGroupId];
    delete g.internal.targetSlots;
  });
}

/** Shards whose slots have moved away (`shardIds`, or else those stored as leaving): their nodes are forgotten and removed. */
async function dropLeavingShards(ctx: GroupContext, scope: Scope, id: string, shardIds: string[]): Promise<void> {
  const group = ctx.load(scope, id);
  const leaving = shardIds.length ? shardIds : (group.internal.removingShards ?? []);
  if (leaving.length === 0) return;
  const leavingMembers = group.state.NodeGroups.filter((ng) => leaving.includes(ng.NodeGroupId)).flatMap((ng) =>
    membersOf(ng).map((m) => m.CacheClusterId),
  );
  if (ctx.real) {
    const ids = await clusterIdsOf(ctx, scope, leavingMembers);
    const remaining = await liveMembers(ctx, scope, id, (m) => !leavingMembers.includes(m));
    if (ids.length > 0) await forgetMembers(remaining, ids);
  }
  for (const memberId of leavingMembers) await dropMember(ctx, scope, id, memberId);
  ctx.update(scope, id, (g) => {
    g.state.NodeGroups = g.state.NodeGroups.filter((ng) => !leaving.includes(ng.NodeGroupId));
    delete g.internal.removingShards;
  });
}
