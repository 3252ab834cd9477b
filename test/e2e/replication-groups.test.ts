/**
 * Replication groups through the real AWS SDK v3 client and its waiters, against a real emulator (runtime `none`:
 * metadata only). The API contract clients rely on: member naming, node groups, roles, endpoints, slots, the
 * status and flag transitions, the errors (wire code and HTTP status), and what every operation leaves behind.
 */
import {
  AddTagsToResourceCommand,
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  CreateReplicationGroupCommand,
  DecreaseReplicaCountCommand,
  DeleteCacheClusterCommand,
  DeleteReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeEventsCommand,
  DescribeReplicationGroupsCommand,
  IncreaseReplicaCountCommand,
  ListAllowedNodeTypeModificationsCommand,
  ListTagsForResourceCommand,
  ModifyReplicationGroupCommand,
  ModifyReplicationGroupShardConfigurationCommand,
  RebootCacheClusterCommand,
  RemoveTagsFromResourceCommand,
  TestFailoverCommand,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
  waitUntilReplicationGroupAvailable,
  waitUntilReplicationGroupDeleted,
  type CacheCluster,
  type CreateReplicationGroupCommandInput,
  type NodeGroup,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import t, { type Test } from 'tap';
import { failure, sdkClient, startTestEmulator, waiter, type Client } from '../fixtures/emulator.js';

const ACCOUNT_ARN = 'arn:aws:elasticache:us-east-1:000000000000';
const SLOT_COUNT = 16384;

type GroupInput = Partial<CreateReplicationGroupCommandInput> & { ReplicationGroupId: string };

/** A group with the parameters Terraform always sends; the rest from the test. */
async function createGroup(client: Client, input: GroupInput): Promise<ReplicationGroup> {
  const out = await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupDescription: 'a test group',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      ...input,
    }),
  );
  return out.ReplicationGroup!;
}

async function describeGroup(client: Client, id: string): Promise<ReplicationGroup> {
  return (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0];
}

async function describeCluster(client: Client, id: string): Promise<CacheCluster> {
  return (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id, ShowCacheNodeInfo: true })))
    .CacheClusters![0];
}

async function allClusters(client: Client): Promise<CacheCluster[]> {
  return (await client.send(new DescribeCacheClustersCommand({}))).CacheClusters ?? [];
}

/** Waits (polling every second) until the group is available, then describes it. */
async function ready(t: Test, client: Client, id: string): Promise<ReplicationGroup> {
  const result = await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: id });
  t.equal(result.state, 'SUCCESS', `${id} became available`);
  return describeGroup(client, id);
}

async function groupEvents(client: Client, id: string): Promise<string[]> {
  const out = await client.send(new DescribeEventsCommand({ SourceType: 'replication-group', SourceIdentifier: id }));
  return (out.Events ?? []).map((e) => e.Message!);
}

const memberIds = (group: NodeGroup) => (group.NodeGroupMembers ?? []).map((m) => m.CacheClusterId);
const roleOf = (group: ReplicationGroup, clusterId: string) =>
  group.NodeGroups?.flatMap((g) => g.NodeGroupMembers ?? []).find((m) => m.CacheClusterId === clusterId)?.CurrentRole;
const primaryIn = (group: ReplicationGroup, nodeGroupId = '0001') =>
  group.NodeGroups?.find((g) => g.NodeGroupId === nodeGroupId)?.NodeGroupMembers?.find(
    (m) => m.CurrentRole === 'primary',
  )?.CacheClusterId;

/** How many shards own each slot: every entry must be exactly 1. */
function slotOwnership(groups: NodeGroup[]): number[] {
  const owners = new Array<number>(SLOT_COUNT).fill(0);
  for (const group of groups) {
    for (const part of (group.Slots ?? '').split(',').filter(Boolean)) {
      const [start, end] = part.split('-').map(Number);
      for (let slot = start; slot <= (end ?? start); slot++) owners[slot]++;
    }
  }
  return owners;
}

function slotCount(group: NodeGroup): number {
  return slotOwnership([group]).reduce((sum, n) => sum + n, 0);
}

function assertSlotsCovered(t: Test, groups: NodeGroup[], what: string) {
  const owners = slotOwnership(groups);
  t.equal(owners.filter((n) => n === 0).length, 0, `${what}: no slot is unowned`);
  t.equal(owners.filter((n) => n > 1).length, 0, `${what}: no slot is owned twice`);
}

interface Expected {
  code: string;
  status: number;
  /** The message, where the reference records AWS's wording. */
  message?: RegExp | string;
  /** Marks the message assertion as todo where the implementation is known to deviate from the reference. */
  messageTodo?: string;
}

/** Asserts that a call fails with the given wire code and HTTP status (and message, where AWS's is known). */
async function refused(t: Test, what: string, call: Promise<unknown>, expected: Expected): Promise<any> {
  const error = await failure(call);
  t.ok(error, `${what}: refused`);
  t.equal(error?.Code, expected.code, `${what}: code ${expected.code} (got ${error?.Code}: ${error?.message})`);
  t.equal(error?.$metadata?.httpStatusCode, expected.status, `${what}: HTTP ${expected.status}`);
  const extra = expected.messageTodo ? { todo: expected.messageTodo } : {};
  if (typeof expected.message === 'string') t.equal(error?.message, expected.message, `${what}: message`, extra);
  else if (expected.message) t.match(error?.message, expected.message, `${what}: message`, extra);
  return error;
}

// ---- Create ---------------------------------------------------------------------------------------------------------

t.test(
  'cluster mode disabled: NumCacheClusters, the shape clients rely on, and its members as cache clusters',
  async (t) => {
    const emulator = await startTestEmulator(t);
    const client = sdkClient(emulator);
    await client.send(
      new CreateCacheClusterCommand({ CacheClusterId: 'solo', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
    );

    const created = await createGroup(client, {
      ReplicationGroupId: 'My-RG',
      ReplicationGroupDescription: 'three nodes',
      NumCacheClusters: 3,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      SnapshotRetentionLimit: 2,
    });
    t.equal(created.ReplicationGroupId, 'my-rg', 'ids are stored lowercase');
    t.equal(created.Status, 'creating');
    t.equal(created.Description, 'three nodes');
    t.same(created.MemberClusters, ['my-rg-001', 'my-rg-002', 'my-rg-003'], 'members <rg>-001 …');
    t.equal(created.AutomaticFailover, 'enabling', 'failover is being enabled');
    t.equal(created.MultiAZ, 'enabled');
    t.equal(created.SnapshottingClusterId, 'my-rg-002', 'the second member takes the snapshots');
    t.equal(created.SnapshotRetentionLimit, 2);
    t.equal(created.ClusterEnabled, false);
    t.equal(created.ARN, `${ACCOUNT_ARN}:replicationgroup:my-rg`);
    t.equal(created.CacheNodeType, 'cache.t3.micro');
    t.equal(created.Engine, 'redis');
    t.equal(created.NodeGroups?.length, 1, 'one node group');
    t.equal(created.NodeGroups?.[0].NodeGroupId, '0001');
    t.equal(created.NodeGroups?.[0].Slots, undefined, 'no slots without cluster mode');

    const group = await ready(t, client, 'MY-RG');
    t.equal(group.Status, 'available');
    t.equal(group.AutomaticFailover, 'enabled', 'enabling → enabled');
    t.equal(group.MultiAZ, 'enabled');
    t.equal(group.ClusterEnabled, false);
    t.equal(group.ClusterMode, 'disabled');
    t.equal(group.ConfigurationEndpoint, undefined, 'no configuration endpoint without cluster mode');
    t.type(group.ReplicationGroupCreateTime, Date);
    // What Terraform's Read takes from the group.
    t.equal(group.DataTiering, 'disabled');
    t.equal(group.NetworkType, 'ipv4');
    t.equal(group.IpDiscovery, 'ipv4');
    t.match(group.SnapshotWindow, /^\d\d:\d\d-\d\d:\d\d$/);
    t.equal(group.TransitEncryptionEnabled, false, 'no TLS by default');
    t.equal(group.AtRestEncryptionEnabled, false, 'no encryption at rest by default for redis');
    t.equal(group.AuthTokenEnabled, false);
    t.same(group.UserGroupIds ?? [], []);
    const [nodeGroup] = group.NodeGroups!;
    t.equal(nodeGroup.Status, 'available');
    t.same(memberIds(nodeGroup), ['my-rg-001', 'my-rg-002', 'my-rg-003']);
    t.same(
      nodeGroup.NodeGroupMembers!.map((m) => m.CurrentRole),
      ['primary', 'replica', 'replica'],
      'the first member is the primary',
    );
    t.ok(
      nodeGroup.NodeGroupMembers!.every((m) => m.CacheNodeId === '0001'),
      'every member has node 0001',
    );
    t.match(nodeGroup.PrimaryEndpoint, { Address: /^127\.\d+\.\d+\.\d+$/, Port: 6379 }, 'a primary endpoint');
    t.match(nodeGroup.ReaderEndpoint, { Address: /^127\.\d+\.\d+\.\d+$/, Port: 6379 }, 'a reader endpoint');
    t.not(nodeGroup.PrimaryEndpoint?.Address, nodeGroup.ReaderEndpoint?.Address, 'primary and reader endpoints differ');
    for (const member of nodeGroup.NodeGroupMembers!) {
      t.match(
        member.ReadEndpoint,
        { Address: /^127\.\d+\.\d+\.\d+$/, Port: 6379 },
        `${member.CacheClusterId} has a read endpoint`,
      );
      t.match(member.PreferredAvailabilityZone, /^us-east-1[a-f]$/);
    }

    for (const id of group.MemberClusters!) {
      const member = await describeCluster(client, id);
      t.equal(member.ReplicationGroupId, 'my-rg', `${id} belongs to the group`);
      t.equal(member.ARN, `${ACCOUNT_ARN}:cluster:${id}`, `${id} has its own cluster ARN`);
      t.equal(member.CacheClusterStatus, 'available');
      t.equal(member.NumCacheNodes, 1);
      t.equal(member.Engine, 'redis');
      t.equal(member.CacheNodeType, 'cache.t3.micro');
      t.equal(member.CacheParameterGroup?.CacheParameterGroupName, 'default.redis7');
      t.same(
        member.CacheNodes?.map((n) => n.CacheNodeId),
        ['0001'],
      );
      // What Terraform's Read takes from the first member.
      t.equal(member.EngineVersion, '7.1.0');
      t.equal(member.AutoMinorVersionUpgrade, true);
      t.equal(member.CacheSubnetGroupName, 'default');
      t.match(
        member.PreferredMaintenanceWindow,
        /^(sun|mon|tue|wed|thu|fri|sat):\d\d:\d\d-(sun|mon|tue|wed|thu|fri|sat):\d\d:\d\d$/,
      );
      t.equal(member.SecurityGroups?.length, 1, `${id} is in the default VPC security group`);
      t.equal(member.TransitEncryptionEnabled, false);
      t.equal(member.AtRestEncryptionEnabled, false);
      t.equal(member.AuthTokenEnabled, false);
    }
    const everything = (await allClusters(client)).map((c) => c.CacheClusterId).sort();
    t.same(
      everything,
      ['my-rg-001', 'my-rg-002', 'my-rg-003', 'solo'],
      'DescribeCacheClusters without an id lists the members too',
    );
    const standalone = await client.send(
      new DescribeCacheClustersCommand({ ShowCacheClustersNotInReplicationGroups: true }),
    );
    t.same(
      standalone.CacheClusters?.map((c) => c.CacheClusterId),
      ['solo'],
      'ShowCacheClustersNotInReplicationGroups hides the members',
    );

    const listed = await client.send(new DescribeReplicationGroupsCommand({}));
    t.same(
      listed.ReplicationGroups?.map((g) => g.ReplicationGroupId),
      ['my-rg'],
    );
    const events = await groupEvents(client, 'my-rg');
    t.ok(events.includes('Replication group my-rg created'), `a creation event (${JSON.stringify(events)})`);
  },
);

t.test('cluster mode disabled: ReplicasPerNodeGroup, PreferredCacheClusterAZs, and defaults', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const replicas = await createGroup(client, { ReplicationGroupId: 'per-shard', ReplicasPerNodeGroup: 2 });
  t.same(
    replicas.MemberClusters,
    ['per-shard-001', 'per-shard-002', 'per-shard-003'],
    'ReplicasPerNodeGroup 2: a primary and two replicas',
  );
  t.equal(replicas.ClusterEnabled, false);
  t.equal(replicas.AutomaticFailover, 'disabled', 'failover is off by default');
  t.equal(replicas.MultiAZ, 'disabled', 'Multi-AZ is off by default');
  t.equal(replicas.SnapshottingClusterId, undefined, 'no snapshotting cluster without retention');

  const zoned = await createGroup(client, {
    ReplicationGroupId: 'zoned',
    PreferredCacheClusterAZs: ['us-east-1c', 'us-east-1a'],
  });
  t.same(zoned.MemberClusters, ['zoned-001', 'zoned-002'], 'one member per zone given');
  const single = await createGroup(client, { ReplicationGroupId: 'single' });
  t.same(single.MemberClusters, ['single-001'], 'one member by default');
  const longest = `l${'o'.repeat(38)}g`;
  t.same(
    (await createGroup(client, { ReplicationGroupId: longest })).MemberClusters,
    [`${longest}-001`],
    'a 40-character id is fine',
  );
  const valkey = await createGroup(client, {
    ReplicationGroupId: 'vk',
    Engine: 'valkey',
    CacheNodeType: 'cache.t4g.micro',
    NumCacheClusters: 2,
  });
  t.equal(valkey.Engine, 'valkey', 'the group reports its engine');
  t.equal(valkey.AtRestEncryptionEnabled, true, 'valkey encrypts at rest by default');
  await ready(t, client, 'vk');
  const valkeyMember = await describeCluster(client, 'vk-002');
  t.equal(valkeyMember.Engine, 'valkey');
  t.equal(valkeyMember.EngineVersion, '8.1.1');
  t.equal(valkeyMember.CacheParameterGroup?.CacheParameterGroupName, 'default.valkey8');

  const group = await ready(t, client, 'zoned');
  t.same(
    group.NodeGroups![0].NodeGroupMembers!.map((m) => [m.CacheClusterId, m.PreferredAvailabilityZone, m.CurrentRole]),
    [
      ['zoned-001', 'us-east-1c', 'primary'],
      ['zoned-002', 'us-east-1a', 'replica'],
    ],
    'the primary in the first zone given, the replica in the second',
  );
  t.equal(
    (await describeCluster(client, 'zoned-002')).PreferredAvailabilityZone,
    'us-east-1a',
    'the member cluster is in its zone',
  );
  const perShard = await ready(t, client, 'per-shard');
  t.same(
    perShard.NodeGroups![0].NodeGroupMembers!.map((m) => m.CurrentRole),
    ['primary', 'replica', 'replica'],
  );
  const alone = await ready(t, client, 'single');
  t.same(
    alone.NodeGroups![0].NodeGroupMembers!.map((m) => m.CurrentRole),
    ['primary'],
  );
  t.ok(alone.NodeGroups![0].PrimaryEndpoint?.Address, 'a single-node group still has a primary endpoint');
});

t.test('PrimaryClusterId: a group built around an existing cluster', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'seed',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.small',
      EngineVersion: '6.2',
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'seed' });

  await refused(
    t,
    'an unknown primary cluster',
    client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'x',
        ReplicationGroupDescription: 'd',
        PrimaryClusterId: 'nope',
      }),
    ),
    {
      code: 'CacheClusterNotFound',
      status: 404,
    },
  );
  const created = (
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'grown',
        ReplicationGroupDescription: 'around seed',
        PrimaryClusterId: 'seed',
      }),
    )
  ).ReplicationGroup!;
  t.same(created.MemberClusters, ['seed'], 'the existing cluster is the only member');
  t.equal(created.CacheNodeType, 'cache.t3.small', 'the node type comes from the primary');
  const group = await ready(t, client, 'grown');
  t.equal(primaryIn(group), 'seed', 'and it is the primary');
  const seed = await describeCluster(client, 'seed');
  t.equal(seed.ReplicationGroupId, 'grown', 'the cluster now belongs to the group');
  t.equal(seed.EngineVersion, '6.2.6', 'and keeps its engine version');
  t.equal(seed.CacheClusterStatus, 'available');
  await refused(
    t,
    'a cluster that already belongs to a group',
    client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'again',
        ReplicationGroupDescription: 'd',
        PrimaryClusterId: 'seed',
      }),
    ),
    { code: 'InvalidCacheClusterState', status: 400 },
  );
  const standalone = await client.send(
    new DescribeCacheClustersCommand({ ShowCacheClustersNotInReplicationGroups: true }),
  );
  t.same(standalone.CacheClusters, [], 'the primary no longer counts as standalone');

  // Replicas join with CreateCacheCluster + ReplicationGroupId and copy the primary's settings.
  const replica = (
    await client.send(new CreateCacheClusterCommand({ CacheClusterId: 'seed-replica', ReplicationGroupId: 'grown' }))
  ).CacheCluster!;
  t.equal(replica.ReplicationGroupId, 'grown');
  t.equal(replica.CacheNodeType, 'cache.t3.small');
  t.equal(replica.EngineVersion, '6.2.6');
  const grown = await ready(t, client, 'grown');
  t.same(grown.MemberClusters, ['seed', 'seed-replica']);
  t.equal(roleOf(grown, 'seed-replica'), 'replica');
});

t.test(
  'cluster mode enabled: the cluster.on parameter group, ClusterMode, shards, slots and the configuration endpoint',
  async (t) => {
    const emulator = await startTestEmulator(t);
    const client = sdkClient(emulator);
    const created = await createGroup(client, {
      ReplicationGroupId: 'cme',
      CacheParameterGroupName: 'default.redis7.cluster.on',
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 1,
      AutomaticFailoverEnabled: true,
    });
    t.equal(created.Status, 'creating');
    t.equal(created.ClusterEnabled, true);
    t.same(
      created.MemberClusters,
      ['cme-0001-001', 'cme-0001-002', 'cme-0002-001', 'cme-0002-002', 'cme-0003-001', 'cme-0003-002'],
      'members <rg>-<shard>-<node>',
    );
    t.equal(created.SnapshottingClusterId, undefined);

    const group = await ready(t, client, 'cme');
    t.equal(group.ClusterEnabled, true);
    t.equal(group.ClusterMode, 'enabled');
    t.equal(group.AutomaticFailover, 'enabled');
    t.match(group.ConfigurationEndpoint, { Address: /^127\.\d+\.\d+\.\d+$/, Port: 6379 }, 'a configuration endpoint');
    t.same(
      group.NodeGroups!.map((g) => g.NodeGroupId),
      ['0001', '0002', '0003'],
    );
    t.same(
      group.NodeGroups!.map((g) => g.Slots),
      ['0-5461', '5462-10922', '10923-16383'],
      'the even split of the slots',
    );
    assertSlotsCovered(t, group.NodeGroups!, 'three shards');
    for (const nodeGroup of group.NodeGroups!) {
      t.equal(nodeGroup.Status, 'available');
      t.equal(nodeGroup.PrimaryEndpoint, undefined, `${nodeGroup.NodeGroupId}: no primary endpoint with cluster mode`);
      t.equal(nodeGroup.ReaderEndpoint, undefined, `${nodeGroup.NodeGroupId}: no reader endpoint with cluster mode`);
      t.same(memberIds(nodeGroup), [`cme-${nodeGroup.NodeGroupId}-001`, `cme-${nodeGroup.NodeGroupId}-002`]);
      for (const member of nodeGroup.NodeGroupMembers!) {
        t.equal(member.CurrentRole, undefined, `${member.CacheClusterId}: no CurrentRole with cluster mode`);
        t.equal(member.ReadEndpoint, undefined, `${member.CacheClusterId}: no ReadEndpoint with cluster mode`);
        t.equal(member.CacheNodeId, '0001');
      }
    }
    for (const id of group.MemberClusters!) {
      const member = await describeCluster(client, id);
      t.equal(member.ReplicationGroupId, 'cme');
      t.equal(member.ARN, `${ACCOUNT_ARN}:cluster:${id}`);
      t.equal(
        member.CacheParameterGroup?.CacheParameterGroupName,
        'default.redis7.cluster.on',
        `${id}: the cluster.on group`,
      );
    }

    const byMode = await createGroup(client, {
      ReplicationGroupId: 'by-mode',
      ClusterMode: 'enabled',
      NumNodeGroups: 2,
      ReplicasPerNodeGroup: 0,
    });
    t.equal(byMode.ClusterEnabled, true, 'ClusterMode=enabled alone turns cluster mode on');
    t.equal(byMode.AutomaticFailover, 'enabling', 'cluster mode implies automatic failover');
    const modeGroup = await ready(t, client, 'by-mode');
    t.equal(modeGroup.ClusterMode, 'enabled');
    t.same(
      modeGroup.NodeGroups!.map((g) => g.Slots),
      ['0-8191', '8192-16383'],
      'two shards: two halves',
    );
    t.same(modeGroup.MemberClusters, ['by-mode-0001-001', 'by-mode-0002-001']);
    t.match(
      (await describeCluster(client, 'by-mode-0001-001')).CacheParameterGroup?.CacheParameterGroupName,
      /^default\.redis7\.cluster\.on$/,
      'the default cluster.on group of the family',
    );

    const explicit = await createGroup(client, {
      ReplicationGroupId: 'explicit',
      CacheParameterGroupName: 'default.redis7.cluster.on',
      NumNodeGroups: 2,
      NodeGroupConfiguration: [
        {
          Slots: '0-8999',
          ReplicaCount: 1,
          PrimaryAvailabilityZone: 'us-east-1c',
          ReplicaAvailabilityZones: ['us-east-1b'],
        },
        {
          Slots: '9000-16383',
          ReplicaCount: 2,
          PrimaryAvailabilityZone: 'us-east-1a',
          ReplicaAvailabilityZones: ['us-east-1a', 'us-east-1c'],
        },
      ],
    });
    t.same(
      explicit.MemberClusters,
      ['explicit-0001-001', 'explicit-0001-002', 'explicit-0002-001', 'explicit-0002-002', 'explicit-0002-003'],
      'replica counts per shard (the AWS example)',
    );
    const explicitGroup = await ready(t, client, 'explicit');
    t.same(
      explicitGroup.NodeGroups!.map((g) => g.Slots),
      ['0-8999', '9000-16383'],
      'the slots given',
    );
    t.same(
      explicitGroup.NodeGroups!.map((g) => g.NodeGroupMembers!.map((m) => m.PreferredAvailabilityZone)),
      [
        ['us-east-1c', 'us-east-1b'],
        ['us-east-1a', 'us-east-1a', 'us-east-1c'],
      ],
      'the zones given',
    );
    assertSlotsCovered(t, explicitGroup.NodeGroups!, 'explicit slots');
  },
);

t.test(
  'create refuses what ElastiCache refuses, with the right code and status, and leaves nothing behind',
  async (t) => {
    const emulator = await startTestEmulator(t);
    const client = sdkClient(emulator);
    await createGroup(client, { ReplicationGroupId: 'taken', NumCacheClusters: 2 });
    await ready(t, client, 'taken');
    const before = {
      groups: await client.send(new DescribeReplicationGroupsCommand({})),
      clusters: await allClusters(client),
    };

    const dup = await refused(t, 'a duplicate id', createGroup(client, { ReplicationGroupId: 'TAKEN' }), {
      code: 'ReplicationGroupAlreadyExists',
      status: 400,
    });
    t.equal(dup?.name, 'ReplicationGroupAlreadyExistsFault', 'the SDK maps it to its modeled exception');

    const cme = { CacheParameterGroupName: 'default.redis7.cluster.on' };
    const cases: [string, GroupInput, Expected][] = [
      ['an id starting with a digit', { ReplicationGroupId: '1abc' }, { code: 'InvalidParameterValue', status: 400 }],
      ['an id with a double hyphen', { ReplicationGroupId: 'a--b' }, { code: 'InvalidParameterValue', status: 400 }],
      ['an id ending with a hyphen', { ReplicationGroupId: 'abc-' }, { code: 'InvalidParameterValue', status: 400 }],
      [
        'an id of 41 characters',
        { ReplicationGroupId: `a${'b'.repeat(40)}` },
        { code: 'InvalidParameterValue', status: 400 },
      ],
      [
        'no description',
        { ReplicationGroupId: 'v', ReplicationGroupDescription: undefined },
        {
          code: 'InvalidParameterValue',
          status: 400,
          message: 'The parameter ReplicationGroupDescription must be provided and must not be blank.',
        },
      ],
      [
        'an empty description',
        { ReplicationGroupId: 'v', ReplicationGroupDescription: '' },
        {
          code: 'InvalidParameterValue',
          status: 400,
          message: 'The parameter ReplicationGroupDescription must be provided and must not be blank.',
        },
      ],
      [
        'automatic failover with one node',
        { ReplicationGroupId: 'v', AutomaticFailoverEnabled: true, NumCacheClusters: 1 },
        {
          code: 'InvalidParameterCombination',
          status: 400,
          message: 'When using automatic failover, there must be at least 2 cache clusters in the replication group.',
        },
      ],
      [
        'automatic failover with the default single node',
        { ReplicationGroupId: 'v', AutomaticFailoverEnabled: true },
        { code: 'InvalidParameterCombination', status: 400, message: /at least 2 cache clusters/ },
      ],
      [
        'Multi-AZ without automatic failover',
        { ReplicationGroupId: 'v', NumCacheClusters: 2, MultiAZEnabled: true },
        { code: 'InvalidParameterCombination', status: 400 },
      ],
      [
        'six replicas per node group',
        { ReplicationGroupId: 'v', ReplicasPerNodeGroup: 6 },
        {
          code: 'InvalidParameterValue',
          status: 400,
          message: 'The number of replicas per node group must be within 0 and 5.',
        },
      ],
      [
        'six replicas per shard with cluster mode',
        { ReplicationGroupId: 'v', ...cme, NumNodeGroups: 2, ReplicasPerNodeGroup: 6 },
        {
          code: 'InvalidParameterValue',
          status: 400,
          message: 'The number of replicas per node group must be within 0 and 5.',
        },
      ],
      [
        'seven cache clusters',
        { ReplicationGroupId: 'v', NumCacheClusters: 7 },
        {
          code: 'InvalidParameterValue',
          status: 400,
          message: 'The number of replicas per node group must be within 0 and 5.',
        },
      ],
      [
        'NumCacheClusters with NumNodeGroups',
        { ReplicationGroupId: 'v', NumCacheClusters: 2, NumNodeGroups: 2, ...cme },
        { code: 'InvalidParameterCombination', status: 400 },
      ],
      [
        'NumCacheClusters with ReplicasPerNodeGroup',
        { ReplicationGroupId: 'v', NumCacheClusters: 2, ReplicasPerNodeGroup: 1 },
        { code: 'InvalidParameterCombination', status: 400 },
      ],
      [
        'ClusterMode=enabled with a parameter group without cluster mode',
        { ReplicationGroupId: 'v', ClusterMode: 'enabled', CacheParameterGroupName: 'default.redis7' },
        { code: 'InvalidParameterCombination', status: 400 },
      ],
      [
        'ClusterMode=disabled with a cluster.on parameter group',
        { ReplicationGroupId: 'v', ClusterMode: 'disabled', ...cme },
        { code: 'InvalidParameterCombination', status: 400 },
      ],
      [
        'cluster mode with automatic failover turned off',
        { ReplicationGroupId: 'v', ...cme, NumNodeGroups: 2, ReplicasPerNodeGroup: 1, AutomaticFailoverEnabled: false },
        { code: 'InvalidParameterCombination', status: 400 },
      ],
      [
        'slots that leave a gap',
        { ReplicationGroupId: 'v', ...cme, NodeGroupConfiguration: [{ Slots: '0-8000' }, { Slots: '8002-16383' }] },
        { code: 'InvalidParameterValue', status: 400 },
      ],
      [
        'slots that stop short of 16383',
        { ReplicationGroupId: 'v', ...cme, NodeGroupConfiguration: [{ Slots: '0-8191' }, { Slots: '8192-16000' }] },
        { code: 'InvalidParameterValue', status: 400 },
      ],
      [
        'slots given twice',
        { ReplicationGroupId: 'v', ...cme, NodeGroupConfiguration: [{ Slots: '0-9000' }, { Slots: '8000-16383' }] },
        { code: 'InvalidParameterValue', status: 400 },
      ],
      [
        'an AUTH token without TLS',
        { ReplicationGroupId: 'v', AuthToken: 'a-very-long-token-1234' },
        {
          code: 'InvalidParameterValue',
          status: 400,
          message: 'The AUTH token is only supported when encryption-in-transit is enabled',
        },
      ],
      [
        'a short AUTH token',
        { ReplicationGroupId: 'v', AuthToken: 'short', TransitEncryptionEnabled: true },
        { code: 'InvalidParameterValue', status: 400, message: 'Invalid AuthToken provided.' },
      ],
      [
        'an unknown parameter group',
        { ReplicationGroupId: 'v', CacheParameterGroupName: 'nope' },
        { code: 'CacheParameterGroupNotFound', status: 404, message: 'CacheParameterGroup not found: nope' },
      ],
      [
        'a parameter group of another family',
        { ReplicationGroupId: 'v', CacheParameterGroupName: 'default.redis6.x' },
        {
          code: 'InvalidParameterCombination',
          status: 400,
          message: 'Expected a parameter group of family redis7 but found one of family redis6.x',
        },
      ],
      [
        'an unknown subnet group',
        { ReplicationGroupId: 'v', CacheSubnetGroupName: 'nope' },
        { code: 'CacheSubnetGroupNotFoundFault', status: 400, message: /nope/ },
      ],
      [
        'the memcached engine',
        { ReplicationGroupId: 'v', Engine: 'memcached' },
        { code: 'InvalidParameterValue', status: 400 },
      ],
      [
        'an unknown engine version',
        { ReplicationGroupId: 'v', EngineVersion: '4.0.13' },
        { code: 'InvalidParameterCombination', status: 400, message: 'Cannot find version 4.0.13 for redis' },
      ],
      [
        'a patch version of redis 7',
        { ReplicationGroupId: 'v', EngineVersion: '7.1.0' },
        {
          code: 'InvalidParameterValue',
          status: 400,
          message: "Specific version selection is not allowed for '7.1.0', please use '7.1'",
        },
      ],
      [
        'a snapshot retention of 36 days',
        { ReplicationGroupId: 'v', SnapshotRetentionLimit: 36 },
        { code: 'InvalidParameterValue', status: 400 },
      ],
      [
        'fewer PreferredCacheClusterAZs than clusters',
        { ReplicationGroupId: 'v', NumCacheClusters: 3, PreferredCacheClusterAZs: ['us-east-1a'] },
        { code: 'InvalidParameterValue', status: 400 },
      ],
    ];
    for (const [what, input, expected] of cases) {
      await refused(t, what, createGroup(client, input), expected);
    }

    const after = {
      groups: await client.send(new DescribeReplicationGroupsCommand({})),
      clusters: await allClusters(client),
    };
    t.same(
      after.groups.ReplicationGroups,
      before.groups.ReplicationGroups,
      'no refused create added or changed a group',
    );
    t.same(after.clusters, before.clusters, 'no refused create left a member cluster behind');
  },
);

t.test('every operation on an unknown group answers ReplicationGroupNotFoundFault (404)', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const expected = { code: 'ReplicationGroupNotFoundFault', status: 404 };
  const ReplicationGroupId = 'ghost';
  const calls: [string, Promise<unknown>][] = [
    ['DescribeReplicationGroups', client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId }))],
    [
      'ModifyReplicationGroup',
      client.send(
        new ModifyReplicationGroupCommand({
          ReplicationGroupId,
          ReplicationGroupDescription: 'x',
          ApplyImmediately: true,
        }),
      ),
    ],
    ['DeleteReplicationGroup', client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId }))],
    [
      'IncreaseReplicaCount',
      client.send(new IncreaseReplicaCountCommand({ ReplicationGroupId, NewReplicaCount: 2, ApplyImmediately: true })),
    ],
    [
      'DecreaseReplicaCount',
      client.send(new DecreaseReplicaCountCommand({ ReplicationGroupId, NewReplicaCount: 0, ApplyImmediately: true })),
    ],
    [
      'ModifyReplicationGroupShardConfiguration',
      client.send(
        new ModifyReplicationGroupShardConfigurationCommand({
          ReplicationGroupId,
          NodeGroupCount: 2,
          ApplyImmediately: true,
        }),
      ),
    ],
    ['TestFailover', client.send(new TestFailoverCommand({ ReplicationGroupId, NodeGroupId: '0001' }))],
    [
      'CreateCacheCluster with ReplicationGroupId',
      client.send(new CreateCacheClusterCommand({ CacheClusterId: 'ghost-replica', ReplicationGroupId })),
    ],
    [
      'ListAllowedNodeTypeModifications',
      client.send(new ListAllowedNodeTypeModificationsCommand({ ReplicationGroupId })),
    ],
    [
      'ListTagsForResource',
      client.send(new ListTagsForResourceCommand({ ResourceName: `${ACCOUNT_ARN}:replicationgroup:ghost` })),
    ],
    [
      'AddTagsToResource',
      client.send(
        new AddTagsToResourceCommand({
          ResourceName: `${ACCOUNT_ARN}:replicationgroup:ghost`,
          Tags: [{ Key: 'k', Value: 'v' }],
        }),
      ),
    ],
  ];
  for (const [what, call] of calls) {
    const error = await refused(t, what, call, expected);
    t.equal(error?.name, 'ReplicationGroupNotFoundFault', `${what}: the SDK's modeled exception`);
  }
  t.same(await allClusters(client), [], 'CreateCacheCluster for an unknown group created nothing');
});

t.test('operations on a group that is not available answer InvalidReplicationGroupState', async (t) => {
  // Nodes take a second to "start": long enough for the calls below to find the group creating or modifying.
  const emulator = await startTestEmulator(t, { provisionDelayMs: 1000 });
  const client = sdkClient(emulator);
  await createGroup(client, { ReplicationGroupId: 'slow', NumCacheClusters: 2, AutomaticFailoverEnabled: true });
  await createGroup(client, {
    ReplicationGroupId: 'slow-cme',
    ClusterMode: 'enabled',
    NumNodeGroups: 2,
    ReplicasPerNodeGroup: 1,
  });
  const creating = await describeGroup(client, 'slow');
  t.equal(creating.Status, 'creating', 'the group is still creating');
  t.equal((await describeCluster(client, 'slow-001')).CacheClusterStatus, 'creating', 'and so are its members');
  const expected = { code: 'InvalidReplicationGroupState', status: 400 };
  const ReplicationGroupId = 'slow';
  await refused(
    t,
    'ModifyReplicationGroup while creating',
    client.send(
      new ModifyReplicationGroupCommand({
        ReplicationGroupId,
        ReplicationGroupDescription: 'changed',
        ApplyImmediately: true,
      }),
    ),
    expected,
  );
  await refused(
    t,
    'IncreaseReplicaCount while creating',
    client.send(new IncreaseReplicaCountCommand({ ReplicationGroupId, NewReplicaCount: 2, ApplyImmediately: true })),
    expected,
  );
  await refused(
    t,
    'DecreaseReplicaCount while creating',
    client.send(
      new DecreaseReplicaCountCommand({ ReplicationGroupId, ReplicasToRemove: ['slow-002'], ApplyImmediately: true }),
    ),
    expected,
  );
  await refused(
    t,
    'TestFailover while creating',
    client.send(new TestFailoverCommand({ ReplicationGroupId, NodeGroupId: '0001' })),
    expected,
  );
  await refused(
    t,
    'DeleteReplicationGroup while creating',
    client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId })),
    expected,
  );
  await refused(
    t,
    'CreateCacheCluster into a creating group',
    client.send(new CreateCacheClusterCommand({ CacheClusterId: 'slow-extra', ReplicationGroupId })),
    expected,
  );
  await refused(
    t,
    'ModifyReplicationGroupShardConfiguration while creating',
    client.send(
      new ModifyReplicationGroupShardConfigurationCommand({
        ReplicationGroupId: 'slow-cme',
        NodeGroupCount: 3,
        ApplyImmediately: true,
      }),
    ),
    expected,
  );
  await refused(
    t,
    'DeleteCacheCluster of a creating member',
    client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'slow-002' })),
    { code: 'InvalidCacheClusterState', status: 400 },
  );

  const group = await ready(t, client, 'slow');
  t.equal(group.Description, 'a test group', 'nothing a refused call asked for happened');
  t.same(group.MemberClusters, ['slow-001', 'slow-002']);
  t.equal(group.AutomaticFailover, 'enabled');
  t.equal((await ready(t, client, 'slow-cme')).NodeGroups?.length, 2);

  // While modifying (new replicas take the provisioning delay to start), the group refuses other changes too.
  const increasing = await client.send(
    new IncreaseReplicaCountCommand({ ReplicationGroupId, NewReplicaCount: 2, ApplyImmediately: true }),
  );
  t.equal(increasing.ReplicationGroup?.Status, 'modifying');
  t.same(
    increasing.ReplicationGroup?.MemberClusters,
    ['slow-001', 'slow-002', 'slow-003'],
    'the new member shows at once',
  );
  t.equal(increasing.ReplicationGroup?.NodeGroups?.[0].Status, 'modifying', 'and its node group is modifying');
  await refused(
    t,
    'ModifyReplicationGroup while modifying',
    client.send(
      new ModifyReplicationGroupCommand({
        ReplicationGroupId,
        ReplicationGroupDescription: 'changed',
        ApplyImmediately: true,
      }),
    ),
    expected,
  );
  await refused(
    t,
    'TestFailover while modifying',
    client.send(new TestFailoverCommand({ ReplicationGroupId, NodeGroupId: '0001' })),
    expected,
  );
  t.equal(
    (await describeCluster(client, 'slow-003')).CacheClusterStatus,
    'creating',
    'the new member is being created',
  );
  const done = await ready(t, client, 'slow');
  t.equal(done.Description, 'a test group');
  t.equal(done.NodeGroups?.[0].Status, 'available');
  t.equal((await describeCluster(client, 'slow-003')).CacheClusterStatus, 'available');
});

// ---- Modify ---------------------------------------------------------------------------------------------------------

t.test('ModifyReplicationGroup: description, failover and Multi-AZ, snapshots, the primary', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createGroup(client, { ReplicationGroupId: 'm', NumCacheClusters: 3, AutomaticFailoverEnabled: true });
  const initial = await ready(t, client, 'm');
  const modify = async (
    input: Omit<ConstructorParameters<typeof ModifyReplicationGroupCommand>[0], 'ReplicationGroupId'>,
  ) => (await client.send(new ModifyReplicationGroupCommand({ ReplicationGroupId: 'm', ...input }))).ReplicationGroup!;

  const described = await modify({ ReplicationGroupDescription: 'new words' });
  t.equal(described.Description, 'new words');
  t.equal((await describeGroup(client, 'm')).Description, 'new words', 'the description is kept');

  t.equal((await modify({ MultiAZEnabled: true, ApplyImmediately: true })).MultiAZ, 'enabled');
  await ready(t, client, 'm');
  t.equal((await describeGroup(client, 'm')).MultiAZ, 'enabled');

  const before = await describeGroup(client, 'm');
  await refused(
    t,
    'failover off while Multi-AZ stays on',
    modify({ AutomaticFailoverEnabled: false, ApplyImmediately: true }),
    {
      code: 'InvalidParameterCombination',
      status: 400,
    },
  );
  await refused(
    t,
    'a description with an unknown new primary',
    modify({ ReplicationGroupDescription: 'lost', PrimaryClusterId: 'nope', ApplyImmediately: true }),
    {
      code: 'CacheClusterNotFound',
      status: 404,
    },
  );
  await refused(t, 'a retention of 36 days', modify({ SnapshotRetentionLimit: 36, ApplyImmediately: true }), {
    code: 'InvalidParameterValue',
    status: 400,
  });
  await refused(t, 'an unknown node type', modify({ CacheNodeType: 'cache.t3.huge', ApplyImmediately: true }), {
    code: 'InvalidParameterValue',
    status: 400,
  });
  await refused(
    t,
    'an AUTH token without TLS',
    modify({ AuthToken: 'a-very-long-token-1234', ApplyImmediately: true }),
    {
      code: 'InvalidParameterValue',
      status: 400,
      message: 'The AUTH token is only supported when encryption-in-transit is enabled',
    },
  );
  t.same(await describeGroup(client, 'm'), before, 'the refused modifications changed nothing');

  const disabling = await modify({ AutomaticFailoverEnabled: false, MultiAZEnabled: false, ApplyImmediately: true });
  t.equal(disabling.AutomaticFailover, 'disabling');
  t.equal(disabling.Status, 'modifying');
  let group = await ready(t, client, 'm');
  t.equal(group.AutomaticFailover, 'disabled', 'disabling → disabled');
  t.equal(group.MultiAZ, 'disabled');
  const enabling = await modify({ AutomaticFailoverEnabled: true, ApplyImmediately: true });
  t.equal(enabling.AutomaticFailover, 'enabling');
  group = await ready(t, client, 'm');
  t.equal(group.AutomaticFailover, 'enabled', 'enabling → enabled');

  const retained = await modify({ SnapshotRetentionLimit: 5, ApplyImmediately: true });
  t.equal(retained.SnapshotRetentionLimit, 5);
  t.equal(retained.SnapshottingClusterId, 'm-002', 'a retention picks the second member to snapshot');
  const moved = await modify({ SnapshottingClusterId: 'm-003', ApplyImmediately: true });
  t.equal(moved.SnapshottingClusterId, 'm-003');
  t.equal((await describeGroup(client, 'm')).SnapshottingClusterId, 'm-003', 'the snapshotting cluster is kept');
  await refused(
    t,
    'a snapshotting cluster outside the group',
    modify({ SnapshottingClusterId: 'elsewhere', ApplyImmediately: true }),
    {
      code: 'CacheClusterNotFound',
      status: 404,
    },
  );
  t.equal((await modify({ SnapshotRetentionLimit: 0, ApplyImmediately: true })).SnapshotRetentionLimit, 0);
  // Terraform's call when the retention goes up from 0.
  const terraformStyle = await modify({
    SnapshotRetentionLimit: 1,
    SnapshottingClusterId: 'm-001',
    ApplyImmediately: true,
  });
  t.equal(terraformStyle.SnapshotRetentionLimit, 1);
  t.equal(terraformStyle.SnapshottingClusterId, 'm-001', 'the snapshotting cluster asked for wins');

  await modify({ PrimaryClusterId: 'm-002', ApplyImmediately: true });
  group = await ready(t, client, 'm');
  t.equal(roleOf(group, 'm-002'), 'primary', 'the requested member is the primary now');
  t.equal(roleOf(group, 'm-001'), 'replica', 'and the old primary a replica');
  t.equal(roleOf(group, 'm-003'), 'replica');
  t.equal(group.NodeGroups![0].NodeGroupMembers!.filter((m) => m.CurrentRole === 'primary').length, 1, 'one primary');
  t.same(
    group.NodeGroups![0].PrimaryEndpoint,
    initial.NodeGroups![0].PrimaryEndpoint,
    'the primary endpoint stays where it was (it follows the primary)',
  );
  t.same(group.MemberClusters, ['m-001', 'm-002', 'm-003'], 'the members stay');
  t.same(group.PendingModifiedValues ?? {}, {}, 'nothing left pending');
  const events = await groupEvents(client, 'm');
  t.ok(events.includes('Failover from primary node m-001 to replica node m-002 completed'), 'a failover event');
});

t.test('ModifyReplicationGroup: node type, parameter group, cluster mode', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createGroup(client, { ReplicationGroupId: 'n', NumCacheClusters: 2 });
  await ready(t, client, 'n');
  const modify = async (
    input: Omit<ConstructorParameters<typeof ModifyReplicationGroupCommand>[0], 'ReplicationGroupId'>,
  ) => (await client.send(new ModifyReplicationGroupCommand({ ReplicationGroupId: 'n', ...input }))).ReplicationGroup!;

  const later = await modify({ CacheNodeType: 'cache.t3.small' });
  t.equal(
    later.CacheNodeType,
    'cache.t3.micro',
    'without ApplyImmediately the node type waits for the maintenance window',
  );
  t.equal(later.Status, 'available');
  const pendingMember = await describeCluster(client, 'n-001');
  t.equal(
    pendingMember.PendingModifiedValues?.CacheNodeType,
    'cache.t3.small',
    'the members show the pending node type',
  );
  t.equal(pendingMember.CacheNodeType, 'cache.t3.micro');

  const now = await modify({ CacheNodeType: 'cache.t3.small', ApplyImmediately: true });
  t.equal(now.Status, 'modifying');
  let group = await ready(t, client, 'n');
  t.equal(group.CacheNodeType, 'cache.t3.small', 'the group has the new node type');
  for (const id of ['n-001', 'n-002']) {
    const member = await describeCluster(client, id);
    t.equal(member.CacheNodeType, 'cache.t3.small', `${id} has the new node type`);
    t.same(member.PendingModifiedValues, {}, `${id}: nothing pending`);
  }

  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'custom7',
      CacheParameterGroupFamily: 'redis7',
      Description: 'mine',
    }),
  );
  await refused(t, 'an unknown parameter group', modify({ CacheParameterGroupName: 'nope', ApplyImmediately: true }), {
    code: 'CacheParameterGroupNotFound',
    status: 404,
    message: 'CacheParameterGroup not found: nope',
  });
  await refused(
    t,
    'a cluster.on group for a group without cluster mode',
    modify({ CacheParameterGroupName: 'default.redis7.cluster.on', ApplyImmediately: true }),
    {
      code: 'InvalidParameterCombination',
      status: 400,
    },
  );
  await modify({ CacheParameterGroupName: 'custom7', ApplyImmediately: true });
  await ready(t, client, 'n');
  for (const id of ['n-001', 'n-002']) {
    t.equal(
      (await describeCluster(client, id)).CacheParameterGroup?.CacheParameterGroupName,
      'custom7',
      `${id} uses the new parameter group`,
    );
  }

  await refused(
    t,
    'ClusterMode straight from disabled to enabled',
    modify({ ClusterMode: 'enabled', ApplyImmediately: true }),
    {
      code: 'InvalidParameterCombination',
      status: 400,
    },
  );
  t.equal(
    (await modify({ ClusterMode: 'compatible', ApplyImmediately: true })).ClusterMode,
    'compatible',
    'disabled → compatible',
  );
  group = await ready(t, client, 'n');
  t.equal(group.ClusterMode, 'compatible');
  t.equal(group.ClusterEnabled, false);

  const allowed = await client.send(new ListAllowedNodeTypeModificationsCommand({ ReplicationGroupId: 'n' }));
  t.ok(allowed.ScaleUpModifications?.includes('cache.m5.large'), 'a bigger type is allowed');
  t.ok(allowed.ScaleDownModifications?.includes('cache.t3.micro'), 'a smaller type is allowed');
  t.notOk(allowed.ScaleUpModifications?.includes('cache.t3.small'), 'not the current type');
  t.notOk(allowed.ScaleDownModifications?.includes('cache.t3.small'), 'not the current type');
  await refused(
    t,
    'ListAllowedNodeTypeModifications with both ids',
    client.send(new ListAllowedNodeTypeModificationsCommand({ ReplicationGroupId: 'n', CacheClusterId: 'n-001' })),
    { code: 'InvalidParameterCombination', status: 400 },
  );

  // Cluster mode enabled has its own rules.
  await createGroup(client, {
    ReplicationGroupId: 'nc',
    ClusterMode: 'enabled',
    NumNodeGroups: 2,
    ReplicasPerNodeGroup: 1,
  });
  await ready(t, client, 'nc');
  const before = await describeGroup(client, 'nc');
  const modifyCme = (
    input: Omit<ConstructorParameters<typeof ModifyReplicationGroupCommand>[0], 'ReplicationGroupId'>,
  ) => client.send(new ModifyReplicationGroupCommand({ ReplicationGroupId: 'nc', ApplyImmediately: true, ...input }));
  await refused(t, 'turning failover off with cluster mode', modifyCme({ AutomaticFailoverEnabled: false }), {
    code: 'InvalidParameterCombination',
    status: 400,
    message: 'Turning off automatic failover for replication group with cluster mode enabled is not supported.',
  });
  await refused(t, 'PrimaryClusterId with cluster mode', modifyCme({ PrimaryClusterId: 'nc-0001-002' }), {
    code: 'InvalidParameterCombination',
    status: 400,
  });
  await refused(t, 'SnapshottingClusterId with cluster mode', modifyCme({ SnapshottingClusterId: 'nc-0001-002' }), {
    code: 'InvalidParameterCombination',
    status: 400,
  });
  await refused(t, 'leaving cluster mode', modifyCme({ ClusterMode: 'disabled' }), {
    code: 'InvalidParameterCombination',
    status: 400,
  });
  await refused(t, 'a parameter group without cluster mode', modifyCme({ CacheParameterGroupName: 'default.redis7' }), {
    code: 'InvalidParameterCombination',
    status: 400,
  });
  t.same(await describeGroup(client, 'nc'), before, 'nothing changed');
});

t.test('ModifyReplicationGroup: rotating the AUTH token of a TLS group', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const created = await createGroup(client, {
    ReplicationGroupId: 'tls',
    NumCacheClusters: 2,
    TransitEncryptionEnabled: true,
    AuthToken: 'first-token-0123456789',
  });
  t.equal(created.TransitEncryptionEnabled, true);
  t.equal(created.AuthTokenEnabled, true);
  let group = await ready(t, client, 'tls');
  t.equal(group.AuthTokenEnabled, true);
  t.equal(
    (await describeCluster(client, 'tls-001')).AuthTokenEnabled,
    true,
    'the members read AuthTokenEnabled (Terraform reads it there)',
  );
  t.equal((await describeCluster(client, 'tls-001')).TransitEncryptionEnabled, true);
  const firstChange = group.AuthTokenLastModifiedDate;
  t.type(firstChange, Date);

  await refused(
    t,
    'a short new token',
    client.send(
      new ModifyReplicationGroupCommand({
        ReplicationGroupId: 'tls',
        AuthToken: 'short',
        AuthTokenUpdateStrategy: 'ROTATE',
        ApplyImmediately: true,
      }),
    ),
    { code: 'InvalidParameterValue', status: 400, message: 'Invalid AuthToken provided.' },
  );
  const rotating = (
    await client.send(
      new ModifyReplicationGroupCommand({
        ReplicationGroupId: 'tls',
        AuthToken: 'second-token-0123456789',
        AuthTokenUpdateStrategy: 'ROTATE',
        ApplyImmediately: true,
      }),
    )
  ).ReplicationGroup!;
  t.equal(rotating.Status, 'modifying');
  t.equal(rotating.PendingModifiedValues?.AuthTokenStatus, 'ROTATING');
  group = await ready(t, client, 'tls');
  t.equal(group.AuthTokenEnabled, true, 'still protected by a token');
  t.equal(group.PendingModifiedValues?.AuthTokenStatus, undefined, 'the rotation is done');
  t.ok(group.AuthTokenLastModifiedDate! >= firstChange!, 'AuthTokenLastModifiedDate moved on');
  t.equal((await describeCluster(client, 'tls-002')).AuthTokenEnabled, true);
});

// ---- Replica counts ---------------------------------------------------------------------------------------------------

t.test('IncreaseReplicaCount / DecreaseReplicaCount without cluster mode', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createGroup(client, { ReplicationGroupId: 'r', NumCacheClusters: 2, AutomaticFailoverEnabled: true });
  await ready(t, client, 'r');
  const increase = (input: Omit<ConstructorParameters<typeof IncreaseReplicaCountCommand>[0], 'ReplicationGroupId'>) =>
    client.send(new IncreaseReplicaCountCommand({ ReplicationGroupId: 'r', ...input }));
  const decrease = (input: Omit<ConstructorParameters<typeof DecreaseReplicaCountCommand>[0], 'ReplicationGroupId'>) =>
    client.send(new DecreaseReplicaCountCommand({ ReplicationGroupId: 'r', ...input }));

  const before = { group: await describeGroup(client, 'r'), clusters: await allClusters(client) };
  await refused(t, 'Increase with ApplyImmediately=false', increase({ NewReplicaCount: 3, ApplyImmediately: false }), {
    code: 'InvalidParameterValue',
    status: 400,
  });
  await refused(t, 'Decrease with ApplyImmediately=false', decrease({ NewReplicaCount: 0, ApplyImmediately: false }), {
    code: 'InvalidParameterValue',
    status: 400,
  });
  await refused(t, 'Increase to the current count', increase({ NewReplicaCount: 1, ApplyImmediately: true }), {
    code: 'NoOperationFault',
    status: 400,
  });
  await refused(t, 'Increase to six replicas', increase({ NewReplicaCount: 6, ApplyImmediately: true }), {
    code: 'InvalidParameterValue',
    status: 400,
  });
  await refused(
    t,
    'Decrease below one replica with automatic failover',
    decrease({ NewReplicaCount: 0, ApplyImmediately: true }),
    {
      code: 'InvalidParameterValue',
      status: 400,
      message: 'Must have at least 1 replica when cluster mode is disabled with auto failover enabled.',
    },
  );
  await refused(
    t,
    'removing the only replica with automatic failover',
    decrease({ ReplicasToRemove: ['r-002'], ApplyImmediately: true }),
    {
      code: 'InvalidParameterValue',
      status: 400,
      message: 'Must have at least 1 replica when cluster mode is disabled with auto failover enabled.',
    },
  );
  await refused(t, 'Decrease to the current count', decrease({ NewReplicaCount: 1, ApplyImmediately: true }), {
    code: 'NoOperationFault',
    status: 400,
  });
  await refused(
    t,
    'Increase in an unknown node group',
    increase({ ReplicaConfiguration: [{ NodeGroupId: '0009', NewReplicaCount: 3 }], ApplyImmediately: true }),
    {
      code: 'NodeGroupNotFoundFault',
      status: 404,
    },
  );
  t.same(
    { group: await describeGroup(client, 'r'), clusters: await allClusters(client) },
    before,
    'the refused calls changed nothing',
  );

  const grown = (await increase({ NewReplicaCount: 3, ApplyImmediately: true })).ReplicationGroup!;
  t.equal(grown.Status, 'modifying');
  t.same(
    grown.MemberClusters,
    ['r-001', 'r-002', 'r-003', 'r-004'],
    'the new members show at once, with the next numbers',
  );
  let group = await ready(t, client, 'r');
  t.same(memberIds(group.NodeGroups![0]), ['r-001', 'r-002', 'r-003', 'r-004']);
  t.equal(roleOf(group, 'r-004'), 'replica');
  t.ok(
    group.NodeGroups![0].NodeGroupMembers!.every((m) => m.ReadEndpoint?.Address),
    'every member has a read endpoint',
  );
  const fourth = await describeCluster(client, 'r-004');
  t.equal(fourth.ReplicationGroupId, 'r');
  t.equal(fourth.CacheClusterStatus, 'available');
  t.equal(fourth.CacheNodeType, 'cache.t3.micro');

  const shrinking = (await decrease({ ReplicasToRemove: ['r-002'], ApplyImmediately: true })).ReplicationGroup!;
  t.equal(shrinking.Status, 'modifying');
  group = await ready(t, client, 'r');
  t.same(group.MemberClusters, ['r-001', 'r-003', 'r-004'], 'the named replica is gone');
  await refused(
    t,
    'describing the removed member',
    client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'r-002' })),
    {
      code: 'CacheClusterNotFound',
      status: 404,
    },
  );
  t.notOk(
    (await allClusters(client)).some((c) => c.CacheClusterId === 'r-002'),
    'the removed member is not listed',
  );

  await increase({ NewReplicaCount: 3, ApplyImmediately: true });
  group = await ready(t, client, 'r');
  t.same(
    [...group.MemberClusters!].sort(),
    ['r-001', 'r-002', 'r-003', 'r-004'],
    'the new replica takes the first free number (002)',
  );
  t.equal(roleOf(group, 'r-002'), 'replica');

  await refused(t, 'removing the primary', decrease({ ReplicasToRemove: ['r-001'], ApplyImmediately: true }), {
    code: 'InvalidParameterValue',
    status: 400,
  });
  await decrease({ NewReplicaCount: 1, ApplyImmediately: true });
  group = await ready(t, client, 'r');
  t.equal(group.MemberClusters?.length, 2, 'one primary and one replica left');
  t.equal(primaryIn(group), 'r-001', 'the primary stays');
  const left = (await allClusters(client)).map((c) => c.CacheClusterId).sort();
  t.same(left, [...group.MemberClusters!].sort(), 'DescribeCacheClusters lists exactly the remaining members');

  // Without automatic failover a group may lose its last replica.
  await createGroup(client, { ReplicationGroupId: 'r0', NumCacheClusters: 2 });
  await ready(t, client, 'r0');
  await client.send(
    new DecreaseReplicaCountCommand({ ReplicationGroupId: 'r0', NewReplicaCount: 0, ApplyImmediately: true }),
  );
  group = await ready(t, client, 'r0');
  t.same(group.MemberClusters, ['r0-001'], 'no replica left');
});

t.test('IncreaseReplicaCount / DecreaseReplicaCount with cluster mode: ReplicaConfiguration per shard', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createGroup(client, {
    ReplicationGroupId: 'rc',
    ClusterMode: 'enabled',
    NumNodeGroups: 2,
    ReplicasPerNodeGroup: 1,
  });
  await ready(t, client, 'rc');

  const out = await client.send(
    new IncreaseReplicaCountCommand({
      ReplicationGroupId: 'rc',
      ApplyImmediately: true,
      ReplicaConfiguration: [{ NodeGroupId: '0001', NewReplicaCount: 2, PreferredAvailabilityZones: ['us-east-1d'] }],
    }),
  );
  t.ok(out.ReplicationGroup?.MemberClusters?.includes('rc-0001-003'), 'the new replica of shard 0001 is rc-0001-003');
  let group = await ready(t, client, 'rc');
  const [first, second] = group.NodeGroups!;
  t.same(memberIds(first), ['rc-0001-001', 'rc-0001-002', 'rc-0001-003'], 'shard 0001 has two replicas');
  t.same(memberIds(second), ['rc-0002-001', 'rc-0002-002'], 'shard 0002 is unchanged');
  t.equal(first.NodeGroupMembers![2].PreferredAvailabilityZone, 'us-east-1d', 'in the zone asked for');
  t.equal((await describeCluster(client, 'rc-0001-003')).ReplicationGroupId, 'rc');

  await refused(
    t,
    'an unknown shard',
    client.send(
      new DecreaseReplicaCountCommand({
        ReplicationGroupId: 'rc',
        ApplyImmediately: true,
        ReplicaConfiguration: [{ NodeGroupId: '0007', NewReplicaCount: 0 }],
      }),
    ),
    { code: 'NodeGroupNotFoundFault', status: 404 },
  );
  await client.send(
    new DecreaseReplicaCountCommand({ ReplicationGroupId: 'rc', ApplyImmediately: true, NewReplicaCount: 0 }),
  );
  group = await ready(t, client, 'rc');
  t.same(group.MemberClusters, ['rc-0001-001', 'rc-0002-001'], 'cluster mode may go down to no replicas');
  t.same(
    group.NodeGroups!.map((g) => g.NodeGroupMembers!.length),
    [1, 1],
  );
  t.same(
    (await allClusters(client)).map((c) => c.CacheClusterId).sort(),
    ['rc-0001-001', 'rc-0002-001'],
    'the removed replicas are gone',
  );
  assertSlotsCovered(t, group.NodeGroups!, 'after the replicas left');
});

// ---- Shards ---------------------------------------------------------------------------------------------------------

t.test(
  'ModifyReplicationGroupShardConfiguration: adding a shard rebalances, removing by list or by keeping',
  async (t) => {
    const emulator = await startTestEmulator(t);
    const client = sdkClient(emulator);
    await createGroup(client, {
      ReplicationGroupId: 'sh',
      CacheParameterGroupName: 'default.redis7.cluster.on',
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 1,
    });
    await ready(t, client, 'sh');
    const reshard = (
      input: Omit<
        ConstructorParameters<typeof ModifyReplicationGroupShardConfigurationCommand>[0],
        'ReplicationGroupId'
      >,
    ) => client.send(new ModifyReplicationGroupShardConfigurationCommand({ ReplicationGroupId: 'sh', ...input }));

    const before = { group: await describeGroup(client, 'sh'), clusters: await allClusters(client) };
    await refused(t, 'ApplyImmediately=false', reshard({ NodeGroupCount: 4, ApplyImmediately: false }), {
      code: 'InvalidParameterValue',
      status: 400,
    });
    await refused(t, 'fewer shards without saying which', reshard({ NodeGroupCount: 2, ApplyImmediately: true }), {
      code: 'InvalidParameterValue',
      status: 400,
    });
    await refused(
      t,
      'both NodeGroupsToRemove and NodeGroupsToRetain',
      reshard({
        NodeGroupCount: 2,
        NodeGroupsToRemove: ['0003'],
        NodeGroupsToRetain: ['0001', '0002'],
        ApplyImmediately: true,
      }),
      { code: 'InvalidParameterValue', status: 400 },
    );
    await refused(
      t,
      'removing an unknown shard',
      reshard({ NodeGroupCount: 2, NodeGroupsToRemove: ['0009'], ApplyImmediately: true }),
      {
        code: 'NodeGroupNotFoundFault',
        status: 404,
      },
    );
    await refused(
      t,
      'removing a number of shards that does not match',
      reshard({ NodeGroupCount: 2, NodeGroupsToRemove: ['0002', '0003'], ApplyImmediately: true }),
      {
        code: 'InvalidParameterValue',
        status: 400,
      },
    );
    await refused(
      t,
      'NodeGroupsToRemove while adding shards',
      reshard({ NodeGroupCount: 4, NodeGroupsToRemove: ['0003'], ApplyImmediately: true }),
      {
        code: 'InvalidParameterCombination',
        status: 400,
      },
    );
    t.same(
      { group: await describeGroup(client, 'sh'), clusters: await allClusters(client) },
      before,
      'the refused calls changed nothing',
    );

    const adding = (await reshard({ NodeGroupCount: 4, ApplyImmediately: true })).ReplicationGroup!;
    t.equal(adding.Status, 'modifying');
    t.ok(
      adding.NodeGroups?.some((g) => g.NodeGroupId === '0004'),
      'the new shard shows at once',
    );
    let group = await ready(t, client, 'sh');
    t.same(
      group.NodeGroups!.map((g) => g.NodeGroupId),
      ['0001', '0002', '0003', '0004'],
    );
    const added = group.NodeGroups![3];
    t.same(
      memberIds(added),
      ['sh-0004-001', 'sh-0004-002'],
      'the new shard has a primary and as many replicas as the others',
    );
    t.ok(group.MemberClusters?.includes('sh-0004-002'));
    t.equal(
      (await describeCluster(client, 'sh-0004-001')).ReplicationGroupId,
      'sh',
      'the new members are cache clusters of the group',
    );
    assertSlotsCovered(t, group.NodeGroups!, 'four shards');
    const sizes = group.NodeGroups!.map(slotCount);
    t.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `the slots are rebalanced evenly (${sizes.join(', ')})`);
    t.ok(slotCount(added) > 0, 'the new shard owns slots');
    t.same(group.PendingModifiedValues?.Resharding, undefined, 'no resharding left pending');

    await reshard({ NodeGroupCount: 3, NodeGroupsToRemove: ['0002'], ApplyImmediately: true });
    group = await ready(t, client, 'sh');
    t.same(
      group.NodeGroups!.map((g) => g.NodeGroupId),
      ['0001', '0003', '0004'],
      'shard 0002 is gone',
    );
    t.notOk(
      group.MemberClusters!.some((m) => m.startsWith('sh-0002-')),
      'and its members with it',
    );
    await refused(
      t,
      'describing a removed shard member',
      client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'sh-0002-001' })),
      {
        code: 'CacheClusterNotFound',
        status: 404,
      },
    );
    assertSlotsCovered(t, group.NodeGroups!, 'after removing 0002');

    await reshard({ NodeGroupCount: 2, NodeGroupsToRetain: ['0001', '0003'], ApplyImmediately: true });
    group = await ready(t, client, 'sh');
    t.same(
      group.NodeGroups!.map((g) => g.NodeGroupId),
      ['0001', '0003'],
      'only the shards to retain remain',
    );
    t.same(group.MemberClusters, ['sh-0001-001', 'sh-0001-002', 'sh-0003-001', 'sh-0003-002']);
    assertSlotsCovered(t, group.NodeGroups!, 'after retaining 0001 and 0003');
    t.same(
      (await allClusters(client)).map((c) => c.CacheClusterId).sort(),
      [...group.MemberClusters!].sort(),
      'only the remaining members are listed',
    );

    await createGroup(client, { ReplicationGroupId: 'flat', NumCacheClusters: 2 });
    await ready(t, client, 'flat');
    await refused(
      t,
      'resharding a group without cluster mode',
      client.send(
        new ModifyReplicationGroupShardConfigurationCommand({
          ReplicationGroupId: 'flat',
          NodeGroupCount: 2,
          ApplyImmediately: true,
        }),
      ),
      { code: 'InvalidParameterCombination', status: 400 },
    );
  },
);

// ---- Failover -------------------------------------------------------------------------------------------------------

t.test('TestFailover: roles change, with the events AWS records', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createGroup(client, { ReplicationGroupId: 'tf', NumCacheClusters: 3, AutomaticFailoverEnabled: true });
  await createGroup(client, { ReplicationGroupId: 'nf', NumCacheClusters: 2 });
  await createGroup(client, {
    ReplicationGroupId: 'tfc',
    ClusterMode: 'enabled',
    NumNodeGroups: 2,
    ReplicasPerNodeGroup: 1,
  });
  const initial = await ready(t, client, 'tf');
  await ready(t, client, 'nf');
  await ready(t, client, 'tfc');

  await refused(
    t,
    'an unknown node group',
    client.send(new TestFailoverCommand({ ReplicationGroupId: 'tf', NodeGroupId: '0002' })),
    {
      code: 'NodeGroupNotFoundFault',
      status: 404,
    },
  );
  await refused(
    t,
    'a group without automatic failover',
    client.send(new TestFailoverCommand({ ReplicationGroupId: 'nf', NodeGroupId: '0001' })),
    {
      code: 'TestFailoverNotAvailableFault',
      status: 400,
    },
  );
  t.equal(primaryIn(await describeGroup(client, 'nf')), 'nf-001', 'the refused failover changed nothing');

  const out = await client.send(new TestFailoverCommand({ ReplicationGroupId: 'tf', NodeGroupId: '0001' }));
  t.equal(out.ReplicationGroup?.ReplicationGroupId, 'tf');
  const group = await ready(t, client, 'tf');
  const newPrimary = primaryIn(group);
  t.ok(newPrimary === 'tf-002' || newPrimary === 'tf-003', `a replica was promoted (${newPrimary})`);
  t.equal(roleOf(group, 'tf-001'), 'replica', 'the old primary is a replica now');
  t.equal(group.NodeGroups![0].NodeGroupMembers!.filter((m) => m.CurrentRole === 'primary').length, 1, 'one primary');
  t.same([...group.MemberClusters!].sort(), ['tf-001', 'tf-002', 'tf-003'], 'the members stay');
  t.same(
    group.NodeGroups![0].PrimaryEndpoint,
    initial.NodeGroups![0].PrimaryEndpoint,
    'the primary endpoint stays (it follows the new primary)',
  );
  const events = await groupEvents(client, 'tf');
  t.ok(
    events.includes('Test Failover API called for node group 0001'),
    `the API call is recorded (${JSON.stringify(events)})`,
  );
  const completed = `Failover from primary node tf-001 to replica node ${newPrimary} completed`;
  t.ok(events.includes(completed), `the failover is recorded: ${completed}`);
  t.ok(
    events.indexOf(completed) < events.indexOf('Test Failover API called for node group 0001'),
    'the completion is newer than the call',
  );

  await client.send(new TestFailoverCommand({ ReplicationGroupId: 'tfc', NodeGroupId: '0002' }));
  await ready(t, client, 'tfc');
  const clusterEvents = await groupEvents(client, 'tfc');
  t.ok(clusterEvents.includes('Test Failover API called for node group 0002'), 'cluster mode: the call is recorded');
  t.ok(
    clusterEvents.includes('Failover from primary node tfc-0002-001 to replica node tfc-0002-002 completed'),
    `cluster mode: shard 0002 failed over (${JSON.stringify(clusterEvents)})`,
  );
  t.notOk(
    clusterEvents.some((e) => e.includes('tfc-0001-001 to')),
    'shard 0001 kept its primary',
  );
  // Roles are not shown with cluster mode; a second failover of the same shard goes back to the first node.
  await client.send(new TestFailoverCommand({ ReplicationGroupId: 'tfc', NodeGroupId: '0002' }));
  await ready(t, client, 'tfc');
  t.ok(
    (await groupEvents(client, 'tfc')).includes(
      'Failover from primary node tfc-0002-002 to replica node tfc-0002-001 completed',
    ),
    'the promoted node was the primary the second time',
  );
});

// ---- Members through the cache cluster API ---------------------------------------------------------------------------

t.test('members through CreateCacheCluster, DeleteCacheCluster and RebootCacheCluster', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createGroup(client, { ReplicationGroupId: 'mem', NumCacheClusters: 2, AutomaticFailoverEnabled: true });
  await createGroup(client, {
    ReplicationGroupId: 'memc',
    ClusterMode: 'enabled',
    NumNodeGroups: 1,
    ReplicasPerNodeGroup: 1,
  });
  await createGroup(client, { ReplicationGroupId: 'lone' });
  await ready(t, client, 'mem');
  await ready(t, client, 'memc');
  await ready(t, client, 'lone');
  await refused(
    t,
    'deleting the only member of a group',
    client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'lone-001' })),
    {
      code: 'InvalidCacheClusterState',
      status: 400,
    },
  );
  t.equal((await describeCluster(client, 'lone-001')).CacheClusterStatus, 'available', 'the only member stays');
  const before = { group: await describeGroup(client, 'mem'), clusters: await allClusters(client) };

  await refused(t, 'deleting the primary', client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'mem-001' })), {
    code: 'InvalidCacheClusterState',
    status: 400,
    message: /serving as primary/,
  });
  await refused(
    t,
    'deleting the only replica with automatic failover',
    client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'mem-002' })),
    {
      code: 'InvalidCacheClusterState',
      status: 400,
      message:
        /Cannot delete the cache cluster because it is the only read replica for replication group mem which has autofailover enabled or pending/,
    },
  );
  await refused(
    t,
    'deleting a member of a cluster-mode group',
    client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'memc-0001-002' })),
    {
      code: 'InvalidCacheClusterState',
      status: 400,
    },
  );
  await refused(
    t,
    'a replica with cluster parameters',
    client.send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'mem-extra',
        ReplicationGroupId: 'mem',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
      }),
    ),
    {
      code: 'InvalidParameterCombination',
      status: 400,
      message: 'Cannot specify additional cache cluster parameters when creating a replica cluster',
    },
  );
  await refused(
    t,
    'a replica with NumCacheNodes',
    client.send(
      new CreateCacheClusterCommand({ CacheClusterId: 'mem-extra', ReplicationGroupId: 'mem', NumCacheNodes: 1 }),
    ),
    {
      code: 'InvalidParameterCombination',
      status: 400,
      message: 'Cannot specify additional cache cluster parameters when creating a replica cluster',
    },
  );
  await refused(
    t,
    'a replica with an id that exists',
    client.send(new CreateCacheClusterCommand({ CacheClusterId: 'mem-001', ReplicationGroupId: 'mem' })),
    {
      code: 'CacheClusterAlreadyExists',
      status: 400,
    },
  );
  await refused(
    t,
    'a replica for a cluster-mode group',
    client.send(new CreateCacheClusterCommand({ CacheClusterId: 'memc-extra', ReplicationGroupId: 'memc' })),
    {
      code: 'InvalidParameterValue',
      status: 400,
    },
  );
  await refused(
    t,
    'rebooting a member of a cluster-mode group',
    client.send(new RebootCacheClusterCommand({ CacheClusterId: 'memc-0001-001', CacheNodeIdsToReboot: ['0001'] })),
    {
      code: 'InvalidParameterCombination',
      status: 400,
    },
  );
  const after = {
    group: await describeGroup(client, 'mem'),
    clusters: (await allClusters(client)).filter((c) => c.ReplicationGroupId === 'mem'),
  };
  t.same(
    after,
    { ...before, clusters: before.clusters.filter((c) => c.ReplicationGroupId === 'mem') },
    'the refused calls changed nothing',
  );

  const replica = (
    await client.send(new CreateCacheClusterCommand({ CacheClusterId: 'Mem-Extra', ReplicationGroupId: 'mem' }))
  ).CacheCluster!;
  t.equal(replica.CacheClusterId, 'mem-extra');
  t.equal(replica.ReplicationGroupId, 'mem');
  t.equal(replica.CacheClusterStatus, 'creating');
  t.equal(replica.NumCacheNodes, 1);
  t.equal(replica.CacheNodeType, 'cache.t3.micro', 'the settings come from the group');
  t.equal(replica.ARN, `${ACCOUNT_ARN}:cluster:mem-extra`);
  let group = await ready(t, client, 'mem');
  t.same(group.MemberClusters, ['mem-001', 'mem-002', 'mem-extra']);
  t.equal(roleOf(group, 'mem-extra'), 'replica');
  t.equal((await describeCluster(client, 'mem-extra')).CacheClusterStatus, 'available');

  const rebooting = (
    await client.send(new RebootCacheClusterCommand({ CacheClusterId: 'mem-extra', CacheNodeIdsToReboot: ['0001'] }))
  ).CacheCluster!;
  t.equal(
    rebooting.CacheClusterStatus,
    'rebooting cluster nodes',
    'the member reboots (the status Terraform waits through)',
  );
  t.equal((await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'mem-extra' })).state, 'SUCCESS');
  t.equal(roleOf(await describeGroup(client, 'mem'), 'mem-extra'), 'replica', 'and comes back as a replica');

  // Two replicas now: one of them may go.
  const deleting = (await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'mem-002' }))).CacheCluster!;
  t.equal(deleting.CacheClusterStatus, 'deleting');
  t.equal((await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'mem-002' })).state, 'SUCCESS');
  group = await ready(t, client, 'mem');
  t.same(group.MemberClusters, ['mem-001', 'mem-extra'], 'the deleted replica left the group');
  t.same(memberIds(group.NodeGroups![0]), ['mem-001', 'mem-extra']);
});

// ---- Delete and tags --------------------------------------------------------------------------------------------------

t.test('DeleteReplicationGroup: members go with the group; RetainPrimaryCluster keeps the primary', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await createGroup(client, { ReplicationGroupId: 'del', NumCacheClusters: 2 });
  await createGroup(client, {
    ReplicationGroupId: 'delc',
    ClusterMode: 'enabled',
    NumNodeGroups: 2,
    ReplicasPerNodeGroup: 1,
  });
  await createGroup(client, { ReplicationGroupId: 'keep', NumCacheClusters: 3, AutomaticFailoverEnabled: true });
  await ready(t, client, 'del');
  await ready(t, client, 'delc');
  await ready(t, client, 'keep');

  const deleting = (await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'DEL' })))
    .ReplicationGroup!;
  t.equal(deleting.Status, 'deleting', 'deleting is answered synchronously');
  t.equal(deleting.ReplicationGroupId, 'del');
  t.equal(
    (await waitUntilReplicationGroupDeleted(waiter(client), { ReplicationGroupId: 'del' })).state,
    'SUCCESS',
    'the Deleted waiter succeeds',
  );
  const gone = await refused(
    t,
    'describing the deleted group',
    client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'del' })),
    {
      code: 'ReplicationGroupNotFoundFault',
      status: 404,
    },
  );
  t.equal(gone?.name, 'ReplicationGroupNotFoundFault');
  for (const id of ['del-001', 'del-002']) {
    await refused(t, `describing ${id}`, client.send(new DescribeCacheClustersCommand({ CacheClusterId: id })), {
      code: 'CacheClusterNotFound',
      status: 404,
    });
  }
  await refused(
    t,
    'deleting the deleted group',
    client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'del' })),
    {
      code: 'ReplicationGroupNotFoundFault',
      status: 404,
    },
  );

  await refused(
    t,
    'RetainPrimaryCluster with cluster mode',
    client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'delc', RetainPrimaryCluster: true })),
    {
      code: 'InvalidParameterCombination',
      status: 400,
    },
  );
  t.equal((await describeGroup(client, 'delc')).Status, 'available', 'the refused delete left the group alone');
  await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'delc' }));
  await waitUntilReplicationGroupDeleted(waiter(client), { ReplicationGroupId: 'delc' });
  t.notOk(
    (await allClusters(client)).some((c) => c.CacheClusterId?.startsWith('delc-')),
    'the cluster-mode members are gone',
  );

  // The primary after a failover is the one kept.
  await client.send(
    new ModifyReplicationGroupCommand({
      ReplicationGroupId: 'keep',
      PrimaryClusterId: 'keep-002',
      ApplyImmediately: true,
    }),
  );
  await ready(t, client, 'keep');
  await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'keep', RetainPrimaryCluster: true }));
  t.equal((await waitUntilReplicationGroupDeleted(waiter(client), { ReplicationGroupId: 'keep' })).state, 'SUCCESS');
  const kept = await describeCluster(client, 'keep-002');
  t.equal(kept.ReplicationGroupId, undefined, 'the primary stays as a standalone cluster');
  t.equal(kept.CacheClusterStatus, 'available');
  t.equal(kept.ARN, `${ACCOUNT_ARN}:cluster:keep-002`);
  t.same(
    (await allClusters(client)).map((c) => c.CacheClusterId),
    ['keep-002'],
    'the replicas are gone',
  );
  const standalone = await client.send(
    new DescribeCacheClustersCommand({ ShowCacheClustersNotInReplicationGroups: true }),
  );
  t.same(
    standalone.CacheClusters?.map((c) => c.CacheClusterId),
    ['keep-002'],
    'it counts as standalone now',
  );
  t.same((await client.send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups, [], 'no group is left');
  await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'keep-002' }));
  t.equal(
    (await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'keep-002' })).state,
    'SUCCESS',
    'and is deleted like one',
  );
});

t.test('tags on the replication group ARN', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const arn = `${ACCOUNT_ARN}:replicationgroup:tagged`;
  const created = await createGroup(client, {
    ReplicationGroupId: 'tagged',
    NumCacheClusters: 2,
    Tags: [{ Key: 'team', Value: 'cache' }],
  });
  t.equal(created.ARN, arn);
  await ready(t, client, 'tagged');
  const list = async () => (await client.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList;
  t.same(await list(), [{ Key: 'team', Value: 'cache' }], 'the tags given at create');
  const added = await client.send(
    new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'env', Value: 'test' }] }),
  );
  t.same(
    added.TagList,
    [
      { Key: 'team', Value: 'cache' },
      { Key: 'env', Value: 'test' },
    ],
    'AddTagsToResource answers the whole list',
  );
  const removed = await client.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ['team'] }));
  t.same(removed.TagList, [{ Key: 'env', Value: 'test' }], 'RemoveTagsFromResource answers what is left');
  t.same(await list(), [{ Key: 'env', Value: 'test' }]);
  t.same(
    (await client.send(new ListTagsForResourceCommand({ ResourceName: `${ACCOUNT_ARN}:cluster:tagged-001` }))).TagList,
    [],
    'the members have their own tags',
  );

  await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'tagged' }));
  await waitUntilReplicationGroupDeleted(waiter(client), { ReplicationGroupId: 'tagged' });
  await createGroup(client, { ReplicationGroupId: 'tagged', NumCacheClusters: 2 });
  t.same(await list(), [], 'a new group of the same name starts without the old tags');
});
