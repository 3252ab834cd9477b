/**
 * Durability across a crash: the emulator runs as a child process (its CLI, from source), is killed with
 * SIGKILL in the middle of a create, a delete and modifications, and is started again on the same data dir.
 * The reconciler must resume the unfinished jobs so every cluster converges (available with its nodes and the
 * same endpoints, or gone), and everything a call acknowledged must still be there.
 */
import {
  AddTagsToResourceCommand,
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  CreateCacheSecurityGroupCommand,
  DeleteCacheClusterCommand,
  DescribeCacheClustersCommand,
  DescribeCacheParameterGroupsCommand,
  DescribeCacheParametersCommand,
  DescribeCacheSecurityGroupsCommand,
  DescribeEventsCommand,
  ListTagsForResourceCommand,
  ModifyCacheClusterCommand,
  ModifyCacheParameterGroupCommand,
  RebootCacheClusterCommand,
  CreateReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  type ReplicationGroup,
  type CacheCluster,
  type ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { eventually, startCliEmulator, type CliEmulator } from '../fixtures/cli-process.js';
import { tempDir } from '../fixtures/emulator.js';

const SLOW = 1500; // ms per node start / stop in the first life
const TRANSITIONAL = new Set(['creating', 'modifying', 'deleting', 'rebooting cluster nodes', 'snapshotting']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function describe(client: ElastiCacheClient, id: string): Promise<CacheCluster> {
  const out = await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id, ShowCacheNodeInfo: true }));
  return out.CacheClusters![0];
}

/** Polls until the cluster leaves its transitional status; returns it as it then is. */
async function settled(client: ElastiCacheClient, id: string, timeoutMs = 20_000): Promise<CacheCluster> {
  return eventually(
    `${id} to settle`,
    async () => {
      const cluster = await describe(client, id);
      return TRANSITIONAL.has(cluster.CacheClusterStatus!) ? undefined : cluster;
    },
    timeoutMs,
  );
}

/** The endpoints the store has allocated to a cluster, read from the database file of a dead emulator. */
function storedEndpoints(dataDir: string, clusterId: string): Record<string, string> {
  const db = new Database(join(dataDir, 'elasticache-local.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT role, address, port FROM endpoints WHERE owner_id = ?').all(clusterId) as {
      role: string;
      address: string;
      port: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.role, `${r.address}:${r.port}`]));
  } finally {
    db.close();
  }
}

const endpointsOf = (cluster: CacheCluster) =>
  Object.fromEntries(
    (cluster.CacheNodes ?? []).map((n) => [
      n.CacheNodeId!,
      n.Endpoint ? `${n.Endpoint.Address}:${n.Endpoint.Port}` : undefined,
    ]),
  );

async function crash(t: Test, emulator: CliEmulator, what: string): Promise<void> {
  const { signal } = await emulator.kill('SIGKILL');
  t.equal(signal, 'SIGKILL', `killed -9 ${what}`);
}

function checkConverged(t: Test, cluster: CacheCluster, count: number, port: number, note = '') {
  t.equal(cluster.CacheClusterStatus, 'available', 'the cluster converged to available');
  t.equal(cluster.NumCacheNodes, count, `NumCacheNodes is ${count}`);
  t.equal(cluster.CacheNodes?.length, count, `${count} nodes`);
  const stuck = (cluster.CacheNodes ?? []).filter((n) => n.CacheNodeStatus !== 'available' || !n.Endpoint);
  t.same(
    stuck.map((n) => ({ id: n.CacheNodeId, status: n.CacheNodeStatus, endpoint: n.Endpoint })),
    [],
    `every node is available and has an endpoint${note}`,
  );
  const addresses = (cluster.CacheNodes ?? []).flatMap((n) => (n.Endpoint ? [n.Endpoint.Address] : []));
  t.equal(new Set(addresses).size, addresses.length, 'no two nodes share an address');
  t.ok(
    (cluster.CacheNodes ?? []).every((n) => n.Endpoint === undefined || n.Endpoint.Port === port),
    `every endpoint is on port ${port}`,
  );
  t.same(cluster.PendingModifiedValues ?? {}, {}, 'nothing is left pending');
}

t.test('killed -9 while a 3-node memcached cluster is creating: the restart finishes it, endpoints stay', async (t) => {
  const dataDir = tempDir(t);
  const first = await startCliEmulator(t, { dataDir, provisionDelayMs: SLOW });
  const created = await first.client().send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'mc',
      Engine: 'memcached',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 3,
    }),
  );
  t.equal(created.CacheCluster?.CacheClusterStatus, 'creating');
  await sleep(SLOW / 2); // the three nodes are starting side by side, each with its endpoint allocated
  t.equal((await describe(first.client(), 'mc')).CacheClusterStatus, 'creating', 'still creating when killed');
  await crash(t, first, 'mid-create');
  const beforeRestart = storedEndpoints(dataDir, 'mc');
  t.ok(beforeRestart['0001'], `node 0001 had its endpoint before the crash (${beforeRestart['0001']})`);

  const started = Date.now();
  const second = await startCliEmulator(t, { dataDir, provisionDelayMs: 0 });
  const cluster = await settled(second.client(), 'mc');
  t.comment(`converged ${Date.now() - started} ms after the restart began`);
  checkConverged(t, cluster, 3, 11211);
  t.same(
    cluster.CacheNodes!.map((n) => n.CacheNodeId),
    ['0001', '0002', '0003'],
  );
  t.ok(cluster.ConfigurationEndpoint?.Address, 'the configuration endpoint exists');
  const endpoints = endpointsOf(cluster);
  for (const [node, endpoint] of Object.entries(beforeRestart)) {
    if (node === 'cfg') continue;
    t.equal(endpoints[node], endpoint, `node ${node} kept the endpoint it was given before the crash`);
  }
  const created2 =
    (await second.client().send(new DescribeEventsCommand({ SourceType: 'cache-cluster', SourceIdentifier: 'mc' })))
      .Events ?? [];
  t.equal(created2.filter((e) => e.Message === 'Cache cluster created').length, 1, 'one "created" event, not two');

  // Two more lives, one stopped cleanly and one killed: the endpoints never move.
  await second.kill('SIGTERM');
  const third = await startCliEmulator(t, { dataDir });
  t.same(endpointsOf(await describe(third.client(), 'mc')), endpoints, 'same endpoints after a clean restart');
  t.equal(
    (await describe(third.client(), 'mc')).ConfigurationEndpoint?.Address,
    cluster.ConfigurationEndpoint?.Address,
  );
  await crash(t, third, 'when idle');
  const fourth = await startCliEmulator(t, { dataDir });
  t.same(endpointsOf(await describe(fourth.client(), 'mc')), endpoints, 'same endpoints after another kill -9');
});

t.test('killed -9 while deleting: the restart finishes the delete', async (t) => {
  const dataDir = tempDir(t);
  const setup = await startCliEmulator(t, { dataDir, provisionDelayMs: 0 });
  await setup.client().send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'doomed',
      Engine: 'memcached',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 3,
    }),
  );
  t.equal((await settled(setup.client(), 'doomed')).CacheClusterStatus, 'available');
  await setup.kill('SIGTERM');

  const slow = await startCliEmulator(t, { dataDir, provisionDelayMs: SLOW });
  const deleting = await slow.client().send(new DeleteCacheClusterCommand({ CacheClusterId: 'doomed' }));
  t.equal(deleting.CacheCluster?.CacheClusterStatus, 'deleting');
  await sleep(SLOW / 2);
  t.equal((await describe(slow.client(), 'doomed')).CacheClusterStatus, 'deleting', 'still deleting when killed');
  await crash(t, slow, 'mid-delete');

  const after = await startCliEmulator(t, { dataDir, provisionDelayMs: 0 });
  const error = await eventually('the cluster to be gone', async () => {
    const e = await describe(after.client(), 'doomed').then(
      () => undefined,
      (e) => e,
    );
    return e;
  });
  t.equal(error.name, 'CacheClusterNotFoundFault', 'the delete finished: CacheClusterNotFound');
  t.equal(error.Code, 'CacheClusterNotFound');
  t.same(storedEndpoints(dataDir, 'doomed'), {}, 'its endpoints were released');
  const recreated = await after.client().send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'doomed',
      Engine: 'memcached',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 1,
    }),
  );
  t.equal(recreated.CacheCluster?.CacheClusterStatus, 'creating', 'the id is free again');
});

t.test(
  'killed -9 while modifying and rebooting: scale-out, scale-in, a node type change and a reboot all converge',
  async (t) => {
    const dataDir = tempDir(t);
    const setup = await startCliEmulator(t, { dataDir, provisionDelayMs: 0 });
    await setup.client().send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'grow',
        Engine: 'memcached',
        CacheNodeType: 'cache.t3.micro',
        NumCacheNodes: 2,
      }),
    );
    await setup.client().send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'shrink',
        Engine: 'memcached',
        CacheNodeType: 'cache.t3.micro',
        NumCacheNodes: 4,
      }),
    );
    await setup
      .client()
      .send(
        new CreateCacheClusterCommand({ CacheClusterId: 'resize', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
      );
    await setup.client().send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'reboot',
        Engine: 'memcached',
        CacheNodeType: 'cache.t3.micro',
        NumCacheNodes: 2,
      }),
    );
    for (const id of ['grow', 'shrink', 'resize', 'reboot'])
      t.equal((await settled(setup.client(), id)).CacheClusterStatus, 'available', `${id} is available`);
    const before = {
      grow: endpointsOf(await describe(setup.client(), 'grow')),
      shrink: endpointsOf(await describe(setup.client(), 'shrink')),
      resize: endpointsOf(await describe(setup.client(), 'resize')),
      reboot: endpointsOf(await describe(setup.client(), 'reboot')),
    };
    await setup.kill('SIGTERM');

    const slow = await startCliEmulator(t, { dataDir, provisionDelayMs: SLOW });
    const client = slow.client();
    const grow = await client.send(
      new ModifyCacheClusterCommand({ CacheClusterId: 'grow', NumCacheNodes: 4, ApplyImmediately: true }),
    );
    t.equal(grow.CacheCluster?.CacheClusterStatus, 'modifying');
    const shrink = await client.send(
      new ModifyCacheClusterCommand({
        CacheClusterId: 'shrink',
        NumCacheNodes: 2,
        CacheNodeIdsToRemove: ['0002', '0003'],
        ApplyImmediately: true,
      }),
    );
    t.equal(shrink.CacheCluster?.CacheClusterStatus, 'modifying');
    const resize = await client.send(
      new ModifyCacheClusterCommand({
        CacheClusterId: 'resize',
        CacheNodeType: 'cache.t3.small',
        ApplyImmediately: true,
      }),
    );
    t.equal(resize.CacheCluster?.CacheClusterStatus, 'modifying');
    const reboot = await client.send(
      new RebootCacheClusterCommand({ CacheClusterId: 'reboot', CacheNodeIdsToReboot: ['0001', '0002'] }),
    );
    t.equal(reboot.CacheCluster?.CacheClusterStatus, 'rebooting cluster nodes');
    await sleep(SLOW / 2); // the first new node of `grow` is starting, the first of `shrink` is stopping
    for (const id of ['grow', 'shrink', 'resize']) {
      t.equal((await describe(client, id)).CacheClusterStatus, 'modifying', `${id} is still modifying when killed`);
    }
    t.equal(
      (await describe(client, 'reboot')).CacheClusterStatus,
      'rebooting cluster nodes',
      'reboot is still rebooting when killed',
    );
    await crash(t, slow, 'mid-modify');

    const after = await startCliEmulator(t, { dataDir, provisionDelayMs: 0 });
    const client2 = after.client();

    t.test('scale-out 2 → 4', async (t) => {
      const cluster = await settled(client2, 'grow');
      // The nodes a killed scale-out had added but not started are started by the resumed job.
      checkConverged(t, cluster, 4, 11211, '');
      t.same(
        cluster.CacheNodes?.map((n) => n.CacheNodeId),
        ['0001', '0002', '0003', '0004'],
      );
      const now = endpointsOf(cluster);
      t.equal(now['0001'], before.grow['0001'], 'node 0001 kept its endpoint');
      t.equal(now['0002'], before.grow['0002'], 'node 0002 kept its endpoint');
    });

    t.test('scale-in 4 → 2', async (t) => {
      const cluster = await settled(client2, 'shrink');
      checkConverged(t, cluster, 2, 11211);
      t.same(
        cluster.CacheNodes?.map((n) => n.CacheNodeId),
        ['0001', '0004'],
        'the nodes asked for are the ones removed',
      );
      const now = endpointsOf(cluster);
      t.equal(now['0001'], before.shrink['0001'], 'node 0001 kept its endpoint');
      t.equal(now['0004'], before.shrink['0004'], 'node 0004 kept its endpoint');
      const stored = storedEndpoints(dataDir, 'shrink');
      t.notOk(stored['0002'] || stored['0003'], "the removed nodes' endpoints were released");
    });

    t.test('node type change', async (t) => {
      const cluster = await settled(client2, 'resize');
      checkConverged(t, cluster, 1, 6379);
      t.equal(cluster.CacheNodeType, 'cache.t3.small', 'the new node type applied');
      t.equal(endpointsOf(cluster)['0001'], before.resize['0001'], 'the node kept its endpoint');
    });

    t.test('reboot of two nodes', async (t) => {
      const cluster = await settled(client2, 'reboot');
      checkConverged(t, cluster, 2, 11211);
      t.equal(cluster.CacheParameterGroup?.ParameterApplyStatus, 'in-sync');
      t.same(endpointsOf(cluster), before.reboot, 'the nodes kept their endpoints');
      const events =
        (await client2.send(new DescribeEventsCommand({ SourceType: 'cache-cluster', SourceIdentifier: 'reboot' })))
          .Events ?? [];
      for (const node of ['0001', '0002']) {
        t.ok(
          events.some((e) => e.Message === `Cache node ${node} restarted`),
          `node ${node} was restarted`,
        );
      }
    });
  },
);

t.test('everything acknowledged survives a kill -9 right after the response', async (t) => {
  const dataDir = tempDir(t);
  const first = await startCliEmulator(t, { dataDir, provisionDelayMs: 0 });
  const client = first.client();

  const group = await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'durable',
      CacheParameterGroupFamily: 'redis7',
      Description: 'survives kill -9',
      Tags: [
        { Key: 'team', Value: 'cache' },
        { Key: 'env', Value: 'test' },
      ],
    }),
  );
  const arn = group.CacheParameterGroup!.ARN!;
  await client.send(
    new ModifyCacheParameterGroupCommand({
      CacheParameterGroupName: 'durable',
      ParameterNameValues: [{ ParameterName: 'maxmemory-policy', ParameterValue: 'allkeys-lru' }],
    }),
  );
  await client.send(new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'durable-sg', Description: 'kept' }));
  await client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'last', Value: 'one' }] }));
  // The last acknowledged call, and the kill as soon as its answer is in.
  await crash(t, first, 'right after the last response');

  const second = await startCliEmulator(t, { dataDir });
  const client2 = second.client();
  const groups = await client2.send(new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'durable' }));
  t.equal(groups.CacheParameterGroups?.[0]?.Description, 'survives kill -9', 'the parameter group is there');
  t.equal(groups.CacheParameterGroups?.[0]?.CacheParameterGroupFamily, 'redis7');
  const parameters = await client2.send(
    new DescribeCacheParametersCommand({ CacheParameterGroupName: 'durable', Source: 'user' }),
  );
  t.same(
    parameters.Parameters?.map((p) => [p.ParameterName, p.ParameterValue]),
    [['maxmemory-policy', 'allkeys-lru']],
    'its modified parameter is there',
  );
  const tags = await client2.send(new ListTagsForResourceCommand({ ResourceName: arn }));
  t.same(
    tags.TagList,
    [
      { Key: 'team', Value: 'cache' },
      { Key: 'env', Value: 'test' },
      { Key: 'last', Value: 'one' },
    ],
    'its tags, in order, including the last call before the kill',
  );
  const securityGroups = await client2.send(
    new DescribeCacheSecurityGroupsCommand({ CacheSecurityGroupName: 'durable-sg' }),
  );
  t.equal(securityGroups.CacheSecurityGroups?.[0]?.Description, 'kept', 'the security group is there');

  // A tight loop: each create is killed right after its answer; every acknowledged one must be there.
  const acknowledged: string[] = [];
  let current = second;
  for (let i = 0; i < 3; i++) {
    const id = `quick-${i}`;
    await current.client().send(
      new CreateCacheClusterCommand({
        CacheClusterId: id,
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        Tags: [{ Key: 'n', Value: String(i) }],
      }),
    );
    acknowledged.push(id);
    await crash(t, current, `right after creating ${id}`);
    current = await startCliEmulator(t, { dataDir });
  }
  const clusters = (await current.client().send(new DescribeCacheClustersCommand({}))).CacheClusters ?? [];
  t.same(clusters.map((c) => c.CacheClusterId).sort(), acknowledged, 'every acknowledged create survived');
  for (const cluster of clusters) {
    const settledCluster = await settled(current.client(), cluster.CacheClusterId!);
    t.equal(
      settledCluster.CacheClusterStatus,
      'available',
      `${cluster.CacheClusterId} became available after the restarts`,
    );
    const clusterTags = await current.client().send(new ListTagsForResourceCommand({ ResourceName: cluster.ARN }));
    t.equal(clusterTags.TagList?.length, 1, `${cluster.CacheClusterId} kept its tag`);
  }
});

t.test('killed -9 while replication groups are creating and deleting: the restart finishes both', async (t) => {
  const dataDir = tempDir(t);
  const setup = await startCliEmulator(t, { dataDir, provisionDelayMs: 0 });
  await setup.client().send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'going',
      ReplicationGroupDescription: 'to delete',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
    }),
  );
  await eventually(
    'going to be available',
    async () => (await describeGroup(setup.client(), 'going')).Status === 'available' || undefined,
  );
  await setup.kill('SIGTERM');

  const slow = await startCliEmulator(t, { dataDir, provisionDelayMs: SLOW });
  const client = slow.client();
  const created = await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'rg',
      ReplicationGroupDescription: 'interrupted',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 3,
      AutomaticFailoverEnabled: true,
    }),
  );
  t.equal(created.ReplicationGroup?.Status, 'creating');
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'cm',
      ReplicationGroupDescription: 'interrupted cluster mode',
      CacheNodeType: 'cache.t3.micro',
      ClusterMode: 'enabled',
      NumNodeGroups: 2,
      ReplicasPerNodeGroup: 1,
    }),
  );
  t.equal(
    (await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'going' }))).ReplicationGroup?.Status,
    'deleting',
  );
  await sleep(SLOW / 2);
  t.equal((await describeGroup(client, 'rg')).Status, 'creating', 'still creating when killed');
  await crash(t, slow, 'mid-create and mid-delete of replication groups');

  const after = await startCliEmulator(t, { dataDir, provisionDelayMs: 0 });
  for (const id of ['rg', 'cm']) {
    const group = await eventually(`${id} to be available`, async () => {
      const current = await describeGroup(after.client(), id);
      return current.Status === 'available' ? current : undefined;
    });
    t.equal(group.AutomaticFailover, 'enabled', `${id}: automatic failover enabled`);
    for (const member of group.MemberClusters!) {
      t.equal(
        (await describe(after.client(), member)).CacheClusterStatus,
        'available',
        `${id}: member ${member} is available`,
      );
    }
  }
  const rg = await describeGroup(after.client(), 'rg');
  t.same(rg.MemberClusters, ['rg-001', 'rg-002', 'rg-003']);
  t.ok(
    rg.NodeGroups![0].PrimaryEndpoint?.Address && rg.NodeGroups![0].ReaderEndpoint?.Address,
    'primary and reader endpoints',
  );
  t.ok((await describeGroup(after.client(), 'cm')).ConfigurationEndpoint?.Address, 'a configuration endpoint');
  const gone = await eventually('going to be gone', async () =>
    describeGroup(after.client(), 'going').then(
      () => undefined,
      (e) => e,
    ),
  );
  t.equal(gone.name, 'ReplicationGroupNotFoundFault', 'the delete finished');
  const members = await after.client().send(new DescribeCacheClustersCommand({}));
  t.notOk(
    members.CacheClusters!.some((c) => c.ReplicationGroupId === 'going'),
    'its members are gone too',
  );
  t.same(storedEndpoints(dataDir, 'going'), {}, 'its endpoints were released');
});

async function describeGroup(client: ElastiCacheClient, id: string): Promise<ReplicationGroup> {
  return (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0];
}
