/**
 * waitSlotMapComplete against real redis-server cluster nodes (see redis-processes.ts): once it resolves, every
 * node's CLUSTER SLOTS lists every replica, though the new cluster's primaries have had no write.
 */
import { Redis } from 'ioredis';
import t from 'tap';
import { createCluster } from '../../src/dataplane/redis-cluster.js';
import { waitSlotMapComplete } from '../../src/dataplane/cluster-slot-map.js';
import { evenSlots } from '../../src/common/slot-ranges.js';
import { redisAvailable, startMany, stopAll, type TestNode } from './redis-processes.js';

t.teardown(() => stopAll());

/** The replicas a node's CLUSTER SLOTS lists, by id. */
async function listedReplicas(node: TestNode): Promise<string[]> {
  const redis = new Redis({ host: node.admin.host, port: node.admin.port, maxRetriesPerRequest: 0 });
  try {
    const slots = (await redis.call('CLUSTER', 'SLOTS')) as Array<[number, number, ...Array<[string, number, string]>]>;
    return slots.flatMap(([, , , ...replicas]) => replicas.map((replica) => replica[2])).sort();
  } finally {
    redis.disconnect();
  }
}

t.test('after waitSlotMapComplete every node lists every replica in CLUSTER SLOTS', async (t) => {
  if (!redisAvailable(t)) return;
  const nodes = await startMany(6, { cluster: true });
  const [p1, p2, r1, r2, r3, r4] = nodes;
  const slots = evenSlots(2);
  const shards = await createCluster([
    { primary: p1, replicas: [r1, r2], slots: slots[0] },
    { primary: p2, replicas: [r3, r4], slots: slots[1] },
  ]);
  const replicaIds = shards.flatMap((shard) => shard.replicaIds).sort();
  t.comment(`right after createCluster, ${p1.admin.port} lists ${(await listedReplicas(p1)).length} of 4 replicas`);

  await waitSlotMapComplete(nodes);
  for (const node of nodes)
    t.same(await listedReplicas(node), replicaIds, `node ${node.admin.port} lists all four replicas`);

  await waitSlotMapComplete(nodes);
  t.pass('called again on a complete map, it returns');
});
