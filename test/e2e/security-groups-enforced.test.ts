/**
 * Security groups that bite, on both real runtimes (docker's endpoints are the emulator's checking listeners; a
 * process node serves its endpoint itself and lets go of it while its groups refuse the host): a cluster whose
 * group has no ingress rule refuses the host; a rule for the host's CIDR admits it within a second; revoking it
 * refuses new connections and keeps the open one; a rule from a source group admits the host only when the host is
 * in that group; a port range that leaves out the port refuses; the refusal is an event.
 */
import {
  CreateReplicationGroupCommand,
  DescribeEventsCommand,
  DescribeReplicationGroupsCommand,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import t from 'tap';
import { acceptsToken, eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { endpointOf, heldByNode, setUp, waiter } from '../fixtures/security-groups.js';

for (const runtime of ['process', 'docker'] as const) {
  t.test(`${runtime}: the cluster admits only what its security groups allow`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const { ec2, elasticache, group, cluster } = await setUp(t, runtime);
    const closed = await group('closed');
    await cluster('guarded', [closed]);
    const endpoint = await endpointOf(elasticache, 'guarded');
    t.notOk(await acceptsToken(endpoint), 'no ingress rule: the host is refused');

    const rule = { GroupId: closed, IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, CidrIp: '10.30.0.0/16' };
    await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
    t.ok(
      await eventually(async () => (await acceptsToken(endpoint)) || undefined, 5000, 'admission'),
      'a rule for the VPC CIDR admits the host',
    );
    // Processes: the node takes its endpoint back from the emulator's listener (heldByNode says why to wait).
    if (runtime === 'process') await eventually(() => heldByNode(endpoint), 5000, 'the node to hold its endpoint');

    const open = redisAt(endpoint);
    open.on('error', () => {});
    await open.connect();
    t.teardown(() => open.disconnect());
    await ec2.send(new RevokeSecurityGroupIngressCommand(rule));
    t.ok(
      await eventually(async () => !(await acceptsToken(endpoint)) || undefined, 5000, 'refusal'),
      'revoked: new connections are refused',
    );
    t.equal(await open.ping(), 'PONG', 'the connection opened before stays, as connection tracking keeps it');

    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ ...rule, FromPort: 7000, ToPort: 7100 }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    t.notOk(await acceptsToken(endpoint), 'a port range without 6379 does not admit');

    const events = await elasticache.send(
      new DescribeEventsCommand({ SourceIdentifier: 'guarded', SourceType: 'cache-cluster' }),
    );
    t.ok(
      events.Events!.some((e) => /refused: the host \(10\.30\.0\.10, in sg-/.test(e.Message!)),
      'the refusal is an event naming the client and the groups',
    );
  });

  t.test(`${runtime}: a rule from a source group admits the host once the host is in that group`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const { ec2, elasticache, group, cluster } = await setUp(t, runtime, { hostSecurityGroups: ['app'] });
    const app = await group('app');
    const cache = await group('cache');
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: cache,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, UserIdGroupPairs: [{ GroupId: app }] }],
      }),
    );
    await cluster('from-app', [cache]);
    t.ok(await acceptsToken(await endpointOf(elasticache, 'from-app')), 'the host, in sg-app, is admitted');
  });
}

t.test(
  'process: a replication group closes its primary and reader endpoints, and its nodes still replicate',
  async (t) => {
    if (!(await runtimeAvailable(t, 'process'))) return;
    const { ec2, elasticache, group } = await setUp(t, 'process');
    const closed = await group('group-closed');
    await elasticache.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'guarded-group',
        ReplicationGroupDescription: 'guarded',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        NumCacheClusters: 2,
        CacheSubnetGroupName: 'private',
        SecurityGroupIds: [closed],
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(elasticache), { ReplicationGroupId: 'guarded-group' });
    const described = (
      await elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'guarded-group' }))
    ).ReplicationGroups![0].NodeGroups![0];
    const primary = described.PrimaryEndpoint!;
    const reader = described.ReaderEndpoint!;
    t.notOk(await acceptsToken(primary), 'the primary endpoint refuses the host');
    t.notOk(await acceptsToken(reader), 'the reader endpoint refuses the host');

    const rule = { GroupId: closed, IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, CidrIp: '10.30.0.10/32' };
    await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
    const writer = await eventually(
      async () => {
        const redis = redisAt(primary);
        redis.on('error', () => {});
        try {
          await redis.connect();
          return redis;
        } catch {
          redis.disconnect();
          return undefined;
        }
      },
      5000,
      'the primary endpoint admits the host',
    );
    t.teardown(() => writer.disconnect());
    // Admitted, the one replica holds the reader endpoint itself (behind the emulator's listener it would see the
    // connection arrive on its backstage address).
    t.ok(
      await eventually(
        async () => {
          const fresh = redisAt(reader);
          fresh.on('error', () => {});
          try {
            await fresh.connect();
            const info = (await fresh.call('CLIENT', 'INFO')) as string;
            return info.includes(` laddr=${reader.Address}:${reader.Port} `) || undefined;
          } catch {
            return undefined;
          } finally {
            fresh.disconnect();
          }
        },
        5000,
        "the replica's own socket",
      ),
      "admitted: the reader endpoint is the replica node's own socket",
    );
    const replica = redisAt(reader);
    replica.on('error', () => {});
    await replica.connect();
    t.teardown(() => replica.disconnect());
    await writer.set('k', 'before');

    await ec2.send(new RevokeSecurityGroupIngressCommand(rule));
    t.ok(
      await eventually(
        async () => (!(await acceptsToken(reader)) && !(await acceptsToken(primary))) || undefined,
        5000,
        'refusal',
      ),
      'revoked: the primary and reader endpoints refuse new connections',
    );
    await writer.set('k', 'after');
    t.equal(
      await eventually(async () => ((await replica.get('k')) === 'after' ? 'after' : undefined), 5000, 'replication'),
      'after',
      'the open connections stay, and the replica still follows its primary',
    );
  },
);
