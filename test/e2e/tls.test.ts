/**
 * In-transit encryption on real nodes, on the process runtime and on docker: TLS clients (ioredis, redis-cli,
 * Node's tls for memcached) verify the emulator's CA on every endpoint kind, `required` refuses plain clients and
 * `preferred` serves both, replicas replicate over TLS, and the CA outlives the emulator.
 */
import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  DescribeCacheClustersCommand,
  ModifyReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  waitUntilReplicationGroupAvailable,
  type ElastiCacheClient,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createCluster } from '../fixtures/endpoint-suite.js';
import t, { type Test } from 'tap';
import { defaultConfig, type Config } from '../../src/config.js';
import { startEmulator, type Emulator } from '../../src/server.js';
import {
  removeAllNodes,
  sdkClient,
  tempDir,
  testDockerNetwork,
  uniqueEndpointBase,
  waiter,
} from '../fixtures/emulator.js';
import { acceptsToken, eventually, memcached, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';

const run = promisify(execFile);
const TOKEN = 'tls-token-0123456789';

type Endpoint = { Address?: string; Port?: number };

async function createGroup(client: ElastiCacheClient, input: Record<string, unknown>): Promise<ReplicationGroup> {
  const id = input.ReplicationGroupId as string;
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupDescription: 'tls',
      CacheNodeType: 'cache.t3.micro',
      TransitEncryptionEnabled: true,
      ...input,
    } as never),
  );
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: id });
  return (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0];
}

/** redis-cli over TLS, verifying the CA: its answer, trimmed. */
async function redisCli(caPath: string, endpoint: Endpoint, args: string[], token?: string): Promise<string> {
  const auth = token ? ['--user', 'default', '--pass', token, '--no-auth-warning'] : [];
  const { stdout } = await run(
    'redis-cli',
    ['--tls', '--cacert', caPath, '-h', endpoint.Address!, '-p', String(endpoint.Port), ...auth, ...args],
    { timeout: 10_000 },
  );
  return stdout.trim();
}

/** Memcached text protocol over TLS, verifying the CA and the endpoint's address. */
function memcachedTls(ca: string, endpoint: Endpoint, request: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: endpoint.Address, port: endpoint.Port!, ca });
    let answer = '';
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no answer over TLS from ${endpoint.Address}:${endpoint.Port}: ${JSON.stringify(answer)}`));
    });
    socket.on('error', reject);
    socket.on('secureConnect', () => socket.write(request));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (until.test(answer)) {
        socket.end();
        resolve(answer);
      }
    });
  });
}

/**
 * An emulator on a data dir, stopped and its nodes removed at the end, in that order: removed first, its nodes would
 * be healed by the still running emulator and outlive the test.
 */
async function start(t: Test, config: Partial<Config>): Promise<Emulator> {
  const emulator = await startEmulator({
    ...defaultConfig(),
    port: 0,
    logLevel: (process.env.ELASTICACHE_LOCAL_TEST_LOG_LEVEL as Config['logLevel']) ?? 'silent',
    dockerNetwork: testDockerNetwork(),
    ...config,
  });
  let closed = false;
  const close = emulator.close.bind(emulator);
  emulator.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  t.teardown(async () => {
    await emulator.close();
    await removeAllNodes(emulator);
  });
  return emulator;
}

/** Whether a plain (non-TLS) redis client gets a PONG. */
const plainAnswers = (endpoint: Endpoint, token?: string) => acceptsToken(endpoint, token);

function suite(t: Test, runtime: 'process' | 'docker'): void {
  t.test(`${runtime}: TLS on every endpoint kind`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const dataDir = tempDir(t);
    const endpointBase = uniqueEndpointBase();
    const emulator = await start(t, { runtime, dataDir, endpointBase });
    const client = sdkClient(emulator);
    const caPath = emulator.caCertificatePath;
    t.equal(caPath, `${dataDir}/tls/ca.pem`, 'the CA certificate is at <data-dir>/tls/ca.pem');
    const ca = readFileSync(caPath, 'utf8');

    const [required, preferred, sharded, mc] = await Promise.all([
      createGroup(client, { ReplicationGroupId: 'req', NumCacheClusters: 2, AuthToken: TOKEN }),
      createGroup(client, { ReplicationGroupId: 'pref', NumCacheClusters: 2, TransitEncryptionMode: 'preferred' }),
      createGroup(client, {
        ReplicationGroupId: 'cme',
        NumNodeGroups: 2,
        ReplicasPerNodeGroup: 1,
        CacheParameterGroupName: 'default.redis7.cluster.on',
      }),
      createCluster(client, {
        CacheClusterId: 'mc',
        Engine: 'memcached',
        NumCacheNodes: 2,
        TransitEncryptionEnabled: true,
      }),
    ]);

    t.test('the API reports the encryption', async (t) => {
      t.equal(required.TransitEncryptionEnabled, true);
      t.equal(required.TransitEncryptionMode, 'required', 'required by default');
      t.equal(preferred.TransitEncryptionMode, 'preferred');
      t.equal(sharded.TransitEncryptionMode, 'required');
      t.equal(mc.TransitEncryptionEnabled, true);
    });

    t.test(
      'required: TLS clients verify the CA on the primary, reader and node endpoints; replicas replicate over TLS',
      async (t) => {
        const shard = required.NodeGroups![0];
        const primary = redisAt(shard.PrimaryEndpoint!, TOKEN, ca);
        t.teardown(() => primary.disconnect());
        await primary.connect();
        t.equal(await primary.set('k', 'over-tls'), 'OK', 'ioredis with tls: { ca } writes on the primary endpoint');
        const replica = shard.NodeGroupMembers!.find((m) => m.CurrentRole === 'replica')!.ReadEndpoint!;
        t.equal(
          await eventually(
            async () => (await redisCli(caPath, replica, ['GET', 'k'], TOKEN)) === 'over-tls',
            20_000,
            'replication',
          ),
          true,
          'the replica has the write (replication over TLS), read with redis-cli --tls on its node endpoint',
        );
        t.equal(await redisCli(caPath, shard.ReaderEndpoint!, ['GET', 'k'], TOKEN), 'over-tls', 'the reader endpoint');
        if (runtime === 'process') {
          // The one replica listens on the reader endpoint itself, with a certificate valid for that address.
          const reader = shard.ReaderEndpoint!;
          t.match(
            await redisCli(caPath, reader, ['CLIENT', 'INFO'], TOKEN),
            ` laddr=${reader.Address}:${reader.Port} `,
            "the reader endpoint is the replica's own TLS socket, and redis-cli verifies it",
          );
        }
        t.match(
          await redisCli(caPath, shard.PrimaryEndpoint!, ['INFO', 'replication'], TOKEN),
          /connected_slaves:1/,
          'the primary has its replica',
        );
        t.equal(await plainAnswers(shard.PrimaryEndpoint!, TOKEN), false, 'a plain client is refused');
        t.equal(await plainAnswers(replica, TOKEN), false, 'on a node endpoint too');
        t.equal(await acceptsToken(shard.PrimaryEndpoint!, undefined, ca), false, 'the AUTH token is still required');
      },
    );

    t.test('preferred: TLS and plain clients are both served on one endpoint', async (t) => {
      const shard = preferred.NodeGroups![0];
      t.equal(await redisCli(caPath, shard.PrimaryEndpoint!, ['SET', 'p', 'both']), 'OK', 'redis-cli --tls');
      const plain = redisAt(shard.PrimaryEndpoint!);
      t.teardown(() => plain.disconnect());
      await plain.connect();
      t.equal(await plain.get('p'), 'both', 'a plain client on the same endpoint');
      const replica = shard.NodeGroupMembers!.find((m) => m.CurrentRole === 'replica')!.ReadEndpoint!;
      await eventually(async () => (await redisCli(caPath, replica, ['GET', 'p'])) === 'both', 20_000, 'replication');
      t.equal(await plainAnswers(shard.ReaderEndpoint!), true, 'the reader endpoint serves plain clients');
      t.equal(await acceptsToken(shard.ReaderEndpoint!, undefined, ca), true, 'and TLS clients');
    });

    t.test('cluster mode: the configuration endpoint and redirects over TLS', async (t) => {
      const cfg = sharded.ConfigurationEndpoint!;
      const cluster = new Cluster([{ host: cfg.Address!, port: cfg.Port! }], {
        redisOptions: { connectTimeout: 3000, tls: { ca } },
      });
      cluster.on('error', () => {});
      t.teardown(() => cluster.disconnect());
      const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
      for (const key of keys) await cluster.set(key, key);
      t.same(await Promise.all(keys.map((k) => cluster.get(k))), keys, 'keys on both shards, redirects followed');
      t.match(await redisCli(caPath, cfg, ['-c', 'CLUSTER', 'INFO']), /cluster_state:ok/, 'redis-cli -c --tls');
      t.equal(await plainAnswers(cfg), false, 'a plain client is refused');
    });

    t.test('memcached: the configuration endpoint and the nodes end TLS with a certificate of the CA', async (t) => {
      const cfg = mc.ConfigurationEndpoint!;
      const discovery = await memcachedTls(ca, cfg, 'config get cluster\r\n', /END\r\n$/);
      for (const node of mc.CacheNodes!)
        t.match(discovery, `${node.Endpoint!.Address}|${node.Endpoint!.Address}|${node.Endpoint!.Port}`);
      const node = mc.CacheNodes![0].Endpoint!;
      t.match(await memcachedTls(ca, node, 'set a 0 0 3\r\nabc\r\n', /STORED\r\n$/), /STORED/);
      t.match(await memcachedTls(ca, node, 'get a\r\n', /END\r\n$/), /VALUE a 0 3\r\nabc\r\nEND/);
      t.match(
        await memcachedTls(ca, node, 'config get cluster\r\n', /END\r\n$/),
        /CONFIG cluster/,
        'a node endpoint answers Auto Discovery over TLS',
      );
      await t.rejects(memcached(cfg, 'version\r\n'), 'a plain client gets no answer');
    });

    t.test('an existing group moves to TLS (preferred, then required) and back, keeping its data', async (t) => {
      const group = await createGroup(client, {
        ReplicationGroupId: 'mig',
        NumCacheClusters: 2,
        TransitEncryptionEnabled: false,
      });
      const shard = group.NodeGroups![0];
      const primaryEndpoint = shard.PrimaryEndpoint!;
      const replicaEndpoint = shard.NodeGroupMembers!.find((m) => m.CurrentRole === 'replica')!.ReadEndpoint!;
      const plain = redisAt(primaryEndpoint);
      await plain.connect();
      await plain.set('kept', 'all along');
      plain.disconnect();
      const modify = async (input: Record<string, unknown>) => {
        await client.send(
          new ModifyReplicationGroupCommand({ ReplicationGroupId: 'mig', ApplyImmediately: true, ...input }),
        );
        await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'mig' });
        return (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'mig' })))
          .ReplicationGroups![0];
      };
      const read = async (endpoint: Endpoint, tls: boolean) => {
        const redis = redisAt(endpoint, undefined, tls ? ca : undefined);
        redis.on('error', () => {});
        try {
          await redis.connect();
          return await redis.get('kept');
        } catch {
          return 'refused';
        } finally {
          redis.disconnect();
        }
      };

      let now = await modify({ TransitEncryptionEnabled: true, TransitEncryptionMode: 'preferred' });
      t.equal(now.TransitEncryptionEnabled, true);
      t.equal(now.TransitEncryptionMode, 'preferred');
      t.same(now.PendingModifiedValues?.TransitEncryptionMode, undefined, 'nothing pending once available');
      t.equal(await read(primaryEndpoint, true), 'all along', 'preferred: the data over TLS');
      t.equal(await read(primaryEndpoint, false), 'all along', 'preferred: and plain');
      t.equal(await read(replicaEndpoint, true), 'all along', 'on the replica too');

      now = await modify({ TransitEncryptionMode: 'required' });
      t.equal(now.TransitEncryptionMode, 'required');
      t.equal(await read(primaryEndpoint, true), 'all along', 'required: the data over TLS');
      t.equal(await read(primaryEndpoint, false), 'refused', 'required: plain clients refused');
      const tls = redisAt(primaryEndpoint, undefined, ca);
      await tls.connect();
      await tls.set('after', 'required');
      tls.disconnect();
      await eventually(async () => (await redisCli(caPath, replicaEndpoint, ['GET', 'after'])) === 'required');
      t.pass('the replica replicates over TLS');
      if (runtime === 'process') {
        // Out of preferred mode (behind the emulator's listener), the replica takes the reader endpoint itself.
        const reader = shard.ReaderEndpoint!;
        t.match(
          await redisCli(caPath, reader, ['CLIENT', 'INFO']),
          ` laddr=${reader.Address}:${reader.Port} `,
          "required: the reader endpoint is the replica's own TLS socket again",
        );
      }

      await modify({ TransitEncryptionMode: 'preferred' });
      now = await modify({ TransitEncryptionEnabled: false });
      t.equal(now.TransitEncryptionEnabled, false);
      t.equal(now.TransitEncryptionMode, undefined);
      t.equal(await read(primaryEndpoint, false), 'all along', 'back to plain, data kept');
      t.equal(await read(primaryEndpoint, true), 'refused', 'no TLS any more');
      t.equal(await read(shard.ReaderEndpoint!, false), 'all along', 'the reader endpoint too');
    });

    if (runtime !== 'process') return;
    t.test('the CA outlives the emulator: the next start keeps it, and running nodes still verify', async (t) => {
      await emulator.close();
      const next = await start(t, { runtime, dataDir, endpointBase });
      t.equal(readFileSync(next.caCertificatePath, 'utf8'), ca, 'the same CA');
      const shard = required.NodeGroups![0];
      t.equal(await acceptsToken(shard.PrimaryEndpoint!, TOKEN, ca), true, 'an adopted node answers TLS clients');
    });
  });
}

suite(t, 'process');
suite(t, 'docker');

t.test('the API: in-transit encryption rules and the migration path, as AWS documents them', async (t) => {
  const emulator = await start(t, { runtime: 'none', dataDir: tempDir(t), endpointBase: uniqueEndpointBase() });
  const client = sdkClient(emulator);
  const refused = async (what: string, send: () => Promise<unknown>, message: RegExp) => {
    const error = (await send().then(
      () => undefined,
      (e: unknown) => e,
    )) as { Code?: string; name?: string; message?: string } | undefined;
    t.equal(error?.Code ?? error?.name, 'InvalidParameterCombination', `${what}: InvalidParameterCombination`);
    t.match(error?.message, message, what);
  };
  await refused(
    'memcached before 1.6.12',
    () =>
      client.send(
        new CreateCacheClusterCommand({
          CacheClusterId: 'old-mc',
          Engine: 'memcached',
          EngineVersion: '1.6.6',
          CacheNodeType: 'cache.t3.micro',
          NumCacheNodes: 1,
          TransitEncryptionEnabled: true,
        }),
      ),
    /1\.6\.12/,
  );
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'plain',
      ReplicationGroupDescription: 'no TLS yet',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
    }),
  );
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'plain' });
  const modify = (input: Record<string, unknown>) =>
    client.send(new ModifyReplicationGroupCommand({ ReplicationGroupId: 'plain', ApplyImmediately: true, ...input }));
  await refused(
    'enabling without TransitEncryptionMode preferred',
    () => modify({ TransitEncryptionEnabled: true }),
    /preferred/,
  );
  await refused(
    'enabling straight to required',
    () => modify({ TransitEncryptionEnabled: true, TransitEncryptionMode: 'required' }),
    /preferred/,
  );
  const moving = (await modify({ TransitEncryptionEnabled: true, TransitEncryptionMode: 'preferred' }))
    .ReplicationGroup!;
  t.equal(moving.Status, 'modifying');
  t.equal(moving.PendingModifiedValues?.TransitEncryptionEnabled, true, 'the change shows pending');
  t.equal(moving.PendingModifiedValues?.TransitEncryptionMode, 'preferred');
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'plain' });
  const moved = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'plain' })))
    .ReplicationGroups![0];
  t.equal(moved.TransitEncryptionMode, 'preferred');
  const member = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'plain-001' })))
    .CacheClusters![0];
  t.equal(member.TransitEncryptionEnabled, true, 'the members report it');
  t.equal(member.TransitEncryptionMode, 'preferred');
  await modify({ TransitEncryptionMode: 'required' });
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'plain' });
  await refused('disabling from required', () => modify({ TransitEncryptionEnabled: false }), /preferred first/);
});
