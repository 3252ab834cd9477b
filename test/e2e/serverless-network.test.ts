/**
 * Serverless caches in the network (process runtime): SubnetIds place the nodes in their VPC, where the cache's
 * security groups are enforced at the endpoint and the reader endpoint; a restarted emulator serves both endpoints
 * again, at the same addresses.
 */
import { AuthorizeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import {
  CreateServerlessCacheCommand,
  DeleteServerlessCacheCommand,
  DescribeCacheSubnetGroupsCommand,
} from '@aws-sdk/client-elasticache';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { failure, removeAllNodes, sdkClient, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import { connectAs } from '../fixtures/rbac-client.js';
import { acceptsToken, eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { setUp } from '../fixtures/security-groups.js';
import { untilGone, untilStatus } from '../fixtures/serverless.js';

t.test('process: SubnetIds place the cache in their VPC, where its security groups are enforced', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const { emulator, ec2, elasticache: client, group } = await setUp(t, 'process');
  const subnetId = (await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'private' })))
    .CacheSubnetGroups![0].Subnets![0].SubnetIdentifier!;
  const closed = await group('closed');
  await client.send(
    new CreateServerlessCacheCommand({
      ServerlessCacheName: 'guarded',
      Engine: 'valkey',
      SubnetIds: [subnetId],
      SecurityGroupIds: [closed],
    }),
  );
  const cache = await untilStatus(client, 'guarded', 'available');
  t.same(cache.SubnetIds, [subnetId]);
  t.same(cache.SecurityGroupIds, [closed]);
  const groups = (await client.send(new DescribeCacheSubnetGroupsCommand({}))).CacheSubnetGroups!;
  t.same(
    groups.map((g) => g.CacheSubnetGroupName),
    ['default', 'private'],
    'its subnets make no subnet group shown',
  );
  const ca = readFileSync(emulator.caCertificatePath, 'utf8');
  t.notOk(await acceptsToken(cache.Endpoint!, undefined, ca), 'no ingress rule: the host is refused');
  t.notOk(await acceptsToken(cache.ReaderEndpoint!, undefined, ca), 'at the reader endpoint too');
  const rule = { GroupId: closed, IpProtocol: 'tcp', FromPort: 6379, ToPort: 6380, CidrIp: '10.30.0.0/16' };
  await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
  t.ok(
    await eventually(async () => (await acceptsToken(cache.Endpoint!, undefined, ca)) || undefined, 5000, 'admission'),
    'a rule for the VPC CIDR admits the host',
  );
  t.ok(await acceptsToken(cache.ReaderEndpoint!, undefined, ca), 'at the reader endpoint too');
  t.equal(
    (
      await failure(
        client.send(
          new CreateServerlessCacheCommand({
            ServerlessCacheName: 'stray',
            Engine: 'valkey',
            SubnetIds: ['subnet-nope'],
          }),
        ),
      )
    )?.name,
    'InvalidParameterValueException',
    'an unknown subnet',
  );
  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'guarded' }));
  await untilGone(client, 'guarded');
});

t.test('process: a restarted emulator serves the endpoint and the reader endpoint again', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const dataDir = tempDir(t);
  const first = await startTestEmulator(t, { runtime: 'process', dataDir });
  const client = sdkClient(first);
  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'kept', Engine: 'valkey' }));
  const cache = await untilStatus(client, 'kept', 'available');
  const writer = await connectAs(cache.Endpoint!);
  await writer.set('kept:1', 'v');
  writer.disconnect();
  await first.close();

  const second = await startTestEmulator(t, { runtime: 'process', dataDir });
  t.teardown(() => removeAllNodes(second));
  const again = await untilStatus(sdkClient(second), 'kept', 'available');
  t.same([again.Endpoint, again.ReaderEndpoint], [cache.Endpoint, cache.ReaderEndpoint], 'the same endpoints');
  const reader = await eventually(
    async () => {
      const redis = await connectAs(again.ReaderEndpoint!);
      await redis.call('READONLY');
      const value = await redis.get('kept:1');
      redis.disconnect();
      return value;
    },
    20_000,
    'the reader endpoint after the restart',
  );
  t.equal(reader, 'v', 'the reader endpoint serves the data after the restart');
});
