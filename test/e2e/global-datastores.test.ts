/**
 * Global datastores: the API (ids, ARNs, members, errors) on the metadata-only runtime, and on the process runtime
 * a secondary group in us-west-2 that really replicates from the primary group in us-east-1, is read-only, takes
 * over in a failover (the old primary follows it) and, disassociated, stands alone with its data; and the same for
 * a cluster-mode datastore of two shards, whose secondary is fed shard by shard by the emulator's relays (on both
 * runtimes, through a shard added and removed and a restart of the emulator).
 */
import {
  CreateGlobalReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeCacheParameterGroupsCommand,
  CreateReplicationGroupCommand,
  DeleteGlobalReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  DisassociateGlobalReplicationGroupCommand,
  FailoverGlobalReplicationGroupCommand,
  IncreaseNodeGroupsInGlobalReplicationGroupCommand,
  DecreaseNodeGroupsInGlobalReplicationGroupCommand,
  ModifyGlobalReplicationGroupCommand,
  waitUntilReplicationGroupAvailable,
  type GlobalReplicationGroup,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { Cluster } from 'ioredis';
import t from 'tap';
import {
  type Client,
  failure,
  removeAllNodes,
  sdkClient,
  startTestEmulator,
  tempDir,
  testDockerNetwork,
  uniqueEndpointBase,
  waiter,
} from '../fixtures/emulator.js';
import { eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';

const group = async (client: Client, id: string): Promise<ReplicationGroup> =>
  (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0];

const globalOf = async (client: Client, id: string): Promise<GlobalReplicationGroup> =>
  (
    await client.send(
      new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: id, ShowMemberInfo: true }),
    )
  ).GlobalReplicationGroups![0];

const createGroup = (client: Client, id: string, extra: object = {}) =>
  client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: id,
      ReplicationGroupDescription: 'global member',
      CacheNodeType: 'cache.m5.large',
      NumCacheClusters: 2,
      ...extra,
    }),
  );

t.test('global datastore API: ids, ARNs, members and errors (metadata-only runtime)', async (t) => {
  const emulator = await startTestEmulator(t);
  const east = sdkClient(emulator);
  const west = sdkClient(emulator, { region: 'us-west-2' });
  await createGroup(east, 'main');
  await createGroup(east, 'small', { CacheNodeType: 'cache.t3.micro' });
  await waitUntilReplicationGroupAvailable(waiter(east), { ReplicationGroupId: 'main' });
  await waitUntilReplicationGroupAvailable(waiter(east), { ReplicationGroupId: 'small' });

  const missing = await failure(
    east.send(
      new CreateGlobalReplicationGroupCommand({
        GlobalReplicationGroupIdSuffix: 'x',
        PrimaryReplicationGroupId: 'nope',
      }),
    ),
  );
  t.equal(missing?.name, 'ReplicationGroupNotFoundFault');
  const micro = await failure(
    east.send(
      new CreateGlobalReplicationGroupCommand({
        GlobalReplicationGroupIdSuffix: 'x',
        PrimaryReplicationGroupId: 'small',
      }),
    ),
  );
  t.equal(micro?.name, 'InvalidParameterValueException', 'a node type global datastores do not support');

  const created = await east.send(
    new CreateGlobalReplicationGroupCommand({
      GlobalReplicationGroupIdSuffix: 'Store',
      PrimaryReplicationGroupId: 'main',
      GlobalReplicationGroupDescription: 'across regions',
    }),
  );
  const id = created.GlobalReplicationGroup!.GlobalReplicationGroupId!;
  t.equal(id, 'ldgnf-store', "the id takes the primary region's prefix");
  t.match(
    created.GlobalReplicationGroup!.ARN,
    /^arn:aws:elasticache::\d{12}:globalreplicationgroup:ldgnf-store$/,
    'the ARN has an empty region field',
  );
  t.equal(created.GlobalReplicationGroup!.Status, 'creating');
  const again = await failure(
    east.send(
      new CreateGlobalReplicationGroupCommand({
        GlobalReplicationGroupIdSuffix: 'store',
        PrimaryReplicationGroupId: 'main',
      }),
    ),
  );
  t.ok(['InvalidReplicationGroupStateFault', 'GlobalReplicationGroupAlreadyExistsFault'].includes(again?.name));
  t.equal((await group(east, 'main')).GlobalReplicationGroupInfo?.GlobalReplicationGroupMemberRole, 'PRIMARY');
  const ownGroup = (
    await east.send(new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'globaldatastore-main' }))
  ).CacheParameterGroups![0];
  t.match(
    ownGroup,
    { CacheParameterGroupFamily: 'redis7', IsGlobal: true },
    'the primary has a global parameter group',
  );
  const primaryMember = (await east.send(new DescribeCacheClustersCommand({ CacheClusterId: 'main-001' })))
    .CacheClusters![0];
  t.equal(primaryMember.CacheParameterGroup?.CacheParameterGroupName, 'globaldatastore-main', 'which its members use');

  const listed = await west.send(new DescribeGlobalReplicationGroupsCommand({}));
  t.equal(listed.GlobalReplicationGroups?.length, 1, 'any region of the account lists it');
  t.equal(listed.GlobalReplicationGroups![0].Members, undefined, 'members only with ShowMemberInfo');
  const shown = await globalOf(west, id);
  t.equal(shown.Status, 'available');
  t.equal(shown.CacheNodeType, 'cache.m5.large');
  t.same(
    shown.Members?.map((m) => [m.ReplicationGroupId, m.ReplicationGroupRegion, m.Role, m.Status]),
    [['main', 'us-east-1', 'PRIMARY', 'associated']],
  );
  t.equal(shown.GlobalNodeGroups?.[0].GlobalNodeGroupId, `${id}-0001`);
  const unknown = await failure(
    east.send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: 'ldgnf-none' })),
  );
  t.equal(unknown?.name, 'GlobalReplicationGroupNotFoundFault');
  const noGlobal = await failure(createGroup(west, 'far', { GlobalReplicationGroupId: 'ldgnf-none' }));
  t.equal(noGlobal?.name, 'GlobalReplicationGroupNotFoundFault');

  // A secondary in us-west-2 takes the primary's settings.
  const secondary = await west.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'far',
      ReplicationGroupDescription: 'secondary',
      GlobalReplicationGroupId: id,
      NumCacheClusters: 1,
    }),
  );
  t.equal(secondary.ReplicationGroup?.CacheNodeType, 'cache.m5.large', "the primary's node type");
  t.same(secondary.ReplicationGroup?.GlobalReplicationGroupInfo, {
    GlobalReplicationGroupId: id,
    GlobalReplicationGroupMemberRole: 'SECONDARY',
  });
  await waitUntilReplicationGroupAvailable(waiter(west), { ReplicationGroupId: 'far' });
  const sameRegion = await failure(createGroup(west, 'farther', { GlobalReplicationGroupId: id }));
  t.equal(sameRegion?.name, 'InvalidGlobalReplicationGroupStateFault', 'one member per region');
  const deleteMember = await failure(west.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'far' })));
  t.equal(deleteMember?.name, 'InvalidReplicationGroupStateFault', 'a member is disassociated before it is deleted');
  const stillMembers = await failure(
    east.send(
      new DeleteGlobalReplicationGroupCommand({ GlobalReplicationGroupId: id, RetainPrimaryReplicationGroup: true }),
    ),
  );
  t.equal(stillMembers?.name, 'InvalidGlobalReplicationGroupStateFault');
  const notShards = await failure(
    east.send(
      new IncreaseNodeGroupsInGlobalReplicationGroupCommand({
        GlobalReplicationGroupId: id,
        NodeGroupCount: 2,
        ApplyImmediately: true,
      }),
    ),
  );
  t.equal(notShards?.name, 'InvalidParameterValueException', 'shards only with cluster mode');

  const modified = await east.send(
    new ModifyGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      ApplyImmediately: true,
      GlobalReplicationGroupDescription: 'renamed',
    }),
  );
  t.equal(modified.GlobalReplicationGroup?.GlobalReplicationGroupDescription, 'renamed');

  const notMember = await failure(
    east.send(
      new FailoverGlobalReplicationGroupCommand({
        GlobalReplicationGroupId: id,
        PrimaryRegion: 'eu-west-1',
        PrimaryReplicationGroupId: 'far',
      }),
    ),
  );
  t.equal(notMember?.name, 'InvalidParameterValueException');
  await east.send(
    new FailoverGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: 'far',
    }),
  );
  await eventually(async () => (await globalOf(east, id)).Status === 'available', 10_000, 'the failover');
  const swapped = await globalOf(east, id);
  t.same(swapped.Members?.map((m) => [m.ReplicationGroupId, m.Role]).sort(), [
    ['far', 'PRIMARY'],
    ['main', 'SECONDARY'],
  ]);
  t.equal((await group(east, 'main')).GlobalReplicationGroupInfo?.GlobalReplicationGroupMemberRole, 'SECONDARY');

  const primaryOut = await failure(
    east.send(
      new DisassociateGlobalReplicationGroupCommand({
        GlobalReplicationGroupId: id,
        ReplicationGroupId: 'far',
        ReplicationGroupRegion: 'us-west-2',
      }),
    ),
  );
  t.equal(primaryOut?.name, 'InvalidParameterValueException', 'the primary is not disassociated');
  await east.send(
    new DisassociateGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      ReplicationGroupId: 'main',
      ReplicationGroupRegion: 'us-east-1',
    }),
  );
  const notAssociated = await failure(
    east.send(
      new DisassociateGlobalReplicationGroupCommand({
        GlobalReplicationGroupId: id,
        ReplicationGroupId: 'main',
        ReplicationGroupRegion: 'us-east-1',
      }),
    ),
  );
  t.match(notAssociated?.message, /is not associated with Global Replication Group/);
  await waitUntilReplicationGroupAvailable(waiter(east), { ReplicationGroupId: 'main' });
  t.same((await group(east, 'main')).GlobalReplicationGroupInfo ?? {}, {});
  const deleted = await west.send(
    new DeleteGlobalReplicationGroupCommand({ GlobalReplicationGroupId: id, RetainPrimaryReplicationGroup: true }),
  );
  t.equal(deleted.GlobalReplicationGroup?.Status, 'deleting');
  const gone = await failure(east.send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: id })));
  t.equal(gone?.name, 'GlobalReplicationGroupNotFoundFault');
  t.same((await group(west, 'far')).GlobalReplicationGroupInfo ?? {}, {});
});

t.test('process: a secondary in us-west-2 replicates, fails over and is disassociated for real', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const dataDir = tempDir(t);
  const endpointBase = uniqueEndpointBase();
  const emulator = await startTestEmulator(t, { runtime: 'process', dataDir, endpointBase });
  t.teardown(() => removeAllNodes(emulator));
  let east = sdkClient(emulator);
  let west = sdkClient(emulator, { region: 'us-west-2' });
  await createGroup(east, 'main', { AutomaticFailoverEnabled: true });
  await waitUntilReplicationGroupAvailable(waiter(east), { ReplicationGroupId: 'main' });
  const { GlobalReplicationGroup } = await east.send(
    new CreateGlobalReplicationGroupCommand({
      GlobalReplicationGroupIdSuffix: 'live',
      PrimaryReplicationGroupId: 'main',
    }),
  );
  const id = GlobalReplicationGroup!.GlobalReplicationGroupId!;
  await west.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'far',
      ReplicationGroupDescription: 'secondary',
      GlobalReplicationGroupId: id,
      NumCacheClusters: 2,
    }),
  );
  await waitUntilReplicationGroupAvailable({ ...waiter(west), maxWaitTime: 120 }, { ReplicationGroupId: 'far' });

  const connect = (endpoint: { Address?: string; Port?: number }) => {
    const redis = redisAt(endpoint);
    redis.options.retryStrategy = () => 200;
    redis.options.maxRetriesPerRequest = 2;
    redis.on('error', () => {});
    t.teardown(() => redis.disconnect());
    return redis;
  };
  const eastPrimary = connect((await group(east, 'main')).NodeGroups![0].PrimaryEndpoint!);
  const westGroup = await group(west, 'far');
  const westPrimary = connect(westGroup.NodeGroups![0].PrimaryEndpoint!);
  const westReader = connect(westGroup.NodeGroups![0].ReaderEndpoint!);

  for (let i = 0; i < 100; i++) await eastPrimary.set(`east:${i}`, `v${i}`);
  await eventually(
    async () => (await westPrimary.get('east:99')) === 'v99',
    10_000,
    'a write of us-east-1 in us-west-2',
  );
  await eventually(async () => (await westReader.get('east:99')) === 'v99', 10_000, "on the secondary's replica too");
  t.match((await failure(westPrimary.set('west', 'x')))?.message, /READONLY/, 'the secondary is read-only');

  await east.send(
    new FailoverGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: 'far',
    }),
  );
  await eventually(async () => (await globalOf(east, id)).Status === 'available', 60_000, 'the failover to end');
  await eventually(async () => (await westPrimary.set('west:1', 'from-west')) === 'OK', 30_000, 'a write in us-west-2');
  t.equal(await westPrimary.get('east:42'), 'v42', 'the new primary kept the data');
  await eventually(async () => (await eastPrimary.get('west:1')) === 'from-west', 30_000, 'the old primary follows');
  t.match((await failure(eastPrimary.set('east', 'x')))?.message, /READONLY/, 'the old primary is read-only');

  // Back again, then the secondary (now us-east-1) leaves with its data.
  await west.send(
    new FailoverGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      PrimaryRegion: 'us-east-1',
      PrimaryReplicationGroupId: 'main',
    }),
  );
  await eventually(async () => (await globalOf(east, id)).Status === 'available', 60_000, 'the failover back');
  await eventually(async () => (await eastPrimary.set('east:back', 'yes')) === 'OK', 30_000, 'a write in us-east-1');
  await eventually(async () => (await westPrimary.get('east:back')) === 'yes', 30_000, 'us-west-2 follows again');

  // The upstream is stored with the group: the emulator restarts while the secondary's primary node is lost, and
  // the node that replaces it follows us-east-1 again.
  await emulator.close();
  const westPrimaryId = westGroup.NodeGroups![0].NodeGroupMembers!.find(
    (m) => m.CurrentRole === 'primary',
  )!.CacheClusterId!;
  for (const node of await emulator.runtime.listNodes()) {
    if (node.region === 'us-west-2' && node.clusterId === westPrimaryId)
      await emulator.runtime.removeNode(node, { runtimeId: node.runtimeId });
  }
  const restarted = await startTestEmulator(t, { runtime: 'process', dataDir, endpointBase });
  t.teardown(() => removeAllNodes(restarted));
  east = sdkClient(restarted);
  west = sdkClient(restarted, { region: 'us-west-2' });
  await eastPrimary.set('after-restart', 'yes');
  await eventually(
    async () => (await westPrimary.get('after-restart')) === 'yes',
    60_000,
    "a write reaching the secondary's replaced primary",
  );
  t.match((await failure(westPrimary.set('west', 'x')))?.message, /READONLY/, 'which is read-only again');

  await west.send(
    new DisassociateGlobalReplicationGroupCommand({
      GlobalReplicationGroupId: id,
      ReplicationGroupId: 'far',
      ReplicationGroupRegion: 'us-west-2',
    }),
  );
  await waitUntilReplicationGroupAvailable(waiter(west), { ReplicationGroupId: 'far' });
  await eventually(
    async () => (await westPrimary.set('alone', 'yes')) === 'OK',
    30_000,
    'the disassociated group is writable',
  );
  t.equal(await westPrimary.get('west:1'), 'from-west', 'with its data');
  await eastPrimary.set('after', 'not-copied');
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal(await westPrimary.get('after'), null, 'and no longer follows us-east-1');
  await east.send(
    new DeleteGlobalReplicationGroupCommand({ GlobalReplicationGroupId: id, RetainPrimaryReplicationGroup: true }),
  );
});

for (const runtime of ['process', 'docker'] as const)
  t.test(
    `${runtime}: a cluster-mode secondary has every shard of the primary, fails over and is disassociated`,
    async (t) => {
      if (!(await runtimeAvailable(t, runtime))) return;
      const settings = {
        runtime,
        dataDir: tempDir(t),
        endpointBase: uniqueEndpointBase(),
        dockerNetwork: testDockerNetwork(),
      };
      const emulator = await startTestEmulator(t, settings);
      t.teardown(() => removeAllNodes(emulator));
      let east = sdkClient(emulator);
      let west = sdkClient(emulator, { region: 'us-west-2' });
      await createGroup(east, 'sharded', {
        NumCacheClusters: undefined,
        ClusterMode: 'enabled',
        NumNodeGroups: 2,
        ReplicasPerNodeGroup: 1,
        AutomaticFailoverEnabled: true,
      });
      await waitUntilReplicationGroupAvailable(
        { ...waiter(east), maxWaitTime: 120 },
        { ReplicationGroupId: 'sharded' },
      );
      const { GlobalReplicationGroup } = await east.send(
        new CreateGlobalReplicationGroupCommand({
          GlobalReplicationGroupIdSuffix: 'shards',
          PrimaryReplicationGroupId: 'sharded',
        }),
      );
      const id = GlobalReplicationGroup!.GlobalReplicationGroupId!;
      const created = await west.send(
        new CreateReplicationGroupCommand({
          ReplicationGroupId: 'farsharded',
          ReplicationGroupDescription: 'cluster-mode secondary',
          GlobalReplicationGroupId: id,
        }),
      );
      t.equal(created.ReplicationGroup?.ClusterEnabled, true, "the primary's cluster mode");
      await waitUntilReplicationGroupAvailable(
        { ...waiter(west), maxWaitTime: 180 },
        { ReplicationGroupId: 'farsharded' },
      );
      const eastGroup = await group(east, 'sharded');
      const westGroup = await group(west, 'farsharded');
      t.same(
        westGroup.NodeGroups!.map((ng) => [ng.NodeGroupId, ng.Slots]),
        eastGroup.NodeGroups!.map((ng) => [ng.NodeGroupId, ng.Slots]),
        "the primary's shards and slot ranges",
      );

      const clusterAt = (endpoint: { Address?: string; Port?: number }) => {
        const cluster = new Cluster([{ host: endpoint.Address!, port: endpoint.Port! }], { slotsRefreshTimeout: 5000 });
        cluster.on('error', () => {});
        t.teardown(() => cluster.disconnect());
        return cluster;
      };
      const eastCluster = clusterAt(eastGroup.ConfigurationEndpoint!);
      const westCluster = clusterAt(westGroup.ConfigurationEndpoint!);
      const keys = Array.from({ length: 1000 }, (_, i) => `east:${i}`);
      await Promise.all(keys.map((key) => eastCluster.set(key, key)));
      const present = async (cluster: Cluster, wanted: string[]) =>
        (await Promise.all(wanted.map((key) => cluster.get(key)))).every((value, i) => value === wanted[i]);
      await eventually(() => present(westCluster, keys), 20_000, '1,000 keys of every shard in the secondary');
      t.equal(westCluster.nodes('master').length, 2, 'which has two shards');
      t.match((await failure(westCluster.set('west', 'x')))?.message, /NOPERM/, 'the secondary refuses writes');
      await eastCluster.del('east:7');
      await eventually(
        async () => (await westCluster.get('east:7')) === null,
        20_000,
        'a delete reaches the secondary',
      );

      // A third shard in both groups: its relay starts, and the keys it takes and new ones reach the secondary.
      await east.send(
        new IncreaseNodeGroupsInGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: id,
          NodeGroupCount: 3,
          ApplyImmediately: true,
        }),
      );
      await waitUntilReplicationGroupAvailable(
        { ...waiter(east), maxWaitTime: 180 },
        { ReplicationGroupId: 'sharded' },
      );
      await waitUntilReplicationGroupAvailable(
        { ...waiter(west), maxWaitTime: 180 },
        { ReplicationGroupId: 'farsharded' },
      );
      const more = Array.from({ length: 300 }, (_, i) => `more:${i}`);
      await Promise.all(more.map((key) => eastCluster.set(key, key)));
      await eventually(() => present(westCluster, [...keys.slice(8), ...more]), 30_000, 'every key after resharding');
      t.same(
        (await group(west, 'farsharded')).NodeGroups!.map((ng) => ng.Slots).sort(),
        (await group(east, 'sharded')).NodeGroups!.map((ng) => ng.Slots).sort(),
        'both groups have three shards of the same slots',
      );
      t.equal((await group(west, 'farsharded')).NodeGroups!.length, 3, 'the secondary has the third shard');

      // Back to two shards: the third's slots move to the others in both groups, and nothing is lost on the way.
      const third = (await group(east, 'sharded')).NodeGroups!.map((ng) => ng.NodeGroupId!).sort()[2];
      await east.send(
        new DecreaseNodeGroupsInGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: id,
          NodeGroupCount: 2,
          GlobalNodeGroupsToRemove: [`${id}-${third}`],
          ApplyImmediately: true,
        }),
      );
      await waitUntilReplicationGroupAvailable(
        { ...waiter(east), maxWaitTime: 180 },
        { ReplicationGroupId: 'sharded' },
      );
      await waitUntilReplicationGroupAvailable(
        { ...waiter(west), maxWaitTime: 180 },
        { ReplicationGroupId: 'farsharded' },
      );
      t.same(
        (await group(west, 'farsharded')).NodeGroups!.map((ng) => ng.NodeGroupId).sort(),
        (await group(east, 'sharded')).NodeGroups!.map((ng) => ng.NodeGroupId).sort(),
        'both groups are down to the same two shards',
      );
      t.equal((await group(west, 'farsharded')).NodeGroups!.length, 2, 'two of them');
      const fewer = Array.from({ length: 300 }, (_, i) => `fewer:${i}`);
      await Promise.all(fewer.map((key) => eastCluster.set(key, key)));
      await eventually(
        () => present(westCluster, [...keys.slice(8), ...more, ...fewer]),
        30_000,
        'every key after the shards were decreased',
      );

      // The relays are stored with the groups: after a restart of the emulator they carry new writes again.
      await emulator.close();
      const restarted = await startTestEmulator(t, settings);
      t.teardown(() => removeAllNodes(restarted));
      east = sdkClient(restarted);
      west = sdkClient(restarted, { region: 'us-west-2' });
      await eastCluster.set('after-restart', 'yes');
      await eventually(
        async () => (await westCluster.get('after-restart')) === 'yes',
        30_000,
        'a write after a restart reaching the secondary',
      );

      await east.send(
        new FailoverGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: id,
          PrimaryRegion: 'us-west-2',
          PrimaryReplicationGroupId: 'farsharded',
        }),
      );
      await eventually(async () => (await globalOf(east, id)).Status === 'available', 60_000, 'the failover to end');
      await eventually(
        async () => (await westCluster.set('west:1', 'from-west')) === 'OK',
        30_000,
        'a write in us-west-2',
      );
      await eventually(
        async () => (await eastCluster.get('west:1')) === 'from-west',
        30_000,
        'the old primary follows',
      );
      t.match((await failure(eastCluster.set('east', 'x')))?.message, /NOPERM/, 'and refuses writes');

      await west.send(
        new DisassociateGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: id,
          ReplicationGroupId: 'sharded',
          ReplicationGroupRegion: 'us-east-1',
        }),
      );
      await waitUntilReplicationGroupAvailable(waiter(east), { ReplicationGroupId: 'sharded' });
      await eventually(
        async () => (await eastCluster.set('alone', 'yes')) === 'OK',
        30_000,
        'the disassociated group is writable',
      );
      t.ok(await present(eastCluster, keys.slice(8, 100)), 'with its data');
      await westCluster.set('after', 'not-copied');
      await new Promise((resolve) => setTimeout(resolve, 500));
      t.equal(await eastCluster.get('after'), null, 'and no longer follows us-west-2');
      await west.send(
        new DeleteGlobalReplicationGroupCommand({ GlobalReplicationGroupId: id, RetainPrimaryReplicationGroup: true }),
      );
    },
  );
