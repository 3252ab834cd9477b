/**
 * The slot map as a cluster client loads it (CLUSTER SLOTS), complete before a group is called available.
 *
 * Redis lists a replica in CLUSTER SLOTS only once the answering node has seen a replication offset other than 0
 * from it, taken from the header of the replica's cluster bus packets. A replica of a primary that has had no
 * write stays at 0 until the primary's first replication ping (repl-ping-replica-period, 10 s), so a new group's
 * map would list no replica for that long. Rather than wait, the primary is made to put a REPLCONF GETACK into its
 * replication stream (what WAIT does when it has to wait for acknowledgements), which moves its replicas' offsets,
 * and each replica then meets the nodes that do not list it yet, so its next packet, carrying the offset, reaches
 * them at once instead of with the next round of gossip.
 */
import type { Redis } from 'ioredis';
import { myselfIn } from './cluster-nodes-parser.js';
import { nodesOf, shortId, type ClusterMember } from './cluster-views.js';
import { connectAdmin, pollUntil, type Peer } from './node-admin.js';
import { readReplication } from './replication.js';

/** CLUSTER SLOTS's answer: [first, last, primary, ...replicas], each node [host, port, id, ...]. */
type SlotsReply = Array<[number, number, ...Array<[string, number, string]>]>;

/** The ids of the replicas a node's CLUSTER SLOTS lists. */
async function listedReplicas(redis: Redis): Promise<Set<string>> {
  const listed = new Set<string>();
  for (const [, , , ...replicas] of (await redis.call('CLUSTER', 'SLOTS')) as SlotsReply)
    for (const replica of replicas) listed.add(replica[2]);
  return listed;
}

async function meet(redis: Redis, peer: Peer): Promise<void> {
  const args = ['MEET', peer.host, String(peer.port)];
  if (peer.busPort !== undefined) args.push(String(peer.busPort));
  await redis.call('CLUSTER', ...args);
}

/** A replica of a primary that serves slots, with that primary. */
interface ListedReplica {
  member: ClusterMember;
  id: string;
  primary: ClusterMember;
}

/**
 * One admin connection per member for the length of the wait, so a round costs round trips rather than
 * connections; one that fails is opened again in the next round.
 */
class Connections {
  private readonly open = new Map<ClusterMember, Promise<Redis>>();

  async on<T>(member: ClusterMember, work: (redis: Redis) => Promise<T>): Promise<T> {
    let connection = this.open.get(member);
    if (!connection) {
      connection = connectAdmin(member.admin);
      this.open.set(member, connection);
    }
    try {
      return await work(await connection);
    } catch (error) {
      this.open.delete(member);
      void connection.then((redis) => redis.disconnect()).catch(() => undefined);
      throw error;
    }
  }

  close(): void {
    for (const connection of this.open.values())
      void connection.then((redis) => redis.disconnect()).catch(() => undefined);
    this.open.clear();
  }
}

/**
 * Resolves once every member's CLUSTER SLOTS lists every replica (of a primary that serves slots) and no member
 * is still in a handshake this started. Call it on a settled cluster (waitClusterStable), with all its members.
 */
export async function waitSlotMapComplete(members: ClusterMember[], timeoutMs = 30_000): Promise<void> {
  const connections = new Connections();
  try {
    await completeSlotMap(members, connections, timeoutMs);
  } finally {
    connections.close();
  }
}

async function completeSlotMap(members: ClusterMember[], connections: Connections, timeoutMs: number): Promise<void> {
  const on = <T>(member: ClusterMember, work: (redis: Redis) => Promise<T>) => connections.on(member, work);
  const selves = (await Promise.all(members.map((member) => on(member, nodesOf)))).map(myselfIn);
  const serving = new Set(selves.filter((self) => self.role === 'primary' && self.slots.length > 0).map((s) => s.id));
  const replicas: ListedReplica[] = members.flatMap((member, i) => {
    const primary = members[selves.findIndex((self) => self.id === selves[i].masterId)];
    return selves[i].role === 'replica' && primary && serving.has(selves[i].masterId!)
      ? [{ member, id: selves[i].id, primary }]
      : [];
  });
  if (replicas.length === 0) return;
  /** The offset the replica has processed of its primary's stream. */
  const offsetOf = (replica: ListedReplica) =>
    on(replica.member, async (redis) => (await readReplication(redis)).replicaReplOffset ?? 0);
  // More acknowledgements than there are nodes: WAIT cannot be satisfied, asks for them, and gives up after 1 ms.
  const prompt = (primary: ClusterMember) => on(primary, (redis) => redis.call('WAIT', String(members.length), '1'));
  const announced = new Set<ListedReplica>();
  await pollUntil(
    async () => {
      const listed = await Promise.all(members.map((member) => on(member, listedReplicas)));
      const unlisted = replicas.flatMap((replica) => {
        const unaware = members.filter((_, i) => !listed[i].has(replica.id));
        return unaware.length > 0 ? [{ replica, unaware }] : [];
      });
      const waiting = unlisted.filter(({ replica }) => !announced.has(replica));
      const offsets = await Promise.all(waiting.map(({ replica }) => offsetOf(replica)));
      const unmoved = new Set(waiting.filter((_, i) => offsets[i] === 0).map(({ replica }) => replica.primary));
      await Promise.all([...unmoved].map(prompt));
      const moved = await Promise.all(
        waiting.map(async (entry, i) => (offsets[i] > 0 || (await offsetOf(entry.replica)) > 0 ? [entry] : [])),
      );
      await Promise.all(
        moved.flat().map(({ replica, unaware }) => {
          announced.add(replica);
          return on(replica.member, async (redis) => {
            for (const other of unaware) if (other !== replica.member) await meet(redis, other.peer);
          });
        }),
      );
      if (unlisted.length > 0)
        return unlisted
          .map(({ replica, unaware }) => `${unaware.length} nodes do not list replica ${shortId(replica.id)}`)
          .join('; ');
      // A MEET to a known node shows as a handshake entry until the answer finds it known.
      const views = await Promise.all([...announced].map((replica) => on(replica.member, nodesOf)));
      const open = views.reduce((sum, view) => sum + view.filter((node) => node.handshake).length, 0);
      return open === 0 ? { value: undefined } : `${open} handshakes still open`;
    },
    timeoutMs,
    'the slot map did not list every replica',
    20,
  );
}
