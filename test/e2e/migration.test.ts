/**
 * Online migration (StartMigration / TestMigration / CompleteMigration): the API's checks and errors on the
 * metadata-only runtime, and a real migration on the process runtime from a redis-server the test runs on loopback
 * (the customer's), whose data and new writes reach the group until the migration completes.
 */
import {
  CompleteMigrationCommand,
  CreateReplicationGroupCommand,
  DescribeEventsCommand,
  DescribeReplicationGroupsCommand,
  RebootCacheClusterCommand,
  StartMigrationCommand,
  TestMigrationCommand,
  waitUntilReplicationGroupAvailable,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import {
  failure,
  removeAllNodes,
  sdkClient,
  startTestEmulator,
  tempDir,
  waiter,
  type Client,
} from '../fixtures/emulator.js';
import { eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { freePort } from '../fixtures/free-port.js';

/** The customer's own redis-server on 127.0.0.1, no AUTH, removed with the test. */
async function customerRedis(t: Test): Promise<{ port: number; client: Redis }> {
  const port = await freePort();
  const dir = tempDir(t, 'customer-redis-');
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', ''], {
    stdio: 'ignore',
  });
  t.teardown(() => void child.kill('SIGKILL'));
  await eventually(
    async () => {
      const probe = redisAt({ Address: '127.0.0.1', Port: port });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    },
    10_000,
    'the customer redis',
  );
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  t.teardown(() => client.disconnect());
  return { port, client };
}

const group = async (client: Client, id: string): Promise<ReplicationGroup> =>
  (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0];

const events = async (client: Client, id: string): Promise<string[]> =>
  (
    await client.send(
      new DescribeEventsCommand({ SourceType: 'replication-group', SourceIdentifier: id, Duration: 60 }),
    )
  ).Events!.map((e) => e.Message!);

t.test('migration API: checks, states and errors (metadata-only runtime)', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const endpoint = [{ Address: '127.0.0.1', Port: 6399 }];
  const create = (id: string, extra: object = {}) =>
    client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: id,
        ReplicationGroupDescription: 'migration target',
        CacheNodeType: 'cache.t3.micro',
        ...extra,
      }),
    );
  await create('target', { NumCacheClusters: 2 });
  await create('clustered', { ClusterMode: 'enabled', NumNodeGroups: 2 });
  await create('encrypted', { TransitEncryptionEnabled: true });
  for (const id of ['target', 'clustered', 'encrypted'])
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: id });

  const missing = await failure(
    client.send(new StartMigrationCommand({ ReplicationGroupId: 'nope', CustomerNodeEndpointList: endpoint })),
  );
  t.equal(missing?.name, 'ReplicationGroupNotFoundFault');
  const noEndpoint = await failure(
    client.send(new StartMigrationCommand({ ReplicationGroupId: 'target', CustomerNodeEndpointList: [] })),
  );
  t.equal(noEndpoint?.name, 'InvalidParameterValueException', 'an empty endpoint list is refused');
  const badPort = await failure(
    client.send(
      new StartMigrationCommand({
        ReplicationGroupId: 'target',
        CustomerNodeEndpointList: [{ Address: '127.0.0.1', Port: 70000 }],
      }),
    ),
  );
  t.equal(badPort?.name, 'InvalidParameterValueException', 'a port out of range is refused');
  const two = await failure(
    client.send(
      new StartMigrationCommand({ ReplicationGroupId: 'target', CustomerNodeEndpointList: [...endpoint, ...endpoint] }),
    ),
  );
  t.equal(two?.name, 'InvalidParameterValueException', 'one endpoint only');
  const clustered = await failure(
    client.send(new StartMigrationCommand({ ReplicationGroupId: 'clustered', CustomerNodeEndpointList: endpoint })),
  );
  t.equal(clustered?.name, 'InvalidParameterValueException', 'a cluster-mode target is refused');
  const encrypted = await failure(
    client.send(new StartMigrationCommand({ ReplicationGroupId: 'encrypted', CustomerNodeEndpointList: endpoint })),
  );
  t.equal(encrypted?.name, 'InvalidParameterValueException', 'a target with in-transit encryption is refused');
  const notMigrating = await failure(client.send(new CompleteMigrationCommand({ ReplicationGroupId: 'target' })));
  t.equal(notMigrating?.name, 'ReplicationGroupNotUnderMigrationFault');

  const started = await client.send(
    new StartMigrationCommand({ ReplicationGroupId: 'target', CustomerNodeEndpointList: endpoint }),
  );
  t.equal(started.ReplicationGroup?.Status, 'migrating');
  const again = await failure(
    client.send(new StartMigrationCommand({ ReplicationGroupId: 'target', CustomerNodeEndpointList: endpoint })),
  );
  t.equal(again?.name, 'ReplicationGroupAlreadyUnderMigrationFault');
  const testing = await failure(
    client.send(new TestMigrationCommand({ ReplicationGroupId: 'target', CustomerNodeEndpointList: endpoint })),
  );
  t.equal(testing?.name, 'ReplicationGroupAlreadyUnderMigrationFault');
  await eventually(async () => (await group(client, 'target')).Status === 'migrating', 5000, 'migrating');
  t.ok(
    (await events(client, 'target')).some((m) => m.startsWith('Migration started')),
    'an event says so',
  );

  const completed = await client.send(new CompleteMigrationCommand({ ReplicationGroupId: 'target', Force: true }));
  t.equal(completed.ReplicationGroup?.Status, 'modifying');
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'target' });
  const twice = await failure(client.send(new CompleteMigrationCommand({ ReplicationGroupId: 'target' })));
  t.equal(twice?.name, 'ReplicationGroupNotUnderMigrationFault');
});

t.test('process: a customer redis migrates into a group, new writes flow until CompleteMigration', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  const source = await customerRedis(t);
  const pipeline = source.client.pipeline();
  for (let i = 0; i < 10_000; i++) pipeline.set(`key:${i}`, `value-${i}`);
  await pipeline.exec();

  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'moved',
      ReplicationGroupDescription: 'migration target',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
    }),
  );
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'moved' });
  const described = await group(client, 'moved');
  const primaryEndpoint = described.NodeGroups![0].PrimaryEndpoint!;
  const readerEndpoint = described.NodeGroups![0].ReaderEndpoint!;
  const primary = redisAt(primaryEndpoint);
  const reader = redisAt(readerEndpoint);
  for (const c of [primary, reader]) {
    c.options.retryStrategy = () => 200;
    c.options.maxRetriesPerRequest = 2;
    c.on('error', () => {});
    t.teardown(() => c.disconnect());
  }
  await primary.set('before', 'target-only');

  // TestMigration: the outcome is an event.
  const closedPort = await freePort();
  await client.send(
    new TestMigrationCommand({
      ReplicationGroupId: 'moved',
      CustomerNodeEndpointList: [{ Address: '127.0.0.1', Port: closedPort }],
    }),
  );
  await eventually(
    async () => (await events(client, 'moved')).some((m) => m.startsWith('Test migration') && m.includes('failed')),
    20_000,
    'the failed test migration event',
  );
  await client.send(
    new TestMigrationCommand({
      ReplicationGroupId: 'moved',
      CustomerNodeEndpointList: [{ Address: '127.0.0.1', Port: source.port }],
    }),
  );
  await eventually(
    async () => (await events(client, 'moved')).some((m) => m.startsWith('Test migration') && m.includes('succeeded')),
    20_000,
    'the succeeded test migration event',
  );
  t.equal((await group(client, 'moved')).Status, 'available', 'a test changes nothing');

  await client.send(
    new StartMigrationCommand({
      ReplicationGroupId: 'moved',
      CustomerNodeEndpointList: [{ Address: '127.0.0.1', Port: source.port }],
    }),
  );
  t.equal((await group(client, 'moved')).Status, 'migrating');
  await eventually(async () => (await primary.dbsize()) === 10_000, 60_000, "the source's keys on the primary");
  t.equal(await primary.get('key:1234'), 'value-1234', "the source's values");
  t.equal(await primary.get('before'), null, 'the target now holds what the source holds');
  await eventually(async () => (await reader.dbsize()) === 10_000, 60_000, "the source's keys on the replica");
  await eventually(
    async () => (await events(client, 'moved')).some((m) => m.includes('is in sync with the source')),
    20_000,
    'the in-sync event',
  );

  await source.client.set('written-during', 'flows');
  await eventually(async () => (await primary.get('written-during')) === 'flows', 10_000, 'a new write on the primary');
  await eventually(async () => (await reader.get('written-during')) === 'flows', 10_000, 'a new write on the replica');
  const refused = await failure(primary.set('direct', 'x'));
  t.match(refused?.message, /READONLY/, 'the group is read-only while it migrates');

  // A rebooted primary comes back following the source, not standing alone.
  const primaryId = described.NodeGroups![0].NodeGroupMembers!.find(
    (m) => m.CurrentRole === 'primary',
  )!.CacheClusterId!;
  await client.send(new RebootCacheClusterCommand({ CacheClusterId: primaryId, CacheNodeIdsToReboot: ['0001'] }));
  await source.client.set('after-reboot', 'still-flows');
  await eventually(
    async () => (await primary.get('after-reboot')) === 'still-flows',
    60_000,
    'a write after the reboot of the primary',
  );
  t.equal((await group(client, 'moved')).Status, 'migrating', 'still migrating');

  await client.send(new CompleteMigrationCommand({ ReplicationGroupId: 'moved' }));
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'moved' });
  t.ok((await events(client, 'moved')).some((m) => m.includes('Migration to replication group moved completed')));
  await eventually(async () => (await primary.set('mine', 'now')) === 'OK', 10_000, 'a write on the group');
  t.ok((await primary.dbsize()) >= 10_002, 'the data stays');
  await source.client.set('after-complete', 'stays-behind');
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal(await primary.get('after-complete'), null, 'the source no longer replicates into the group');
  await eventually(async () => (await reader.get('mine')) === 'now', 10_000, "the group's own replica follows it");

  // Again, completed with Force: the group stops following at once and keeps what it had.
  await client.send(
    new StartMigrationCommand({
      ReplicationGroupId: 'moved',
      CustomerNodeEndpointList: [{ Address: '127.0.0.1', Port: source.port }],
    }),
  );
  await eventually(async () => (await primary.get('after-complete')) === 'stays-behind', 60_000, 'a second sync');
  await client.send(new CompleteMigrationCommand({ ReplicationGroupId: 'moved', Force: true }));
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'moved' });
  await eventually(async () => (await primary.set('forced', 'yes')) === 'OK', 10_000, 'a write after Force');
  t.equal(await primary.get('key:9999'), 'value-9999', 'the data stays after a forced completion');
});
