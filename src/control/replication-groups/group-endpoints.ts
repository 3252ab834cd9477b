/**
 * A replication group's own endpoints: the primary and reader endpoints (cluster mode disabled) or the
 * configuration endpoint (enabled), kept for the group's life and following the members' roles.
 */
import { setListenAddresses } from '../../dataplane/node-admin.js';
import type { EndpointAllocation, Scope } from '../../store/store.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import {
  MEMBER_NODE,
  isClusterMode,
  primaryOf,
  replicasOf,
  type StoredGroup,
} from '../../domain/elasticache/records.js';
import type { LiveNode } from '../cluster-nodes.js';
import { groupAddress, type GroupContext } from './group-context.js';
import { openServerlessReader } from '../serverless/reader-endpoint.js';

/** Tells the endpoints who plays which role now. */
export function publishRoles(ctx: GroupContext, scope: Scope, group: StoredGroup): void {
  const id = group.state.ReplicationGroupId;
  const node = (memberId: string) => ({ ...scope, clusterId: memberId, nodeId: MEMBER_NODE });
  const shards = group.state.NodeGroups;
  const primaries = shards.map((ng) => primaryOf(ng)?.CacheClusterId).filter((m): m is string => m !== undefined);
  const replicas = shards.flatMap((ng) => replicasOf(ng).map((m) => m.CacheClusterId));
  ctx.endpoints.setGroupRoles(groupAddress(scope, id), {
    primary: primaries[0] ? node(primaries[0]) : undefined,
    // Cluster mode: the configuration endpoint may land on any node; the other shards' primaries come first.
    replicas: isClusterMode(group.state) ? [...primaries.slice(1), ...replicas].map(node) : replicas.map(node),
  });
}

/** Primary and reader endpoints (cluster mode disabled) or the configuration endpoint (enabled), kept for the group's life. */
export async function openEndpoints(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { store } = ctx;
  const group = ctx.load(scope, id);
  const port = group.internal.port;
  publishRoles(ctx, scope, group);
  const address = groupAddress(scope, id);
  if (isClusterMode(group.state)) {
    const cfg = store.transaction(() => store.endpoints.allocate(scope, KIND.replicationGroup, id, 'cfg', port));
    await ctx.endpoints.openGroupEndpoint(address, 'configuration', cfg.address, cfg.port);
    ctx.update(scope, id, (g) => (g.state.ConfigurationEndpoint = { Address: cfg.address, Port: cfg.port }));
    if (group.internal.serverlessCache !== undefined) await openServerlessReader(ctx, scope, id, cfg);
    return;
  }
  const [primary, reader] = store.transaction(() => [
    store.endpoints.allocate(scope, KIND.replicationGroup, id, 'primary', port),
    store.endpoints.allocate(scope, KIND.replicationGroup, id, 'reader', port),
  ]);
  await servePrimaryEndpoint(ctx, scope, id);
  await ctx.endpoints.openGroupEndpoint(address, 'reader', reader.address, reader.port);
  ctx.update(scope, id, (g) => {
    g.state.NodeGroups[0].PrimaryEndpoint = { Address: primary.address, Port: primary.port };
    g.state.NodeGroups[0].ReaderEndpoint = { Address: reader.address, Port: reader.port };
  });
}

/**
 * Serves the primary endpoint (cluster mode disabled). Where nodes listen on their own endpoints (the process
 * runtime) and the primary endpoint shares their port (ClusterNodes.canHold), the primary's node listens on it
 * too, since a forwarder on loopback costs a client throughput (bench/RESULTS.md §3 has the figures). Every other
 * member then listens on its own endpoint only, so an old primary lets go of it, cutting the connections it had
 * there, before the new one takes it. Otherwise (containers, the ports endpoint mode, a primary started by an
 * older build behind the emulator's listener) the emulator's listener forwards to the primary.
 * Returns whether a node holds it. `keepConnections`: the roles did not change (security groups moved the endpoints),
 * so connections the emulator's listener carried to the primary stay.
 */
export async function servePrimaryEndpoint(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  { keepConnections = false } = {},
): Promise<boolean> {
  const { store, nodes } = ctx;
  const group = ctx.find(scope, id);
  if (!group || isClusterMode(group.state)) return false;
  const primary = store.endpoints.find(scope, KIND.replicationGroup, id, 'primary');
  if (!primary) return false;
  if (!nodes.runtime.servesEndpoints) {
    await ctx.endpoints.openGroupEndpoint(groupAddress(scope, id), 'primary', primary.address, primary.port);
    return false;
  }
  const primaryId = primaryOf(group.state.NodeGroups[0])?.CacheClusterId;
  // Members whose node listens on its endpoint itself (one started by an older build does not), primary last.
  const members: { memberId: string; own: EndpointAllocation; admin: LiveNode['admin'] }[] = [];
  let held = true;
  for (const memberId of group.state.MemberClusters) {
    const own = store.endpoints.find(scope, KIND.cacheCluster, memberId, MEMBER_NODE);
    if (!own) continue;
    const node = await nodes.liveNode(scope, memberId, MEMBER_NODE);
    if (memberId === primaryId && (!nodes.canHold(own, primary) || (node && !node.servesEndpoint))) held = false;
    if (node?.servesEndpoint) members.push({ memberId, own, admin: node.admin });
  }
  members.sort((a, b) => Number(a.memberId === primaryId) - Number(b.memberId === primaryId));
  if (held) await ctx.endpoints.closeEndpoint(primary.address, primary.port, { keepConnections });
  for (const { memberId, own, admin } of members) {
    const addresses = held && memberId === primaryId ? [own.address, primary.address] : [own.address];
    await setListenAddresses(admin, addresses, own.port);
  }
  if (!held) await ctx.endpoints.openGroupEndpoint(groupAddress(scope, id), 'primary', primary.address, primary.port);
  return held;
}
