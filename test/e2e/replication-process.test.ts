/** Replication groups on real nodes, process runtime (see test/fixtures/replication-suite.ts). */
import {
  CreateReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  TestFailoverCommand,
  waitUntilReplicationGroupAvailable,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import t from 'tap';
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

t.test(
  "process: node endpoints and the primary endpoint are the nodes' own sockets, the primary endpoint moves with a failover, and they answer while the emulator is down",
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

    // The emulator stopped: the nodes, which own these sockets, keep serving them.
    await emulator.close();
    t.equal(
      (await whoAnswers(primaryEndpoint)).role,
      'master',
      'the primary endpoint answers while the emulator is down',
    );
    for (const member of members)
      t.ok((await whoAnswers(member.ReadEndpoint!)).runId, `so does ${member.CacheClusterId}'s endpoint`);

    const restarted = await startTestEmulator(t, { runtime: 'process', dataDir, endpointBase });
    const again = sdkClient(restarted);
    group = (await again.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'direct' })))
      .ReplicationGroups![0];
    t.equal(
      (await whoAnswers(primaryEndpoint)).runId,
      runIds.get(primaryOf(group).CacheClusterId!),
      "after a restart, still the primary's own socket",
    );
  },
);
