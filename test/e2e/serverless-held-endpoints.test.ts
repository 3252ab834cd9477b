/**
 * A serverless cache's endpoints held by its backing nodes themselves (process runtime): a client at the endpoint
 * (6379) is connected to the primary's own socket and one at the reader endpoint (6380) to the replica's (CLIENT
 * INFO's laddr is the endpoint, not the backstage address a forwarder of the emulator would come from). So it stays
 * after a failover and after an emulator restart; while the cache's security group refuses the host, the emulator's
 * checking listener stands there and refuses; once admitted, the nodes hold the endpoints again; a delete frees both.
 * A cache whose user group has an iam user keeps the emulator's listeners in front (they log iam users in) until the
 * user group goes.
 */
import {
  CreateServerlessCacheCommand,
  DeleteServerlessCacheCommand,
  DescribeCacheSubnetGroupsCommand,
  ModifyServerlessCacheCommand,
} from '@aws-sdk/client-elasticache';
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { removeAllNodes, sdkClient, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import { connectAs, type Endpoint } from '../fixtures/rbac-client.js';
import { KNOWN, PASSWORD, activeUserGroup, createLoginUsers } from '../fixtures/iam-logins.js';
import { acceptsToken, eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { setUp } from '../fixtures/security-groups.js';
import { untilGone, untilStatus } from '../fixtures/serverless.js';

/** The local address the node sees a client's connection on, and the node's role. */
async function seenAt(endpoint: Endpoint, user?: string, password?: string): Promise<{ laddr: string; role: string }> {
  const redis = await connectAs(endpoint, user, password);
  try {
    const info = String(await redis.call('CLIENT', 'INFO'));
    const role = String(((await redis.call('ROLE')) as unknown[])[0]);
    return { laddr: /laddr=(\S+)/.exec(info)![1], role };
  } finally {
    redis.disconnect();
  }
}

/** Both endpoints are the nodes' own sockets: the primary's at the endpoint, the replica's at the reader endpoint. */
async function heldByNodes(t: Test, cache: { Endpoint?: Endpoint; ReaderEndpoint?: Endpoint }, when: string) {
  const at = (e: Endpoint) => `${e.Address}:${e.Port}`;
  const expected = {
    endpoint: { laddr: at(cache.Endpoint!), role: 'master' },
    reader: { laddr: at(cache.ReaderEndpoint!), role: 'slave' },
  };
  const seen = await eventually(
    async () => {
      const view = {
        endpoint: await seenAt(cache.Endpoint!).catch(() => undefined),
        reader: await seenAt(cache.ReaderEndpoint!).catch(() => undefined),
      };
      return JSON.stringify(view) === JSON.stringify(expected) && view;
    },
    30_000,
    `the nodes hold the endpoints ${when}`,
  ).catch(async () => ({
    endpoint: await seenAt(cache.Endpoint!).catch((e: Error) => e.message),
    reader: await seenAt(cache.ReaderEndpoint!).catch((e: Error) => e.message),
  }));
  t.same(seen, expected, `${when}: the primary holds the endpoint and the replica the reader endpoint`);
}

/** Whether anything listens at an endpoint. */
function listening(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.Address, port: endpoint.Port! });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

t.test('process: the backing nodes hold the serverless endpoints, through refusal, failover and restart', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const dataDir = tempDir(t);
  const { emulator, ec2, elasticache, group } = await setUp(t, 'process', { dataDir });
  const subnetId = (await elasticache.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'private' })))
    .CacheSubnetGroups![0].Subnets![0].SubnetIdentifier!;
  const guard = await group('guard');
  const rule = { GroupId: guard, IpProtocol: 'tcp', FromPort: 6379, ToPort: 6380, CidrIp: '10.30.0.0/16' };
  await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
  await elasticache.send(
    new CreateServerlessCacheCommand({
      ServerlessCacheName: 'held',
      Engine: 'valkey',
      SubnetIds: [subnetId],
      SecurityGroupIds: [guard],
    }),
  );
  const cache = await untilStatus(elasticache, 'held', 'available');
  t.equal(cache.ReaderEndpoint!.Address, cache.Endpoint!.Address, 'the reader endpoint is beside the endpoint');
  await heldByNodes(t, cache, 'once available');
  const writer = await connectAs(cache.Endpoint!);
  await writer.set('held:1', 'v1');
  writer.disconnect();
  const replicated = await eventually(
    async () => {
      const redis = await connectAs(cache.ReaderEndpoint!);
      await redis.call('READONLY');
      const value = await redis.get('held:1');
      redis.disconnect();
      return value;
    },
    10_000,
    'the replica has the write',
  );
  t.equal(replicated, 'v1', 'the replica follows the primary straight through the endpoint its primary holds');

  // Refused: the emulator's checking listener stands on both endpoints; admitted again, the nodes take them back.
  await ec2.send(new RevokeSecurityGroupIngressCommand(rule));
  const ca = readFileSync(emulator.caCertificatePath, 'utf8');
  t.ok(
    await eventually(async () => !(await acceptsToken(cache.Endpoint!, undefined, ca)) || undefined, 5000, 'refusal'),
    'the rule revoked: the endpoint refuses the host',
  );
  // Each endpoint moves in its turn (a rule change applies within a second, not to both at once).
  t.ok(
    await eventually(
      async () => !(await acceptsToken(cache.ReaderEndpoint!, undefined, ca)) || undefined,
      5000,
      'refusal at the reader endpoint',
    ),
    'so does the reader endpoint',
  );
  await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
  t.ok(
    await eventually(async () => (await acceptsToken(cache.Endpoint!, undefined, ca)) || undefined, 5000, 'admission'),
    'admitted again: the endpoint works',
  );
  await heldByNodes(t, cache, 'admitted again');

  // The primary dies: the replica takes over, and the two swap endpoints (and ports).
  const primary = await connectAs(cache.Endpoint!);
  const pid = Number(/process_id:(\d+)/.exec(String(await primary.call('INFO', 'server')))![1]);
  primary.disconnect();
  process.kill(pid, 'SIGKILL');
  await eventually(
    async () => {
      const redis = await connectAs(cache.Endpoint!).catch(() => undefined);
      if (!redis) return undefined;
      try {
        return /process_id:(\d+)/.exec(String(await redis.call('INFO', 'server')))![1] !== String(pid) || undefined;
      } catch {
        return undefined;
      } finally {
        redis.disconnect();
      }
    },
    60_000,
    'a new primary at the endpoint',
  );
  await heldByNodes(t, cache, 'after a failover');
  const afterFailover = await connectAs(cache.Endpoint!);
  t.equal(await afterFailover.get('held:1'), 'v1', 'the data survived the failover');
  await afterFailover.set('held:2', 'v2');
  afterFailover.disconnect();

  // The emulator restarts: it adopts the running nodes with the endpoints they hold.
  await emulator.close();
  const second = await startTestEmulator(t, { runtime: 'process', dataDir });
  t.teardown(() => removeAllNodes(second));
  const client = sdkClient(second);
  const again = await untilStatus(client, 'held', 'available');
  t.same([again.Endpoint, again.ReaderEndpoint], [cache.Endpoint, cache.ReaderEndpoint], 'the same endpoints');
  await heldByNodes(t, again, 'after an emulator restart');
  const afterRestart = await connectAs(again.Endpoint!);
  t.equal(await afterRestart.get('held:2'), 'v2', 'the data is there after the restart');
  afterRestart.disconnect();

  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'held' }));
  await untilGone(client, 'held');
  t.notOk(await listening(cache.Endpoint!), 'deleted: nothing listens at the endpoint');
  t.notOk(await listening(cache.ReaderEndpoint!), 'nor at the reader endpoint');
});

t.test('process: a cache whose user group has an iam user keeps the emulator in front of its endpoints', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process', credentials: [KNOWN] });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  await createLoginUsers(client);
  await activeUserGroup(client, 'iam-users', ['iam-default', 'iam-app', 'pw-app']);
  await client.send(
    new CreateServerlessCacheCommand({ ServerlessCacheName: 'logins', Engine: 'redis', UserGroupId: 'iam-users' }),
  );
  const cache = await untilStatus(client, 'logins', 'available');
  const at = (e: Endpoint) => `${e.Address}:${e.Port}`;
  for (const [name, endpoint] of [
    ['endpoint', cache.Endpoint!],
    ['reader endpoint', cache.ReaderEndpoint!],
  ] as const) {
    const seen = await seenAt(endpoint, 'pw-app', PASSWORD);
    t.not(seen.laddr, at(endpoint), `${name}: the emulator's listener is in front (the node sees ${seen.laddr})`);
  }

  await client.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'logins', RemoveUserGroup: true }));
  await untilStatus(client, 'logins', 'available');
  await heldByNodes(t, cache, 'without the user group');
  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'logins' }));
  await untilGone(client, 'logins');
});
