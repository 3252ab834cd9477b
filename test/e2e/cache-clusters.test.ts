/**
 * Cache clusters through the real AWS SDK v3 client and its waiters, against a real emulator.
 */
import {
  CreateCacheClusterCommand,
  DeleteCacheClusterCommand,
  DescribeCacheClustersCommand,
  DescribeEventsCommand,
  ListAllowedNodeTypeModificationsCommand,
  ModifyCacheClusterCommand,
  RebootCacheClusterCommand,
  paginateDescribeCacheClusters,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
  type CacheCluster,
} from '@aws-sdk/client-elasticache';
import { CreateSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2';
import t from 'tap';
import { CREDENTIALS, rawCall, sdkClient, startTestEmulator } from '../fixtures/emulator.js';

const waiter = (client: ReturnType<typeof sdkClient>) => ({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 });

async function describe(client: ReturnType<typeof sdkClient>, id: string, showNodes = true): Promise<CacheCluster> {
  const out = await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id, ShowCacheNodeInfo: showNodes }));
  return out.CacheClusters![0];
}

t.test('a redis cluster is created with AWS defaults and becomes available on the first poll', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const created = await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'My-Redis', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  const cluster = created.CacheCluster!;
  t.equal(cluster.CacheClusterId, 'my-redis', 'ids are stored lowercase');
  t.equal(cluster.CacheClusterStatus, 'creating');
  t.equal(cluster.Engine, 'redis');
  t.equal(cluster.EngineVersion, '7.1.0');
  t.equal(cluster.NumCacheNodes, 1);
  t.equal(cluster.AutoMinorVersionUpgrade, true);
  t.match(
    cluster.PreferredMaintenanceWindow,
    /^(sun|mon|tue|wed|thu|fri|sat):\d\d:\d\d-(sun|mon|tue|wed|thu|fri|sat):\d\d:\d\d$/,
  );
  t.equal(cluster.CacheParameterGroup?.CacheParameterGroupName, 'default.redis7');
  t.equal(cluster.CacheParameterGroup?.ParameterApplyStatus, 'in-sync');
  t.equal(cluster.CacheSubnetGroupName, 'default');
  t.equal(cluster.ARN, 'arn:aws:elasticache:us-east-1:000000000000:cluster:my-redis');
  t.equal(cluster.SnapshotRetentionLimit, 0);
  t.equal(cluster.TransitEncryptionEnabled, false);
  t.equal(cluster.CacheNodes, undefined, 'no nodes are shown while creating');
  t.equal(cluster.ConfigurationEndpoint, undefined, 'redis clusters have no configuration endpoint');

  let polls = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      polls++;
      return next(args);
    },
    { step: 'initialize', name: 'countPolls' },
  );
  const result = await waitUntilCacheClusterAvailable(
    { ...waiter(client), minDelay: 15, maxDelay: 15 },
    { CacheClusterId: 'my-redis' },
  );
  client.middlewareStack.remove('countPolls');
  t.equal(result.state, 'SUCCESS');
  t.equal(polls, 1, 'the waiter succeeded on its first poll, without sleeping');

  const available = await describe(client, 'MY-REDIS');
  t.equal(available.CacheClusterStatus, 'available');
  t.type(available.CacheClusterCreateTime, Date);
  t.equal(available.CacheNodes?.length, 1);
  const node = available.CacheNodes![0];
  t.equal(node.CacheNodeId, '0001');
  t.equal(node.CacheNodeStatus, 'available');
  t.equal(node.Endpoint?.Port, 6379, 'the default redis port');
  t.match(node.Endpoint?.Address, /^127\.\d+\.\d+\.\d+$/);
  t.match(node.CustomerAvailabilityZone, /^us-east-1[a-f]$/);
  const withoutNodes = await describe(client, 'my-redis', false);
  t.equal(withoutNodes.CacheNodes, undefined, 'CacheNodes only with ShowCacheNodeInfo');
});

t.test('create refuses what ElastiCache refuses, and changes nothing', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const base = { CacheClusterId: 'c1', Engine: 'redis', CacheNodeType: 'cache.t3.micro' };
  const cases: [string, object, string, RegExp][] = [
    ['two redis nodes', { NumCacheNodes: 2 }, 'InvalidParameterValue', /NumCacheNodes parameter greater than 1/],
    ['no engine', { Engine: undefined }, 'InvalidParameterValue', /The parameter Engine must be provided/],
    ['no node type', { CacheNodeType: undefined }, 'InvalidParameterValue', /CacheNodeType must be provided/],
    ['a bad id', { CacheClusterId: '1abc' }, 'InvalidParameterValue', /not a valid identifier/],
    ['a double hyphen', { CacheClusterId: 'a--b' }, 'InvalidParameterValue', /not a valid identifier/],
    [
      'a patch version',
      { EngineVersion: '7.1.0' },
      'InvalidParameterValue',
      /Specific version selection is not allowed for '7.1.0', please use '7.1'/,
    ],
    [
      'an unknown version',
      { EngineVersion: '4.0.13' },
      'InvalidParameterCombination',
      /Cannot find version 4.0.13 for redis/,
    ],
    [
      'an unknown group',
      { CacheParameterGroupName: 'nope' },
      'CacheParameterGroupNotFound',
      /CacheParameterGroup not found: nope/,
    ],
    [
      'a cluster-mode group',
      { CacheParameterGroupName: 'default.redis7.cluster.on' },
      'InvalidParameterCombination',
      /Cluster mode should be disabled/,
    ],
    [
      'a group of another family',
      { CacheParameterGroupName: 'default.redis6.x' },
      'InvalidParameterCombination',
      /Expected a parameter group of family redis7 but found one of family redis6.x/,
    ],
    ['an unknown subnet group', { CacheSubnetGroupName: 'nope' }, 'CacheSubnetGroupNotFoundFault', /nope/],
    [
      'an auth token without TLS',
      { AuthToken: 'a-very-long-token-123' },
      'InvalidParameterValue',
      /encryption-in-transit/,
    ],
    [
      'a short auth token',
      { AuthToken: 'short', TransitEncryptionEnabled: true },
      'InvalidParameterValue',
      /Invalid AuthToken/,
    ],
    ['AZMode on redis', { AZMode: 'cross-az' }, 'InvalidParameterCombination', /Memcached/],
    [
      'a bad maintenance window',
      { PreferredMaintenanceWindow: 'funday:25:00-x' },
      'InvalidParameterValue',
      /maintenance window/,
    ],
    ['an unknown node type', { CacheNodeType: 'cache.t3.huge' }, 'InvalidParameterValue', /Invalid Cache Node Type/],
  ];
  for (const [what, change, code, message] of cases) {
    const error = await client.send(new CreateCacheClusterCommand({ ...base, ...change } as any)).catch((e) => e);
    t.equal(error?.Code ?? error?.name, code, `${what}: ${code}`);
    t.match(error?.message, message, `${what}: message`);
    t.ok(error?.$metadata?.httpStatusCode < 500, `${what}: a client error`);
  }
  const listed = await client.send(new DescribeCacheClustersCommand({}));
  t.same(listed.CacheClusters, [], 'no refused create left anything behind');
});

t.test('memcached clusters: several nodes across zones, a configuration endpoint, scaling out and in', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'mc',
      Engine: 'memcached',
      CacheNodeType: 'cache.t3.small',
      NumCacheNodes: 3,
      AZMode: 'cross-az',
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'mc' });
  let cluster = await describe(client, 'mc');
  t.equal(cluster.EngineVersion, '1.6.22');
  t.equal(cluster.PreferredAvailabilityZone, 'Multiple');
  t.equal(cluster.CacheParameterGroup?.CacheParameterGroupName, 'default.memcached1.6');
  t.equal(cluster.ConfigurationEndpoint?.Port, 11211);
  t.same(
    cluster.CacheNodes!.map((n) => n.CacheNodeId),
    ['0001', '0002', '0003'],
  );
  t.equal(new Set(cluster.CacheNodes!.map((n) => n.CustomerAvailabilityZone)).size, 3, 'cross-az spreads the nodes');
  t.equal(new Set(cluster.CacheNodes!.map((n) => n.Endpoint!.Address)).size, 3, 'every node has its own address');
  t.ok(
    cluster.CacheNodes!.every((n) => n.Endpoint!.Port === 11211),
    'and the cluster port',
  );
  t.equal(cluster.SnapshotRetentionLimit, undefined, 'memcached has no snapshot settings');

  const out = await client.send(
    new ModifyCacheClusterCommand({ CacheClusterId: 'mc', NumCacheNodes: 5, ApplyImmediately: true }),
  );
  t.equal(out.CacheCluster?.CacheClusterStatus, 'modifying');
  t.equal(out.CacheCluster?.PendingModifiedValues?.NumCacheNodes, 5);
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'mc' });
  cluster = await describe(client, 'mc');
  t.equal(cluster.NumCacheNodes, 5);
  t.same(
    cluster.CacheNodes!.map((n) => n.CacheNodeId),
    ['0001', '0002', '0003', '0004', '0005'],
  );
  t.same(cluster.PendingModifiedValues, {});

  const wrongCount = await client
    .send(
      new ModifyCacheClusterCommand({
        CacheClusterId: 'mc',
        NumCacheNodes: 3,
        CacheNodeIdsToRemove: ['0002'],
        ApplyImmediately: true,
      }),
    )
    .catch((e) => e);
  t.equal(wrongCount.Code, 'InvalidParameterValue', 'the ids to remove must match the reduction');
  await client.send(
    new ModifyCacheClusterCommand({
      CacheClusterId: 'mc',
      NumCacheNodes: 3,
      CacheNodeIdsToRemove: ['0002', '0004'],
      ApplyImmediately: true,
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'mc' });
  cluster = await describe(client, 'mc');
  t.same(
    cluster.CacheNodes!.map((n) => n.CacheNodeId),
    ['0001', '0003', '0005'],
  );
  t.equal(cluster.NumCacheNodes, 3);
});

t.test('modifications wait for the maintenance window unless applied immediately', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'r',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      EngineVersion: '6.2',
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'r' });
  t.equal((await describe(client, 'r')).EngineVersion, '6.2.6');

  const later = await client.send(
    new ModifyCacheClusterCommand({
      CacheClusterId: 'r',
      CacheNodeType: 'cache.t3.small',
      PreferredMaintenanceWindow: 'SUN:03:00-SUN:04:00',
    }),
  );
  t.equal(later.CacheCluster?.CacheClusterStatus, 'available', 'nothing happens now');
  t.equal(later.CacheCluster?.PendingModifiedValues?.CacheNodeType, 'cache.t3.small');
  t.equal(later.CacheCluster?.CacheNodeType, 'cache.t3.micro');
  t.equal(
    later.CacheCluster?.PreferredMaintenanceWindow,
    'sun:03:00-sun:04:00',
    'the window itself changes at once, lowercased',
  );

  const downgrade = await client
    .send(new ModifyCacheClusterCommand({ CacheClusterId: 'r', EngineVersion: '6.0' }))
    .catch((e) => e);
  t.equal(downgrade.Code, 'InvalidParameterValue', 'no engine downgrades');

  const now = await client.send(
    new ModifyCacheClusterCommand({
      CacheClusterId: 'r',
      AutoMinorVersionUpgrade: false,
      SnapshotRetentionLimit: 3,
      ApplyImmediately: true,
    }),
  );
  t.equal(now.CacheCluster?.AutoMinorVersionUpgrade, false);
  t.equal(now.CacheCluster?.SnapshotRetentionLimit, 3);
  await client.send(
    new ModifyCacheClusterCommand({
      CacheClusterId: 'r',
      EngineVersion: '7.0',
      CacheParameterGroupName: 'default.redis7',
      ApplyImmediately: true,
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'r' });
  const applied = await describe(client, 'r');
  t.equal(applied.CacheNodeType, 'cache.t3.small', 'an immediate change applies what was pending too');
  t.equal(applied.EngineVersion, '7.0.7');
  t.equal(applied.CacheParameterGroup?.CacheParameterGroupName, 'default.redis7');
  t.same(applied.PendingModifiedValues, {});

  const allowed = await client.send(new ListAllowedNodeTypeModificationsCommand({ CacheClusterId: 'r' }));
  t.ok(allowed.ScaleUpModifications?.includes('cache.m5.large'));
  t.ok(allowed.ScaleDownModifications?.includes('cache.t3.micro'));
  t.notOk(allowed.ScaleUpModifications?.includes('cache.t3.small'), 'not the current type');
});

t.test('reboot and delete, with the waiters and the events they leave', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'gone', Engine: 'valkey', CacheNodeType: 'cache.t4g.micro' }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'gone' });
  t.equal((await describe(client, 'gone')).EngineVersion, '8.1.1');

  const missingNode = await client
    .send(new RebootCacheClusterCommand({ CacheClusterId: 'gone', CacheNodeIdsToReboot: ['0009'] }))
    .catch((e) => e);
  t.equal(missingNode.Code, 'InvalidParameterValue');
  const rebooting = await client.send(
    new RebootCacheClusterCommand({ CacheClusterId: 'gone', CacheNodeIdsToReboot: ['0001'] }),
  );
  t.equal(rebooting.CacheCluster?.CacheClusterStatus, 'rebooting cluster nodes');
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'gone' });

  const deleting = await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'GONE' }));
  t.equal(deleting.CacheCluster?.CacheClusterStatus, 'deleting', 'deleting is answered synchronously');
  const again = await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'gone' })).catch((e) => e);
  t.ok(['InvalidCacheClusterState', 'CacheClusterNotFound'].includes(again.Code), 'a second delete is refused');
  const result = await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'gone' });
  t.equal(result.state, 'SUCCESS');
  const error = await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'gone' })).catch((e) => e);
  t.equal(error.name, 'CacheClusterNotFoundFault');
  t.equal(error.Code, 'CacheClusterNotFound');
  t.equal(error.$metadata.httpStatusCode, 404);
  t.equal(error.message, 'CacheCluster not found: gone');

  const events = await client.send(
    new DescribeEventsCommand({ SourceType: 'cache-cluster', SourceIdentifier: 'gone' }),
  );
  const messages = events.Events!.map((e) => e.Message);
  for (const expected of ['Cache cluster created', 'Cache node 0001 restarted', 'Cache cluster deleted']) {
    t.ok(messages.includes(expected), `event: ${expected}`);
  }
  t.equal(messages[0], 'Cache cluster deleted', 'newest first');
});

t.test('pagination, isolation by account and region, and one winner for concurrent creates', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await Promise.all(
    Array.from({ length: 25 }, (_, i) =>
      client.send(
        new CreateCacheClusterCommand({
          CacheClusterId: `p${String(i).padStart(2, '0')}`,
          Engine: 'redis',
          CacheNodeType: 'cache.t3.micro',
        }),
      ),
    ),
  );
  const first = await client.send(new DescribeCacheClustersCommand({ MaxRecords: 20 }));
  t.equal(first.CacheClusters?.length, 20);
  t.ok(first.Marker, 'a marker when more remain');
  const ids: string[] = [];
  for await (const page of paginateDescribeCacheClusters({ client, pageSize: 20 }, {})) {
    ids.push(...page.CacheClusters!.map((c) => c.CacheClusterId!));
  }
  t.equal(ids.length, 25);
  t.equal(new Set(ids).size, 25, 'no cluster twice');
  const tooMany = await client.send(new DescribeCacheClustersCommand({ MaxRecords: 101 })).catch((e) => e);
  t.equal(tooMany.Code, 'InvalidParameterValue');

  const otherAccount = sdkClient(emulator, { accessKeyId: '111122223333' });
  t.same(
    (await otherAccount.send(new DescribeCacheClustersCommand({}))).CacheClusters,
    [],
    'another account sees nothing',
  );
  const otherRegion = sdkClient(emulator, { region: 'eu-west-1' });
  t.same(
    (await otherRegion.send(new DescribeCacheClustersCommand({}))).CacheClusters,
    [],
    'another region sees nothing',
  );
  const mine = await otherAccount.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'p00', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  t.equal(
    mine.CacheCluster?.ARN,
    'arn:aws:elasticache:us-east-1:111122223333:cluster:p00',
    'the same id in another account',
  );

  const results = await Promise.allSettled(
    [1, 2].map(() =>
      client.send(
        new CreateCacheClusterCommand({ CacheClusterId: 'race', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
      ),
    ),
  );
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one create wins');
  const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  t.equal(loser.reason.name, 'CacheClusterAlreadyExistsFault');
  t.equal(loser.reason.Code, 'CacheClusterAlreadyExists');
});

t.test(
  "a cluster with no VPC security group is in its VPC's default group, also for the empty list Terraform sends",
  async (t) => {
    const emulator = await startTestEmulator(t);
    const client = sdkClient(emulator);
    const omitted = await client.send(
      new CreateCacheClusterCommand({ CacheClusterId: 'no-sg', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
    );
    const defaultGroup = omitted.CacheCluster!.SecurityGroups;
    t.match(defaultGroup, [{ SecurityGroupId: /^sg-[0-9a-f]{17}$/, Status: 'active' }]);
    t.equal(defaultGroup?.length, 1);
    // The Go SDK (Terraform's AWS provider) sends an empty list as a bare `SecurityGroupIds=`.
    const empty = await rawCall(emulator, {
      Action: 'CreateCacheCluster',
      Version: '2015-02-02',
      CacheClusterId: 'empty-sg',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      SecurityGroupIds: '',
    });
    t.equal(empty.status, 200, empty.body);
    t.same((await describe(client, 'empty-sg', false)).SecurityGroups, defaultGroup, 'the same default group');
    const ec2 = new EC2Client({ endpoint: emulator.url, region: 'us-east-1', credentials: CREDENTIALS });
    const groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'given', Description: 'given' })))
      .GroupId!;
    const given = await client.send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'given-sg',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        SecurityGroupIds: [groupId],
      }),
    );
    t.same(
      given.CacheCluster!.SecurityGroups,
      [{ SecurityGroupId: groupId, Status: 'active' }],
      'given groups replace the default',
    );
  },
);
