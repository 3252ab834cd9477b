/**
 * Failing a Redis Cluster shard over to a replica (CLUSTER FAILOVER), and waiting until every member that answers
 * sees the new primary with the shard's slots.
 */
import { myselfIn } from './cluster-nodes-parser.js';
import { nodesOf, readClusterNodes, shortId, type ClusterMember } from './cluster-views.js';
import { describeNode, NodeUnreachable, pollUntil, withAdmin } from './node-admin.js';
import { formatSlotRanges } from '../common/slot-ranges.js';

export type ClusterFailoverMode = 'graceful' | 'force' | 'takeover';

/**
 * Promotes a replica with CLUSTER FAILOVER: graceful needs its primary alive (no write is lost); force needs a
 * majority of primaries to vote but not the old primary; takeover needs nobody. Resolves once the replica calls
 * itself a primary and every other member that answers agrees; members that do not answer (a dead old primary)
 * are left out. Called on a replica that already is a primary, it only waits for the agreement.
 */
export async function clusterFailover(
  replica: ClusterMember,
  mode: ClusterFailoverMode,
  others: ClusterMember[] = [],
  timeoutMs = 30_000,
): Promise<void> {
  const id = await withAdmin(replica.admin, async (redis) => {
    const me = myselfIn(await nodesOf(redis));
    if (me.role === 'replica') {
      const args = mode === 'graceful' ? [] : [mode.toUpperCase()];
      await redis.call('CLUSTER', 'FAILOVER', ...args);
    }
    return me.id;
  });
  const hint =
    mode === 'graceful'
      ? ' (a graceful failover needs the old primary to answer; use force or takeover without it)'
      : mode === 'force'
        ? ' (force needs a majority of primaries to vote; use takeover without one)'
        : '';
  await pollUntil(
    async () => {
      const view = await readClusterNodes(replica);
      const own = myselfIn(view);
      if (own.role !== 'primary') {
        const master = view.find((node) => node.id === own.masterId);
        const following = master
          ? ` of ${shortId(master.id)} (${master.flags.filter((f) => f !== 'myself').join(',')}, ${master.linkState})`
          : '';
        return `${describeNode(replica.admin)} is still a replica${following}${hint}`;
      }
      const ownSlots = formatSlotRanges(own.slots);
      for (const other of others) {
        const view = await readClusterNodes(other).catch((error) => {
          if (error instanceof NodeUnreachable) return undefined;
          throw error;
        });
        const seen = view?.find((node) => node.id === id);
        if (view && (!seen || seen.role !== 'primary' || formatSlotRanges(seen.slots) !== ownSlots)) {
          return `${describeNode(other.admin)} does not see ${shortId(id)} as the primary of ${ownSlots} yet`;
        }
      }
      return { value: undefined };
    },
    timeoutMs,
    `the failover to ${describeNode(replica.admin)} did not complete`,
    100,
  );
}
