/** Replication groups on real nodes, process runtime (see test/fixtures/replication-suite.ts). */
import {
  CreateReplicationGroupCommand,
  DecreaseReplicaCountCommand,
  DescribeReplicationGroupsCommand,
  IncreaseReplicaCountCommand,
  ModifyReplicationGroupCommand,
  TestFailoverCommand,
  waitUntilReplicationGroupAvailable,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import {
  removeAllNodes,
  sdkClient,
  startTestEmulator,
  tempDir,
  uniqueEndpointBase,
  waiter,
} from '../fixtures/emulator.js';
import { eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { replicationSuite } from '../fixtures/replication-suite.js';

replicationSuite(t, 'process');

type Endpoint = { Address?: string; Port?: number };

/** What a fresh connection to an endpoint learns: the address the server accepted it on, and which node that is. */
async function whoAnswers(endpoint: Endpoint): Promise<{ laddr: string; runId: string; role: string }> {
  const redis = redisAt(endpoint);
  redis.on('error', () => {});
  try {
    await redis.connect();
    const info = (await redis.call('CLIENT', 'INFO')) as string;
    const server = await redis.info('server');
    const role = ((await redis.call('ROLE')) as unknown[])[0] as string;
    return { laddr: /laddr=(\S+)/.exec(info)![1], runId: /run_id:(\w+)/.exec(server)![1], role };
  } finally {
    redis.disconnect();
  }
}

const at = (endpoint: Endpoint) => `${endpoint.Address}:${endpoint.Port}`;

/**
 * Whether a redis-server process (not the emulator's listener) listens on an endpoint, as the kernel reports it:
 * checked only where `ss` (iproute2) is installed.
 */
async function checkNodeListens(t: Test, endpoint: Endpoint, expected: boolean, what: string): Promise<void> {
  const listing = await promisify(execFile)('ss', ['-Hltnp', 'src', at(endpoint)]).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  if (!listing) return void t.pass(what, { skip: 'ss (iproute2) is not installed' });
  t.equal(/users:\(\("redis-server"/.test(listing.stdout), expected, what);
}

t.test(
  "process: node endpoints and the primary and reader endpoints are the nodes' own sockets, they move with a failover, and they answer while the emulator is down",
  async (t) => {
    if (!(await runtimeAvailable(t, 'process'))) return;
    const dataDir = tempDir(t);
    const endpointBase = uniqueEndpointBase();
    const emulator = await startTestEmulator(t, { runtime: 'process', dataDir, endpointBase });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'direct',
        ReplicationGroupDescription: 'endpoints served by the nodes',
        CacheNodeType: 'cache.t3.micro',
        NumCacheClusters: 2,
        AutomaticFailoverEnabled: true,
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'direct' });
    const describe = async (): Promise<ReplicationGroup> =>
      (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'direct' }))).ReplicationGroups![0];
    let group = await describe();
    const members = group.NodeGroups![0].NodeGroupMembers!;
    const primaryEndpoint = group.NodeGroups![0].PrimaryEndpoint!;
    const primaryOf = (g: ReplicationGroup) =>
      g.NodeGroups![0].NodeGroupMembers!.find((m) => m.CurrentRole === 'primary')!;

    // Behind a forwarder the node would see the connection arrive on a private 127.0.0.1 port.
    const runIds = new Map<string, string>();
    for (const member of members) {
      const seen = await whoAnswers(member.ReadEndpoint!);
      t.equal(seen.laddr, at(member.ReadEndpoint!), `${member.CacheClusterId}'s node accepts on its endpoint itself`);
      runIds.set(member.CacheClusterId!, seen.runId);
    }
    const first = await whoAnswers(primaryEndpoint);
    t.equal(first.laddr, at(primaryEndpoint), 'the primary endpoint is a socket of the primary node itself');
    t.equal(first.runId, runIds.get(primaryOf(group).CacheClusterId!), 'that of the primary');
    t.equal(first.role, 'master');
    const readerEndpoint = group.NodeGroups![0].ReaderEndpoint!;
    const replicaOf = (g: ReplicationGroup) =>
      g.NodeGroups![0].NodeGroupMembers!.find((m) => m.CurrentRole === 'replica')!;
    const reading = await whoAnswers(readerEndpoint);
    t.same(
      [reading.laddr, reading.runId],
      [at(readerEndpoint), runIds.get(replicaOf(group).CacheClusterId!)],
      'the reader endpoint is a socket of the only replica itself',
    );

    // A client holding a connection to the primary endpoint is cut off by a failover, and reconnects to the new primary.
    const held = redisAt(primaryEndpoint);
    held.on('error', () => {});
    await held.connect();
    const closed = new Promise<void>((resolve) => held.once('end', () => resolve()));
    const oldPrimary = primaryOf(group).CacheClusterId!;
    await client.send(new TestFailoverCommand({ ReplicationGroupId: 'direct', NodeGroupId: '0001' }));
    group = await eventually(
      async () => {
        const current = await describe();
        return primaryOf(current).CacheClusterId !== oldPrimary ? current : undefined;
      },
      20_000,
      'a new primary',
    );
    await Promise.race([
      closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('still connected')), 10_000)),
    ]);
    t.pass('the connection held to the primary endpoint was cut by the failover');
    const after = await whoAnswers(primaryEndpoint);
    t.equal(
      after.runId,
      runIds.get(primaryOf(group).CacheClusterId!),
      'the primary endpoint now reaches the new primary node',
    );
    t.equal(after.laddr, at(primaryEndpoint));
    t.equal(after.role, 'master');
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'direct' });
    const readAfter = await whoAnswers(readerEndpoint);
    t.same(
      [readAfter.laddr, readAfter.runId],
      [at(readerEndpoint), (await whoAnswers(replicaOf(group).ReadEndpoint!)).runId],
      'the reader endpoint moved to the new replica, the old primary (restarted by the test failover)',
    );

    // The emulator stopped: the nodes, which own these sockets, keep serving them.
    await emulator.close();
    t.equal(
      (await whoAnswers(primaryEndpoint)).role,
      'master',
      'the primary endpoint answers while the emulator is down',
    );
    for (const member of members)
      t.ok((await whoAnswers(member.ReadEndpoint!)).runId, `so does ${member.CacheClusterId}'s endpoint`);
    t.equal((await whoAnswers(readerEndpoint)).role, 'slave', 'and the reader endpoint');

    const restarted = await startTestEmulator(t, { runtime: 'process', dataDir, endpointBase });
    const again = sdkClient(restarted);
    group = (await again.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'direct' })))
      .ReplicationGroups![0];
    t.equal(
      (await whoAnswers(primaryEndpoint)).runId,
      runIds.get(primaryOf(group).CacheClusterId!),
      "after a restart, still the primary's own socket",
    );
    const readRestarted = await whoAnswers(readerEndpoint);
    t.same(
      [readRestarted.laddr, readRestarted.runId],
      [at(readerEndpoint), (await whoAnswers(replicaOf(group).ReadEndpoint!)).runId],
      "and the reader endpoint the replica's",
    );
  },
);

t.test(
  'process: the reader endpoint is the socket of the one node it leads to, and moves as replicas come, go and fail over',
  async (t) => {
    if (!(await runtimeAvailable(t, 'process'))) return;
    const emulator = await startTestEmulator(t, { runtime: 'process', endpointBase: uniqueEndpointBase() });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    const ReplicationGroupId = 'reads';
    const available = () => waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId });
    const describe = async (): Promise<ReplicationGroup> =>
      (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId }))).ReplicationGroups![0];
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId,
        ReplicationGroupDescription: 'reader endpoint served by a node',
        CacheNodeType: 'cache.t3.micro',
        NumCacheClusters: 1,
      }),
    );
    await available();
    let group = await describe();
    const reader = group.NodeGroups![0].ReaderEndpoint!;
    const memberNamed = (g: ReplicationGroup, role: string) =>
      g.NodeGroups![0].NodeGroupMembers!.filter((m) => m.CurrentRole === role).map((m) => m.CacheClusterId!);
    /** Which member's node a fresh connection to the reader endpoint reaches, and whether that node accepted it there itself. */
    const readerReaches = async (g: ReplicationGroup) => {
      const seen = await whoAnswers(reader);
      const members = g.NodeGroups![0].NodeGroupMembers!;
      const runIds = await Promise.all(members.map(async (m) => (await whoAnswers(m.ReadEndpoint!)).runId));
      return { member: members[runIds.indexOf(seen.runId)]?.CacheClusterId, own: seen.laddr === at(reader), ...seen };
    };

    const [primary] = memberNamed(group, 'primary');
    let seen = await readerReaches(group);
    t.same([seen.member, seen.own], [primary, true], 'no replica: the primary accepts on the reader endpoint');
    t.equal(seen.role, 'master', 'a primary');
    await checkNodeListens(t, reader, true, 'the redis-server itself listens on the reader address');
    const writer = redisAt(group.NodeGroups![0].PrimaryEndpoint!);
    writer.on('error', () => {});
    await writer.connect();
    t.teardown(() => writer.disconnect());
    await writer.set('k', 'v');
    const onReader = redisAt(reader);
    onReader.on('error', () => {});
    await onReader.connect();
    t.equal(await onReader.get('k'), 'v', 'reads work there');
    const cut = new Promise<void>((resolve) => onReader.once('end', () => resolve()));

    await client.send(
      new IncreaseReplicaCountCommand({ ReplicationGroupId, NewReplicaCount: 1, ApplyImmediately: true }),
    );
    await available();
    group = await describe();
    const [firstReplica] = memberNamed(group, 'replica');
    seen = await readerReaches(group);
    t.same(
      [seen.member, seen.own, seen.role],
      [firstReplica, true, 'slave'],
      'one replica: it holds the reader endpoint',
    );
    await cut;
    t.pass('the connection the primary had on the reader endpoint was cut, so its client reconnects');
    const again = redisAt(reader);
    again.on('error', () => {});
    await again.connect();
    t.teardown(() => again.disconnect());
    t.equal(await again.get('k'), 'v', 'and reads from the replica');

    await client.send(
      new IncreaseReplicaCountCommand({ ReplicationGroupId, NewReplicaCount: 2, ApplyImmediately: true }),
    );
    await available();
    group = await describe();
    seen = await readerReaches(group);
    t.equal(seen.own, false, "two replicas: the emulator's listener stands on the reader endpoint");
    t.ok(memberNamed(group, 'replica').includes(seen.member!), 'and forwards to a replica');
    await checkNodeListens(t, reader, false, 'the emulator listens there, not a node');

    await client.send(
      new DecreaseReplicaCountCommand({ ReplicationGroupId, NewReplicaCount: 1, ApplyImmediately: true }),
    );
    await available();
    group = await describe();
    const [remaining] = memberNamed(group, 'replica');
    seen = await readerReaches(group);
    t.same(
      [seen.member, seen.own, seen.role],
      [remaining, true, 'slave'],
      'one replica again: it holds the reader endpoint',
    );
    await checkNodeListens(t, reader, true, 'its redis-server listens there');

    await client.send(
      new ModifyReplicationGroupCommand({ ReplicationGroupId, AutomaticFailoverEnabled: true, ApplyImmediately: true }),
    );
    await available();
    const oldPrimary = memberNamed(await describe(), 'primary')[0];
    await client.send(new TestFailoverCommand({ ReplicationGroupId, NodeGroupId: '0001' }));
    group = await eventually(
      async () => {
        const current = await describe();
        return current.Status === 'available' && memberNamed(current, 'primary')[0] !== oldPrimary
          ? current
          : undefined;
      },
      30_000,
      'the failover',
    );
    seen = await readerReaches(group);
    t.same(
      [seen.member, seen.own, seen.role],
      [oldPrimary, true, 'slave'],
      'after a failover the reader endpoint is held by the new replica, the old primary',
    );
    t.equal(
      (await whoAnswers(group.NodeGroups![0].PrimaryEndpoint!)).role,
      'master',
      'the primary endpoint by the new primary',
    );
  },
);
