/**
 * IAM authentication on a serverless cache, on real nodes: its user group holds an iam user, and a client logs in at
 * the cache's endpoint and reader endpoint as AWS's guide has it for serverless (a SigV4-presigned connect request for
 * the cache's name with ResourceType=ServerlessCache, over TLS verifying the emulator's CA). A token for the hidden
 * backing group, one without the resource type, a forged or an expired one gets redis's WRONGPASS, as at a group's
 * endpoints. A cache whose user group is swapped for one with an iam user (ModifyServerlessCache) takes iam logins
 * from then on.
 */
import {
  CreateServerlessCacheCommand,
  DeleteServerlessCacheCommand,
  ModifyServerlessCacheCommand,
} from '@aws-sdk/client-elasticache';
import { readFileSync } from 'node:fs';
import { Cluster } from 'ioredis';
import t, { type Test } from 'tap';
import { removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import {
  KNOWN,
  PASSWORD,
  activeUserGroup,
  createLoginUsers,
  iamToken,
  loginAnswer,
  tlsClient,
  type Endpoint,
} from '../fixtures/iam-logins.js';
import { untilGone, untilStatus } from '../fixtures/serverless.js';

const WRONGPASS = /WRONGPASS invalid username-password pair or user is disabled/;

/** The answer to `AUTH user token` on a fresh TLS connection, or its error. */
async function authAnswer(endpoint: Endpoint, ca: string, user: string, token: string): Promise<string> {
  const redis = tlsClient(endpoint, ca);
  try {
    await redis.connect();
    return String(await redis.call('AUTH', user, token));
  } catch (error) {
    return (error as Error).message;
  } finally {
    redis.disconnect();
  }
}

function suite(t: Test, runtime: 'process' | 'docker'): void {
  t.test(`${runtime}: an iam user logs in at a serverless cache's endpoints`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const emulator = await startTestEmulator(t, { runtime, credentials: [KNOWN] });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    const ca = readFileSync(emulator.caCertificatePath, 'utf8');

    await createLoginUsers(client);
    await activeUserGroup(client, 'sl-iam-users', ['iam-default', 'iam-app', 'pw-app']);
    await client.send(
      new CreateServerlessCacheCommand({
        ServerlessCacheName: 'iam-cache',
        Engine: 'redis',
        UserGroupId: 'sl-iam-users',
      }),
    );
    const cache = await untilStatus(client, 'iam-cache', 'available');
    t.equal(cache.UserGroupId, 'sl-iam-users');
    const endpoint = cache.Endpoint!;
    const reader = cache.ReaderEndpoint!;
    const token = () => iamToken('iam-cache', 'iam-app', { serverless: true });

    for (const [name, at] of [
      ['endpoint', endpoint],
      ['reader endpoint', reader],
    ] as const) {
      t.equal(await loginAnswer(at, ca, 'iam-app', await token()), 'PONG', `${name}: the iam user logs in`);
      t.equal(await loginAnswer(at, ca, 'pw-app', PASSWORD), 'PONG', `${name}: a password user still logs in`);
    }

    const refused: [string, string][] = [
      ["the backing group's id", await iamToken('serverless--iam-cache', 'iam-app')],
      [
        "the backing group's id, as serverless",
        await iamToken('serverless--iam-cache', 'iam-app', { serverless: true }),
      ],
      ['no ResourceType', await iamToken('iam-cache', 'iam-app')],
      ['the wrong secret', await iamToken('iam-cache', 'iam-app', { serverless: true, secret: 'forged-secret' })],
      [
        'an expired token',
        await iamToken('iam-cache', 'iam-app', { serverless: true, signingDate: new Date(Date.now() - 20 * 60_000) }),
      ],
      ['another cache', await iamToken('other-cache', 'iam-app', { serverless: true })],
      ['a password', 'not-a-token'],
    ];
    for (const [why, bad] of refused)
      t.match(await authAnswer(endpoint, ca, 'iam-app', bad), WRONGPASS, `refused: ${why}`);
    t.match(
      await authAnswer(reader, ca, 'iam-app', await iamToken('iam-cache', 'iam-app')),
      WRONGPASS,
      'the reader endpoint refuses a token without ResourceType too',
    );

    // After a refusal the connection stays open, as with redis: the next AUTH, with a good token, logs in.
    const redis = tlsClient(endpoint, ca);
    t.teardown(() => redis.disconnect());
    await redis.connect();
    await t.rejects(redis.call('AUTH', 'iam-app', await iamToken('serverless--iam-cache', 'iam-app')), WRONGPASS);
    t.equal(await redis.call('AUTH', 'iam-app', await token()), 'OK', 'then a good one');
    t.equal(await redis.call('ACL', 'WHOAMI'), 'iam-app');
    t.equal(await redis.set('iam:1', 'v1'), 'OK', 'SET');
    t.equal(await redis.get('iam:1'), 'v1', 'GET');

    const replica = tlsClient(reader, ca, { username: 'iam-app', password: await token() });
    t.teardown(() => replica.disconnect());
    await replica.connect();
    await replica.call('READONLY');
    t.equal(
      await eventually(async () => replica.get('iam:1'), 10_000, 'iam:1 at the reader endpoint'),
      'v1',
      'the reader endpoint serves reads to the iam user',
    );

    // A cluster client, as AWS advises for serverless: it logs in at every address the shard is announced at.
    const cluster = new Cluster([{ host: endpoint.Address, port: endpoint.Port }], {
      redisOptions: { username: 'iam-app', password: await token(), tls: { ca } },
      clusterRetryStrategy: () => null,
      slotsRefreshTimeout: 5000,
    });
    cluster.on('error', () => {});
    t.teardown(() => cluster.disconnect());
    const keys = Array.from({ length: 64 }, (_, i) => `iam-sl:${i}`);
    for (const key of keys) await cluster.set(key, key);
    t.same(await Promise.all(keys.map((key) => cluster.get(key))), keys, 'a cluster client writes and reads keys');

    await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'iam-cache' }));
    await untilGone(client, 'iam-cache');
  });
}

t.test('process: a cache whose user group gains an iam user (ModifyServerlessCache) takes iam logins', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process', credentials: [KNOWN] });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  const ca = readFileSync(emulator.caCertificatePath, 'utf8');

  await createLoginUsers(client);
  await activeUserGroup(client, 'sl-plain', ['iam-default', 'pw-app']);
  await activeUserGroup(client, 'sl-with-iam', ['iam-default', 'iam-app', 'pw-app']);
  await client.send(
    new CreateServerlessCacheCommand({ ServerlessCacheName: 'later-cache', Engine: 'valkey', UserGroupId: 'sl-plain' }),
  );
  const cache = await untilStatus(client, 'later-cache', 'available');
  const token = () => iamToken('later-cache', 'iam-app', { serverless: true });
  t.match(await authAnswer(cache.Endpoint!, ca, 'iam-app', await token()), WRONGPASS, 'no iam user yet');
  t.equal(await loginAnswer(cache.Endpoint!, ca, 'pw-app', PASSWORD), 'PONG', 'the password user logs in');

  const modified = await client.send(
    new ModifyServerlessCacheCommand({ ServerlessCacheName: 'later-cache', UserGroupId: 'sl-with-iam' }),
  );
  t.equal(modified.ServerlessCache?.UserGroupId, 'sl-with-iam', 'ModifyServerlessCache takes a user group with iam');
  await untilStatus(client, 'later-cache', 'available');
  for (const at of [cache.Endpoint!, cache.ReaderEndpoint!]) {
    t.equal(
      await eventually(
        async () => {
          const answer = await loginAnswer(at, ca, 'iam-app', await token());
          return answer === 'PONG' && answer;
        },
        20_000,
        `iam login at ${at.Address}:${at.Port}`,
      ),
      'PONG',
      `the iam user logs in at ${at.Port}`,
    );
    t.equal(await loginAnswer(at, ca, 'pw-app', PASSWORD), 'PONG', 'and the password user still does');
  }
  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'later-cache' }));
  await untilGone(client, 'later-cache');
});

suite(t, 'process');
suite(t, 'docker');
