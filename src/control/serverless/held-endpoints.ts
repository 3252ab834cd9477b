/**
 * A serverless cache's two endpoints (its backing group's configuration endpoint, port 6379, and the reader endpoint
 * beside it on 6380: serverlessEndpointsOf). Where nodes serve their endpoints (the process runtime), the backing
 * primary listens on the endpoint and the replica on the reader endpoint themselves, with no forwarder of the emulator
 * in the path (a forwarder on loopback costs a client about half its throughput: bench/RESULTS.md §3). A redis node
 * has one TLS port, so each takes its role's port (serverlessHeld) and, when the roles swap, the other's.
 *
 * As for a group's primary and reader endpoints (replication-groups/group-endpoints.ts): every node first lets go of
 * what it no longer holds, and only then do the holders take theirs, so no two listeners ever want one address. The
 * emulator's listener stands on an endpoint whose node does not run, or keeps its endpoint closed (security groups
 * refuse the host, iam users log in at the emulator), and wherever nodes do not hold endpoints.
 */
import { readRedisParameter, setListenAddresses } from '../../dataplane/node-admin.js';
import {
  announcesServerlessEndpoints,
  serverlessEndpointsOf,
  serverlessHeld,
} from '../../domain/elasticache/serverless.js';
import { MEMBER_NODE } from '../../domain/elasticache/records.js';
import type { EndpointAllocation, Scope } from '../../store/store.js';
import type { LiveNode } from '../cluster-nodes.js';
import { groupAddress, type GroupContext } from '../replication-groups/group-context.js';

/** The addresses a node binds now. */
async function boundAddresses(node: LiveNode): Promise<string[]> {
  return ((await readRedisParameter(node.admin, 'bind')) ?? '').split(' ').filter((a) => a !== '');
}

/**
 * Serves the cache's endpoint and reader endpoint where they belong now; whether a node holds the endpoint itself.
 * `keepConnections`: the roles did not change (security groups moved the endpoints), so connections made stay.
 */
export async function serveServerlessEndpoints(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  { keepConnections = false } = {},
): Promise<boolean> {
  const group = ctx.find(scope, id);
  if (!group || group.internal.serverlessCache === undefined) return false;
  const { endpoint, reader } = serverlessEndpointsOf(ctx.store, scope, group);
  const served: { role: 'configuration' | 'reader'; at: EndpointAllocation }[] = [
    { role: 'configuration', at: endpoint },
    { role: 'reader', at: reader },
  ];
  const address = groupAddress(scope, id);
  const openAtEmulator = async ({ role, at }: (typeof served)[number]) =>
    ctx.endpoints.openGroupEndpoint(address, role, at.address, at.port);
  const runtime = ctx.nodes.runtime;
  const members = group.state.MemberClusters;
  const heldBy = (memberId: string) => serverlessHeld(ctx.store, scope, group, memberId);
  if (!ctx.real || !runtime.servesEndpoints || !announcesServerlessEndpoints(runtime) || !heldBy(members[0] ?? '')) {
    for (const s of served) await openAtEmulator(s);
    return false;
  }
  const cacheAddress = endpoint.address;
  const letGo = async (node: LiveNode, bound: string[]) =>
    setListenAddresses(
      node.admin,
      bound.filter((a) => a !== cacheAddress),
      node.admin.port,
      { keepConnections },
    );

  // Each step acts on every node side by side (each node its own addresses and ports); the steps stay in order.
  const everyNode = async (work: (memberId: string) => Promise<unknown>) => Promise.all(members.map(work));
  const letGoIfBound = async (node: LiveNode) => {
    const bound = await boundAddresses(node);
    if (bound.includes(cacheAddress)) await letGo(node, bound);
  };

  // A node whose role changed lets go of the cache's address on its old port, then takes its new role's port.
  await everyNode(async (memberId) => {
    const node = await ctx.nodes.liveNode(scope, memberId, MEMBER_NODE);
    if (node && node.admin.port !== heldBy(memberId)?.port) await letGoIfBound(node);
  });
  await everyNode((memberId) => ctx.nodes.followRolePort(scope, memberId, MEMBER_NODE));

  // Who holds which endpoint now: a running node on its role's port that serves its endpoints (not kept closed).
  const holders = new Map<number, LiveNode>();
  const others: LiveNode[] = [];
  const nodes = await Promise.all(members.map((m) => ctx.nodes.liveNode(scope, m, MEMBER_NODE)));
  members.forEach((memberId, i) => {
    const node = nodes[i];
    if (!node) return;
    const port = heldBy(memberId)?.port;
    if (node.servesEndpoint && port === node.admin.port && !holders.has(port)) holders.set(port, node);
    else others.push(node);
  });
  await Promise.all(others.map(letGoIfBound));
  for (const { at } of served)
    if (holders.has(at.port)) await ctx.endpoints.closeEndpoint(at.address, at.port, { keepConnections });
  await Promise.all(
    [...holders.values()].map(async (node) => {
      const bound = await boundAddresses(node);
      if (!bound.includes(cacheAddress))
        await setListenAddresses(node.admin, [...bound, cacheAddress], node.admin.port);
    }),
  );
  for (const s of served) if (!holders.has(s.at.port)) await openAtEmulator(s);
  return holders.has(endpoint.port);
}

/** The backing group shows the cache's endpoint as its configuration endpoint, and the reader endpoint beside it. */
export function recordServerlessEndpoints(ctx: GroupContext, scope: Scope, id: string): void {
  const { endpoint, reader } = serverlessEndpointsOf(ctx.store, scope, ctx.load(scope, id));
  ctx.update(scope, id, (g) => {
    g.state.ConfigurationEndpoint = { Address: endpoint.address, Port: endpoint.port };
    g.state.NodeGroups[0].ReaderEndpoint = { Address: reader.address, Port: reader.port };
  });
}
