/**
 * Cache parameter groups through the real AWS SDK v3 client against a real emulator: the default groups of every
 * family, customer groups and their life cycle, the parameter tables, and what a change does to clusters using it.
 */
import {
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  DeleteCacheClusterCommand,
  DeleteCacheParameterGroupCommand,
  DescribeCacheClustersCommand,
  DescribeCacheParameterGroupsCommand,
  DescribeCacheParametersCommand,
  DescribeEngineDefaultParametersCommand,
  ModifyCacheParameterGroupCommand,
  RebootCacheClusterCommand,
  ResetCacheParameterGroupCommand,
  paginateDescribeCacheParameters,
  paginateDescribeEngineDefaultParameters,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
  type CacheCluster,
  type Parameter,
} from '@aws-sdk/client-elasticache';
import t from 'tap';
import { failure, sdkClient, startTestEmulator, waiter, type Client } from '../fixtures/emulator.js';

async function allParameters(client: Client, name: string, source?: string): Promise<Parameter[]> {
  const all: Parameter[] = [];
  for await (const page of paginateDescribeCacheParameters(
    { client, pageSize: 20 },
    { CacheParameterGroupName: name, Source: source },
  )) {
    all.push(...(page.Parameters ?? []));
  }
  return all;
}

async function cluster(client: Client, id: string): Promise<CacheCluster> {
  const out = await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id, ShowCacheNodeInfo: true }));
  return out.CacheClusters![0];
}

t.test('the default groups exist in every region, with AWS descriptions, and cannot be changed', async (t) => {
  const emulator = await startTestEmulator(t);
  for (const region of ['us-east-1', 'eu-central-1']) {
    const client = sdkClient(emulator, { region });
    const expected: [string, string, string][] = [
      ['default.redis7', 'redis7', 'Default parameter group for redis7'],
      ['default.redis7.cluster.on', 'redis7', 'Customized default parameter group for redis7 with cluster mode on'],
      ['default.redis6.x', 'redis6.x', 'Default parameter group for redis6.x'],
      [
        'default.redis6.x.cluster.on',
        'redis6.x',
        'Customized default parameter group for redis6.x with cluster mode on',
      ],
      ['default.redis5.0', 'redis5.0', 'Default parameter group for redis5.0'],
      ['default.redis2.8', 'redis2.8', 'Default parameter group for redis2.8'],
      ['default.valkey8', 'valkey8', 'Default parameter group for valkey8'],
      ['default.valkey8.cluster.on', 'valkey8', 'Customized default parameter group for valkey8 with cluster mode on'],
      ['default.valkey7', 'valkey7', 'Default parameter group for valkey7'],
      ['default.memcached1.6', 'memcached1.6', 'Default parameter group for memcached1.6'],
      ['default.memcached1.4', 'memcached1.4', 'Default parameter group for memcached1.4'],
    ];
    for (const [name, family, description] of expected) {
      const out = await client.send(new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: name }));
      t.equal(out.CacheParameterGroups?.length, 1, `${region} ${name}: one group`);
      const group = out.CacheParameterGroups![0];
      t.equal(group.CacheParameterGroupFamily, family, `${region} ${name}: family`);
      t.equal(group.Description, description, `${region} ${name}: description`);
      t.equal(group.IsGlobal, false, `${region} ${name}: not global`);
      t.equal(group.ARN, `arn:aws:elasticache:${region}:000000000000:parametergroup:${name}`, `${region} ${name}: ARN`);
    }
    const byUpperCase = await client.send(
      new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'DEFAULT.REDIS7' }),
    );
    t.equal(
      byUpperCase.CacheParameterGroups?.[0].CacheParameterGroupName,
      'default.redis7',
      'names match without regard to case',
    );
    const none = await failure(
      client.send(
        new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'default.memcached1.6.cluster.on' }),
      ),
    );
    t.equal(none?.Code, 'CacheParameterGroupNotFound', 'memcached has no cluster-mode group');
  }
  const client = sdkClient(emulator);
  const clusterOn = await client.send(
    new DescribeCacheParametersCommand({ CacheParameterGroupName: 'default.redis7.cluster.on', MaxRecords: 100 }),
  );
  t.equal(
    clusterOn.Parameters?.find((p) => p.ParameterName === 'cluster-enabled')?.ParameterValue,
    'yes',
    'the .cluster.on group has cluster-enabled=yes',
  );
  const clusterOff = await client.send(
    new DescribeCacheParametersCommand({ CacheParameterGroupName: 'default.redis7', MaxRecords: 100 }),
  );
  t.equal(clusterOff.Parameters?.find((p) => p.ParameterName === 'cluster-enabled')?.ParameterValue, 'no');

  const modify = await failure(
    client.send(
      new ModifyCacheParameterGroupCommand({
        CacheParameterGroupName: 'default.redis7',
        ParameterNameValues: [{ ParameterName: 'timeout', ParameterValue: '30' }],
      }),
    ),
  );
  t.ok(
    ['InvalidParameterValue', 'InvalidCacheParameterGroupState'].includes(modify?.Code),
    `a default group cannot be modified (${modify?.Code})`,
  );
  t.equal(modify?.$metadata.httpStatusCode, 400);
  const reset = await failure(
    client.send(
      new ResetCacheParameterGroupCommand({ CacheParameterGroupName: 'default.redis7', ResetAllParameters: true }),
    ),
  );
  t.ok(
    ['InvalidParameterValue', 'InvalidCacheParameterGroupState'].includes(reset?.Code),
    `a default group cannot be reset (${reset?.Code})`,
  );
  const del = await failure(
    client.send(new DeleteCacheParameterGroupCommand({ CacheParameterGroupName: 'default.redis7' })),
  );
  t.equal(del?.Code, 'InvalidCacheParameterGroupState', 'a default group cannot be deleted');
  t.equal(del?.name, 'InvalidCacheParameterGroupStateFault');
});

t.test('create: name rules, lowercase, known families, no duplicates', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const created = await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'My-Params',
      CacheParameterGroupFamily: 'redis7',
      Description: 'mine',
    }),
  );
  t.same(created.CacheParameterGroup, {
    CacheParameterGroupName: 'my-params',
    CacheParameterGroupFamily: 'redis7',
    Description: 'mine',
    IsGlobal: false,
    ARN: 'arn:aws:elasticache:us-east-1:000000000000:parametergroup:my-params',
  });
  const duplicate = await failure(
    client.send(
      new CreateCacheParameterGroupCommand({
        CacheParameterGroupName: 'MY-PARAMS',
        CacheParameterGroupFamily: 'redis7',
        Description: 'again',
      }),
    ),
  );
  t.equal(duplicate?.Code, 'CacheParameterGroupAlreadyExists', 'a duplicate, whatever its case');
  t.equal(duplicate?.name, 'CacheParameterGroupAlreadyExistsFault');
  t.equal(duplicate?.$metadata.httpStatusCode, 400);

  const base = { CacheParameterGroupName: 'ok', CacheParameterGroupFamily: 'redis7', Description: 'd' };
  const cases: [string, object, string, RegExp][] = [
    ['a digit first', { CacheParameterGroupName: '1abc' }, 'InvalidParameterValue', /CacheParameterGroupName/],
    ['a double hyphen', { CacheParameterGroupName: 'a--b' }, 'InvalidParameterValue', /CacheParameterGroupName/],
    ['a trailing hyphen', { CacheParameterGroupName: 'abc-' }, 'InvalidParameterValue', /CacheParameterGroupName/],
    ['an underscore', { CacheParameterGroupName: 'a_b' }, 'InvalidParameterValue', /CacheParameterGroupName/],
    [
      '256 characters',
      { CacheParameterGroupName: 'a'.repeat(256) },
      'InvalidParameterValue',
      /CacheParameterGroupName/,
    ],
    ['an unknown family', { CacheParameterGroupFamily: 'redis9' }, 'InvalidParameterValue', /redis9/],
    ['a blank description', { Description: '' }, 'InvalidParameterValue', /Description/],
  ];
  for (const [what, change, code, message] of cases) {
    const error = await failure(client.send(new CreateCacheParameterGroupCommand({ ...base, ...change } as any)));
    t.equal(error?.Code, code, `${what}: ${code}`);
    t.match(error?.message, message, `${what}: message`);
  }
  const longest = await client.send(
    new CreateCacheParameterGroupCommand({ ...base, CacheParameterGroupName: 'a'.repeat(255) }),
  );
  t.equal(longest.CacheParameterGroup?.CacheParameterGroupName?.length, 255, '255 characters are fine');
  const listed = await client.send(new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'my-params' }));
  t.equal(listed.CacheParameterGroups?.[0].Description, 'mine');
  const other = await client
    .send(new DescribeCacheParametersCommand({ CacheParameterGroupName: 'my-params' }))
    .then(() =>
      sdkClient(emulator, { region: 'eu-west-1' }).send(
        new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'my-params' }),
      ),
    )
    .catch((e) => e);
  t.equal(other?.Code, 'CacheParameterGroupNotFound', 'a group lives in one region');
  t.equal(other?.$metadata.httpStatusCode, 404);
  t.equal(other?.message, 'CacheParameterGroup not found: my-params');
});

t.test('describe: one, all, and pages of 20 with a marker', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  for (let i = 0; i < 15; i++) {
    await client.send(
      new CreateCacheParameterGroupCommand({
        CacheParameterGroupName: `pg-${String(i).padStart(2, '0')}`,
        CacheParameterGroupFamily: 'valkey8',
        Description: `group ${i}`,
      }),
    );
  }
  const all = await client.send(new DescribeCacheParameterGroupsCommand({}));
  const names = all.CacheParameterGroups!.map((g) => g.CacheParameterGroupName!);
  t.ok(names.length >= 15 + 19, `defaults and mine (${names.length})`);
  t.equal(all.Marker, undefined, 'one page at the default 100');
  for (const name of ['default.redis7', 'default.valkey8.cluster.on', 'default.memcached1.6', 'pg-00', 'pg-14']) {
    t.ok(names.includes(name), `listed: ${name}`);
  }

  const paged: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(new DescribeCacheParameterGroupsCommand({ MaxRecords: 20, Marker: marker }));
    t.ok(page.CacheParameterGroups!.length <= 20, 'at most 20 per page');
    paged.push(...page.CacheParameterGroups!.map((g) => g.CacheParameterGroupName!));
    marker = page.Marker;
    pages++;
  } while (marker);
  t.equal(pages, Math.ceil(names.length / 20));
  t.same(paged, names, 'the pages add up to the whole list, in the same order');
  const tooFew = await failure(client.send(new DescribeCacheParameterGroupsCommand({ MaxRecords: 19 })));
  t.equal(tooFew?.Code, 'InvalidParameterValue', 'MaxRecords below 20');
  const missing = await failure(
    client.send(new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'nope' })),
  );
  t.equal(missing?.name, 'CacheParameterGroupNotFoundFault');
  t.equal(missing?.$metadata.httpStatusCode, 404);
});

t.test('parameters: the full table, the user-set ones, paged through the SDK paginator', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'p7',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );

  const defaults = await client.send(
    new DescribeEngineDefaultParametersCommand({ CacheParameterGroupFamily: 'redis7', MaxRecords: 100 }),
  );
  const table = defaults.EngineDefaults!.Parameters!;
  const parameters = await allParameters(client, 'p7');
  t.equal(
    parameters.length,
    table.length,
    `a new group is a copy of the family's defaults (${table.length} parameters)`,
  );
  t.same(
    parameters.map((p) => p.ParameterName),
    table.map((p) => p.ParameterName),
    'same parameters, same order',
  );
  t.ok(
    parameters.every((p) => p.Source === 'system'),
    'all from the system',
  );
  const policy = parameters.find((p) => p.ParameterName === 'maxmemory-policy')!;
  t.match(policy, {
    ParameterValue: 'volatile-lru',
    DataType: 'string',
    IsModifiable: true,
    ChangeType: 'immediate',
    MinimumEngineVersion: '7.0.0',
  });
  t.match(policy.AllowedValues, /allkeys-lfu/);
  const first = await client.send(new DescribeCacheParametersCommand({ CacheParameterGroupName: 'p7' }));
  const maxmemory = first.CacheNodeTypeSpecificParameters?.find((p) => p.ParameterName === 'maxmemory');
  t.ok(maxmemory, 'node-type-specific parameters are listed');
  t.equal(
    maxmemory?.CacheNodeTypeSpecificValues?.find((v) => v.CacheNodeType === 'cache.r6g.large')?.Value,
    '14037181030',
  );
  t.equal(
    (await client.send(new DescribeCacheParametersCommand({ CacheParameterGroupName: 'p7', Source: 'user' })))
      .Parameters?.length,
    0,
    'nothing set yet',
  );

  const modified = await client.send(
    new ModifyCacheParameterGroupCommand({
      CacheParameterGroupName: 'P7',
      ParameterNameValues: [
        { ParameterName: 'maxmemory-policy', ParameterValue: 'allkeys-lru' },
        { ParameterName: 'timeout', ParameterValue: '300' },
        { ParameterName: 'notify-keyspace-events', ParameterValue: 'Ex' },
      ],
    }),
  );
  t.same(modified.CacheParameterGroupName, 'p7', 'Modify answers with the name only');
  const user = await allParameters(client, 'p7', 'user');
  t.same(
    user.map((p) => [p.ParameterName, p.ParameterValue, p.Source]).sort(),
    [
      ['maxmemory-policy', 'allkeys-lru', 'user'],
      ['notify-keyspace-events', 'Ex', 'user'],
      ['timeout', '300', 'user'],
    ],
    'Source=user gives exactly the modified ones',
  );
  const system = await allParameters(client, 'p7', 'system');
  t.equal(system.length, table.length - 3, 'Source=system gives the rest');
  t.ok(system.every((p) => p.Source === 'system'));
  const everything = await allParameters(client, 'p7');
  t.equal(everything.length, table.length);
  t.equal(everything.find((p) => p.ParameterName === 'timeout')?.ParameterValue, '300');
  const defaultsAfter = await allParameters(client, 'default.redis7');
  t.equal(
    defaultsAfter.find((p) => p.ParameterName === 'timeout')?.ParameterValue,
    '0',
    'the default group is untouched',
  );
  const badSource = await failure(
    client.send(new DescribeCacheParametersCommand({ CacheParameterGroupName: 'p7', Source: 'nobody' })),
  );
  t.equal(badSource?.Code, 'InvalidParameterValue');
  const missing = await failure(client.send(new DescribeCacheParametersCommand({ CacheParameterGroupName: 'nope' })));
  t.equal(missing?.Code, 'CacheParameterGroupNotFound');
});

t.test('engine defaults: every family has its real table, paged by EngineDefaults.Marker', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const expectations: [string, string[], string[]][] = [
    ['memcached1.4', ['chunk_size', 'max_item_size', 'modern'], ['no_modern']],
    ['memcached1.5', ['chunk_size', 'no_modern', 'inline_ascii_resp'], ['modern']],
    ['memcached1.6', ['chunk_size', 'max_item_size', 'idle_timeout'], ['modern']],
    ['redis2.6', ['activerehashing', 'reserved-memory', 'slave-allow-chaining'], ['cluster-enabled']],
    ['redis2.8', ['close-on-slave-write', 'repl-backlog-size'], ['cluster-enabled']],
    ['redis3.2', ['cluster-enabled', 'reserved-memory-percent'], ['reserved-memory']],
    ['redis4.0', ['activedefrag', 'lfu-log-factor'], ['replica-allow-chaining']],
    ['redis5.0', ['replica-allow-chaining', 'stream-node-max-bytes', 'rename-commands'], ['slave-allow-chaining']],
    ['redis6.x', ['acllog-max-len', 'tracking-table-max-keys'], ['lua-replicate-commands']],
    ['redis7', ['cluster-preferred-endpoint-type', 'hash-max-listpack-entries'], ['hash-max-ziplist-entries']],
    ['valkey7', ['hash-max-listpack-entries', 'lazyfree-lazy-eviction'], ['extended-redis-compatibility']],
    ['valkey8', ['extended-redis-compatibility', 'hash-max-listpack-entries'], ['lazyfree-lazy-eviction']],
  ];
  for (const [family, present, absent] of expectations) {
    const names: string[] = [];
    const nodeTypeSpecific: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeEngineDefaultParameters(
      { client, pageSize: 20 },
      { CacheParameterGroupFamily: family },
    )) {
      pages++;
      t.equal(page.EngineDefaults?.CacheParameterGroupFamily, family, `${family}: family named in every page`);
      names.push(...page.EngineDefaults!.Parameters!.map((p) => p.ParameterName!));
      nodeTypeSpecific.push(
        ...(page.EngineDefaults!.CacheNodeTypeSpecificParameters ?? []).map((p) => p.ParameterName!),
      );
    }
    t.ok(pages > 1, `${family}: ${names.length} parameters over ${pages} pages`);
    t.equal(new Set(names).size, names.length, `${family}: no parameter twice`);
    for (const name of present) t.ok(names.includes(name), `${family}: has ${name}`);
    for (const name of absent) t.notOk(names.includes(name), `${family}: has no ${name}`);
    const expectedNodeTypeSpecific = family.startsWith('memcached')
      ? ['max_cache_memory', 'num_threads']
      : [
          'client-output-buffer-limit-' + (/redis(2|3|4)/.test(family) ? 'slave' : 'replica') + '-hard-limit',
          'maxmemory',
        ];
    for (const name of expectedNodeTypeSpecific)
      t.ok(nodeTypeSpecific.includes(name), `${family}: node-type-specific ${name}`);
    t.equal(new Set(nodeTypeSpecific).size, nodeTypeSpecific.length, `${family}: node-type-specific parameters once`);
  }
  const first = await client.send(
    new DescribeEngineDefaultParametersCommand({ CacheParameterGroupFamily: 'redis7', MaxRecords: 20 }),
  );
  t.equal(first.EngineDefaults?.Parameters?.length, 20);
  t.ok(first.EngineDefaults?.Marker, 'the marker is inside EngineDefaults');
  const second = await client.send(
    new DescribeEngineDefaultParametersCommand({
      CacheParameterGroupFamily: 'redis7',
      MaxRecords: 20,
      Marker: first.EngineDefaults!.Marker,
    }),
  );
  t.not(
    second.EngineDefaults?.Parameters?.[0].ParameterName,
    first.EngineDefaults?.Parameters?.[0].ParameterName,
    'the marker moves on',
  );
  const unknown = await failure(
    client.send(new DescribeEngineDefaultParametersCommand({ CacheParameterGroupFamily: 'redis9' })),
  );
  t.equal(unknown?.Code, 'InvalidParameterValue', 'an unknown family');
  t.equal(unknown?.$metadata.httpStatusCode, 400);
});

t.test('modify: 1 to 20 known, modifiable parameters with valid values', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'm',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'mc',
      CacheParameterGroupFamily: 'memcached1.6',
      Description: 'd',
    }),
  );
  const modify = (name: string, values: [string, string][]) =>
    failure(
      client.send(
        new ModifyCacheParameterGroupCommand({
          CacheParameterGroupName: name,
          ParameterNameValues: values.map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue })),
        }),
      ),
    );
  const twenty: [string, string][] = [
    'hash-max-listpack-entries',
    'hash-max-listpack-value',
    'zset-max-listpack-entries',
    'zset-max-listpack-value',
    'set-max-intset-entries',
    'slowlog-max-len',
    'tcp-keepalive',
    'maxmemory-samples',
    'lfu-log-factor',
    'lfu-decay-time',
    'stream-node-max-bytes',
    'stream-node-max-entries',
    'acllog-max-len',
    'repl-backlog-ttl',
    'min-replicas-to-write',
    'min-replicas-max-lag',
    'client-output-buffer-limit-normal-hard-limit',
    'client-output-buffer-limit-normal-soft-limit',
    'client-output-buffer-limit-pubsub-soft-seconds',
    'list-compress-depth',
  ].map((name) => [name, '5']);
  t.equal(await modify('m', twenty), undefined, '20 parameters in one call');
  t.equal((await allParameters(client, 'm', 'user')).length, 20);
  const cases: [string, string, [string, string][], string, RegExp][] = [
    ['21 parameters', 'm', [...twenty, ['timeout', '0']], 'InvalidParameterValue', /20/],
    ['an unknown parameter', 'm', [['no-such-thing', '1']], 'InvalidParameterValue', /no-such-thing/],
    [
      'a parameter of another family',
      'm',
      [['hash-max-ziplist-entries', '1']],
      'InvalidParameterValue',
      /hash-max-ziplist-entries/,
    ],
    ['a non-modifiable parameter', 'm', [['maxclients', '100']], 'InvalidParameterValue', /maxclients/],
    ['a node-type-specific parameter', 'm', [['maxmemory', '100']], 'InvalidParameterValue', /maxmemory/],
    ['a value not allowed', 'm', [['maxmemory-policy', 'bogus']], 'InvalidParameterValue', /bogus/],
    ['a non-integer', 'm', [['tcp-keepalive', 'ten']], 'InvalidParameterValue', /ten/],
    ['a value below the range', 'm', [['hll-sparse-max-bytes', '0']], 'InvalidParameterValue', /hll-sparse-max-bytes/],
    ['a value above the range', 'm', [['acllog-max-len', '10001']], 'InvalidParameterValue', /acllog-max-len/],
    ['a value in neither alternative', 'm', [['timeout', '5']], 'InvalidParameterValue', /timeout/],
    ['yes/no spelled otherwise', 'm', [['activedefrag', 'true']], 'InvalidParameterValue', /activedefrag/],
    ['a memcached boolean as a word', 'mc', [['cas_disabled', 'true']], 'InvalidParameterValue', /cas_disabled/],
    [
      'a memcached float out of range',
      'mc',
      [['chunk_size_growth_factor', '3.5']],
      'InvalidParameterValue',
      /chunk_size_growth_factor/,
    ],
    ['an unknown group', 'nope', [['timeout', '0']], 'CacheParameterGroupNotFound', /nope/],
  ];
  for (const [what, group, values, code, message] of cases) {
    const error = await modify(group, values);
    t.equal(error?.Code, code, `${what}: ${code}`);
    t.match(error?.message, message, `${what}: message`);
  }
  const empty = await failure(
    client.send(new ModifyCacheParameterGroupCommand({ CacheParameterGroupName: 'm', ParameterNameValues: [] })),
  );
  t.equal(empty?.Code, 'InvalidParameterValue', 'no parameters at all');
  const user = await allParameters(client, 'm', 'user');
  t.equal(user.length, 20, 'refused calls changed nothing');
  t.notOk(user.some((p) => p.ParameterName === 'timeout'));

  for (const [name, value] of [
    ['timeout', '0'],
    ['timeout', '20'],
    ['slowlog-log-slower-than', '-1'],
    ['list-max-listpack-size', '-2'],
    ['list-max-listpack-size', '128'],
  ] as [string, string][]) {
    t.equal(await modify('m', [[name, value]]), undefined, `${name}=${value} is allowed`);
  }
  t.equal(
    await modify('mc', [
      ['cas_disabled', '1'],
      ['chunk_size_growth_factor', '1.5'],
    ]),
    undefined,
    'memcached booleans and floats',
  );
  const mc = await allParameters(client, 'mc', 'user');
  t.same(mc.map((p) => `${p.ParameterName}=${p.ParameterValue}`).sort(), [
    'cas_disabled=1',
    'chunk_size_growth_factor=1.5',
  ]);
});

t.test('custom groups not yet in use may change conditionally modifiable parameters (cluster-enabled)', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'cme',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );
  const engineDefault = (await allParameters(client, 'default.redis7')).find(
    (p) => p.ParameterName === 'cluster-enabled',
  );
  t.equal(engineDefault?.IsModifiable, false, 'the default group reports cluster-enabled as not modifiable');
  const custom = (await allParameters(client, 'cme')).find((p) => p.ParameterName === 'cluster-enabled');
  t.equal(custom?.IsModifiable, true, 'an unattached custom group reports it modifiable');
  await client.send(
    new ModifyCacheParameterGroupCommand({
      CacheParameterGroupName: 'cme',
      ParameterNameValues: [{ ParameterName: 'cluster-enabled', ParameterValue: 'yes' }],
    }),
  );
  const refused = await failure(
    client.send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'c',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        CacheParameterGroupName: 'cme',
      }),
    ),
  );
  t.equal(refused?.Code, 'InvalidParameterCombination', 'a cluster-mode group cannot serve a single-node cluster');

  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'used',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'c',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      CacheParameterGroupName: 'used',
    }),
  );
  const attached = await failure(
    client.send(
      new ModifyCacheParameterGroupCommand({
        CacheParameterGroupName: 'used',
        ParameterNameValues: [{ ParameterName: 'databases', ParameterValue: '32' }],
      }),
    ),
  );
  t.equal(attached?.Code, 'InvalidParameterValue', 'once in use, databases is not modifiable');
});

t.test('reset: everything, or the named parameters, never both', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'r',
      CacheParameterGroupFamily: 'valkey8',
      Description: 'd',
    }),
  );
  await client.send(
    new ModifyCacheParameterGroupCommand({
      CacheParameterGroupName: 'r',
      ParameterNameValues: [
        { ParameterName: 'timeout', ParameterValue: '60' },
        { ParameterName: 'maxmemory-policy', ParameterValue: 'allkeys-lfu' },
        { ParameterName: 'tcp-keepalive', ParameterValue: '30' },
      ],
    }),
  );
  const both = await failure(
    client.send(
      new ResetCacheParameterGroupCommand({
        CacheParameterGroupName: 'r',
        ResetAllParameters: true,
        ParameterNameValues: [{ ParameterName: 'timeout' }],
      }),
    ),
  );
  t.equal(both?.Code, 'InvalidParameterCombination', 'ResetAllParameters with names');
  t.equal(both?.name, 'InvalidParameterCombinationException');
  const neither = await failure(client.send(new ResetCacheParameterGroupCommand({ CacheParameterGroupName: 'r' })));
  t.equal(neither?.Code, 'InvalidParameterValue', 'neither ResetAllParameters nor names');
  const unknown = await failure(
    client.send(
      new ResetCacheParameterGroupCommand({
        CacheParameterGroupName: 'r',
        ParameterNameValues: [{ ParameterName: 'bogus' }],
      }),
    ),
  );
  t.equal(unknown?.Code, 'InvalidParameterValue', 'an unknown name');
  t.equal((await allParameters(client, 'r', 'user')).length, 3, 'refused resets changed nothing');

  const one = await client.send(
    new ResetCacheParameterGroupCommand({
      CacheParameterGroupName: 'R',
      ParameterNameValues: [{ ParameterName: 'timeout' }],
    }),
  );
  t.equal(one.CacheParameterGroupName, 'r');
  const left = await allParameters(client, 'r', 'user');
  t.same(
    left.map((p) => p.ParameterName).sort(),
    ['maxmemory-policy', 'tcp-keepalive'],
    'only the named one went back',
  );
  t.equal(
    (await allParameters(client, 'r')).find((p) => p.ParameterName === 'timeout')?.ParameterValue,
    '0',
    'to its default',
  );
  await client.send(new ResetCacheParameterGroupCommand({ CacheParameterGroupName: 'r', ResetAllParameters: true }));
  t.same(await allParameters(client, 'r', 'user'), [], 'ResetAllParameters clears every change');
  t.equal(
    (await allParameters(client, 'r')).find((p) => p.ParameterName === 'maxmemory-policy')?.ParameterValue,
    'volatile-lru',
  );
});

t.test('delete: refused while a cluster uses the group, fine once it is gone', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'inuse',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'user',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      CacheParameterGroupName: 'InUse',
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'user' });
  t.equal((await cluster(client, 'user')).CacheParameterGroup?.CacheParameterGroupName, 'inuse');

  const busy = await failure(client.send(new DeleteCacheParameterGroupCommand({ CacheParameterGroupName: 'inuse' })));
  t.equal(busy?.Code, 'InvalidCacheParameterGroupState', 'in use by a cluster');
  t.equal(busy?.$metadata.httpStatusCode, 400);
  await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'user' }));
  const result = await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'user' });
  t.equal(result.state, 'SUCCESS', 'the cluster is gone');
  await client.send(new DeleteCacheParameterGroupCommand({ CacheParameterGroupName: 'INUSE' }));
  const gone = await failure(
    client.send(new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'inuse' })),
  );
  t.equal(gone?.Code, 'CacheParameterGroupNotFound', 'deleted');
  const again = await failure(client.send(new DeleteCacheParameterGroupCommand({ CacheParameterGroupName: 'inuse' })));
  t.equal(again?.Code, 'CacheParameterGroupNotFound', 'a second delete');
  t.equal(again?.$metadata.httpStatusCode, 404);
  const recreated = await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'inuse',
      CacheParameterGroupFamily: 'redis6.x',
      Description: 'again',
    }),
  );
  t.equal(recreated.CacheParameterGroup?.CacheParameterGroupFamily, 'redis6.x', 'the name is free again');
});

t.test('a requires-reboot change leaves the cluster pending-reboot until its nodes are rebooted', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'mcp',
      CacheParameterGroupFamily: 'memcached1.6',
      Description: 'd',
    }),
  );
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'mc',
      Engine: 'memcached',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 2,
      CacheParameterGroupName: 'mcp',
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'mc' });
  let state = await cluster(client, 'mc');
  t.same(state.CacheParameterGroup, {
    CacheParameterGroupName: 'mcp',
    ParameterApplyStatus: 'in-sync',
    CacheNodeIdsToReboot: [],
  });

  await client.send(
    new ModifyCacheParameterGroupCommand({
      CacheParameterGroupName: 'mcp',
      ParameterNameValues: [{ ParameterName: 'chunk_size', ParameterValue: '96' }],
    }),
  );
  state = await cluster(client, 'mc');
  t.equal(state.CacheParameterGroup?.ParameterApplyStatus, 'pending-reboot');
  t.same(state.CacheParameterGroup?.CacheNodeIdsToReboot, ['0001', '0002']);
  t.same(
    state.CacheNodes?.map((n) => n.ParameterGroupStatus),
    ['pending-reboot', 'pending-reboot'],
  );
  t.equal(state.CacheClusterStatus, 'available', 'the cluster itself stays available');

  await client.send(new RebootCacheClusterCommand({ CacheClusterId: 'mc', CacheNodeIdsToReboot: ['0001'] }));
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'mc' });
  state = await cluster(client, 'mc');
  t.equal(state.CacheParameterGroup?.ParameterApplyStatus, 'pending-reboot', 'one node still to reboot');
  t.same(state.CacheParameterGroup?.CacheNodeIdsToReboot, ['0002']);
  await client.send(new RebootCacheClusterCommand({ CacheClusterId: 'mc', CacheNodeIdsToReboot: ['0002'] }));
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'mc' });
  state = await cluster(client, 'mc');
  t.same(state.CacheParameterGroup, {
    CacheParameterGroupName: 'mcp',
    ParameterApplyStatus: 'in-sync',
    CacheNodeIdsToReboot: [],
  });
  t.same(
    state.CacheNodes?.map((n) => n.ParameterGroupStatus),
    ['in-sync', 'in-sync'],
  );

  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'rp',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'r',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      CacheParameterGroupName: 'rp',
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'r' });
  await client.send(
    new ModifyCacheParameterGroupCommand({
      CacheParameterGroupName: 'rp',
      ParameterNameValues: [{ ParameterName: 'maxmemory-policy', ParameterValue: 'allkeys-lru' }],
    }),
  );
  t.equal(
    (await cluster(client, 'r')).CacheParameterGroup?.ParameterApplyStatus,
    'in-sync',
    'an immediate parameter needs no reboot',
  );

  await client.send(new ResetCacheParameterGroupCommand({ CacheParameterGroupName: 'mcp', ResetAllParameters: true }));
  state = await cluster(client, 'mc');
  t.equal(
    state.CacheParameterGroup?.ParameterApplyStatus,
    'pending-reboot',
    'resetting a requires-reboot parameter also waits for a reboot',
  );
});

t.test('every family accepts its own defaults back through Modify', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const families = [
    'memcached1.4',
    'memcached1.5',
    'memcached1.6',
    'redis2.6',
    'redis2.8',
    'redis3.2',
    'redis4.0',
    'redis5.0',
    'redis6.x',
    'redis7',
    'valkey7',
    'valkey8',
  ];
  for (const family of families) {
    const name = `all-${family.replace(/\./g, '-')}`;
    await client.send(
      new CreateCacheParameterGroupCommand({
        CacheParameterGroupName: name,
        CacheParameterGroupFamily: family,
        Description: 'd',
      }),
    );
    const values = (await allParameters(client, name))
      .filter((p) => p.IsModifiable && p.ParameterValue !== undefined && p.ParameterValue !== '')
      .map((p) => ({ ParameterName: p.ParameterName, ParameterValue: p.ParameterValue }));
    const refused: string[] = [];
    for (let i = 0; i < values.length; i += 20) {
      const error = await failure(
        client.send(
          new ModifyCacheParameterGroupCommand({
            CacheParameterGroupName: name,
            ParameterNameValues: values.slice(i, i + 20),
          }),
        ),
      );
      if (error) refused.push(error.message);
    }
    t.same(refused, [], `${family}: all ${values.length} modifiable defaults are valid values`);
    t.equal((await allParameters(client, name, 'user')).length, values.length, `${family}: and now set by the user`);
  }
});
