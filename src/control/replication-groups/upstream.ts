/**
 * A group whose primary follows an upstream outside the group: a customer's redis during an online migration, or,
 * for a global datastore's secondary, the primary group's primary (in another region of this emulator). The
 * upstream is stored with the group (internal.upstream), so every step that makes a node the group's primary
 * (converge, a rejoin after a restart, a failover, the supervisor's role check) makes it follow the upstream
 * instead of standing alone; and when the primary group's primary changes, the groups following it re-point.
 * A cluster-mode group cannot have its primaries replicate from another cluster: the emulator relays each shard
 * of the primary group into it instead (shard-relays.ts).
 */
import { replicaOf, waitForSync } from '../../dataplane/replication.js';
import { followUpstream, replicationCredentials, type UpstreamLink } from '../../dataplane/upstream-link.js';
import type { AdminTarget } from '../../dataplane/node-admin.js';
import type { Scope } from '../../store/store.js';
import { updateGlobal } from '../../domain/elasticache/global-datastores.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import {
  MEMBER_NODE,
  findGroup,
  type GroupUpstream,
  type ReplicationGroupInternal,
} from '../../domain/elasticache/records.js';
import type { LiveNode } from '../cluster-nodes.js';
import { gone, live, primaryIdOf, type GroupContext } from './group-context.js';
import { runShardRelays, stopShardRelays } from './shard-relays.js';

/** How long a follow-upstream job waits for a cluster-mode secondary's relays to have copied every shard. */
const RELAY_SYNC_TIMEOUT_MS = 100_000;

/** How `node` reaches the upstream now; an error (the job retries) when the upstream's node does not run. */
export async function upstreamLink(
  ctx: GroupContext,
  scope: Scope,
  upstream: GroupUpstream,
  node: AdminTarget,
): Promise<UpstreamLink> {
  if (upstream.kind === 'customer') return { host: upstream.address, port: upstream.port };
  const primaryScope = { account: scope.account, region: upstream.region };
  const group = findGroup(ctx.store, primaryScope, upstream.replicationGroupId);
  if (!group)
    throw new Error(`the primary group ${upstream.replicationGroupId} of ${upstream.globalReplicationGroupId} is gone`);
  const primaryId = primaryIdOf(group.state.NodeGroups[0]);
  const primary = await ctx.nodes.liveNode(primaryScope, primaryId, MEMBER_NODE);
  if (!primary) throw new Error(`the node of ${primaryId} (${upstream.region}) is not running`);
  const { peer } = primary;
  // As a group's own replicas reach their primary: over TLS when both speak it, else on its plain port.
  const tls = Boolean(peer.tls && (node.tls || peer.plainPort === undefined));
  const port = peer.tls && !tls ? peer.plainPort! : peer.port;
  return { host: peer.host, port, tls, ...replicationCredentials(primary.admin) };
}

/** Makes `node` the group's primary: standing alone, or following the group's upstream when it has one. */
export async function makeGroupPrimary(ctx: GroupContext, scope: Scope, id: string, node: LiveNode): Promise<void> {
  const upstream = ctx.find(scope, id)?.internal.upstream;
  if (!upstream) {
    await replicaOf(node.admin, undefined);
    return;
  }
  await followUpstream(node.admin, await upstreamLink(ctx, scope, upstream, node.admin));
}

/** The group's stored primary takes the role the group gives it (after a promotion, which leaves it alone). */
export async function applyUpstream(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const group = ctx.find(scope, id);
  if (!ctx.real || !group) return;
  if (group.state.ClusterEnabled) {
    if (group.internal.upstream) await runShardRelays(ctx, scope, id);
    return;
  }
  if (!group.internal.upstream) return;
  await makeGroupPrimary(ctx, scope, id, await live(ctx, scope, primaryIdOf(group.state.NodeGroups[0])));
}

/** The groups, in any region of the account, whose primary follows this group's primary. */
export function followersOf(ctx: GroupContext, scope: Scope, id: string): { scope: Scope; id: string }[] {
  return ctx.store.resources
    .listEverywhere(KIND.replicationGroup)
    .filter((r) => {
      const upstream = (r.internal as ReplicationGroupInternal).upstream;
      return (
        r.scope.account === scope.account &&
        upstream?.kind === 'global' &&
        upstream.region === scope.region &&
        upstream.replicationGroupId === id
      );
    })
    .map((r) => ({ scope: r.scope, id: (r.state as { ReplicationGroupId: string }).ReplicationGroupId }));
}

/**
 * This group's primary changed: the groups following it point at the new one. A follower that cannot be told now
 * is left to the supervisor (its node shows the wrong upstream until it is healed); this group's change stands.
 */
export async function repointFollowers(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  if (!ctx.real) return;
  for (const follower of followersOf(ctx, scope, id)) {
    await applyUpstream(ctx, follower.scope, follower.id).catch((error) =>
      ctx.log.warn({ err: error, replicationGroup: follower.id }, 'a secondary group could not follow the new primary'),
    );
  }
}

/**
 * The follow-upstream job: the primary follows the group's upstream and has synced from it, or (CompleteMigration,
 * Disassociate, a global failover's promoted group) stops following and stands alone, its data kept. The group
 * then shows the status its state calls for: `migrating` while a migration runs, else `available`.
 */
export async function syncUpstream(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const group = ctx.find(scope, id);
  if (!group || group.state.Status === 'deleting') return;
  const { internal } = group;
  if (ctx.real && !group.state.ClusterEnabled) {
    const primary = await live(ctx, scope, primaryIdOf(group.state.NodeGroups[0]));
    // A migration completed without Force ends once the group has what the customer's node had.
    if (internal.endingMigration && !internal.endingMigration.force) await waitForSync(primary.admin, 100_000);
    await makeGroupPrimary(ctx, scope, id, primary);
    if (internal.upstream) await waitForSync(primary.admin, 100_000);
  } else if (ctx.real && internal.upstream?.kind === 'global') {
    const relays = await runShardRelays(ctx, scope, id);
    await Promise.all(relays.map((relay) => relay.whenSynced(RELAY_SYNC_TIMEOUT_MS)));
  } else if (ctx.real) {
    // Disassociated, or promoted by a failover: the relays stop and the group's clients may write again.
    await stopShardRelays(ctx, scope, id);
  }
  const migrating = internal.upstream?.kind === 'customer';
  const wasStarting = group.state.Status === 'migrating' && migrating;
  const updated =
    ctx.update(scope, id, (g) => {
      g.state.Status = migrating ? 'migrating' : 'available';
      delete g.internal.endingMigration;
    }) ?? gone(id);
  settleGlobalDatastore(ctx, scope, updated.state.GlobalReplicationGroupInfo?.GlobalReplicationGroupId);
  // A group promoted by a global failover: the old primary and the other secondaries follow it now.
  await repointFollowers(ctx, scope, id);
  if (wasStarting && internal.upstream?.kind === 'customer') {
    const { address, port } = internal.upstream;
    ctx.groupEvent(
      scope,
      id,
      `Replication group ${id} is in sync with the source ${address}:${port}; new writes keep flowing`,
    );
  } else if (internal.endingMigration) {
    ctx.groupEvent(scope, id, `Migration to replication group ${id} completed`);
  }
  ctx.log.info({ replicationGroup: id, status: updated.state.Status }, 'replication group upstream applied');
}

/** A global datastore whose member has done what a change asked of it turns available again. */
function settleGlobalDatastore(ctx: GroupContext, scope: Scope, globalId: string | undefined): void {
  if (!globalId) return;
  updateGlobal(ctx.store, scope, globalId, ({ state }) => {
    if (state.Status === 'modifying') state.Status = 'available';
  });
}
