/**
 * Snapshots through the SDK: the operations' rules and errors (metadata runtime), and real data on real nodes: each
 * shard's RDB taken from its primary, kept under the data dir across restarts, final snapshots on delete.
 */
import {
  AddTagsToResourceCommand,
  CopySnapshotCommand,
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  CreateSnapshotCommand,
  DeleteCacheClusterCommand,
  DeleteReplicationGroupCommand,
  DeleteSnapshotCommand,
  DescribeCacheClustersCommand,
  DescribeEventsCommand,
  DescribeSnapshotsCommand,
  ModifyCacheClusterCommand,
  ListTagsForResourceCommand,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
  waitUntilReplicationGroupAvailable,
  waitUntilReplicationGroupDeleted,
} from '@aws-sdk/client-elasticache';
import t from 'tap';
import { lastWindow } from '../../src/control/snapshots/automatic.js';
import {
  failure,
  removeAllNodes,
  sdkClient,
  startTestEmulator,
  tempDir,
  uniqueEndpointBase,
  waiter,
} from '../fixtures/emulator.js';
import { eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import {
  createRedis,
  describeSnapshot,
  realSnapshotChecks,
  restoreChecks,
  snapshotSettled,
  writeMixedKeys,
} from '../fixtures/snapshot-suite.js';

t.test('snapshot operations: statuses, filters, paging, copies, tags, deletes and AWS errors', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createRedis(client, 'snap-src');
  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'snap-mc', Engine: 'memcached', CacheNodeType: 'cache.t3.micro' }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'snap-mc' });

  const created = await client.send(
    new CreateSnapshotCommand({
      CacheClusterId: 'snap-src',
      SnapshotName: 'First-Snap',
      Tags: [{ Key: 'team', Value: 'cache' }],
    }),
  );
  t.equal(created.Snapshot!.SnapshotName, 'first-snap', 'names are stored lowercase');
  t.equal(created.Snapshot!.SnapshotStatus, 'creating');
  t.equal(created.Snapshot!.SnapshotSource, 'manual');
  t.equal(created.Snapshot!.CacheClusterId, 'snap-src');
  t.match(created.Snapshot!.ARN, /^arn:aws:elasticache:us-east-1:000000000000:snapshot:first-snap$/);
  const available = await snapshotSettled(client, 'first-snap');
  t.equal(available.SnapshotStatus, 'available');
  t.equal(available.Engine, 'redis');
  t.equal(available.CacheNodeType, 'cache.t3.micro');
  t.equal(available.NodeSnapshots![0].CacheNodeId, '0001');
  t.match(available.NodeSnapshots![0].CacheSize, /^\d+ MB$/);
  const cluster = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'snap-src' })))
    .CacheClusters![0];
  t.equal(cluster.CacheClusterStatus, 'available', 'the source is available again');
  const events = await client.send(
    new DescribeEventsCommand({ SourceIdentifier: 'snap-src', SourceType: 'cache-cluster' }),
  );
  t.ok(
    events.Events!.some(
      (e) => e.Message === "Snapshot succeeded for snapshot with ID 'first-snap' of cache cluster with ID 'snap-src'",
    ),
    'a snapshot event',
  );
  t.same(
    (await client.send(new ListTagsForResourceCommand({ ResourceName: available.ARN }))).TagList,
    [{ Key: 'team', Value: 'cache' }],
    'tags given at create time',
  );
  await client.send(new AddTagsToResourceCommand({ ResourceName: available.ARN, Tags: [{ Key: 'b', Value: '2' }] }));
  t.equal((await client.send(new ListTagsForResourceCommand({ ResourceName: available.ARN }))).TagList!.length, 2);

  // Errors, with AWS's codes.
  const code = async (promise: Promise<unknown>) => (await failure(promise))?.name;
  t.equal(
    await code(client.send(new CreateSnapshotCommand({ CacheClusterId: 'snap-src', SnapshotName: 'first-snap' }))),
    'SnapshotAlreadyExistsFault',
  );
  t.equal(
    await code(client.send(new CreateSnapshotCommand({ CacheClusterId: 'nope', SnapshotName: 'x1' }))),
    'CacheClusterNotFoundFault',
  );
  t.equal(
    await code(client.send(new CreateSnapshotCommand({ ReplicationGroupId: 'nope', SnapshotName: 'x1' }))),
    'ReplicationGroupNotFoundFault',
  );
  t.equal(
    await code(client.send(new CreateSnapshotCommand({ CacheClusterId: 'snap-mc', SnapshotName: 'x1' }))),
    'SnapshotFeatureNotSupportedFault',
    'memcached has no snapshots',
  );
  t.equal(await code(client.send(new CreateSnapshotCommand({ SnapshotName: 'x1' }))), 'InvalidParameterValueException');
  t.equal(
    await code(
      client.send(
        new CreateSnapshotCommand({ SnapshotName: 'x1', CacheClusterId: 'snap-src', ReplicationGroupId: 'g' }),
      ),
    ),
    'InvalidParameterCombinationException',
  );
  t.equal(
    await code(client.send(new CreateSnapshotCommand({ CacheClusterId: 'snap-src', SnapshotName: 'bad--name' }))),
    'InvalidParameterValueException',
    'name rules',
  );
  t.equal(await code(client.send(new DescribeSnapshotsCommand({ SnapshotName: 'nope' }))), 'SnapshotNotFoundFault');
  t.equal(await code(client.send(new DeleteSnapshotCommand({ SnapshotName: 'nope' }))), 'SnapshotNotFoundFault');
  t.equal(await code(client.send(new DescribeSnapshotsCommand({ MaxRecords: 51 }))), 'InvalidParameterValueException');
  t.equal(await code(client.send(new DescribeSnapshotsCommand({ MaxRecords: 19 }))), 'InvalidParameterValueException');
  t.equal(
    await code(client.send(new DescribeSnapshotsCommand({ SnapshotSource: 'sometimes' }))),
    'InvalidParameterValueException',
  );
  t.equal(
    await code(client.send(new DescribeSnapshotsCommand({ CacheClusterId: 'nope' }))),
    'CacheClusterNotFoundFault',
  );
  t.equal(
    await code(client.send(new CopySnapshotCommand({ SourceSnapshotName: 'nope', TargetSnapshotName: 'x2' }))),
    'SnapshotNotFoundFault',
  );
  t.equal(
    await code(
      client.send(new CopySnapshotCommand({ SourceSnapshotName: 'first-snap', TargetSnapshotName: 'first-snap' })),
    ),
    'SnapshotAlreadyExistsFault',
  );
  t.equal(
    await code(client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'snap-mc', FinalSnapshotIdentifier: 'f' }))),
    'SnapshotFeatureNotSupportedFault',
  );

  t.equal(
    await code(
      client.send(
        new CopySnapshotCommand({ SourceSnapshotName: 'first-snap', TargetSnapshotName: 'e', TargetBucket: '../up' }),
      ),
    ),
    'InvalidParameterValueException',
    'a bucket name S3 would refuse',
  );

  // Restores that AWS refuses, and change nothing.
  t.equal(
    await code(client.send(new CreateCacheClusterCommand({ CacheClusterId: 'r1', SnapshotName: 'nope' }))),
    'SnapshotNotFoundFault',
  );
  t.equal(
    await code(
      client.send(
        new CreateCacheClusterCommand({ CacheClusterId: 'r1', SnapshotName: 'first-snap', EngineVersion: '6.2' }),
      ),
    ),
    'InvalidParameterCombinationException',
    'not into an older engine version',
  );
  t.equal(
    await code(
      client.send(
        new CreateCacheClusterCommand({
          CacheClusterId: 'r1',
          SnapshotName: 'first-snap',
          SnapshotArns: [available.ARN!],
        }),
      ),
    ),
    'InvalidParameterCombinationException',
  );
  t.equal(
    await code(client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'r1' }))),
    'CacheClusterNotFoundFault',
    'nothing was created',
  );

  // Copies, filters and paging.
  const copy = await client.send(
    new CopySnapshotCommand({ SourceSnapshotName: 'first-snap', TargetSnapshotName: 'copy-snap' }),
  );
  t.equal(copy.Snapshot!.SnapshotStatus, 'creating');
  t.equal((await snapshotSettled(client, 'copy-snap')).SnapshotStatus, 'available');
  for (let i = 0; i < 19; i++) {
    await client.send(new CopySnapshotCommand({ SourceSnapshotName: 'first-snap', TargetSnapshotName: `page-${i}` }));
  }
  const first = await client.send(new DescribeSnapshotsCommand({ MaxRecords: 20 }));
  t.equal(first.Snapshots!.length, 20);
  t.ok(first.Marker, 'a marker to the next page');
  const second = await client.send(new DescribeSnapshotsCommand({ MaxRecords: 20, Marker: first.Marker }));
  t.equal(second.Snapshots!.length, 1);
  t.equal((await client.send(new DescribeSnapshotsCommand({}))).Snapshots!.length, 21, 'at most 50 by default');
  t.equal((await client.send(new DescribeSnapshotsCommand({ SnapshotSource: 'system' }))).Snapshots!.length, 0);
  t.equal((await client.send(new DescribeSnapshotsCommand({ SnapshotSource: 'user' }))).Snapshots!.length, 21);
  t.equal((await client.send(new DescribeSnapshotsCommand({ CacheClusterId: 'snap-src' }))).Snapshots!.length, 21);

  // Delete: `deleting`, then gone, its tags with it.
  const deleted = await client.send(new DeleteSnapshotCommand({ SnapshotName: 'copy-snap' }));
  t.equal(deleted.Snapshot!.SnapshotStatus, 'deleting');
  await eventually(
    async () =>
      (await failure(client.send(new DescribeSnapshotsCommand({ SnapshotName: 'copy-snap' }))))?.name ===
      'SnapshotNotFoundFault',
    10_000,
    'the snapshot to be gone',
  );
  t.pass('a deleted snapshot is gone');

  // The final snapshot of a delete is kept, and the cluster then goes.
  await client.send(
    new DeleteCacheClusterCommand({ CacheClusterId: 'snap-src', FinalSnapshotIdentifier: 'last-words' }),
  );
  await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'snap-src' });
  const last = await describeSnapshot(client, 'last-words');
  t.equal(last.SnapshotStatus, 'available', 'the final snapshot is listed');
  t.equal(last.CacheClusterId, 'snap-src');
  t.equal(
    (await client.send(new DescribeSnapshotsCommand({ CacheClusterId: 'snap-src' }))).Snapshots!.length,
    21,
    "a deleted cluster's snapshots are still found by its id",
  );
});

t.test('snapshot quota: 20 manual snapshots of one cluster per 24 hours', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createRedis(client, 'quota');
  for (let i = 0; i < 20; i++) {
    await client.send(new CreateSnapshotCommand({ CacheClusterId: 'quota', SnapshotName: `q-${i}` }));
    await snapshotSettled(client, `q-${i}`);
  }
  const refused = await failure(
    client.send(new CreateSnapshotCommand({ CacheClusterId: 'quota', SnapshotName: 'q-20' })),
  );
  t.equal(refused?.name, 'SnapshotQuotaExceededFault');
});

t.test('replication groups: snapshots of a group, states, and a final snapshot on delete', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'sharded',
      ReplicationGroupDescription: 'three shards',
      CacheNodeType: 'cache.t3.micro',
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 1,
      CacheParameterGroupName: 'default.redis7.cluster.on',
    }),
  );
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'sharded' });
  const shard = await failure(
    client.send(new CreateSnapshotCommand({ CacheClusterId: 'sharded-0001-001', SnapshotName: 's' })),
  );
  t.equal(shard?.name, 'SnapshotFeatureNotSupportedFault', 'cluster mode: only the whole group');
  await client.send(new CreateSnapshotCommand({ ReplicationGroupId: 'sharded', SnapshotName: 'whole' }));
  const whole = await snapshotSettled(client, 'whole');
  t.equal(whole.NumNodeGroups, 3);
  t.equal(whole.CacheClusterId, undefined);
  t.same(
    whole.NodeSnapshots!.map((n) => n.NodeGroupId),
    ['0001', '0002', '0003'],
  );
  t.equal(whole.NodeSnapshots![0].NodeGroupConfiguration, undefined, 'no slots unless asked for');
  const shown = (await client.send(new DescribeSnapshotsCommand({ SnapshotName: 'whole', ShowNodeGroupConfig: true })))
    .Snapshots![0];
  t.equal(shown.NodeSnapshots![0].NodeGroupConfiguration!.Slots, '0-5461');
  t.equal(shown.NodeSnapshots![0].NodeGroupConfiguration!.ReplicaCount, 1);
  t.equal((await client.send(new DescribeSnapshotsCommand({ ReplicationGroupId: 'sharded' }))).Snapshots!.length, 1);
  const intoCluster = await failure(
    client.send(new CreateCacheClusterCommand({ CacheClusterId: 'one-shard', SnapshotName: 'whole' })),
  );
  t.equal(intoCluster?.name, 'InvalidParameterCombinationException', 'three shards do not fit one cluster');

  await client.send(
    new DeleteReplicationGroupCommand({ ReplicationGroupId: 'sharded', FinalSnapshotIdentifier: 'sharded-final' }),
  );
  await waitUntilReplicationGroupDeleted(waiter(client), { ReplicationGroupId: 'sharded' });
  t.equal((await describeSnapshot(client, 'sharded-final')).SnapshotStatus, 'available');
});

t.test('process runtime: a snapshot holds the node data', (t) => realSnapshotChecks(t, 'process'));

t.test('process runtime: restores hold the data', (t) => restoreChecks(t, 'process', 10_000));

t.test('automatic snapshots: one a day in the window, pruned past retention, deleted with their source', async (t) => {
  const noon = Date.UTC(2026, 0, 10, 12, 0);
  t.same(lastWindow('11:30-12:30', noon), { start: noon - 30 * 60_000, end: noon + 30 * 60_000 }, 'open now');
  t.same(lastWindow('23:00-01:00', noon).start, Date.UTC(2026, 0, 9, 23, 0), "yesterday's window");
  t.ok(lastWindow('23:00-01:00', noon).end < noon, 'closed');

  const emulator = await startTestEmulator(t, { snapshotWindowNow: true });
  const client = sdkClient(emulator);
  await createRedis(client, 'auto', { SnapshotRetentionLimit: 2, SnapshotWindow: '03:00-04:00' });
  await createRedis(client, 'manual-only');
  const system = async () =>
    (await client.send(new DescribeSnapshotsCommand({ SnapshotSource: 'system' }))).Snapshots ?? [];
  const automatic = await eventually(
    async () => (await system()).find((s) => s.SnapshotStatus === 'available'),
    20_000,
    'an automatic snapshot',
  );
  t.match(automatic.SnapshotName, /^automatic\.auto-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/);
  t.equal(automatic.SnapshotSource, 'automated');
  t.equal(automatic.CacheClusterId, 'auto');
  t.equal((await system()).length, 1, 'one a day, none for a cluster without retention');
  t.equal((await client.send(new DescribeSnapshotsCommand({ SnapshotSource: 'user' }))).Snapshots!.length, 0);

  // Retention 0 turns them off and deletes them.
  await client.send(
    new ModifyCacheClusterCommand({ CacheClusterId: 'auto', SnapshotRetentionLimit: 0, ApplyImmediately: true }),
  );
  await eventually(async () => (await system()).length === 0, 20_000, 'the automatic snapshot to be deleted');
  t.pass('retention 0 deletes the automatic snapshots');

  // Deleting a cluster deletes its automatic snapshots, and keeps its final one.
  await client.send(
    new ModifyCacheClusterCommand({ CacheClusterId: 'auto', SnapshotRetentionLimit: 1, ApplyImmediately: true }),
  );
  await eventually(async () => (await system()).some((s) => s.SnapshotStatus === 'available'), 20_000, 'a new one');
  await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'auto', FinalSnapshotIdentifier: 'auto-final' }));
  await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'auto' });
  await eventually(async () => (await system()).length === 0, 20_000, 'the automatic snapshots to go with the cluster');
  t.equal((await describeSnapshot(client, 'auto-final')).SnapshotSource, 'manual', 'the final snapshot stays');
});

t.test('process runtime: a snapshot in progress when the emulator stops completes after the restart', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const dataDir = tempDir(t);
  const endpointBase = uniqueEndpointBase();
  const emulator = await startTestEmulator(t, { runtime: 'process', dataDir, endpointBase });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  await createRedis(client, 'interrupted');
  const node = (
    await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'interrupted', ShowCacheNodeInfo: true }))
  ).CacheClusters![0].CacheNodes![0].Endpoint!;
  const redis = redisAt(node);
  await redis.connect();
  await writeMixedKeys(redis, 5000);
  redis.disconnect();
  await client.send(new CreateSnapshotCommand({ CacheClusterId: 'interrupted', SnapshotName: 'mid-way' }));
  // Stopped at once: the job is cut short (or has just finished); either way it is not lost.
  await emulator.close();

  const restarted = await startTestEmulator(t, { runtime: 'process', dataDir, endpointBase });
  t.teardown(() => removeAllNodes(restarted));
  const again = sdkClient(restarted);
  const snapshot = await snapshotSettled(again, 'mid-way');
  t.equal(snapshot.SnapshotStatus, 'available', 'the snapshot is taken after the restart');
  const cluster = (await again.send(new DescribeCacheClustersCommand({ CacheClusterId: 'interrupted' })))
    .CacheClusters![0];
  t.equal(cluster.CacheClusterStatus, 'available', 'its source is available again');
  await again.send(new CreateCacheClusterCommand({ CacheClusterId: 'after-restart', SnapshotName: 'mid-way' }));
  await waitUntilCacheClusterAvailable(waiter(again), { CacheClusterId: 'after-restart' });
  const restoredNode = (
    await again.send(new DescribeCacheClustersCommand({ CacheClusterId: 'after-restart', ShowCacheNodeInfo: true }))
  ).CacheClusters![0].CacheNodes![0].Endpoint!;
  const restored = redisAt(restoredNode);
  await restored.connect();
  t.teardown(() => restored.disconnect());
  t.equal(await restored.dbsize(), 5000, 'the snapshot holds all the data');
});
