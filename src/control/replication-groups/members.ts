/**
 * A member's node leaving the group for good (its cache cluster removed from the API), or coming back into it
 * after a restart or a replacement: as a replica of its shard's primary, or as the primary itself, under
 * REPLICAOF or in the Redis Cluster.
 */
import { pollUntil, withAdmin } from '../../dataplane/node-admin.js';
import {
  addMembers,
  attachReplica,
  forgetMembers,
  forgetStrangers,
  memberIds,
  readClusterNodes,
  waitClusterStable,
  type ClusterMember,
  type ClusterNode,
} from '../../dataplane/redis-cluster.js';
import { replicaOf, waitForSync } from '../../dataplane/replication.js';
import { Stopping } from '../../dataplane/stopping.js';
import type { Scope } from '../../store/store.js';
import { arn } from '../../domain/elasticache/arns.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { MEMBER_NODE, isClusterMode, membersOf, replicasOf } from '../../domain/elasticache/records.js';
import { parseSlots } from '../../domain/elasticache/slots.js';
import { explainer, live, liveMembers, primaryIdOf, shardOf, type GroupContext } from './group-context.js';
import { makeGroupPrimary } from './upstream.js';
import { serveGroupEndpoints } from './group-endpoints.js';

/** Stops a member's nodes, closes their endpoints and forgets where they ran. */
export async function stopMemberNodes(ctx: GroupContext, scope: Scope, memberId: string): Promise<void> {
  const member = ctx.member(scope, memberId);
  await Promise.all((member?.state.CacheNodes ?? []).map((n) => ctx.nodes.stopNode(scope, memberId, n.CacheNodeId)));
  ctx.nodes.forget(scope, memberId);
}

/** Removes a member's cache cluster from the API (call inside a transaction, with whatever else goes with it). */
export function deleteMemberRecord(ctx: GroupContext, scope: Scope, memberId: string): void {
  const { store } = ctx;
  store.endpoints.release(scope, KIND.cacheCluster, memberId);
  store.resources.delete(scope, KIND.cacheCluster, memberId);
  store.tags.removeAll(arn(scope, 'cluster', memberId));
  ctx.memberEvent(scope, memberId, 'Cache cluster deleted');
}

/** Stops a member's node and removes the member from the group and from the API. */
export async function dropMember(ctx: GroupContext, scope: Scope, id: string, memberId: string): Promise<void> {
  await stopMemberNodes(ctx, scope, memberId);
  ctx.store.transaction(() => {
    deleteMemberRecord(ctx, scope, memberId);
    ctx.update(scope, id, (g) => {
      g.state.MemberClusters = g.state.MemberClusters.filter((m) => m !== memberId);
      for (const ng of g.state.NodeGroups)
        ng.NodeGroupMembers = membersOf(ng).filter((m) => m.CacheClusterId !== memberId);
      g.internal.removingMembers = (g.internal.removingMembers ?? []).filter((m) => m !== memberId);
      if (g.state.SnapshottingClusterId === memberId)
        g.state.SnapshottingClusterId = g.state.MemberClusters[1] ?? g.state.MemberClusters[0];
    });
  });
}

/**
 * Restarts a member's node in place, or replaces it with a new one on the member's current spec (a node type or
 * version change), and brings it back into the group as a replica of its shard's primary (or as the primary
 * itself, when it is one). Its data comes back from the primary by replication.
 */
export async function rejoin(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  memberId: string,
  how: 'restart' | 'replace',
): Promise<void> {
  const { state } = ctx.load(scope, id);
  const nodeGroup = shardOf(state, memberId);
  const primaryId = primaryIdOf(nodeGroup);
  let oldClusterId: string | undefined;
  if (isClusterMode(state)) {
    const before = await ctx.nodes.liveNode(scope, memberId, MEMBER_NODE);
    if (before) [oldClusterId] = await memberIds([before]).catch(() => [undefined]);
  }
  if (how === 'replace') await ctx.nodes.startNode(scope, memberId, MEMBER_NODE);
  else await ctx.nodes.restartNode(scope, memberId, MEMBER_NODE);
  const node = await live(ctx, scope, memberId);
  if (!isClusterMode(state)) {
    if (memberId === primaryId) {
      await makeGroupPrimary(ctx, scope, id, node);
      const replicas = await Promise.all(replicasOf(nodeGroup).map((m) => live(ctx, scope, m.CacheClusterId)));
      await Promise.all(replicas.map((r) => replicaOf(r.admin, node.peer)));
    } else {
      const primary = await live(ctx, scope, primaryId);
      await replicaOf(node.admin, primary.peer);
      await waitForSync(node.admin, undefined, explainer(ctx));
    }
    return;
  }
  // Cluster mode: a node that came back with a fresh identity joins anew, and the old identity is forgotten.
  const others = await liveMembers(ctx, scope, id, (m) => m !== memberId);
  const [newClusterId] = await memberIds([node]);
  const known = (await readClusterNodes(others[0])).some((n) => n.id === newClusterId);
  if (!known) {
    // A replaced node is gone for good: it is forgotten before the new one is met, since the new one may have its
    // address (Docker hands a freed container address out again), and the others would keep looking for the old
    // identity there. A restarted one is forgotten only once they flag it failed: until then its replicas may
    // still follow it, and forgetting it would be refused.
    if (how === 'replace' && oldClusterId && oldClusterId !== newClusterId) await forgetMembers(others, [oldClusterId]);
    await addMembers(others[0], [node]);
    if (how === 'restart') {
      const sharesHost = ctx.load(scope, id).internal.serverlessCache !== undefined;
      const stale = await flaggedOldIdentities(ctx, node, others, newClusterId, sharesHost);
      if (stale.length > 0) await forgetMembers([...others, node], stale);
    }
  }
  if (memberId !== primaryId) {
    await attachReplica(node, await live(ctx, scope, primaryId), { explainLink: explainer(ctx) });
  } else {
    // A lone primary that lost its identity serves its shard's slots again (empty, as after a failure on AWS).
    const slots = parseSlots(nodeGroup.Slots!);
    await withAdmin(node.admin, async (redis) => {
      const view = await readClusterNodes(node);
      const me = view.find((n) => n.myself)!;
      if (me.slots.length === 0)
        await redis.call('CLUSTER', 'ADDSLOTSRANGE', ...slots.flatMap(([a, b]) => [String(a), String(b)]));
    });
  }
  const members = await liveMembers(ctx, scope, id);
  // A replaced node may have learned its predecessor (same announced address) from a peer as it joined.
  if (how === 'replace') await forgetStrangers(members);
  // Settled before the caller goes on: a rolling change fails over to this node next, and a graceful failover to a
  // replica the cluster has not settled on does not complete.
  await waitClusterStable(members);
  // A serverless cache's endpoint the emulator stood on while this node was away is the node's again.
  if (ctx.load(scope, id).internal.serverlessCache !== undefined) await serveGroupEndpoints(ctx, scope, id);
}

/**
 * The identities a restarted node had before, as the cluster knows them (the same announced endpoint, another
 * id), once the cluster has flagged them failed (or lost their address), which takes a node timeout or two. Until then
 * CLUSTER FORGET would be refused by a replica still following one. A dead node's id cannot be asked of it, so
 * the endpoint is what identifies it; left unforgotten, it stays in every node's view as a failed master. A
 * serverless cache's nodes all announce its endpoint host, each at its role's port, which a failover swaps: an old
 * identity there is any the group's live nodes do not have, at whichever port.
 */
async function flaggedOldIdentities(
  ctx: GroupContext,
  node: ClusterMember,
  others: ClusterMember[],
  newClusterId: string,
  sharesHost: boolean,
): Promise<string[]> {
  const me = (await readClusterNodes(node)).find((n) => n.myself);
  if (!me) return [];
  const host = (n: ClusterNode) => n.hostname ?? n.ip;
  const at = (n: ClusterNode) => `${host(n)}:${n.port}`;
  const live = new Set([newClusterId, ...(sharesHost ? await memberIds(others) : [])]);
  const mine = (n: ClusterNode) => !live.has(n.id) && (sharesHost ? host(n) === host(me) : at(n) === at(me));
  try {
    return await pollUntil(
      async () => {
        const view = await readClusterNodes(others[0]);
        const followed = new Set(view.map((n) => n.masterId));
        const old = view.filter(mine);
        // An identity whose bus address now leads to another node is marked without an address, and such a node is
        // never pinged, so never flagged failed: as gone, unless a replica still follows it.
        const gone = (n: ClusterNode) => n.failed || (n.flags.includes('noaddr') && !followed.has(n.id));
        if (old.every(gone)) return { value: old.map((n) => n.id) };
        return `${old.map((n) => n.id).join(', ')} not flagged failed yet`;
      },
      15_000,
      `the old identity of ${at(me)} to be flagged failed`,
      100,
    );
  } catch (error) {
    if (error instanceof Stopping) throw error;
    ctx.log.warn({ err: error }, "a restarted cluster node's old identity stays in the cluster's view");
    return [];
  }
}
