/**
 * The emulator's own powers stay its own: on every kind of node (a cluster, a group's primary and replica with an
 * AUTH token, cluster-mode nodes), with every command logged to SLOWLOG and a parameter change applied, nothing a
 * client can read holds one of the emulator's credentials; ElastiCache's restricted commands are refused and the
 * ordinary ones work. When roles change on the nodes, or an apply fails, the API says so instead of what it
 * believed.
 */
import {
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  CreateReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeEventsCommand,
  DescribeReplicationGroupsCommand,
  ModifyCacheParameterGroupCommand,
  waitUntilCacheClusterAvailable,
  waitUntilReplicationGroupAvailable,
  type ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { ADMIN_USER } from '../../src/runtime/node-access.js';
import { readRedisParameter, withAdmin, type AdminTarget } from '../../src/dataplane/node-admin.js';
import type { Emulator } from '../../src/server.js';
import { removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { adminTargetOf } from '../fixtures/node-admin.js';
import { eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { REFUSED, tryRestricted } from '../fixtures/restricted-commands.js';

const TOKEN = 'hardening-token-0123456789';
const waiter = (client: ElastiCacheClient) => ({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 1 });

async function start(t: Test, runtime: 'docker' | 'process'): Promise<Emulator> {
  const emulator = await startTestEmulator(t, { runtime });
  t.teardown(() => removeAllNodes(emulator));
  return emulator;
}

/** A parameter group that logs every command (SLOWLOG) and that the test changes once nodes run. */
async function loudGroup(client: ElastiCacheClient, name: string, clusterMode = false): Promise<void> {
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: name,
      CacheParameterGroupFamily: 'redis7',
      Description: 'logs every command',
    }),
  );
  await client.send(
    new ModifyCacheParameterGroupCommand({
      CacheParameterGroupName: name,
      ParameterNameValues: [
        { ParameterName: 'slowlog-log-slower-than', ParameterValue: '0' },
        ...(clusterMode ? [{ ParameterName: 'cluster-enabled', ParameterValue: 'yes' }] : []),
      ],
    }),
  );
}

/** Every credential of the emulator that a node could leak: its admin and replication passwords, the key they derive from. */
function secretsOf(emulator: Emulator, admin: AdminTarget): string[] {
  return [
    admin.access.adminPassword,
    admin.access.replicationPassword,
    emulator.store.settings.getOrCreate('admin-secret', () => ''),
  ];
}

/** A client on a node; `ca` for a node with in-transit encryption (TLS only). */
async function onNode<T>(
  endpoint: { Address?: string; Port?: number },
  token: string | undefined,
  work: (redis: ReturnType<typeof redisAt>) => Promise<T>,
  ca?: string,
): Promise<T> {
  const redis = redisAt(endpoint, token, ca);
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** What a client may read about a node and the emulator's connections to it. */
async function clientView(redis: ReturnType<typeof redisAt>): Promise<string> {
  const parts = await Promise.all([
    redis.call('SLOWLOG', 'GET', '1000'),
    redis.call('CLIENT', 'LIST'),
    redis.call('ACL', 'LOG'),
    redis.call('ACL', 'LIST'),
    redis.call('INFO', 'everything'),
    redis.call('COMMAND', 'INFO', 'config', 'acl', 'migrate'),
  ]);
  return JSON.stringify(parts);
}

async function checkNode(
  t: Test,
  emulator: Emulator,
  memberId: string,
  options: { token?: string; writable: boolean; loud?: boolean; clusterMode?: boolean },
): Promise<void> {
  const admin = adminTargetOf(emulator, memberId);
  const endpoint = { Address: admin.host, Port: admin.port };
  const ca = admin.tls?.authority;
  await onNode(
    endpoint,
    options.token,
    async (redis) => {
      const view = await clientView(redis);
      if (options.loud !== false)
        t.ok(view.includes('slowlog-log-slower-than'), `${memberId}: SLOWLOG holds the emulator's CONFIG SET calls`);
      for (const secret of secretsOf(emulator, admin))
        t.notOk(view.includes(secret), `${memberId}: no credential of the emulator in what a client can read`);
      if (options.token) t.notOk(view.includes(options.token), `${memberId}: nor the AUTH token`);
      t.equal(await redis.call('ACL', 'WHOAMI'), 'default', `${memberId}: clients are the default user`);
      if (options.clusterMode) {
        // Cluster clients read the topology: the read-only CLUSTER subcommands stay open.
        const slots = (await redis.call('CLUSTER', 'SLOTS')) as unknown[];
        t.ok(slots.length > 0, `${memberId}: CLUSTER SLOTS answers`);
        t.match(String(await redis.call('CLUSTER', 'NODES')), /myself/, `${memberId}: CLUSTER NODES answers`);
        t.ok(((await redis.call('CLUSTER', 'SHARDS')) as unknown[]).length > 0, `${memberId}: CLUSTER SHARDS answers`);
      }
      for (const { call, answer } of await tryRestricted(redis))
        t.match(answer, REFUSED, `${memberId}: ${call} is refused`);
      t.equal(await redis.ping(), 'PONG', `${memberId}: still up after every restricted call`);
      if (!options.writable) return;
      // The ordinary commands, each kind of value, TTLs, a transaction, Lua.
      t.equal(await redis.set('s', 'v', 'EX', 100), 'OK');
      t.ok((await redis.ttl('s')) > 0, 'a TTL');
      await redis.hset('h', 'f', '1');
      t.same(await redis.hgetall('h'), { f: '1' });
      await redis.zadd('z', 2, 'b', 1, 'a');
      t.same(await redis.zrange('z', 0, -1), ['a', 'b']);
      t.same(await redis.multi().incr('n').incr('n').exec(), [
        [null, 1],
        [null, 2],
      ]);
      t.equal(await redis.eval("return redis.call('GET', KEYS[1])", 1, 's'), 'v', 'Lua runs ordinary commands');
      const fromLua = await redis
        .eval("return redis.call('MIGRATE', '127.0.0.1', '1', 'k', '0', '10')", 0)
        .catch((e: Error) => e.message);
      t.match(String(fromLua), /NOPERM|can't run this command/, 'and not the restricted ones');
    },
    ca,
  );
}

t.test('process: nothing a client can read or run gives it the emulator’s powers', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await start(t, 'process');
  const client = sdkClient(emulator);
  await loudGroup(client, 'loud');
  await loudGroup(client, 'loud-cluster', true);
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'single',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      CacheParameterGroupName: 'loud',
    }),
  );
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'tokened',
      ReplicationGroupDescription: 'AUTH token',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      AuthToken: TOKEN,
      CacheParameterGroupName: 'loud',
    }),
  );
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'sharded',
      ReplicationGroupDescription: 'cluster mode',
      CacheNodeType: 'cache.t3.micro',
      NumNodeGroups: 1,
      ReplicasPerNodeGroup: 1,
      CacheParameterGroupName: 'loud-cluster',
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'single' });
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'tokened' });
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'sharded' });
  // A change the admin connection applies to every running node (logged, as every command is).
  for (const name of ['loud', 'loud-cluster']) {
    await client.send(
      new ModifyCacheParameterGroupCommand({
        CacheParameterGroupName: name,
        ParameterNameValues: [{ ParameterName: 'maxmemory-policy', ParameterValue: 'allkeys-lru' }],
      }),
    );
  }
  await eventually(
    async () =>
      (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'single' }))).CacheClusters![0]
        .CacheParameterGroup!.ParameterApplyStatus === 'in-sync' || undefined,
    20_000,
    'the change applied',
  );

  await checkNode(t, emulator, 'single', { writable: true });
  await checkNode(t, emulator, 'tokened-001', { token: TOKEN, writable: true });
  await checkNode(t, emulator, 'tokened-002', { token: TOKEN, writable: false });
  await checkNode(t, emulator, 'sharded-0001-001', { writable: true, clusterMode: true });
  await checkNode(t, emulator, 'sharded-0001-002', { writable: false, clusterMode: true });

  const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  for (const id of ['single', 'tokened-001', 'sharded-0001-001']) {
    for (const secret of secretsOf(emulator, adminTargetOf(emulator, id)))
      t.notOk(processes.includes(secret), `no credential of ${id} on a command line (ps)`);
  }
  t.notOk(processes.includes(TOKEN), 'nor the AUTH token');

  // A role change on the nodes, made on the admin path (no client can): the group follows the real primary.
  const describe = async () =>
    (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'tokened' }))).ReplicationGroups![0];
  const before = await describe();
  const primaryEndpoint = before.NodeGroups![0].PrimaryEndpoint!;
  await withAdmin(adminTargetOf(emulator, 'tokened-001'), (redis) => redis.call('FAILOVER'));
  const tlsOf = (id: string) => adminTargetOf(emulator, id).tls?.authority;
  const promoted = await eventually(
    async () => {
      const roles = (await describe()).NodeGroups![0].NodeGroupMembers!;
      return roles.find((m) => m.CurrentRole === 'primary')?.CacheClusterId === 'tokened-002' || undefined;
    },
    20_000,
    'the API to name the new primary',
  );
  t.ok(promoted, 'the API names the node that really is primary');
  const written = await eventually(
    () =>
      onNode(primaryEndpoint, TOKEN, (redis) => redis.set('after-failover', 'yes'), tlsOf('tokened-001')).catch(
        () => undefined,
      ),
    20_000,
    'a write through the primary endpoint',
  );
  t.equal(written, 'OK', 'the primary endpoint reaches the new primary (writes work)');
  const events = await client.send(new DescribeEventsCommand({ Duration: 60 }));
  t.ok(
    events.Events!.some((e) => /Failover from primary node tokened-001 to replica node tokened-002/.test(e.Message!)),
    'the change is an event',
  );

  // An apply that fails is not reported as applied: the admin connection is refused on purpose here.
  const single = adminTargetOf(emulator, 'single');
  await withAdmin(single, (redis) => redis.call('ACL', 'SETUSER', ADMIN_USER, 'resetpass', '>temporarily-other'));
  await client.send(
    new ModifyCacheParameterGroupCommand({
      CacheParameterGroupName: 'loud',
      ParameterNameValues: [{ ParameterName: 'maxmemory-policy', ParameterValue: 'volatile-ttl' }],
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const applying = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'single' })))
    .CacheClusters![0];
  t.equal(applying.CacheParameterGroup!.ParameterApplyStatus, 'applying', 'not in-sync while the node refuses it');
  // Given its credentials back, the retried apply reaches the node.
  await withAdmin({ ...single, access: { ...single.access, adminPassword: 'temporarily-other' } }, (redis) =>
    redis.call('ACL', 'SETUSER', ADMIN_USER, 'resetpass', `>${single.access.adminPassword}`),
  );
  const synced = await eventually(
    async () =>
      (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'single' }))).CacheClusters![0]
        .CacheParameterGroup!.ParameterApplyStatus === 'in-sync' || undefined,
    40_000,
    'the retried apply',
  );
  t.ok(synced, 'in-sync once the values are on the node');
});

t.test('docker: no credential in a container’s command line, environment or labels', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  const emulator = await start(t, 'docker');
  const client = sdkClient(emulator);
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'boxed',
      ReplicationGroupDescription: 'AUTH token',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
      TransitEncryptionEnabled: true,
      AuthToken: TOKEN,
    }),
  );
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'boxed' });
  const docker = new Docker();
  for (const node of await emulator.runtime.listNodes()) {
    const info = JSON.stringify(await docker.getContainer(node.runtimeId).inspect());
    const admin = adminTargetOf(emulator, node.clusterId);
    for (const secret of [...secretsOf(emulator, admin), TOKEN])
      t.notOk(info.includes(secret), `docker inspect of ${node.clusterId} holds no credential`);
  }
  await checkNode(t, emulator, 'boxed-001', { token: TOKEN, writable: true, loud: false });
  await checkNode(t, emulator, 'boxed-002', { token: TOKEN, writable: false, loud: false });
});

t.test('process: a Redis 5 group keeps its restricted commands renamed, with a secret of each node', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await start(t, 'process');
  const client = sdkClient(emulator);
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'legacy',
      ReplicationGroupDescription: 'no ACL',
      Engine: 'redis',
      EngineVersion: '5.0.6',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
      TransitEncryptionEnabled: true,
      AuthToken: TOKEN,
    }),
  );
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'legacy' });
  const [primary, replica] = [adminTargetOf(emulator, 'legacy-001'), adminTargetOf(emulator, 'legacy-002')];
  t.equal(primary.access.mode, 'renamed');
  t.not(primary.access.adminPassword, replica.access.adminPassword, 'each node has its own secret');
  t.equal(await readRedisParameter(primary, 'maxmemory'), '536870912', 'the emulator administers it');
  const endpoint = (n: AdminTarget) => ({ Address: n.host, Port: n.port });
  const ca = primary.tls?.authority;
  await onNode(endpoint(primary), TOKEN, (redis) => redis.set('legacy', 'replicated'), ca);
  const copied = await eventually(
    () => onNode(endpoint(replica), TOKEN, (redis) => redis.get('legacy'), ca).catch(() => undefined),
    20_000,
    'the replica to have the key',
  );
  t.equal(copied, 'replicated', 'replication authenticates with the AUTH token');
  await onNode(
    endpoint(primary),
    TOKEN,
    async (redis) => {
      for (const call of [['CONFIG', 'GET', 'dir'], ['SAVE'], ['DEBUG', 'SLEEP', '0'], ['SLAVEOF', 'NO', 'ONE']]) {
        const answer = await redis.call(call[0], ...call.slice(1)).then(
          () => 'ran',
          (error: Error) => error.message,
        );
        t.match(answer, /unknown command|not allowed/, `${call[0]} is refused`);
      }
      // What renaming cannot hide, on a binary that has it (the offline images run one binary for every version).
      const version = /redis_version:(\d+)/.exec(await redis.info('server'))![1];
      if (Number(version) >= 7) {
        for (const call of [['FAILOVER'], ['ACL', 'SETUSER', 'default', '>taken-over']]) {
          const answer = await redis.call(call[0], ...call.slice(1)).catch((error: Error) => error.message);
          t.match(answer, /NOPERM/, `${call.join(' ')} is refused`);
        }
      }
    },
    ca,
  );
  const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  t.notOk(processes.includes(primary.access.adminPassword), 'the secret is on no command line');
  t.notOk(processes.includes(TOKEN), 'nor the AUTH token');
});
