/**
 * A replication group's own endpoints: the primary and reader endpoints (cluster mode disabled) or the
 * configuration endpoint (enabled), kept for the group's life and following the members' roles.
 */
import { readRedisParameter, setListenAddresses } from '../../dataplane/node-admin.js';
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
import { recordServerlessEndpoints, serveServerlessEndpoints } from '../serverless/held-endpoints.js';
import { announceServerlessRoles } from '../serverless/announce.js';
import { HELD_ROLES, soleMemberOf, type HeldRole } from './endpoint-holders.js';

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
    if (group.internal.serverlessCache !== undefined) {
      await announceServerlessRoles(ctx, scope, id);
      await serveServerlessEndpoints(ctx, scope, id);
      recordServerlessEndpoints(ctx, scope, id);
      return;
    }
    const cfg = store.transaction(() => store.endpoints.allocate(scope, KIND.replicationGroup, id, 'cfg', port));
    await ctx.endpoints.openGroupEndpoint(address, 'configuration', cfg.address, cfg.port);
    ctx.update(scope, id, (g) => (g.state.ConfigurationEndpoint = { Address: cfg.address, Port: cfg.port }));
    return;
  }
  const [primary, reader] = store.transaction(() => [
    store.endpoints.allocate(scope, KIND.replicationGroup, id, 'primary', port),
    store.endpoints.allocate(scope, KIND.replicationGroup, id, 'reader', port),
  ]);
  await serveGroupEndpoints(ctx, scope, id);
  ctx.update(scope, id, (g) => {
    g.state.NodeGroups[0].PrimaryEndpoint = { Address: primary.address, Port: primary.port };
    g.state.NodeGroups[0].ReaderEndpoint = { Address: reader.address, Port: reader.port };
  });
}

/**
 * Serves the primary and reader endpoints (cluster mode disabled). Where nodes listen on their own endpoints (the
 * process runtime), the member an endpoint leads to alone (endpoint-holders.ts: the primary; for the reader the only
 * replica, or the primary without one) listens on it too when it shares the node's port (ClusterNodes.canHold),
 * since a forwarder on loopback costs a client throughput (bench/RESULTS.md §3 has the figures). Every node first
 * lets go of the group endpoints it no longer holds, cutting the connections it had there, and only then do the new
 * holders take theirs: no two listeners ever want one address. Otherwise (containers, the ports endpoint mode, a
 * reader endpoint over two or more replicas, a node whose endpoints security groups or iam users keep closed, one
 * started by an older build behind the emulator's listener) the emulator's listener forwards, and spreads reads.
 * A holder whose node is not running keeps its endpoint dark until it runs again, as the primary always has.
 * Returns whether a node holds the primary endpoint. `keepConnections`: the roles did not change (security groups
 * moved the endpoints), so connections already made stay.
 */
export async function serveGroupEndpoints(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  { keepConnections = false } = {},
): Promise<boolean> {
  const { store, nodes } = ctx;
  const group = ctx.find(scope, id);
  // A serverless cache's endpoints: its backing nodes hold them by their roles (serverless/held-endpoints.ts).
  if (group?.internal.serverlessCache !== undefined)
    return serveServerlessEndpoints(ctx, scope, id, { keepConnections });
  if (!group || isClusterMode(group.state)) return false;
  const served: { role: HeldRole; endpoint: EndpointAllocation; holder?: string }[] = [];
  for (const role of HELD_ROLES) {
    const endpoint = store.endpoints.find(scope, KIND.replicationGroup, id, role);
    if (endpoint) served.push({ role, endpoint, holder: soleMemberOf(group.state, role) });
  }
  const address = groupAddress(scope, id);
  const openAtEmulator = async (role: HeldRole, endpoint: EndpointAllocation) =>
    ctx.endpoints.openGroupEndpoint(address, role, endpoint.address, endpoint.port);
  if (!nodes.runtime.servesEndpoints) {
    for (const { role, endpoint } of served) await openAtEmulator(role, endpoint);
    return false;
  }
  // Members whose node listens on its endpoint itself (one started by an older build does not).
  const members: { memberId: string; own: EndpointAllocation; admin: LiveNode['admin'] }[] = [];
  const held = new Set(served.filter((s) => s.holder !== undefined).map((s) => s.role));
  for (const memberId of group.state.MemberClusters) {
    const own = store.endpoints.find(scope, KIND.cacheCluster, memberId, MEMBER_NODE);
    if (!own) continue;
    const node = await nodes.liveNode(scope, memberId, MEMBER_NODE);
    for (const { role, endpoint, holder } of served)
      if (holder === memberId && (!nodes.canHold(own, endpoint) || (node && !node.servesEndpoint))) held.delete(role);
    if (node?.servesEndpoint) members.push({ memberId, own, admin: node.admin });
  }
  for (const { role, endpoint } of served)
    if (held.has(role)) await ctx.endpoints.closeEndpoint(endpoint.address, endpoint.port, { keepConnections });
  const wanted = (memberId: string, own: EndpointAllocation) => [
    own.address,
    ...served.filter((s) => held.has(s.role) && s.holder === memberId).map((s) => s.endpoint.address),
  ];
  // Letting go: each node keeps only what it holds now and is to hold still.
  const taking: typeof members = [];
  for (const member of members) {
    const addresses = wanted(member.memberId, member.own);
    let keep = addresses;
    if (addresses.length > 1) {
      const bound = ((await readRedisParameter(member.admin, 'bind')) ?? '').split(' ');
      keep = addresses.filter((a) => a === member.own.address || bound.includes(a));
      if (keep.length < addresses.length) taking.push(member);
    }
    await setListenAddresses(member.admin, keep, member.own.port, { keepConnections });
  }
  for (const { memberId, own, admin } of taking) await setListenAddresses(admin, wanted(memberId, own), own.port);
  for (const { role, endpoint } of served) if (!held.has(role)) await openAtEmulator(role, endpoint);
  return held.has('primary');
}
