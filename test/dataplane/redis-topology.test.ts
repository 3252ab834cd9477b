/**
 * Replication and Redis Cluster primitives against real redis-server processes (no mocks): REPLICAOF and
 * failover for cluster mode disabled; cluster creation, resharding with keys, member changes and failover for
 * cluster mode enabled; CLUSTER NODES parsing (the slot arithmetic is in slot-ranges.test.ts). See
 * redis-processes.ts for how the nodes are started.
 */
import { Cluster, Redis } from 'ioredis';
import t from 'tap';
import { parseClusterNodes, slotOwners } from '../../src/dataplane/cluster-nodes-parser.js';
import { migrateAuth, parseInfo, withAdmin } from '../../src/dataplane/node-admin.js';
import {
  addMembers,
  attachReplica,
  clusterFailover,
  createCluster,
  forgetMembers,
  readClusterNodes,
  waitClusterStable,
  type ClusterMember,
} from '../../src/dataplane/redis-cluster.js';
import { bestCandidate, failover, replicaOf, replicationState, waitForSync } from '../../src/dataplane/replication.js';
import { moveSlots } from '../../src/dataplane/slot-migration.js';
import {
  evenSlots,
  formatSlotRanges,
  planRebalance,
  rangesToSlots,
  type SlotRanges,
} from '../../src/common/slot-ranges.js';
import { redisAvailable, startMany, stopAll, type TestNode } from './redis-processes.js';

const KEYS = 10_000;

function client(node: TestNode): Redis {
  return new Redis({
    host: node.admin.host,
    port: node.admin.port,
    password: node.admin.authToken,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
}

async function withClient<T>(node: TestNode, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = client(node);
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

const stat = (node: TestNode, name: string) =>
  withClient(node, async (redis) => Number(parseInfo(await redis.info('stats'))[name]));

const clusterClients: Cluster[] = [];

/** A cluster client that gives up when the nodes are gone (teardown disconnects any a failed test left open). */
function clusterClient(nodes: TestNode[], autoPipelining = true): Cluster {
  const cluster = new Cluster(
    nodes.map((node) => ({ host: node.admin.host, port: node.admin.port })),
    {
      enableAutoPipelining: autoPipelining,
      clusterRetryStrategy: () => null,
      redisOptions: { password: nodes[0].admin.authToken },
    },
  );
  cluster.on('error', () => {});
  clusterClients.push(cluster);
  return cluster;
}

async function writeKeys(cluster: Cluster, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => cluster.set(`key:${i}`, `value-${i}`)));
}

/** How many of the keys read back with the right value, through a fresh cluster client. */
async function readableKeys(nodes: TestNode[], count: number): Promise<number> {
  const cluster = clusterClient(nodes);
  try {
    const values = await Promise.all(Array.from({ length: count }, (_, i) => cluster.get(`key:${i}`)));
    return values.filter((value, i) => value === `value-${i}`).length;
  } finally {
    cluster.disconnect();
  }
}

async function primaryKeyCount(members: TestNode[]): Promise<number> {
  let total = 0;
  for (const member of members) {
    const me = (await readClusterNodes(member)).find((node) => node.myself)!;
    if (me.role === 'primary') total += await withClient(member, (redis) => redis.dbsize());
  }
  return total;
}

async function ownersById(member: ClusterMember): Promise<Record<string, SlotRanges>> {
  const owners: Record<string, SlotRanges> = {};
  for (const node of await readClusterNodes(member))
    if (node.role === 'primary' && node.slots.length > 0) owners[node.id] = node.slots;
  return owners;
}

const slotCount = (ranges: SlotRanges) => rangesToSlots(ranges).length;

t.test('CLUSTER NODES parsing (pure)', async (t) => {
  const nodes = parseClusterNodes(
    [
      'aaaa 127.0.0.1:7000@17000,node-a myself,master - 0 0 3 connected 0-100 200 [101->-bbbb] [300-<-cccc]',
      'bbbb 10.0.0.2:7001@7101,node-b slave aaaa 0 1700000000000 3 connected',
      'cccc :0@0 master,fail?,noaddr - 1700000000000 0 1 disconnected',
    ].join('\n'),
  );
  t.match(nodes[0], {
    id: 'aaaa',
    ip: '127.0.0.1',
    port: 7000,
    busPort: 17000,
    hostname: 'node-a',
    myself: true,
    role: 'primary',
    slots: [
      [0, 100],
      [200, 200],
    ],
    migrating: [{ slot: 101, to: 'bbbb' }],
    importing: [{ slot: 300, from: 'cccc' }],
  });
  t.match(nodes[1], { role: 'replica', masterId: 'aaaa', busPort: 7101, hostname: 'node-b', linkState: 'connected' });
  t.match(nodes[2], { ip: '', suspected: true, failed: false, linkState: 'disconnected', hostname: undefined });
  t.equal(slotOwners(nodes)[200], 'aaaa');
});

if (redisAvailable(t)) {
  t.teardown(() => {
    for (const cluster of clusterClients) cluster.disconnect();
    stopAll();
  });

  t.test(
    'replication (cluster mode disabled, requirepass): replicaOf, failover with a live and a dead primary',
    async (t) => {
      const [primary, r1, r2] = await startMany(3, { authToken: 'replication-token-0123456789' });

      t.equal(await replicaOf(primary.admin, undefined), false, 'a primary asked to be a primary changes nothing');
      const [changed1, changed2] = await Promise.all([
        replicaOf(r1.admin, primary.peer),
        replicaOf(r2.admin, primary.peer),
      ]);
      t.ok(changed1 && changed2);
      let started = Date.now();
      await Promise.all([waitForSync(r1.admin), waitForSync(r2.admin)]);
      t.comment(`initial sync of two replicas: ${Date.now() - started} ms`);
      t.equal(await replicaOf(r1.admin, primary.peer), false, 'asking again does not re-issue REPLICAOF');
      t.equal(await stat(primary, 'sync_full'), 2, 'and forces no second full sync');

      t.match(await replicationState(r1.admin), {
        role: 'replica',
        masterHost: '127.0.0.1',
        masterPort: primary.admin.port,
        linkUp: true,
        syncInProgress: false,
      });
      await withClient(primary, async (redis) => {
        await redis.set('greeting', 'hello');
        t.equal(await redis.wait(2, 2000), 2);
      });
      // Only now: after a diskless sync the primary lists a replica as online once its first ACK arrives.
      t.match(await replicationState(primary.admin), {
        role: 'primary',
        connectedReplicas: [{ state: 'online' }, { state: 'online' }],
      });
      for (const replica of [r1, r2])
        t.equal(
          await withClient(replica, (redis) => redis.get('greeting')),
          'hello',
          'a write on the primary reads on the replica',
        );

      // Failover with the old primary alive, while a client keeps writing: no acknowledged write may be lost.
      const writer = client(primary);
      writer.on('error', () => {});
      await writer.connect();
      let acknowledged = 0;
      let refusal = '';
      const writing = (async () => {
        for (;;) {
          try {
            acknowledged = await writer.incr('counter');
          } catch (error) {
            refusal = (error as Error).message;
            return;
          }
        }
      })();
      // A hundred writes in before the failover starts, however busy the machine: it happens under a live writer.
      while (acknowledged < 100 && !refusal) await new Promise((resolve) => setTimeout(resolve, 10));
      started = Date.now();
      await failover({ candidate: r1.admin, candidatePeer: r1.peer, oldPrimary: primary.admin, others: [r2.admin] });
      t.comment(`failover with a live primary: ${Date.now() - started} ms, after ${acknowledged} writes`);
      await writing;
      writer.disconnect();
      t.match(refusal, /READONLY/, 'writes that waited out the pause are refused by the old primary, now a replica');
      t.ok(acknowledged >= 100, `the writer got ${acknowledged} writes in`);
      t.equal(
        Number(await withClient(r1, (redis) => redis.get('counter'))),
        acknowledged,
        'the new primary has every acknowledged write',
      );
      t.match(await replicationState(r1.admin), { role: 'primary' });
      for (const follower of [primary, r2]) {
        t.match(await replicationState(follower.admin), { role: 'replica', masterPort: r1.admin.port });
        await waitForSync(follower.admin);
        t.equal(Number(await withClient(follower, (redis) => redis.get('counter'))), acknowledged);
      }
      t.equal(await stat(r1, 'sync_partial_ok'), 2, 'the others continued from the new primary without a full sync');
      await failover({ candidate: r1.admin, candidatePeer: r1.peer, oldPrimary: primary.admin, others: [r2.admin] });
      t.equal(
        (await stat(r1, 'sync_full')) + (await stat(r1, 'sync_partial_ok')),
        2,
        'a repeated failover changes nothing',
      );

      // The primary dies: the best reachable replica takes over.
      await withClient(r1, async (redis) => {
        await redis.set('last-words', 'kept');
        t.equal(await redis.wait(2, 2000), 2);
      });
      r1.kill();
      const candidate = await bestCandidate([r1.admin, primary.admin, r2.admin]);
      t.ok(candidate && candidate !== r1.admin, 'the dead node is not a candidate');
      const other = candidate === primary.admin ? r2 : primary;
      const promoted = candidate === primary.admin ? primary : r2;
      started = Date.now();
      const result = await failover({
        candidate: promoted.admin,
        candidatePeer: promoted.peer,
        others: [other.admin, r1.admin],
      });
      t.comment(`failover with a dead primary: ${Date.now() - started} ms`);
      t.same(result.unreachable, [r1.admin], 'a dead replica among the others is reported, not fatal');
      await waitForSync(other.admin);
      t.equal(await withClient(other, (redis) => redis.get('last-words')), 'kept');
      await withClient(promoted, async (redis) => {
        await redis.set('after', 'crash');
        t.equal(await redis.wait(1, 2000), 1);
      });
      t.equal(
        await withClient(other, (redis) => redis.get('after')),
        'crash',
        'the other replica follows the new primary',
      );
      await t.rejects(waitForSync(promoted.admin, 500), /is not a replica/);
      await t.rejects(replicationState(r1.admin), /does not answer/);
    },
  );

  t.test('cluster mode: create, 10,000 keys, add and remove a shard, fail over, forget', async (t) => {
    const nodes = await startMany(8, { cluster: true });
    const [p1, p2, p3, r1, r2, r3, p4, r4] = nodes;
    const slots = evenSlots(3);
    const shards = [p1, p2, p3].map((primary, i) => ({ primary, replicas: [[r1, r2, r3][i]], slots: slots[i] }));
    let started = Date.now();
    const ids = await createCluster(shards);
    t.comment(`createCluster 3 x (1+1): ${Date.now() - started} ms`);
    started = Date.now();
    t.same(await createCluster(shards), ids, 'calling it again finds the same cluster');
    t.comment(`createCluster again: ${Date.now() - started} ms`);
    const [id1, id2, id3] = ids.map((shard) => shard.primaryId);

    const view = await readClusterNodes(r2);
    t.equal(view.length, 6);
    t.match(
      view.find((node) => node.id === id2),
      { role: 'primary', slots: [[5462, 10922]], hostname: '127.0.0.1', port: p2.peer.port, busPort: p2.peer.busPort },
    );
    t.match(
      view.find((node) => node.myself),
      { role: 'replica', masterId: id2 },
    );

    const cluster = clusterClient(nodes.slice(0, 3));
    started = Date.now();
    await writeKeys(cluster, KEYS);
    t.comment(`10,000 keys written in ${Date.now() - started} ms`);
    t.equal(await readableKeys(nodes.slice(0, 3), KEYS), KEYS);

    // A fourth shard, then an even split: each old shard gives a quarter of its slots.
    const [id4] = await addMembers(p1, [p4, r4]);
    await attachReplica(r4, p4);
    const all = [...nodes];
    const moves = planRebalance(await ownersById(p1), [id1, id2, id3, id4]);
    t.equal(moves.length, 3);
    const byId = new Map([
      [id1, p1],
      [id2, p2],
      [id3, p3],
      [id4, p4],
    ]);
    // A client keeps reading while slots move: ASK / MOVED redirections must always find the key.
    const readerClient = clusterClient(nodes.slice(0, 3), false);
    let reading = true;
    const misses: string[] = [];
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        const i = Math.floor(Math.random() * KEYS);
        const value = await readerClient.get(`key:${i}`).catch((error: Error) => error.message);
        if (value !== `value-${i}`) misses.push(`key:${i}: ${value}`);
        reads++;
      }
    })();
    const progress: number[] = [];
    started = Date.now();
    let migrated = 0;
    for (const move of moves)
      migrated += (
        await moveSlots(byId.get(move.from)!, byId.get(move.to)!, move.slots, all, {
          onProgress: (p) => progress.push(p),
        })
      ).keys;
    t.comment(`4096 slots (${migrated} keys) moved to the new shard in ${Date.now() - started} ms`);
    reading = false;
    await reader;
    readerClient.disconnect();
    t.same(misses.slice(0, 5), [], `no read missed its key during the move (${reads} reads, ${misses.length} misses)`);
    t.equal(progress[progress.length - 1], 100);
    t.ok(
      progress.every((p, i) => i === 0 || p >= progress[i - 1] || p < 50),
      'progress climbs per move',
    );
    await waitClusterStable(all);
    const grown = await ownersById(p1);
    t.same(Object.values(grown).map(slotCount).sort(), [4096, 4096, 4096, 4096]);
    t.equal(await readableKeys(all, KEYS), KEYS, 'every key survives adding a shard');
    t.equal(await primaryKeyCount(all), KEYS, 'and lives in exactly one primary');
    const again = await moveSlots(byId.get(moves[0].from)!, byId.get(moves[0].to)!, moves[0].slots, all);
    t.same(again, { slots: moves[0].slots.length, keys: 0 }, 'moving slots already moved only announces them');
    await t.rejects(moveSlots(p1, p2, [16383], all), /slot 16383 is served by/);

    // Remove the third shard: its slots go to the others, then its nodes are forgotten.
    const shrink = planRebalance(grown, [id1, id2, id4]);
    t.ok(shrink.every((move) => move.from === id3));
    started = Date.now();
    for (const move of shrink) await moveSlots(p3, byId.get(move.to)!, move.slots, all);
    t.comment(`shard removed (slots moved) in ${Date.now() - started} ms`);
    const remaining = [p1, p2, p4, r1, r2, r4];
    await t.rejects(forgetMembers(remaining, [ids[0].replicaIds[0]]), /cannot be both removed and remaining/);
    await t.rejects(forgetMembers([r1], [id1]), /replicates the removed node/);
    await forgetMembers(remaining, [id3, ids[2].replicaIds[0]]);
    p3.kill();
    r3.kill();
    for (const member of remaining) {
      const known = (await readClusterNodes(member)).map((node) => node.id);
      t.notOk(
        known.includes(id3) || known.includes(ids[2].replicaIds[0]),
        `${member.admin.port} forgot the removed shard`,
      );
    }
    await waitClusterStable(remaining);
    t.same(
      Object.values(await ownersById(p1))
        .map(slotCount)
        .sort(),
      [5461, 5461, 5462],
    );
    t.equal(await readableKeys(remaining, KEYS), KEYS, 'every key survives removing a shard');

    // Graceful failover: the replica takes over, its old primary follows it.
    started = Date.now();
    await clusterFailover(r1, 'graceful', remaining);
    t.comment(`graceful cluster failover: ${Date.now() - started} ms`);
    t.match(
      (await readClusterNodes(p1)).find((node) => node.myself),
      { role: 'replica', masterId: ids[0].replicaIds[0] },
    );
    await clusterFailover(r1, 'graceful', remaining);
    t.pass('a failover to a node that already is the primary only checks');

    // The fourth shard's primary dies: force its replica to take over, then forget the dead node.
    p4.kill();
    started = Date.now();
    await clusterFailover(r4, 'force', remaining);
    t.comment(`forced cluster failover with a dead primary: ${Date.now() - started} ms`);
    const survivors = [p1, p2, r1, r2, r4];
    await forgetMembers(survivors, [id4]);
    await waitClusterStable(survivors);
    t.equal(await readableKeys(survivors, KEYS), KEYS, 'every key survives both failovers');
    cluster.disconnect();
  });

  t.test('cluster mode with requirepass: masterauth, MIGRATE with AUTH, takeover', async (t) => {
    const nodes = await startMany(4, { cluster: true, authToken: 'cluster-token-0123456789' });
    const [p1, p2, r1, r2] = nodes;
    const slots = evenSlots(2);
    const [shard1, shard2] = await createCluster([
      { primary: p1, replicas: [r1], slots: slots[0] },
      { primary: p2, replicas: [r2], slots: slots[1] },
    ]);
    const cluster = clusterClient(nodes);
    await writeKeys(cluster, 2000);
    cluster.disconnect();
    // As if a worker had crashed mid-move: one slot half migrated, another already given to the target only.
    const [id1, id2] = [shard1.primaryId, shard2.primaryId];
    const { full, empty } = await withClient(p1, async (redis) => {
      const counts = await Promise.all(rangesToSlots([[0, 200]]).map((slot) => redis.cluster('COUNTKEYSINSLOT', slot)));
      return {
        full: counts.findIndex((count) => Number(count) > 0),
        empty: counts.findIndex((count) => Number(count) === 0),
      };
    });
    // The emulator's own connection: clients may not change a cluster's topology.
    await withAdmin(p2.admin, (redis) => redis.cluster('SETSLOT', full, 'IMPORTING', id1));
    await withAdmin(p1.admin, async (redis) => {
      await redis.cluster('SETSLOT', full, 'MIGRATING', id2);
      const [key] = (await redis.cluster('GETKEYSINSLOT', full, 1)) as string[];
      await redis.call('MIGRATE', '127.0.0.1', String(p2.peer.port), key, '0', '5000', ...migrateAuth(p2.admin));
    });
    for (const [node, state] of [
      [p2, 'IMPORTING'],
      [p1, 'MIGRATING'],
      [p2, 'NODE'],
    ] as const) {
      await withAdmin(node.admin, (redis) =>
        redis.call('CLUSTER', 'SETSLOT', String(empty), state, state === 'IMPORTING' ? id1 : id2),
      );
    }
    const result = await moveSlots(p1, p2, rangesToSlots([[0, 4095]]), nodes);
    t.ok(result.keys > 300, `${result.keys} keys moved with AUTH, a half-moved slot and a half-announced one included`);
    await waitClusterStable(nodes);
    t.equal(
      formatSlotRanges((await readClusterNodes(p1)).find((node) => node.id === shard2.primaryId)!.slots),
      '0-4095,8192-16383',
    );
    await clusterFailover(r1, 'takeover', nodes);
    t.match(
      (await readClusterNodes(p2)).find((node) => node.id === shard1.replicaIds[0]),
      { role: 'primary', slots: [[4096, 8191]] },
    );
    await waitClusterStable(nodes);
    t.equal(await readableKeys(nodes, 2000), 2000);
  });
}
