/**
 * Cluster mode enabled: a real Redis Cluster made of the emulator's nodes. Creating it, adding and removing
 * members, and waiting until every node agrees. Each step looks at what the nodes already are
 * before acting, so the worker can call it again after a crash.
 *
 * Nodes meet each other by their Peer address and the emulator reaches them by their AdminTarget; node ids are
 * read from the nodes (CLUSTER MYID), never stored here.
 *
 * Moving slots between shards is in slot-migration.ts, failing over in cluster-failover.ts, the parsing of CLUSTER NODES in cluster-nodes-parser.ts
 * and the reading of a node's view in cluster-views.ts; this module re-exports what callers use of them, so it
 * stays the one entry for cluster mode.
 */
import { isIP } from 'node:net';
import type { Redis } from 'ioredis';
import { knows, myselfIn, slotOwners, type ClusterNode } from './cluster-nodes-parser.js';
import { clusterState, memberIds, nodesOf, readClusterNodes, shortId, type ClusterMember } from './cluster-views.js';
import { describeNode, pollUntil, setReplicationAuth, withAdmin, type Peer } from './node-admin.js';
import { readReplication, waitForSync, type LinkExplainer } from './replication.js';
import { rangesToSlots, SLOT_COUNT, slotsToRanges, type SlotRanges } from '../common/slot-ranges.js';

export type { AdminTarget, Peer } from './node-admin.js';
export { parseClusterNodes, slotOwners, type ClusterNode } from './cluster-nodes-parser.js';
export { memberIds, readClusterNodes, type ClusterMember } from './cluster-views.js';
export { moveSlots, type MoveOptions, type MoveResult } from './slot-migration.js';
export { clusterFailover, type ClusterFailoverMode } from './cluster-failover.js';
export { waitSlotMapComplete } from './cluster-slot-map.js';

// ---------------------------------------------------------------- meeting

function checkMeetable(members: ClusterMember[]): void {
  for (const { peer } of members) {
    // CLUSTER MEET takes an address, not a name (Redis 7.0 refuses names with "Invalid node address").
    if (!isIP(peer.host))
      throw new Error(`CLUSTER MEET needs an IP address, not "${peer.host}": give the node's peer address as an IP`);
  }
}

async function meet(redis: Redis, peer: Peer): Promise<void> {
  const args = ['MEET', peer.host, String(peer.port)];
  if (peer.busPort !== undefined) args.push(String(peer.busPort));
  await redis.call('CLUSTER', ...args);
}

/** Each member MEETs each other one it does not know as a member yet (or, once known, to refresh its view of it). */
async function meetAll(members: ClusterMember[], ids: string[]): Promise<void> {
  await Promise.all(
    members.map((member, i) =>
      withAdmin(member.admin, async (redis) => {
        const view = await nodesOf(redis);
        for (const [j, other] of members.entries()) {
          if (j === i) continue;
          // An address already in handshake is not met twice.
          if (view.some((node) => node.handshake && node.ip === other.peer.host && node.port === other.peer.port))
            continue;
          if (knows(view, ids[j]) && view.find((node) => node.id === ids[j])?.myself) continue;
          await meet(redis, other.peer);
        }
      }),
    ),
  );
}

/** A MEET to a known node shows as a handshake entry until the handshake finds it known: wait for those to go. */
async function waitHandshakesDone(members: ClusterMember[], timeoutMs: number): Promise<void> {
  await pollUntil(
    async () => {
      const views = await Promise.all(members.map((member) => readClusterNodes(member)));
      const pending = views.reduce((sum, view) => sum + view.filter((node) => node.handshake).length, 0);
      return pending === 0 ? { value: undefined } : `${pending} handshakes still open`;
    },
    timeoutMs,
    'the nodes did not finish their handshakes',
    20,
  );
}

/**
 * Until every member knows every other one. Gossip alone spreads that in a few seconds; a member still missing
 * others after a while is introduced to them directly, which is harmless for a node already on its way in.
 */
async function waitAllKnown(members: ClusterMember[], ids: string[], timeoutMs: number): Promise<void> {
  const started = Date.now();
  await pollUntil(
    async () => {
      const views = await Promise.all(members.map((member) => readClusterNodes(member)));
      const missing: string[] = [];
      await Promise.all(
        views.map(async (view, i) => {
          const unknown = ids.filter((id, j) => j !== i && !knows(view, id));
          if (unknown.length === 0) return;
          missing.push(`${describeNode(members[i].admin)} does not know ${unknown.map(shortId).join(', ')}`);
          if (Date.now() - started < 1500) return;
          await withAdmin(members[i].admin, async (redis) => {
            for (const id of unknown) {
              const peer = members[ids.indexOf(id)].peer;
              // An address already in handshake is not met twice.
              if (!view.some((node) => node.handshake && node.ip === peer.host && node.port === peer.port))
                await meet(redis, peer);
            }
          });
        }),
      );
      return missing.length === 0 ? { value: undefined } : missing.join('; ');
    },
    timeoutMs,
    'the cluster nodes did not all meet',
    100,
  );
}

/**
 * Each member's view, once it may replicate (its replication credentials set) and, when fresh, has an epoch of
 * its own: distinct config epochs spare a new cluster its epoch-collision rounds (as redis-cli does).
 */
async function readyViews(members: ClusterMember[]): Promise<ClusterNode[][]> {
  return Promise.all(
    members.map((member, i) =>
      withAdmin(member.admin, async (redis) => {
        await setReplicationAuth(redis, member.admin);
        const info = (await redis.call('CLUSTER', 'INFO')) as string;
        if (/cluster_known_nodes:1\r?\n/.test(info) && /cluster_my_epoch:0\r?\n/.test(info)) {
          await redis.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)).catch(() => undefined);
        }
        return nodesOf(redis);
      }),
    ),
  );
}

// ---------------------------------------------------------------- create

export interface ShardSpec {
  primary: ClusterMember;
  replicas: ClusterMember[];
  slots: SlotRanges;
}

export interface ShardIds {
  primaryId: string;
  replicaIds: string[];
}

export interface ClusterOptions {
  timeoutMs?: number;
  /** Says what stands where a replica's link stays down (waitForSync). */
  explainLink?: LinkExplainer;
}

/**
 * Makes the shards one cluster: every node meets, each primary serves its slots, each replica follows its
 * primary, and it resolves once every node reports cluster_state:ok, all agree on who serves which slot and the
 * replicas have synced. Safe to call again on the same nodes: what is already done is skipped.
 */
export async function createCluster(shards: ShardSpec[], options: ClusterOptions = {}): Promise<ShardIds[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (shards.length === 0) throw new Error('a cluster needs at least one shard');
  const claimed = new Map<number, number>();
  shards.forEach((shard, i) => {
    for (const slot of rangesToSlots(shard.slots)) {
      if (slot < 0 || slot >= SLOT_COUNT)
        throw new Error(`slot ${slot} of shard ${i + 1} is out of range 0-${SLOT_COUNT - 1}`);
      if (claimed.has(slot)) throw new Error(`slot ${slot} is given to shards ${claimed.get(slot)! + 1} and ${i + 1}`);
      claimed.set(slot, i);
    }
  });
  const members = shards.flatMap((shard) => [shard.primary, ...shard.replicas]);
  checkMeetable(members);
  // The ids and each node's view side by side: each is a connection round per node.
  const [ids, views] = await Promise.all([memberIds(members), readyViews(members)]);
  if (new Set(ids).size !== ids.length) throw new Error('the same node is given twice');
  const idOf = (member: ClusterMember) => ids[members.indexOf(member)];

  const expectedOwners = new Array<string | undefined>(SLOT_COUNT).fill(undefined);
  for (const [slot, i] of claimed) expectedOwners[slot] = idOf(shards[i].primary);
  const expected = {
    owners: expectedOwners,
    masters: new Map(
      shards.flatMap((shard) => shard.replicas.map((replica) => [idOf(replica), idOf(shard.primary)] as const)),
    ),
  };

  if (formedAsWanted(views, ids, expected)) {
    if (await meetMovedMembers(members, views)) await waitHandshakesDone(members, timeoutMs);
    await waitStable(members, timeoutMs, expected);
    return shards.map((shard) => ({ primaryId: idOf(shard.primary), replicaIds: shard.replicas.map(idOf) }));
  }

  await Promise.all(
    shards.map((shard) =>
      withAdmin(shard.primary.admin, async (redis) => {
        const view = await nodesOf(redis);
        const owners = slotOwners(view);
        const me = myselfIn(view).id;
        const missing: number[] = [];
        for (const slot of rangesToSlots(shard.slots)) {
          if (owners[slot] === me) continue;
          if (owners[slot] !== undefined)
            throw new Error(
              `slot ${slot} is already served by node ${owners[slot]}, not by ${describeNode(shard.primary.admin)}`,
            );
          missing.push(slot);
        }
        const ranges = slotsToRanges(missing).flat().map(String);
        if (ranges.length > 0) await redis.call('CLUSTER', 'ADDSLOTSRANGE', ...ranges);
      }),
    ),
  );

  // Every node meets every other at once, rather than learning of most by gossip a second later.
  await meetAll(members, ids);
  await waitAllKnown(members, ids, timeoutMs);

  for (const shard of shards) for (const replica of shard.replicas) await replicate(replica, idOf(shard.primary));
  // A MEET from a known node carries its current role and primary: every view learns the replicas at once.
  await meetAll(members, ids);
  await waitHandshakesDone(members, timeoutMs);

  await waitStable(members, timeoutMs, expected);
  return shards.map((shard) => ({ primaryId: idOf(shard.primary), replicaIds: shard.replicas.map(idOf) }));
}

/**
 * Whether the members already are the cluster wanted, as a shard formed beforehand is (a warm spare) or one a
 * crashed earlier run finished: each knows every other as a member, sees the slots served as wanted, and each
 * replica follows its primary.
 */
function formedAsWanted(views: ClusterNode[][], ids: string[], expected: Required<Expectation>): boolean {
  return views.every((view, i) => {
    const me = myselfIn(view);
    const master = expected.masters.get(me.id);
    if (master !== undefined ? me.masterId !== master : me.role !== 'primary') return false;
    if (!ids.every((id) => view.some((node) => node.id === id && !node.handshake))) return false;
    const owners = slotOwners(view);
    return ids[i] === me.id && owners.every((owner, slot) => owner === expected.owners[slot]);
  });
}

/**
 * Each member MEETs those others it knows at another address than their peer address, or than the one they announce
 * now (nodes re-addressed since they met, as claimed warm spares are): the handshake's answer updates the address it
 * knows, and the MEET tells the met node the meeting one's hostname. It does not wait for
 * the handshakes; it resolves whether any is open (its own or one met before). `views`: each member's, if just read.
 */
export async function meetMovedMembers(members: ClusterMember[], views?: ClusterNode[][]): Promise<boolean> {
  const seen = views ?? (await Promise.all(members.map((member) => readClusterNodes(member))));
  const ids = seen.map((view) => myselfIn(view).id);
  let open = seen.some((view) => view.some((node) => node.handshake));
  await Promise.all(
    members.map((member, i) => {
      const moved = members.filter((other, j) => {
        const known = seen[i].find((node) => node.id === ids[j]);
        const { host, port, busPort } = other.peer;
        const meeting = seen[i].some((node) => node.handshake && node.ip === host && node.port === port);
        // What it announces now: a node re-addressed where its peers reach it as before (a container keeps its
        // address on the node network) is known elsewhere at what it announced before, until this meeting.
        const self = myselfIn(seen[j]);
        const stale =
          known !== undefined &&
          (known.ip !== self.ip ||
            known.port !== self.port ||
            known.busPort !== self.busPort ||
            known.hostname !== self.hostname);
        return (
          j !== i &&
          known !== undefined &&
          !meeting &&
          (stale || known.ip !== host || known.port !== port || (busPort !== undefined && known.busPort !== busPort))
        );
      });
      if (moved.length === 0) return;
      open = true;
      return withAdmin(member.admin, async (redis) => {
        for (const other of moved) await meet(redis, other.peer);
      });
    }),
  );
  return open;
}

/** CLUSTER REPLICATE, unless the replica already follows that primary. */
async function replicate(replica: ClusterMember, primaryId: string): Promise<void> {
  await withAdmin(replica.admin, async (redis) => {
    await setReplicationAuth(redis, replica.admin);
    const me = myselfIn(await nodesOf(redis));
    if (me.role === 'replica' && me.masterId === primaryId) return;
    try {
      await redis.call('CLUSTER', 'REPLICATE', primaryId);
    } catch (error) {
      throw new Error(
        `cannot make ${describeNode(replica.admin)} a replica of node ${primaryId}: ${(error as Error).message}`,
      );
    }
  });
}

// ---------------------------------------------------------------- stable

interface Expectation {
  owners?: Array<string | undefined>;
  masters?: Map<string, string>;
}

/**
 * Resolves once every member answers, reports cluster_state:ok, knows every other member, and all agree on who
 * serves each slot and who replicates whom; no slot is migrating and every replica has synced. Resolves with the
 * first member's view.
 */
export async function waitClusterStable(members: ClusterMember[], timeoutMs = 60_000): Promise<ClusterNode[]> {
  return waitStable(members, timeoutMs, {});
}

/**
 * A cluster formed beforehand (a claimed warm spare) settles within a gossip round or two: looked at closely then,
 * every 100 ms once it takes longer (each look is a connection to every member).
 */
const settlePollMs = (elapsedMs: number) => (elapsedMs < 2000 ? 20 : 100);

async function waitStable(members: ClusterMember[], timeoutMs: number, expected: Expectation): Promise<ClusterNode[]> {
  return pollUntil(
    async () => {
      const reports = await Promise.all(
        members.map((member) =>
          withAdmin(member.admin, async (redis) => ({
            state: await clusterState(redis),
            view: await nodesOf(redis),
            replication: await readReplication(redis),
          })),
        ),
      );
      const problems: string[] = [];
      const ids = reports.map((report) => myselfIn(report.view).id);
      const reference = reports[0].view;
      const referenceOwners = expected.owners ?? slotOwners(reference);
      reports.forEach(({ state, view, replication }, i) => {
        const name = describeNode(members[i].admin);
        const me = myselfIn(view);
        if (state !== 'ok') problems.push(`${name} reports cluster_state:${state}`);
        const unknown = ids.filter(
          (id) => !view.some((node) => node.id === id && !node.handshake && !node.failed && !node.suspected),
        );
        if (unknown.length > 0)
          problems.push(`${name} does not see ${unknown.map(shortId).join(', ')} as healthy members`);
        const owners = slotOwners(view);
        const differ = owners.findIndex((owner, slot) => owner !== referenceOwners[slot]);
        if (differ >= 0)
          problems.push(
            `${name} has slot ${differ} served by ${owners[differ] ?? 'nobody'}, expected ${referenceOwners[differ] ?? 'nobody'}`,
          );
        if (me.migrating.length + me.importing.length > 0)
          problems.push(`${name} is still moving ${me.migrating.length + me.importing.length} slots`);
        for (const id of ids) {
          const seen = view.find((node) => node.id === id);
          const truth = reports[ids.indexOf(id)].view.find((node) => node.myself)!;
          if (seen && (seen.role !== truth.role || seen.masterId !== truth.masterId))
            problems.push(
              `${name} sees ${shortId(id)} as ${seen.role} of ${seen.masterId ?? '-'}, it is ${truth.role} of ${truth.masterId ?? '-'}`,
            );
        }
        const master = expected.masters?.get(me.id);
        if (master && me.masterId !== master) problems.push(`${name} does not replicate ${shortId(master)} yet`);
        if (me.role === 'replica' && (!replication.linkUp || replication.syncInProgress))
          problems.push(`${name} has not synced with its primary yet`);
      });
      return problems.length === 0 ? { value: reference } : problems.slice(0, 6).join('; ');
    },
    timeoutMs,
    'the cluster did not settle',
    settlePollMs,
  );
}

// ---------------------------------------------------------------- members

/**
 * Introduces new nodes to the cluster through one live member and waits until they know everyone it knows (and
 * it knows them) and see the same slot owners. Resolves with their ids, in order. It does not wait for the new
 * nodes' cluster_state:ok: a new primary reports the cluster down for cluster-node-timeout after it first saw
 * itself in a minority (Redis's rejoin delay, 5 s here), and refuses keys meanwhile. moveSlots waits for that on
 * its target, so attaching replicas (whose first sync takes as long) overlaps it.
 */
export async function addMembers(
  anyLive: ClusterMember,
  newMembers: ClusterMember[],
  options: ClusterOptions = {},
): Promise<string[]> {
  checkMeetable(newMembers);
  const ids = await memberIds(newMembers);
  await Promise.all(
    newMembers.map((member) => withAdmin(member.admin, (redis) => setReplicationAuth(redis, member.admin))),
  );
  await withAdmin(anyLive.admin, async (redis) => {
    const view = await nodesOf(redis);
    for (const [i, member] of newMembers.entries())
      if (!view.some((node) => node.id === ids[i])) await meet(redis, member.peer);
  });
  await pollUntil(
    async () => {
      const live = await readClusterNodes(anyLive);
      // A node without an address (an identity whose address another node now answers at) is never gossiped:
      // no new node can learn it, so it is not waited for.
      const everyone = live
        .filter((node) => !node.handshake && !node.failed && !node.flags.includes('noaddr'))
        .map((node) => node.id);
      const owners = slotOwners(live);
      const missing: string[] = [];
      for (const [i, id] of ids.entries()) {
        const name = describeNode(newMembers[i].admin);
        if (!knows(live, id)) missing.push(`${describeNode(anyLive.admin)} does not know ${shortId(id)}`);
        const view = await readClusterNodes(newMembers[i]);
        const unknown = everyone.filter((other) => !knows(view, other));
        if (unknown.length > 0) missing.push(`${name} does not know ${unknown.map(shortId).join(', ')}`);
        const differ = slotOwners(view).findIndex((owner, slot) => owner !== owners[slot]);
        if (differ >= 0) missing.push(`${name} does not know who serves slot ${differ} yet`);
      }
      return missing.length === 0 ? { value: undefined } : missing.join('; ');
    },
    options.timeoutMs ?? 30_000,
    'the new nodes did not join the cluster',
    100,
  );
  return ids;
}

/** Makes replica follow primary (meeting it first if need be) and resolves once it has synced. */
export async function attachReplica(
  replica: ClusterMember,
  primary: ClusterMember,
  options: ClusterOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const [primaryId] = await memberIds([primary]);
  await withAdmin(replica.admin, async (redis) => {
    if (!knows(await nodesOf(redis), primaryId)) await meet(redis, primary.peer);
  });
  // A node that just joined may have learned the primary from a peer that has not seen it promoted yet, and
  // CLUSTER REPLICATE refuses a node it takes for a replica.
  await pollUntil(
    async () => {
      const primary = (await readClusterNodes(replica)).find((n) => n.id === primaryId && !n.handshake);
      if (!primary) return `it does not know ${shortId(primaryId)} yet`;
      return primary.role === 'primary' ? { value: undefined } : `it takes ${shortId(primaryId)} for a replica`;
    },
    timeoutMs,
    `${describeNode(replica.admin)} did not meet its primary`,
  );
  await replicate(replica, primaryId);
  await pollUntil(
    async () => {
      const me = myselfIn(await readClusterNodes(replica));
      return me.masterId === primaryId ? { value: undefined } : `it follows ${me.masterId ?? 'nobody'}`;
    },
    timeoutMs,
    `${describeNode(replica.admin)} did not become a replica of ${describeNode(primary.admin)}`,
  );
  await waitForSync(replica.admin, timeoutMs, options.explainLink);
}

/**
 * Makes every member forget the identities their views hold besides the members' own: the old identity of a node
 * replaced at the same announced address, which a new node can pick up as it joins (as an addressless entry no
 * gossip ever clears). Only for a cluster whose members are all given, and none of them following a stranger.
 */
export async function forgetStrangers(members: ClusterMember[]): Promise<string[]> {
  const ids = new Set(await memberIds(members));
  const views = await Promise.all(members.map((member) => readClusterNodes(member)));
  const strangers = new Set(views.flat().flatMap((node) => (node.handshake || ids.has(node.id) ? [] : [node.id])));
  if (strangers.size > 0) await forgetMembers(members, [...strangers]);
  return [...strangers];
}

/**
 * forgetStrangers until a look finds none in any member's view: a node that joined last can still bring an old
 * identity in as the others forget it (a rolling replacement ends with its views holding its members alone).
 */
export async function forgetStrangersForGood(members: ClusterMember[], timeoutMs = 10_000): Promise<void> {
  await pollUntil(
    async () => {
      const forgotten = await forgetStrangers(members);
      return forgotten.length === 0 ? { value: undefined } : `still known: ${forgotten.map(shortId)}`;
    },
    timeoutMs,
    'the replaced nodes were not forgotten',
    250,
  );
}

/**
 * Makes every remaining member forget the removed nodes. CLUSTER FORGET also bans the id for 60 seconds on that
 * member; a member that still knows the node after that gossips it back, so all are told at once, and a member
 * that cannot be told is an error. A node cannot forget itself or the primary it replicates: asking for either is
 * an error before anything is forgotten.
 */
export async function forgetMembers(remaining: ClusterMember[], removedNodeIds: string[]): Promise<void> {
  const views = await Promise.all(remaining.map((member) => readClusterNodes(member)));
  views.forEach((view, i) => {
    const me = myselfIn(view);
    if (removedNodeIds.includes(me.id))
      throw new Error(
        `${describeNode(remaining[i].admin)} is node ${me.id} itself, it cannot be both removed and remaining`,
      );
    if (me.masterId && removedNodeIds.includes(me.masterId)) {
      throw new Error(
        `${describeNode(remaining[i].admin)} replicates the removed node ${me.masterId}: attach it to a remaining primary first`,
      );
    }
  });
  const failures: string[] = [];
  await Promise.all(
    remaining.map((member, i) =>
      withAdmin(member.admin, async (redis) => {
        for (const id of removedNodeIds) {
          if (!views[i].some((node) => node.id === id)) continue;
          await redis.call('CLUSTER', 'FORGET', id).catch((error: Error) => {
            if (!/Unknown node/i.test(error.message)) throw error;
          });
        }
      }).catch((error: Error) => {
        failures.push(`${describeNode(member.admin)}: ${error.message}`);
      }),
    ),
  );
  if (failures.length > 0)
    throw new Error(
      `not every remaining node forgot ${removedNodeIds.map(shortId).join(', ')}: ${failures.join('; ')}`,
    );
}
