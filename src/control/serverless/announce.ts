/**
 * What a serverless cache's backing nodes announce to cluster clients, kept with their roles. Each node announces
 * (cluster-announce-ip and -hostname) the cache's endpoint address, and as its port the endpoint's (the primary) or
 * the reader endpoint's (the replica): CLUSTER SLOTS, SHARDS, NODES and MOVED then name the cache's two endpoints
 * alone, as AWS shows a serverless cache, and a cluster client never learns a backing node. Their peers reach them
 * there too (the endpoints follow the roles), and the cluster bus at a forward of the emulator's on that address.
 *
 * A node starts announcing its role's port (ClusterNodes.spec); when the roles swap (a failover), the nodes are told
 * their new ports at once. Processes announce the endpoint's address as their ip too; a container announces an
 * address the node network shares with the host, where the docker runtime routes its group's replicas to it by the
 * port it announces (runtime/role-port-router.ts), so the runtime learns the new port first.
 */
import { adminCommand, withAdmin } from '../../dataplane/node-admin.js';
import { MEMBER_NODE } from '../../domain/elasticache/records.js';
import { announcesServerlessEndpoints, serverlessAnnounced } from '../../domain/elasticache/serverless.js';
import type { Scope } from '../../store/store.js';
import type { GroupContext } from '../replication-groups/group-context.js';

/** Tells each running backing node of a serverless cache's group what to announce in its current role. */
export async function announceServerlessRoles(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const group = ctx.find(scope, id);
  const runtime = ctx.nodes.runtime;
  if (!group || group.internal.serverlessCache === undefined || !announcesServerlessEndpoints(runtime)) return;
  // Each node is told its own at once: nothing one says depends on another's.
  const tell = async (memberId: string) => {
    const node = await ctx.nodes.liveNode(scope, memberId, MEMBER_NODE);
    if (!node) return;
    const { host, port } = serverlessAnnounced(ctx.store, scope, group, memberId);
    // A container not routed (no shared address) keeps the address it found for itself.
    const ip = runtime.reannounce
      ? await runtime.reannounce({ ...scope, clusterId: memberId, nodeId: MEMBER_NODE }, port)
      : host;
    // prettier-ignore
    await withAdmin(node.admin, (redis) =>
      redis.call(
        adminCommand(node.admin, 'CONFIG'), 'SET',
        'cluster-announce-hostname', host,
        ...(ip ? ['cluster-announce-ip', ip] : []),
        'cluster-announce-port', String(port),
        'cluster-announce-tls-port', String(port),
      ),
    );
  };
  await Promise.all(group.state.MemberClusters.map(tell));
}
