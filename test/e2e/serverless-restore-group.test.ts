/**
 * CreateReplicationGroup with ServerlessCacheSnapshotName (process runtime): keys written in a serverless cache come
 * back from a node-based group restored from the cache's snapshot; a missing snapshot, a second source, a group
 * with cluster mode disabled and an engine the snapshot cannot go into get AWS's errors.
 */
import {
  CreateReplicationGroupCommand,
  CreateServerlessCacheCommand,
  CreateServerlessCacheSnapshotCommand,
  DeleteReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  type ElastiCacheClient,
  type CreateReplicationGroupCommandInput,
} from '@aws-sdk/client-elasticache';
import { Cluster } from 'ioredis';
import t from 'tap';
import { failure, removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { connectAs } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { untilSnapshot, untilStatus } from '../fixtures/serverless.js';

const KEYS = 2_000;

async function groupOf(client: ElastiCacheClient, id: string) {
  return (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0];
}

t.test('process: a replication group restored from a serverless snapshot holds its keys', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);

  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'origin', Engine: 'valkey' }));
  const origin = await untilStatus(client, 'origin', 'available');
  const writer = await connectAs(origin.Endpoint!);
  t.teardown(() => writer.disconnect());
  const pipeline = writer.pipeline();
  for (let i = 0; i < KEYS; i++) pipeline.set(`key:${i}`, `value-${i}`);
  pipeline.hset('profile', { name: 'ada', lang: 'en' });
  await pipeline.exec();
  await client.send(
    new CreateServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'seed', ServerlessCacheName: 'origin' }),
  );
  await untilSnapshot(client, 'seed', 'available');

  const create = (input: Partial<CreateReplicationGroupCommandInput>) =>
    client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'restored',
        ReplicationGroupDescription: 'from a serverless snapshot',
        ...input,
      }),
    );
  const missing = await failure(create({ ServerlessCacheSnapshotName: 'nope' }));
  t.match(missing, { name: 'ServerlessCacheSnapshotNotFoundFault', $metadata: { httpStatusCode: 404 } });
  const twoSources = await failure(create({ ServerlessCacheSnapshotName: 'seed', SnapshotName: 'seed' }));
  t.equal(twoSources?.name, 'InvalidParameterCombinationException', 'one source of data only');
  const disabled = await failure(create({ ServerlessCacheSnapshotName: 'seed', ClusterMode: 'disabled' }));
  t.equal(disabled?.name, 'InvalidParameterCombinationException', 'a cluster-mode snapshot needs cluster mode');
  const intoRedis = await failure(create({ ServerlessCacheSnapshotName: 'seed', Engine: 'redis' }));
  t.equal(intoRedis?.name, 'InvalidParameterCombinationException', 'a valkey snapshot goes into valkey only');
  t.equal(
    (await failure(groupOf(client, 'restored')))?.name,
    'ReplicationGroupNotFoundFault',
    'no refused request left a group',
  );

  const created = (
    await create({ ServerlessCacheSnapshotName: 'seed', CacheNodeType: 'cache.t3.small', ReplicasPerNodeGroup: 1 })
  ).ReplicationGroup!;
  t.match(created, { Status: 'creating', ClusterEnabled: true, Engine: 'valkey', CacheNodeType: 'cache.t3.small' });
  const group = await eventually(
    async () => {
      const found = await groupOf(client, 'restored');
      return found.Status === 'available' && found;
    },
    90_000,
    'restored available',
  );
  t.equal(group.NodeGroups?.length, 1, 'one shard, as the serverless cache had');
  t.equal(group.NodeGroups?.[0].Slots, '0-16383');

  const cfg = group.ConfigurationEndpoint!;
  const cluster = new Cluster([{ host: cfg.Address!, port: cfg.Port! }], { redisOptions: { connectTimeout: 3000 } });
  cluster.on('error', () => {});
  t.teardown(() => cluster.disconnect());
  t.equal(await cluster.dbsize(), KEYS + 1, 'every key of the serverless cache');
  t.same(await Promise.all(['key:0', 'key:777', `key:${KEYS - 1}`].map((k) => cluster.get(k))), [
    'value-0',
    'value-777',
    `value-${KEYS - 1}`,
  ]);
  t.same(await cluster.hgetall('profile'), { name: 'ada', lang: 'en' });
  t.equal(await cluster.set('after', 'restore'), 'OK', 'the restored group takes writes');

  await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'restored' }));
  await eventually(
    async () => (await failure(groupOf(client, 'restored')))?.name === 'ReplicationGroupNotFoundFault',
    60_000,
    'restored gone',
  );
});
