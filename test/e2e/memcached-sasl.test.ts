/**
 * Memcached SASL, the local extension (src/control/memcached-sasl.ts), on both real runtimes: a memcached cluster
 * tagged with a user group authenticates binary-protocol clients with SASL PLAIN against that group's users, on
 * the node itself. A tiny binary-protocol client here speaks to the node endpoints as any SASL client would.
 */
import {
  CreateUserCommand,
  CreateUserGroupCommand,
  DescribeEventsCommand,
  ModifyUserCommand,
  ModifyUserGroupCommand,
  RebootCacheClusterCommand,
  RemoveTagsFromResourceCommand,
  waitUntilCacheClusterAvailable,
} from '@aws-sdk/client-elasticache';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { SASL_USER_GROUP_TAG } from '../../src/control/memcached-sasl.js';
import { createCluster } from '../fixtures/endpoint-suite.js';
import { removeAllNodes, sdkClient, startTestEmulator, waiter } from '../fixtures/emulator.js';
import { eventually, memcached, runtimeAvailable } from '../fixtures/real-nodes.js';

const ALICE_PASSWORD = 'alice-password-0123456789';
const ALICE_NEW_PASSWORD = 'alice-rotated-0123456789';
const BOB_PASSWORD = 'bob-password-0123456789';

type Endpoint = { Address?: string; Port?: number };

const OP = { get: 0x00, set: 0x01, version: 0x0b, saslList: 0x20, saslAuth: 0x21 } as const;
/** The binary protocol's "authentication error" status. */
const AUTH_ERROR = 0x20;

interface Answer {
  opcode: number;
  status: number;
  value: string;
}

function request(opcode: number, key: string, value = '', extras = Buffer.alloc(0)): Buffer {
  const keyBytes = Buffer.from(key);
  const valueBytes = Buffer.from(value);
  const header = Buffer.alloc(24);
  header[0] = 0x80;
  header[1] = opcode;
  header.writeUInt16BE(keyBytes.length, 2);
  header[4] = extras.length;
  header.writeUInt32BE(extras.length + keyBytes.length + valueBytes.length, 8);
  return Buffer.concat([header, extras, keyBytes, valueBytes]);
}

/** Sends binary requests on one connection and resolves with one answer per request (or what came before a hang-up). */
function binaryExchange(endpoint: Endpoint, requests: Buffer[]): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: endpoint.Address, port: endpoint.Port! });
    const answers: Answer[] = [];
    let received = Buffer.alloc(0);
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no answer from ${endpoint.Address}:${endpoint.Port} after ${answers.length} answers`));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answers));
    socket.on('connect', () => socket.write(Buffer.concat(requests)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 24 && received.length >= 24 + received.readUInt32BE(8)) {
        const bodyLength = received.readUInt32BE(8);
        const skip = 24 + received[4] + received.readUInt16BE(2);
        answers.push({
          opcode: received[1],
          status: received.readUInt16BE(6),
          value: received.subarray(skip, 24 + bodyLength).toString(),
        });
        received = received.subarray(24 + bodyLength);
      }
      if (answers.length === requests.length) socket.end();
    });
  });
}

const plain = (user: string, password: string) => request(OP.saslAuth, 'PLAIN', `\0${user}\0${password}`);
const setRequest = (key: string, value: string) => request(OP.set, key, value, Buffer.alloc(8));

/** Authenticates, then sets and gets a key: the answers to all three. */
async function authenticatedRoundTrip(endpoint: Endpoint, user: string, password: string, key: string) {
  const [auth, set, get] = await binaryExchange(endpoint, [
    plain(user, password),
    setRequest(key, `value-of-${key}`),
    request(OP.get, key),
  ]);
  return { auth, set, get };
}

async function authenticates(endpoint: Endpoint, user: string, password: string): Promise<boolean> {
  const [auth] = await binaryExchange(endpoint, [plain(user, password)]);
  return auth?.status === 0;
}

function saslSuite(t: Test, runtime: 'docker' | 'process'): void {
  t.test(`${runtime}: a SASL memcached cluster authenticates the users of its user group`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const emulator = await startTestEmulator(t, { runtime });
    t.teardown(async () => {
      await removeAllNodes(emulator);
      // A persistent instance keeps its SASL directories for nodes that outlive it; this test's have none left.
      rmSync(join(tmpdir(), `ecl-sasl-${emulator.instanceId}`), { recursive: true, force: true });
    });
    const client = sdkClient(emulator);
    for (const [id, name, password] of [
      ['sasl-alice', 'alice', ALICE_PASSWORD],
      ['sasl-bob', 'bob', BOB_PASSWORD],
    ]) {
      await client.send(
        new CreateUserCommand({
          UserId: id,
          UserName: name,
          Engine: 'redis',
          AccessString: 'on ~* +@all',
          Passwords: [password],
        }),
      );
    }
    await client.send(
      new CreateUserGroupCommand({
        UserGroupId: 'sasl-users',
        Engine: 'redis',
        UserIds: ['default', 'sasl-alice', 'sasl-bob'],
      }),
    );
    const cluster = await createCluster(client, {
      CacheClusterId: 'sasl-mc',
      Engine: 'memcached',
      NumCacheNodes: 1,
      Tags: [{ Key: SASL_USER_GROUP_TAG, Value: 'sasl-users' }],
    });
    const node = cluster.CacheNodes![0].Endpoint!;
    const configuration = cluster.ConfigurationEndpoint!;

    const events = await client.send(
      new DescribeEventsCommand({ SourceIdentifier: 'sasl-mc', SourceType: 'cache-cluster' }),
    );
    t.ok(
      events.Events!.some((e) => /SASL authentication is on .*user group sasl-users/.test(e.Message ?? '')),
      'an event says SASL is on',
    );

    const [version, mechanisms, unauthenticated] = await binaryExchange(node, [
      request(OP.version, ''),
      request(OP.saslList, ''),
      setRequest('k', 'v'),
    ]);
    t.equal(version.status, 0, 'VERSION is answered before authentication');
    t.match(
      mechanisms.value,
      /PLAIN/,
      runtime === 'docker'
        ? 'the node offers PLAIN (if not: the image lacks the plugin; rebuild with docker/build-node-images.sh)'
        : 'the node offers PLAIN',
    );
    t.equal(unauthenticated.status, AUTH_ERROR, 'a SET before authentication is refused');

    const alice = await authenticatedRoundTrip(node, 'alice', ALICE_PASSWORD, 'alice-key');
    t.equal(alice.auth.status, 0, 'alice authenticates with her password');
    t.equal(alice.set.status, 0, 'and sets');
    t.match(alice.get, { status: 0, value: 'value-of-alice-key' }, 'and gets');
    const throughConfiguration = await authenticatedRoundTrip(configuration, 'bob', BOB_PASSWORD, 'bob-key');
    t.match(
      throughConfiguration.get,
      { status: 0, value: 'value-of-bob-key' },
      'bob, through the configuration endpoint',
    );

    const [wrong, afterWrong] = await binaryExchange(node, [plain('alice', BOB_PASSWORD), setRequest('k', 'v')]);
    t.equal(wrong.status, AUTH_ERROR, 'a wrong password is refused');
    t.equal(afterWrong.status, AUTH_ERROR, 'and the connection stays unauthenticated');
    t.notOk(await authenticates(node, 'mallory', ALICE_PASSWORD), 'a name outside the group is refused');
    t.notOk(await authenticates(node, 'default', ''), 'the no-password default user cannot authenticate');

    t.match(
      await memcached(node, 'config get cluster\r\n'),
      /^CONFIG cluster 0 \d+\r\n/,
      'Auto Discovery still answers in ASCII (from the emulator)',
    );

    t.notOk(await authenticates(node, 'alice', ALICE_NEW_PASSWORD), 'a password alice does not have yet');
    await client.send(new ModifyUserCommand({ UserId: 'sasl-alice', Passwords: [ALICE_PASSWORD, ALICE_NEW_PASSWORD] }));
    await eventually(() => authenticates(node, 'alice', ALICE_NEW_PASSWORD), 20_000, 'the new password to work');
    t.pass('her new password works on the running node');
    t.ok(await authenticates(node, 'alice', ALICE_PASSWORD), 'and so does her first one');

    await client.send(new ModifyUserGroupCommand({ UserGroupId: 'sasl-users', UserIdsToRemove: ['sasl-bob'] }));
    await eventually(async () => !(await authenticates(node, 'bob', BOB_PASSWORD)), 20_000, 'bob to be locked out');
    t.pass('bob, removed from the group, is locked out');

    await client.send(new RemoveTagsFromResourceCommand({ ResourceName: cluster.ARN, TagKeys: [SASL_USER_GROUP_TAG] }));
    await client.send(new RebootCacheClusterCommand({ CacheClusterId: 'sasl-mc', CacheNodeIdsToReboot: ['0001'] }));
    await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'sasl-mc' });
    await eventually(
      async () => /STORED/.test(await memcached(node, 'set k 0 0 1\r\nv\r\n')),
      20_000,
      'the rebooted node without SASL to take ASCII sets',
    );
    t.pass('without the tag, the rebooted node takes unauthenticated ASCII commands');
  });
}

saslSuite(t, 'process');
saslSuite(t, 'docker');
