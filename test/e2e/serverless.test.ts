/**
 * Serverless caches through the SDK: their API (shapes, usage-limit checks, paging, errors, tags, modify, delete),
 * the backing group no group or cluster API shows, and on real nodes (process and docker runtimes) one TLS endpoint
 * that `redis-cli --tls -c` writes and reads across many keys, a reader endpoint on port 6380 answering reads from
 * the replica, the DataStorage maximum as maxmemory, a user group's ACLs enforced there, and serverless snapshots
 * holding real data (a restore of 10,000 keys, copy, export, delete, a final snapshot, automatic snapshots).
 */
import {
  AddTagsToResourceCommand,
  CopyServerlessCacheSnapshotCommand,
  CreateServerlessCacheCommand,
  CreateServerlessCacheSnapshotCommand,
  CreateUserCommand,
  CreateUserGroupCommand,
  DeleteServerlessCacheCommand,
  DeleteServerlessCacheSnapshotCommand,
  DescribeCacheClustersCommand,
  DescribeCacheSubnetGroupsCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeServerlessCachesCommand,
  DescribeSnapshotsCommand,
  ExportServerlessCacheSnapshotCommand,
  ListTagsForResourceCommand,
  ModifyServerlessCacheCommand,
  type ElastiCacheClient,
  type ServerlessCache,
  type ServerlessCacheSnapshot,
} from '@aws-sdk/client-elasticache';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { failure, removeAllNodes, sdkClient, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import { answerAs, connectAs } from '../fixtures/rbac-client.js';
import { acceptsToken, eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { setUp } from '../fixtures/security-groups.js';
import { AuthorizeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';

const run = promisify(execFile);
const APP_PASSWORD = 'app-password-0123456789';

async function describe(client: ElastiCacheClient, name: string): Promise<ServerlessCache> {
  return (await client.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: name }))).ServerlessCaches![0];
}

async function untilStatus(client: ElastiCacheClient, name: string, status: string): Promise<ServerlessCache> {
  return eventually(
    async () => {
      const cache = await describe(client, name);
      return cache.Status === status && cache;
    },
    90_000,
    `${name} ${status}`,
  );
}

async function describeSnapshot(client: ElastiCacheClient, name: string): Promise<ServerlessCacheSnapshot> {
  const found = await client.send(new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheSnapshotName: name }));
  return found.ServerlessCacheSnapshots![0];
}

async function untilSnapshot(client: ElastiCacheClient, name: string, status: string): Promise<ServerlessCacheSnapshot> {
  return eventually(
    async () => {
      const snapshot = await describeSnapshot(client, name);
      return snapshot.Status === status && snapshot;
    },
    60_000,
    `${name} ${status}`,
  );
}

async function untilGone(client: ElastiCacheClient, name: string): Promise<void> {
  await eventually(
    async () => (await failure(describe(client, name)))?.name === 'ServerlessCacheNotFoundFault',
    90_000,
    `${name} gone`,
  );
}

t.test('the serverless API: shapes, checks, paging, tags, modify, delete', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);

  const created = (
    await client.send(
      new CreateServerlessCacheCommand({
        ServerlessCacheName: 'Sessions',
        Engine: 'valkey',
        Description: 'sessions',
        CacheUsageLimits: { DataStorage: { Maximum: 10, Unit: 'GB' }, ECPUPerSecond: { Maximum: 5000 } },
        Tags: [{ Key: 'team', Value: 'web' }],
      }),
    )
  ).ServerlessCache!;
  t.match(created, {
    ServerlessCacheName: 'sessions',
    Status: 'creating',
    Engine: 'valkey',
    MajorEngineVersion: '8',
    FullEngineVersion: /^8\./,
    ARN: 'arn:aws:elasticache:us-east-1:000000000000:serverlesscache:sessions',
    CacheUsageLimits: { DataStorage: { Maximum: 10, Unit: 'GB' }, ECPUPerSecond: { Maximum: 5000 } },
    SnapshotRetentionLimit: 0,
    DailySnapshotTime: /^\d\d:\d\d$/,
  });
  t.equal(created.CacheUsageLimits?.DataStorage?.Minimum, undefined, 'limits not given are not shown');
  t.equal(created.KmsKeyId, undefined);
  t.ok(created.SubnetIds?.length, 'the default subnets');
  t.ok(created.SecurityGroupIds?.length, 'the default VPC security group');

  const available = await untilStatus(client, 'sessions', 'available');
  t.match(available.Endpoint, { Port: 6379 }, 'runtime none: the endpoint is still shown');
  t.same(available.ReaderEndpoint, { Address: available.Endpoint!.Address, Port: 6380 }, 'reader: same address, 6380');

  const groups = await client.send(new DescribeReplicationGroupsCommand({}));
  t.same(groups.ReplicationGroups, [], 'the backing group is not a replication group the API shows');
  const clusters = await client.send(new DescribeCacheClustersCommand({}));
  t.same(clusters.CacheClusters, [], 'nor are its nodes cache clusters');

  const errors: [Record<string, unknown>, string][] = [
    [{ ServerlessCacheName: 'sessions', Engine: 'valkey' }, 'ServerlessCacheAlreadyExistsFault'],
    [{ ServerlessCacheName: 'x', Engine: 'valkey', MajorEngineVersion: '6' }, 'InvalidParameterValueException'],
    [{ ServerlessCacheName: 'x', Engine: 'nope' }, 'InvalidParameterValueException'],
    [{ ServerlessCacheName: 'x', Engine: 'redis', CacheUsageLimits: { DataStorage: { Maximum: 6000, Unit: 'GB' } } }, 'InvalidParameterValueException'],
    [{ ServerlessCacheName: 'x', Engine: 'redis', CacheUsageLimits: { DataStorage: { Maximum: 5 } } }, 'InvalidParameterValueException'],
    [{ ServerlessCacheName: 'x', Engine: 'redis', CacheUsageLimits: { ECPUPerSecond: { Maximum: 10 } } }, 'InvalidParameterValueException'],
    [{ ServerlessCacheName: 'x', Engine: 'redis', CacheUsageLimits: { DataStorage: { Minimum: 9, Maximum: 5, Unit: 'GB' } } }, 'InvalidParameterCombinationException'],
    [{ ServerlessCacheName: 'x', Engine: 'redis', UserGroupId: 'missing' }, 'UserGroupNotFoundFault'],
    [{ ServerlessCacheName: 'x--y', Engine: 'redis' }, 'InvalidParameterValueException'],
  ];
  for (const [input, code] of errors) {
    const error = await failure(client.send(new CreateServerlessCacheCommand(input as never)));
    t.equal(error?.name, code, `${JSON.stringify(input)}: ${code}`);
  }

  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'second', Engine: 'redis' }));
  const page = await client.send(new DescribeServerlessCachesCommand({ MaxResults: 1 }));
  t.equal(page.ServerlessCaches?.length, 1);
  t.ok(page.NextToken, 'a NextToken for the rest');
  const rest = await client.send(new DescribeServerlessCachesCommand({ MaxResults: 1, NextToken: page.NextToken }));
  t.same(rest.ServerlessCaches?.map((c) => c.ServerlessCacheName), ['second']);
  t.equal(rest.ServerlessCaches?.[0].MajorEngineVersion, '7');
  t.equal((await failure(client.send(new DescribeServerlessCachesCommand({ MaxResults: 51 }))))?.name, 'InvalidParameterValueException');
  t.equal(
    (await failure(describe(client, 'missing')))?.name,
    'ServerlessCacheNotFoundFault',
    'an unknown name: ServerlessCacheNotFoundFault',
  );

  await client.send(new AddTagsToResourceCommand({ ResourceName: created.ARN, Tags: [{ Key: 'tier', Value: '1' }] }));
  const tags = await client.send(new ListTagsForResourceCommand({ ResourceName: created.ARN }));
  t.same(tags.TagList, [{ Key: 'team', Value: 'web' }, { Key: 'tier', Value: '1' }]);

  // Terraform sends the whole plan: unchanged values change nothing.
  const modified = (
    await client.send(
      new ModifyServerlessCacheCommand({
        ServerlessCacheName: 'sessions',
        Description: 'user sessions',
        CacheUsageLimits: { DataStorage: { Maximum: 20, Unit: 'GB' }, ECPUPerSecond: { Maximum: 0 } },
        SnapshotRetentionLimit: 3,
        DailySnapshotTime: '05:30',
        SecurityGroupIds: available.SecurityGroupIds,
        Engine: 'valkey',
        MajorEngineVersion: '8',
      }),
    )
  ).ServerlessCache!;
  t.match(modified, {
    Description: 'user sessions',
    CacheUsageLimits: { DataStorage: { Maximum: 20, Unit: 'GB' } },
    SnapshotRetentionLimit: 3,
    DailySnapshotTime: '05:30',
    Status: 'available',
  });
  t.equal(modified.CacheUsageLimits?.ECPUPerSecond, undefined, 'a zero removes a limit');
  t.equal(
    (
      await failure(
        client.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'second', Engine: 'valkey' })),
      )
    )?.name,
    'InvalidParameterCombinationException',
    'an engine change without MajorEngineVersion',
  );
  t.equal(
    (await failure(client.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'missing' }))))?.name,
    'ServerlessCacheNotFoundFault',
  );

  const deleting = (await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'sessions' })))
    .ServerlessCache!;
  t.equal(deleting.Status, 'deleting');
  await untilGone(client, 'sessions');
  t.equal(
    (await failure(client.send(new ListTagsForResourceCommand({ ResourceName: created.ARN }))))?.name,
    'ServerlessCacheNotFoundFault',
    'its tags go with it',
  );
  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'second' }));
  await untilGone(client, 'second');
});

/** redis-cli over TLS, verifying the emulator's CA. */
async function redisCli(caPath: string, endpoint: { Address?: string; Port?: number }, args: string[], input?: string) {
  const child = run('redis-cli', ['--tls', '--cacert', caPath, '-h', endpoint.Address!, '-p', String(endpoint.Port), ...args], {
    timeout: 30_000,
    maxBuffer: 16 * 2 ** 20,
  });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return (await child).stdout.trim();
}

function realSuite(t: Test, runtime: 'process' | 'docker', rbac: boolean): void {
  t.test(`${runtime}: one TLS endpoint and a reader endpoint on real nodes${rbac ? ', user-group ACLs' : ''}`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const emulator = await startTestEmulator(t, { runtime });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    const caPath = emulator.caCertificatePath;

    if (rbac) {
      await client.send(
        new CreateUserCommand({
          UserId: 'app',
          UserName: 'app',
          Engine: 'redis',
          AccessString: 'on ~app:* +@read +@write +readonly',
          Passwords: [APP_PASSWORD],
        }),
      );
      await client.send(
        new CreateUserCommand({
          UserId: 'off-default',
          UserName: 'default',
          Engine: 'redis',
          AccessString: 'off ~* +@all',
          NoPasswordRequired: true,
        }),
      );
      await client.send(
        new CreateUserGroupCommand({ UserGroupId: 'team', Engine: 'redis', UserIds: ['off-default', 'app'] }),
      );
    }
    await client.send(
      new CreateServerlessCacheCommand({
        ServerlessCacheName: 'cache',
        Engine: 'redis',
        UserGroupId: rbac ? 'team' : undefined,
        CacheUsageLimits: { DataStorage: { Maximum: 1, Unit: 'GB' } },
      }),
    );
    const cache = await untilStatus(client, 'cache', 'available');
    t.equal(cache.Endpoint?.Port, 6379);
    t.same(cache.ReaderEndpoint, { Address: cache.Endpoint?.Address, Port: 6380 });

    if (rbac) {
      t.match(await answerAs(cache.Endpoint!, undefined, undefined, ['GET', 'app:1']), /NOAUTH|NOPERM/, 'default is off');
      t.equal(await answerAs(cache.Endpoint!, 'app', APP_PASSWORD, ['SET', 'app:1', 'v']), 'OK', 'app writes app:*');
      t.match(await answerAs(cache.Endpoint!, 'app', APP_PASSWORD, ['SET', 'other:1', 'v']), /NOPERM/, 'not other:*');
      const reader = await connectAs(cache.ReaderEndpoint!, 'app', APP_PASSWORD);
      t.teardown(() => reader.disconnect());
      await reader.call('READONLY');
      t.equal(
        await eventually(async () => reader.get('app:1'), 10_000, 'app:1 on the replica'),
        'v',
        'the reader endpoint serves reads',
      );
      return;
    }

    // The DataStorage maximum is the nodes' maxmemory (with volatile-lru: keys with a TTL go first, then OOM).
    const maxmemory = async () =>
      /maxmemory:(\d+)/.exec(await redisCli(caPath, cache.Endpoint!, ['INFO', 'memory']))?.[1];
    t.equal(await maxmemory(), String(2 ** 30), 'maxmemory: 1 GB');
    t.match(await redisCli(caPath, cache.Endpoint!, ['INFO', 'memory']), /maxmemory_policy:volatile-lru/);
    await client.send(
      new ModifyServerlessCacheCommand({
        ServerlessCacheName: 'cache',
        CacheUsageLimits: { DataStorage: { Maximum: 2, Unit: 'GB' } },
      }),
    );
    await eventually(async () => (await maxmemory()) === String(2 * 2 ** 30), 20_000, 'maxmemory 2 GB');
    await untilStatus(client, 'cache', 'available');

    // A cluster client at the one endpoint: one shard owns every slot, so no key is redirected elsewhere.
    const slots = JSON.stringify(await connectAs(cache.Endpoint!).then(async (r) => {
      try {
        return await r.call('CLUSTER', 'SLOTS');
      } finally {
        r.disconnect();
      }
    }));
    t.match(slots, /^\[\[0,16383,/, 'one shard covers all 16384 slots');
    const keys = Array.from({ length: 300 }, (_, i) => `key:${i}`);
    const sets = keys.map((k) => `SET ${k} value-${k}`).join('\n') + '\n';
    const setAnswers = await redisCli(caPath, cache.Endpoint!, ['-c'], sets);
    t.equal(setAnswers.split('\n').filter((l) => l === 'OK').length, keys.length, 'every SET answered OK');
    const gets = keys.map((k) => `GET ${k}`).join('\n') + '\n';
    const values = (await redisCli(caPath, cache.Endpoint!, ['-c'], gets)).split('\n');
    t.same(values, keys.map((k) => `value-${k}`), 'every GET reads its value back');
    t.equal(await redisCli(caPath, cache.Endpoint!, ['GET', 'key:7']), 'value-key:7', 'a plain (non-cluster) client too');

    const fromReader = await eventually(
      async () => {
        const answer = await redisCli(caPath, cache.ReaderEndpoint!, [], 'READONLY\nGET key:299\nROLE\n');
        return answer.includes('value-key:299') && answer;
      },
      10_000,
      'key:299 at the reader endpoint',
    );
    t.match(fromReader, /slave|replica/, 'the reader endpoint reaches the replica');

    await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'cache' }));
    await untilGone(client, 'cache');
    t.same(await emulator.runtime.listNodes(), [], 'no node is left');
  });
}

t.test('process: serverless snapshots hold real data: create, restore 10,000 keys, copy, export, delete, final, automatic', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const dataDir = tempDir(t);
  const emulator = await startTestEmulator(t, { runtime: 'process', dataDir, snapshotWindowNow: true });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);

  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'src', Engine: 'valkey' }));
  const source = await untilStatus(client, 'src', 'available');
  const writer = await connectAs(source.Endpoint!);
  t.teardown(() => writer.disconnect());
  const pipeline = writer.pipeline();
  for (let i = 0; i < 10_000; i++) pipeline.set(`key:${i}`, `value-${i}`);
  await pipeline.exec();
  t.equal(await writer.dbsize(), 10_000);

  const created = (
    await client.send(
      new CreateServerlessCacheSnapshotCommand({
        ServerlessCacheSnapshotName: 'snap1',
        ServerlessCacheName: 'src',
        Tags: [{ Key: 'k', Value: 'v' }],
      }),
    )
  ).ServerlessCacheSnapshot!;
  t.match(created, {
    ServerlessCacheSnapshotName: 'snap1',
    ARN: 'arn:aws:elasticache:us-east-1:000000000000:serverlesscachesnapshot:snap1',
    SnapshotType: 'manual',
    Status: 'creating',
    ServerlessCacheConfiguration: { ServerlessCacheName: 'src', Engine: 'valkey', MajorEngineVersion: '8' },
  });
  const snapshot = await untilSnapshot(client, 'snap1', 'available');
  t.ok(Number(snapshot.BytesUsedForCache) > 0, 'its size');
  const tags = await client.send(new ListTagsForResourceCommand({ ResourceName: created.ARN }));
  t.same(tags.TagList, [{ Key: 'k', Value: 'v' }]);
  t.same((await client.send(new DescribeSnapshotsCommand({}))).Snapshots, [], 'no node-based snapshot is shown');
  t.equal(
    (
      await failure(
        client.send(
          new CreateServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'snap1', ServerlessCacheName: 'src' }),
        ),
      )
    )?.name,
    'ServerlessCacheSnapshotAlreadyExistsFault',
  );

  await client.send(
    new CreateServerlessCacheCommand({
      ServerlessCacheName: 'restored',
      Engine: 'valkey',
      SnapshotArnsToRestore: [created.ARN!],
    }),
  );
  const restored = await untilStatus(client, 'restored', 'available');
  const reader = await connectAs(restored.Endpoint!);
  t.teardown(() => reader.disconnect());
  t.equal(await reader.dbsize(), 10_000, 'the restored cache holds the 10,000 keys');
  // One shard in cluster mode, as on AWS: a multi-key command still needs its keys in one slot.
  t.same(
    await Promise.all(['key:0', 'key:4242', 'key:9999'].map((k) => reader.get(k))),
    ['value-0', 'value-4242', 'value-9999'],
  );

  await client.send(
    new CopyServerlessCacheSnapshotCommand({
      SourceServerlessCacheSnapshotName: 'snap1',
      TargetServerlessCacheSnapshotName: 'snap2',
    }),
  );
  await untilSnapshot(client, 'snap2', 'available');
  await client.send(new ExportServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'snap2', S3BucketName: 'my-bucket' }));
  const exported = join(dataDir, 'exports', 'my-bucket', 'snap2-0001.rdb');
  await eventually(async () => existsSync(exported), 20_000, 'the exported RDB');
  t.match(readFileSync(exported).subarray(0, 5).toString(), 'REDIS', 'a plain RDB file');
  await client.send(new DeleteServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'snap2' }));
  await eventually(
    async () => (await failure(describeSnapshot(client, 'snap2')))?.name === 'ServerlessCacheSnapshotNotFoundFault',
    20_000,
    'snap2 gone',
  );

  // Automatic snapshots: every window is open now (snapshotWindowNow).
  await client.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'src', SnapshotRetentionLimit: 1 }));
  const automated = await eventually(
    async () => {
      const found = await client.send(
        new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheName: 'src', SnapshotType: 'automated' }),
      );
      return found.ServerlessCacheSnapshots?.find((s) => s.Status === 'available');
    },
    30_000,
    'an automatic snapshot',
  );
  t.match(automated, { ServerlessCacheSnapshotName: /^automatic\.src-/, SnapshotType: 'automated', ExpiryTime: Date });
  await untilStatus(client, 'src', 'available');

  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'src', FinalSnapshotName: 'final' }));
  await untilGone(client, 'src');
  const final = await untilSnapshot(client, 'final', 'available');
  t.equal(final.ServerlessCacheConfiguration?.ServerlessCacheName, 'src', 'the final snapshot outlives its cache');
  const all = await client.send(new DescribeServerlessCacheSnapshotsCommand({ MaxResults: 2 }));
  t.equal(all.ServerlessCacheSnapshots?.length, 2);
  t.ok(all.NextToken);

  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'restored' }));
  await untilGone(client, 'restored');
});

/** One memcached text-protocol exchange over TLS, verifying the emulator's CA and the endpoint's address. */
function memcachedTls(ca: string, endpoint: { Address?: string; Port?: number }, request: string, until: RegExp) {
  return new Promise<string>((resolve, reject) => {
    const socket = connectTls({ host: endpoint.Address, port: endpoint.Port!, ca });
    let answer = '';
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no answer over TLS: ${JSON.stringify(answer)}`));
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

t.test('process: a memcached serverless cache answers memcached clients over TLS', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  const created = (
    await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'mc', Engine: 'memcached' }))
  ).ServerlessCache!;
  t.match(created, { Engine: 'memcached', MajorEngineVersion: '1.6', FullEngineVersion: /^1\.6\./ });
  const cache = await untilStatus(client, 'mc', 'available');
  t.equal(cache.Endpoint?.Port, 11211);
  t.same((await client.send(new DescribeCacheClustersCommand({}))).CacheClusters, [], 'its cluster is not shown');
  const ca = readFileSync(emulator.caCertificatePath, 'utf8');
  t.match(await memcachedTls(ca, cache.Endpoint!, 'set greeting 0 0 5\r\nhello\r\n', /\r\n$/), /^STORED/);
  t.match(await memcachedTls(ca, cache.Endpoint!, 'get greeting\r\n', /END\r\n$/), /VALUE greeting 0 5\r\nhello/);
  t.equal(
    (
      await failure(
        client.send(
          new CreateServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'mc-snap', ServerlessCacheName: 'mc' }),
        ),
      )
    )?.name,
    'InvalidParameterCombinationException',
    'no snapshots of memcached serverless caches here yet',
  );
  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'mc' }));
  await untilGone(client, 'mc');
  t.same(await emulator.runtime.listNodes(), [], 'no node is left');
});

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
  t.same(groups.map((g) => g.CacheSubnetGroupName), ['default', 'private'], 'its subnets make no subnet group shown');
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
          new CreateServerlessCacheCommand({ ServerlessCacheName: 'stray', Engine: 'valkey', SubnetIds: ['subnet-nope'] }),
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

realSuite(t, 'process', false);
realSuite(t, 'process', true);
realSuite(t, 'docker', false);
