/**
 * IAM authentication on real nodes: a TLS replication group whose user group holds an iam user. A client logs in as
 * AWS's guide has it (ioredis over TLS, verifying the emulator's CA, with a SigV4-presigned connect request as its
 * password), on the primary, reader and node endpoints; a forged, expired or other group's token gets redis's
 * WRONGPASS and the connection stays usable; a password user of the same group still logs in. In cluster mode a
 * cluster client logs in at the configuration endpoint and at every shard's endpoint it is sent to. Both runtimes.
 */
import {
  CreateReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  ModifyUserGroupCommand,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { readFileSync } from 'node:fs';
import { Cluster } from 'ioredis';
import t, { type Test } from 'tap';
import { removeAllNodes, sdkClient, startTestEmulator, waiter } from '../fixtures/emulator.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import {
  KNOWN,
  PASSWORD,
  activeUserGroup,
  userGroupActive,
  createLoginUsers,
  iamToken,
  loginAnswer,
  tlsClient,
  type Endpoint,
} from '../fixtures/iam-logins.js';

/** A TLS connection that logs in with the command given (AUTH or HELLO) first: its answer, or its error. */
async function firstCommand(endpoint: Endpoint, ca: string, command: string[]): Promise<string> {
  const redis = tlsClient(endpoint, ca);
  try {
    await redis.connect();
    const answer = await redis.call(command[0], ...command.slice(1));
    return Array.isArray(answer) ? 'HELLO answered' : String(answer);
  } catch (error) {
    return (error as Error).message;
  } finally {
    redis.disconnect();
  }
}

function suite(t: Test, runtime: 'process' | 'docker'): void {
  t.test(`${runtime}: an iam user logs in with a SigV4 token over TLS`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const emulator = await startTestEmulator(t, { runtime, credentials: [KNOWN] });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    const ca = readFileSync(emulator.caCertificatePath, 'utf8');

    await createLoginUsers(client);
    await activeUserGroup(client, 'iam-users', ['iam-default', 'iam-app', 'pw-app']);
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'iam-rg',
        ReplicationGroupDescription: 'iam',
        CacheNodeType: 'cache.t3.micro',
        EngineVersion: '7.1',
        NumCacheClusters: 2,
        TransitEncryptionEnabled: true,
        UserGroupIds: ['iam-users'],
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'iam-rg' });
    const group = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'iam-rg' })))
      .ReplicationGroups![0];
    const shard = group.NodeGroups![0];
    const endpoints: [string, Endpoint][] = [
      ['primary', shard.PrimaryEndpoint!],
      ['reader', shard.ReaderEndpoint!],
      ...shard.NodeGroupMembers!.map((m): [string, Endpoint] => [`node ${m.CacheClusterId}`, m.ReadEndpoint!]),
    ];

    for (const [name, endpoint] of endpoints) {
      t.equal(await loginAnswer(endpoint, ca, 'iam-app', await iamToken('iam-rg', 'iam-app')), 'PONG', `${name}: iam`);
      t.equal(await loginAnswer(endpoint, ca, 'pw-app', PASSWORD), 'PONG', `${name}: a password user still logs in`);
    }
    const primary = shard.PrimaryEndpoint!;
    const wrongPass = /WRONGPASS invalid username-password pair or user is disabled/;
    t.match(
      await firstCommand(primary, ca, ['AUTH', 'iam-app', await iamToken('iam-rg', 'iam-app', { secret: 'x' })]),
      wrongPass,
      'a token signed with the wrong secret is refused',
    );
    const old = new Date(Date.now() - 20 * 60_000);
    t.match(
      await firstCommand(primary, ca, ['AUTH', 'iam-app', await iamToken('iam-rg', 'iam-app', { signingDate: old })]),
      wrongPass,
      'an expired token is refused',
    );
    t.match(
      await firstCommand(primary, ca, ['AUTH', 'iam-app', await iamToken('other-rg', 'iam-app')]),
      wrongPass,
      "another group's token is refused",
    );
    t.match(await firstCommand(primary, ca, ['AUTH', 'iam-app', 'not-a-token']), wrongPass, 'a password is no token');
    const hello = ['HELLO', '2', 'AUTH', 'iam-app'];
    t.equal(
      await firstCommand(primary, ca, [...hello, await iamToken('iam-rg', 'iam-app')]),
      'HELLO answered',
      'HELLO',
    );
    t.match(await firstCommand(primary, ca, [...hello, 'not-a-token']), wrongPass, 'HELLO with a bad token');

    // After a refusal the connection stays open, as with redis: the next AUTH, with a good token, logs in.
    const redis = tlsClient(primary, ca);
    t.teardown(() => redis.disconnect());
    await redis.connect();
    await t.rejects(
      redis.call('AUTH', 'iam-app', await iamToken('iam-rg', 'iam-app', { secret: 'forged-secret' })),
      wrongPass,
    );
    t.equal(await redis.call('AUTH', 'iam-app', await iamToken('iam-rg', 'iam-app')), 'OK', 'then a good one');
    t.equal(await redis.set('iam-key', 'v'), 'OK');
    t.equal(await redis.call('ACL', 'WHOAMI'), 'iam-app');

    // A running group whose user group gains its first iam user: its nodes let go of their endpoints.
    await activeUserGroup(client, 'later-users', ['iam-default', 'pw-app']);
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'later-rg',
        ReplicationGroupDescription: 'iam later',
        CacheNodeType: 'cache.t3.micro',
        EngineVersion: '7.1',
        NumCacheClusters: 1,
        TransitEncryptionEnabled: true,
        UserGroupIds: ['later-users'],
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'later-rg' });
    const later = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'later-rg' })))
      .ReplicationGroups![0].NodeGroups![0];
    await client.send(new ModifyUserGroupCommand({ UserGroupId: 'later-users', UserIdsToAdd: ['iam-app'] }));
    await eventually(() => userGroupActive(client, 'later-users'), 20_000, 'the iam user added');
    for (const endpoint of [later.PrimaryEndpoint!, later.NodeGroupMembers![0].ReadEndpoint!]) {
      t.equal(
        await loginAnswer(endpoint, ca, 'iam-app', await iamToken('later-rg', 'iam-app')),
        'PONG',
        `an iam user added later logs in at ${endpoint.Address}`,
      );
      t.equal(await loginAnswer(endpoint, ca, 'pw-app', PASSWORD), 'PONG', 'and the password user still does');
    }
  });

  t.test(`${runtime}: in cluster mode an iam user logs in on every shard`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const emulator = await startTestEmulator(t, { runtime, credentials: [KNOWN] });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    const ca = readFileSync(emulator.caCertificatePath, 'utf8');
    await createLoginUsers(client);
    await activeUserGroup(client, 'cm-users', ['iam-default', 'iam-app']);
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'iam-cm',
        ReplicationGroupDescription: 'iam, cluster mode',
        CacheNodeType: 'cache.t3.micro',
        EngineVersion: '7.1',
        CacheParameterGroupName: 'default.redis7.cluster.on',
        NumNodeGroups: 2,
        ReplicasPerNodeGroup: 1,
        TransitEncryptionEnabled: true,
        UserGroupIds: ['cm-users'],
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'iam-cm' });
    const group = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'iam-cm' })))
      .ReplicationGroups![0];
    const configuration = group.ConfigurationEndpoint!;
    t.equal(
      await loginAnswer(configuration, ca, 'iam-app', await iamToken('iam-cm', 'iam-app')),
      'PONG',
      'the configuration endpoint takes the token',
    );
    t.match(
      await firstCommand(configuration, ca, ['AUTH', 'iam-app', await iamToken('iam-cm', 'iam-app', { secret: 'x' })]),
      /WRONGPASS/,
      'and refuses a forged one',
    );

    const cluster = new Cluster([{ host: configuration.Address, port: configuration.Port }], {
      redisOptions: { username: 'iam-app', password: await iamToken('iam-cm', 'iam-app'), tls: { ca } },
      clusterRetryStrategy: () => null,
      slotsRefreshTimeout: 5000,
    });
    cluster.on('error', () => {});
    t.teardown(() => cluster.disconnect());
    const keys = Array.from({ length: 64 }, (_, i) => `iam-cm:${i}`);
    for (const key of keys) await cluster.set(key, key);
    const values = await Promise.all(keys.map((key) => cluster.get(key)));
    t.same(values, keys, 'a cluster client writes and reads keys of every slot it is sent to');
    const primaries = cluster.nodes('master');
    t.equal(primaries.length, 2, 'through both shards');
    const held = await Promise.all(primaries.map(async (node) => Number(await node.dbsize())));
    t.ok(
      held.every((count) => count > 0),
      `each shard holds some of the keys (${held.join(' + ')})`,
    );
    t.equal(await primaries[0].call('ACL', 'WHOAMI'), 'iam-app', 'each shard knows the client as the iam user');
  });
}

suite(t, 'process');
suite(t, 'docker');
