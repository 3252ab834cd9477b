/**
 * The relays that make a cluster-mode global datastore secondary follow its primary group, one per shard of the
 * primary group (dataplane/shard-relay.ts): each reads the replication stream of its shard's primary and writes
 * into the secondary's shard primaries by slot. The relays live in the emulator's memory, keyed by the store they
 * serve; they are started when the secondary converges or its upstream changes, read their route from the store
 * every time they (re)connect, and stop when the group stops following (Disassociate, a failover promoting it,
 * its deletion) or the emulator stops. Stopping gives the group's clients their write access back.
 */
import { parseSlotRanges } from '../../common/slot-ranges.js';
import { ShardRelay, type RelayRoute } from '../../dataplane/shard-relay.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { findGroup, type GroupState, type ReplicationGroupInternal } from '../../domain/elasticache/records.js';
import type { Scope, Store } from '../../store/store.js';
import { live, primaryIdOf, type GroupContext } from './group-context.js';

const relaysByStore = new WeakMap<Store, Map<string, ShardRelay>>();

function relaysOf(store: Store): Map<string, ShardRelay> {
  let relays = relaysByStore.get(store);
  if (!relays) relaysByStore.set(store, (relays = new Map()));
  return relays;
}

const groupKey = (scope: Scope, id: string) => `${scope.account}|${scope.region}|${id}|`;

/** The primary group a cluster-mode secondary follows, or undefined when the group follows none. */
function followedGroup(ctx: GroupContext, scope: Scope, id: string) {
  const group = ctx.find(scope, id);
  const upstream = group?.internal.upstream;
  if (!group || group.state.Status === 'deleting' || !group.state.ClusterEnabled || upstream?.kind !== 'global')
    return undefined;
  const primaryScope = { account: scope.account, region: upstream.region };
  const primary = findGroup(ctx.store, primaryScope, upstream.replicationGroupId);
  if (!primary)
    throw new Error(`the primary group ${upstream.replicationGroupId} of ${upstream.globalReplicationGroupId} is gone`);
  return { group, primary, primaryScope };
}

/** Where the relay of the primary group's shard `shardId` reads and writes now; undefined when it should stop. */
async function routeOf(ctx: GroupContext, scope: Scope, id: string, shardId: string): Promise<RelayRoute | undefined> {
  const followed = followedGroup(ctx, scope, id);
  const shard = followed?.primary.state.NodeGroups.find((ng) => ng.NodeGroupId === shardId);
  if (!followed || !shard) return undefined;
  const source = await live(ctx, followed.primaryScope, primaryIdOf(shard));
  const targets = [];
  for (const nodeGroup of followed.group.state.NodeGroups) {
    const primary = await live(ctx, scope, primaryIdOf(nodeGroup));
    targets.push({ admin: primary.admin, slots: parseSlotRanges(nodeGroup.Slots ?? '') });
  }
  return { source: source.admin, sourceSlots: parseSlotRanges(shard.Slots ?? ''), targets };
}

/**
 * Starts a relay for every shard of the followed primary group (or has the running ones read their route again),
 * and stops those of shards it no longer has. A group that follows nothing has its relays stopped.
 */
export async function runShardRelays(ctx: GroupContext, scope: Scope, id: string): Promise<ShardRelay[]> {
  if (!ctx.real) return [];
  const followed = followedGroup(ctx, scope, id);
  if (!followed) {
    await stopShardRelays(ctx, scope, id);
    return [];
  }
  const relays = relaysOf(ctx.store);
  const prefix = groupKey(scope, id);
  const shardIds = followed.primary.state.NodeGroups.map((ng) => ng.NodeGroupId!);
  for (const [key, relay] of relays) {
    if (key.startsWith(prefix) && !shardIds.includes(key.slice(prefix.length))) {
      relay.stop();
      relays.delete(key);
    }
  }
  const running: ShardRelay[] = [];
  for (const shardId of shardIds) {
    const key = prefix + shardId;
    let relay = relays.get(key);
    if (relay && !relay.stopped) await relay.refresh();
    else {
      relay = new ShardRelay({
        resolve: () => routeOf(ctx, scope, id, shardId),
        log: ctx.log.child({ replicationGroup: id, sourceShard: shardId }),
      });
      relays.set(key, relay);
    }
    running.push(relay);
  }
  return running;
}

/** Stops the group's relays; its primaries take client writes again (their client access is granted anew). */
export async function stopShardRelays(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const relays = relaysOf(ctx.store);
  const prefix = groupKey(scope, id);
  for (const [key, relay] of relays) {
    if (!key.startsWith(prefix)) continue;
    relay.stop();
    relays.delete(key);
  }
  const group = ctx.find(scope, id);
  if (!ctx.real || !group?.state.ClusterEnabled || group.state.Status === 'deleting') return;
  for (const memberId of group.state.MemberClusters) await ctx.nodes.refreshClientAccess(scope, memberId);
}

/** At start: the relays of every cluster-mode secondary run again (they live in memory only). */
export function resumeShardRelays(ctx: GroupContext): void {
  if (!ctx.real) return;
  for (const record of ctx.store.resources.listEverywhere(KIND.replicationGroup)) {
    const state = record.state as GroupState;
    const upstream = (record.internal as ReplicationGroupInternal).upstream;
    if (!state.ClusterEnabled || upstream?.kind !== 'global') continue;
    runShardRelays(ctx, record.scope, state.ReplicationGroupId).catch((error) =>
      ctx.log.warn({ err: error, replicationGroup: state.ReplicationGroupId }, 'shard relays did not start'),
    );
  }
}

/** When the emulator stops: every relay of this store ends. */
export function stopAllShardRelays(store: Store): void {
  const relays = relaysOf(store);
  for (const relay of relays.values()) relay.stop();
  relays.clear();
}
