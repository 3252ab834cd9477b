/**
 * Serverless caches through the SDK: their API (shapes, usage-limit checks, paging, errors, tags, modify, delete),
 * the backing group no group or cluster API shows, and on real nodes (process and docker runtimes) one TLS endpoint
 * that `redis-cli --tls -c` writes and reads across many keys, a reader endpoint on port 6380 answering reads from
 * the replica, the DataStorage maximum as maxmemory and a user group's ACLs enforced there. Memcached:
 * serverless-memcached.test.ts; snapshots: serverless-snapshots.test.ts; subnets, security groups and restarts:
 * serverless-network.test.ts.
 */
import {
  AddTagsToResourceCommand,
  CreateServerlessCacheCommand,
  CreateUserCommand,
  CreateUserGroupCommand,
  DeleteServerlessCacheCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  ListTagsForResourceCommand,
  ModifyServerlessCacheCommand,
} from '@aws-sdk/client-elasticache';
import t, { type Test } from 'tap';
import { failure, removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { answerAs, connectAs } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { describe, redisCli, untilGone, untilStatus } from '../fixtures/serverless.js';

const APP_PASSWORD = 'app-password-0123456789';

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
    [
      { ServerlessCacheName: 'x', Engine: 'redis', CacheUsageLimits: { DataStorage: { Maximum: 6000, Unit: 'GB' } } },
      'InvalidParameterValueException',
    ],
    [
      { ServerlessCacheName: 'x', Engine: 'redis', CacheUsageLimits: { DataStorage: { Maximum: 5 } } },
      'InvalidParameterValueException',
    ],
    [
      { ServerlessCacheName: 'x', Engine: 'redis', CacheUsageLimits: { ECPUPerSecond: { Maximum: 10 } } },
      'InvalidParameterValueException',
    ],
    [
      {
        ServerlessCacheName: 'x',
        Engine: 'redis',
        CacheUsageLimits: { DataStorage: { Minimum: 9, Maximum: 5, Unit: 'GB' } },
      },
      'InvalidParameterCombinationException',
    ],
    [{ ServerlessCacheName: 'x', Engine: 'redis', UserGroupId: 'missing' }, 'UserGroupNotFoundFault'],
    [{ ServerlessCacheName: 'x--y', Engine: 'redis' }, 'InvalidParameterValueException'],
  ];
  for (const [input, code] of errors) {
    const error = await failure(client.send(new CreateServerlessCacheCommand(input as never)));
    t.equal(error?.name, code, `${JSON.stringify(input)}: ${code}`);
  }

  // A user group of another engine: the error names the cache, not what serves it.
  await client.send(new CreateUserGroupCommand({ UserGroupId: 'valkey-team', Engine: 'valkey', UserIds: ['default'] }));
  const wrongEngine = await failure(
    client.send(
      new CreateServerlessCacheCommand({ ServerlessCacheName: 'x', Engine: 'redis', UserGroupId: 'valkey-team' }),
    ),
  );
  t.equal(wrongEngine?.name, 'InvalidParameterCombinationException', 'a valkey user group on a redis cache');
  t.match(wrongEngine?.message, /serverless cache x runs redis/);
  t.notMatch(wrongEngine?.message, /replication group|serverless--/, 'naming no hidden resource');

  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'second', Engine: 'redis' }));
  const page = await client.send(new DescribeServerlessCachesCommand({ MaxResults: 1 }));
  t.equal(page.ServerlessCaches?.length, 1);
  t.ok(page.NextToken, 'a NextToken for the rest');
  const rest = await client.send(new DescribeServerlessCachesCommand({ MaxResults: 1, NextToken: page.NextToken }));
  t.same(
    rest.ServerlessCaches?.map((c) => c.ServerlessCacheName),
    ['second'],
  );
  t.equal(rest.ServerlessCaches?.[0].MajorEngineVersion, '7');
  t.equal(
    (await failure(client.send(new DescribeServerlessCachesCommand({ MaxResults: 51 }))))?.name,
    'InvalidParameterValueException',
  );
  t.equal(
    (await failure(describe(client, 'missing')))?.name,
    'ServerlessCacheNotFoundFault',
    'an unknown name: ServerlessCacheNotFoundFault',
  );

  await client.send(new AddTagsToResourceCommand({ ResourceName: created.ARN, Tags: [{ Key: 'tier', Value: '1' }] }));
  const tags = await client.send(new ListTagsForResourceCommand({ ResourceName: created.ARN }));
  t.same(tags.TagList, [
    { Key: 'team', Value: 'web' },
    { Key: 'tier', Value: '1' },
  ]);

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
    (await failure(client.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'second', Engine: 'valkey' }))))
      ?.name,
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

function realSuite(t: Test, runtime: 'process' | 'docker', rbac: boolean): void {
  t.test(
    `${runtime}: one TLS endpoint and a reader endpoint on real nodes${rbac ? ', user-group ACLs' : ''}`,
    async (t) => {
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
        t.match(
          await answerAs(cache.Endpoint!, undefined, undefined, ['GET', 'app:1']),
          /NOAUTH|NOPERM/,
          'default is off',
        );
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
      const slots = JSON.stringify(
        await connectAs(cache.Endpoint!).then(async (r) => {
          try {
            return await r.call('CLUSTER', 'SLOTS');
          } finally {
            r.disconnect();
          }
        }),
      );
      t.match(slots, /^\[\[0,16383,/, 'one shard covers all 16384 slots');
      const keys = Array.from({ length: 300 }, (_, i) => `key:${i}`);
      const sets = keys.map((k) => `SET ${k} value-${k}`).join('\n') + '\n';
      const setAnswers = await redisCli(caPath, cache.Endpoint!, ['-c'], sets);
      t.equal(setAnswers.split('\n').filter((l) => l === 'OK').length, keys.length, 'every SET answered OK');
      const gets = keys.map((k) => `GET ${k}`).join('\n') + '\n';
      const values = (await redisCli(caPath, cache.Endpoint!, ['-c'], gets)).split('\n');
      t.same(
        values,
        keys.map((k) => `value-${k}`),
        'every GET reads its value back',
      );
      t.equal(
        await redisCli(caPath, cache.Endpoint!, ['GET', 'key:7']),
        'value-key:7',
        'a plain (non-cluster) client too',
      );

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
    },
  );
}

realSuite(t, 'process', false);
realSuite(t, 'process', true);
realSuite(t, 'docker', false);
