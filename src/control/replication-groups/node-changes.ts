/**
 * Changes that reach every member's node: a new node type, engine or engine version, parameter group or in-transit
 * encryption, rolled through the members so the group stays writable (with a stand-in node for a primary that has no replica), and
 * a new AUTH token, which running nodes take at once.
 */
import { grantClientAccess } from '../../dataplane/node-admin.js';
import { failover as promote, replicaOf, waitForSync } from '../../dataplane/replication.js';
import type { Scope } from '../../store/store.js';
import { nextAuthTokens } from '../../domain/elasticache/auth-tokens.js';
import {
  MEMBER_NODE,
  isClusterMode,
  membersOf,
  replicasOf,
  type ReplicationGroupInternal,
  type StoredNodeGroup,
} from '../../domain/elasticache/records.js';
import { explainer, live, liveMembers, primaryIdOf, shardById, type GroupContext } from './group-context.js';
import { forgetStrangersForGood } from '../../dataplane/redis-cluster.js';
import { handOver } from './failover.js';
import { serveGroupEndpoints } from './group-endpoints.js';
import { rejoin } from './members.js';

/** Whether the group has a node type, engine, version or parameter group change waiting for rollNodeChanges. */
export function hasPendingNodeChanges(internal: ReplicationGroupInternal): boolean {
  return Boolean(
    internal.pendingNodeType ||
    internal.pendingEngineVersion ||
    internal.pendingEngine ||
    internal.pendingParameterGroup ||
    internal.pendingTransitEncryption,
  );
}

/**
 * A new node type, engine version or parameter group. Members take the new settings; nodes are replaced replicas
 * first, then the primary after a failover to an up-to-date replica, so the group stays writable throughout.
 */
export async function rollNodeChanges(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { state, internal } = ctx.load(scope, id);
  // A new node type, engine or in-transit encryption needs new nodes; a parameter group alone reaches the running ones.
  const tls = internal.pendingTransitEncryption;
  const replace = [internal.pendingNodeType, internal.pendingEngineVersion, internal.pendingEngine, tls].some(
    (v) => v !== undefined,
  );
  for (const memberId of state.MemberClusters) {
    ctx.updateMember(scope, memberId, ({ state: m }) => {
      if (internal.pendingNodeType) m.CacheNodeType = internal.pendingNodeType;
      if (internal.pendingEngineVersion) m.EngineVersion = internal.pendingEngineVersion;
      if (internal.pendingEngine) m.Engine = internal.pendingEngine;
      if (internal.pendingParameterGroup) {
        m.CacheParameterGroup = {
          CacheParameterGroupName: internal.pendingParameterGroup,
          ParameterApplyStatus: 'in-sync',
          CacheNodeIdsToReboot: [],
        };
      }
      m.PendingModifiedValues = {};
    });
  }
  if (ctx.real) {
    for (const nodeGroup of state.NodeGroups) {
      if (replace) await replaceShardNodes(ctx, scope, id, nodeGroup);
      else await reattachShardNodes(ctx, scope, nodeGroup);
    }
    if (replace && isClusterMode(state)) await forgetStrangersForGood(await liveMembers(ctx, scope, id));
  }
  // Members whose node was not replaced (none runs) take it all the same.
  for (const memberId of state.MemberClusters) takeTransitEncryption(ctx, scope, id, memberId);
  ctx.update(scope, id, (g) => {
    if (g.internal.pendingNodeType) g.state.CacheNodeType = g.internal.pendingNodeType;
    if (g.internal.pendingEngine) g.state.Engine = g.internal.pendingEngine;
    if (tls) {
      g.state.TransitEncryptionEnabled = tls.enabled;
      g.state.TransitEncryptionMode = tls.mode;
      const pending = { ...g.state.PendingModifiedValues };
      delete pending.TransitEncryptionEnabled;
      delete pending.TransitEncryptionMode;
      g.state.PendingModifiedValues = pending;
    }
    delete g.internal.pendingTransitEncryption;
    delete g.internal.pendingNodeType;
    delete g.internal.pendingEngineVersion;
    delete g.internal.pendingEngine;
    delete g.internal.pendingParameterGroup;
  });
}

/**
 * A member takes the group's new in-transit encryption just before its node is replaced, not before: until then its
 * running node still speaks the old way, and is reached (probed, administered, replicated from) that way.
 */
function takeTransitEncryption(ctx: GroupContext, scope: Scope, id: string, memberId: string): void {
  const tls = ctx.load(scope, id).internal.pendingTransitEncryption;
  if (!tls) return;
  ctx.updateMember(scope, memberId, ({ state: m }) => {
    m.TransitEncryptionEnabled = tls.enabled;
    m.TransitEncryptionMode = tls.mode;
  });
}

/** A parameter group change alone: the running nodes take the new values where they are. */
async function reattachShardNodes(ctx: GroupContext, scope: Scope, nodeGroup: StoredNodeGroup): Promise<void> {
  for (const m of membersOf(nodeGroup)) {
    const cluster = ctx.member(scope, m.CacheClusterId)!;
    const handle = await ctx.nodes.inspect(scope, cluster, MEMBER_NODE);
    if (handle) await ctx.nodes.attach(scope, ctx.nodes.spec(scope, cluster, MEMBER_NODE), handle);
  }
}

/** New nodes for a shard: its replicas first, then its primary once a replica has taken over from it. */
async function replaceShardNodes(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  nodeGroup: StoredNodeGroup,
): Promise<void> {
  for (const replica of replicasOf(nodeGroup)) {
    takeTransitEncryption(ctx, scope, id, replica.CacheClusterId);
    await rejoin(ctx, scope, id, replica.CacheClusterId, 'replace');
  }
  const { state } = ctx.load(scope, id);
  const current = shardById(state, nodeGroup.NodeGroupId);
  const oldPrimaryId = primaryIdOf(current);
  const next = replicasOf(current)[0]?.CacheClusterId;
  if (!next && !isClusterMode(state)) {
    await replaceLonePrimary(ctx, scope, id, oldPrimaryId);
    return;
  }
  if (next) await handOver(ctx, scope, id, state, current, next);
  takeTransitEncryption(ctx, scope, id, oldPrimaryId);
  await rejoin(ctx, scope, id, oldPrimaryId, 'replace');
}

/**
 * Replaces the node of a primary that has no replica without losing its data: a stand-in node of the new spec
 * syncs from it and takes over (writes paused meanwhile, none lost), the primary's node is replaced and syncs
 * back from the stand-in, takes over again, and the stand-in goes. Writes are refused for the moments the
 * primary endpoint's node is a replica, as ElastiCache's own switch interrupts them.
 */
async function replaceLonePrimary(ctx: GroupContext, scope: Scope, id: string, memberId: string): Promise<void> {
  const old = await live(ctx, scope, memberId);
  const standIn = await ctx.nodes.startStandIn(scope, memberId);
  try {
    await replicaOf(standIn.node.admin, old.peer);
    await waitForSync(standIn.node.admin, undefined, explainer(ctx));
    await promote({
      candidate: standIn.node.admin,
      candidatePeer: standIn.node.peer,
      oldPrimary: old.admin,
      others: [],
    });
    takeTransitEncryption(ctx, scope, id, memberId);
    await ctx.nodes.startNode(scope, memberId, MEMBER_NODE);
    const fresh = await live(ctx, scope, memberId);
    await replicaOf(fresh.admin, standIn.node.peer);
    await waitForSync(fresh.admin, undefined, explainer(ctx));
    await promote({ candidate: fresh.admin, candidatePeer: fresh.peer, oldPrimary: standIn.node.admin, others: [] });
  } finally {
    await standIn.remove();
  }
  await serveGroupEndpoints(ctx, scope, id);
}

/** An AUTH token change reaches every member's node (both tokens accepted during a ROTATE), then the API shows it. */
export async function applyAuthToken(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { state, internal } = ctx.load(scope, id);
  const change = internal.pendingAuthToken;
  if (!change) return;
  const next = nextAuthTokens(internal, change);
  ctx.store.transaction(() => {
    for (const memberId of state.MemberClusters) {
      ctx.updateMember(scope, memberId, ({ state: m, internal: mi }) => {
        Object.assign(mi, next);
        m.AuthTokenEnabled = next.authToken !== undefined;
        m.AuthTokenLastModifiedDate = new Date();
      });
    }
  });
  if (ctx.real) {
    for (const memberId of state.MemberClusters) {
      const node = await live(ctx, scope, memberId);
      await grantClientAccess(
        node.admin,
        [next.authToken, next.previousAuthToken].filter((t): t is string => t !== undefined),
      );
    }
  }
  ctx.update(scope, id, (g) => {
    Object.assign(g.internal, next);
    g.state.AuthTokenEnabled = next.authToken !== undefined;
    g.state.AuthTokenLastModifiedDate = new Date();
    delete g.internal.pendingAuthToken;
    delete g.state.PendingModifiedValues.AuthTokenStatus;
  });
}
