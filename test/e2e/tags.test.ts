/**
 * Tags by ARN on every taggable resource the emulator serves, through the real AWS SDK v3 client.
 */
import {
  AddTagsToResourceCommand,
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  CreateCacheSecurityGroupCommand,
  CreateCacheSubnetGroupCommand,
  DeleteCacheClusterCommand,
  DeleteCacheParameterGroupCommand,
  DeleteCacheSecurityGroupCommand,
  DeleteCacheSubnetGroupCommand,
  DescribeCacheSubnetGroupsCommand,
  ListTagsForResourceCommand,
  RemoveTagsFromResourceCommand,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
  type Tag,
} from '@aws-sdk/client-elasticache';
import t from 'tap';
import { failure, sdkClient, startTestEmulator, waiter, type Client } from '../fixtures/emulator.js';

const ARN = 'arn:aws:elasticache:us-east-1:000000000000';
const tags = async (client: Client, arn: string) =>
  (await client.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList;

t.test('tags given at create time, on every kind of resource', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const given: Tag[] = [
    { Key: 'team', Value: 'cache' },
    { Key: 'env', Value: 'test' },
  ];
  const subnet = (await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'default' })))
    .CacheSubnetGroups![0].Subnets![0];
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'tagged',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      Tags: given,
    }),
  );
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'tagged',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
      Tags: given,
    }),
  );
  await client.send(
    new CreateCacheSubnetGroupCommand({
      CacheSubnetGroupName: 'tagged',
      CacheSubnetGroupDescription: 'd',
      SubnetIds: [subnet.SubnetIdentifier!],
      Tags: given,
    }),
  );
  await client.send(
    new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'tagged', Description: 'd', Tags: given }),
  );
  for (const type of ['cluster', 'parametergroup', 'subnetgroup', 'securitygroup']) {
    t.same(await tags(client, `${ARN}:${type}:tagged`), given, `${type}: the tags given at create, in order`);
  }
  t.same(await tags(client, `${ARN}:parametergroup:default.redis7`), [], 'a default parameter group has no tags');
  t.same(await tags(client, `${ARN}:subnetgroup:default`), [], 'nor the default subnet group');

  const refused = await failure(
    client.send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'refused',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        Tags: [{ Key: 'aws:x', Value: '1' }],
      }),
    ),
  );
  t.equal(refused?.Code, 'InvalidParameterValue', 'an aws: tag at create');
  const notCreated = await failure(tags(client, `${ARN}:cluster:refused`));
  t.equal(notCreated?.Code, 'CacheClusterNotFound', 'and the create left nothing behind');
  const tooMany = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  const quota = await failure(
    client.send(
      new CreateCacheParameterGroupCommand({
        CacheParameterGroupName: 'too-many',
        CacheParameterGroupFamily: 'redis7',
        Description: 'd',
        Tags: tooMany,
      }),
    ),
  );
  t.equal(quota?.Code, 'TagQuotaPerResourceExceeded', '51 tags at create');
  const noGroup = await failure(tags(client, `${ARN}:parametergroup:too-many`));
  t.equal(noGroup?.Code, 'CacheParameterGroupNotFound', 'the group was not created');
});

t.test('add, overwrite, remove, and the limits', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'pg',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );
  const arn = `${ARN}:parametergroup:pg`;
  const add = (list: Tag[], resource = arn) =>
    client.send(new AddTagsToResourceCommand({ ResourceName: resource, Tags: list }));
  const remove = (keys: string[], resource = arn) =>
    client.send(new RemoveTagsFromResourceCommand({ ResourceName: resource, TagKeys: keys }));

  t.same((await add([{ Key: 'a', Value: '1' }])).TagList, [{ Key: 'a', Value: '1' }]);
  t.same(
    (
      await add([
        { Key: 'b', Value: '2' },
        { Key: 'c', Value: '' },
      ])
    ).TagList,
    [
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
      { Key: 'c', Value: '' },
    ],
    'Add answers with the full list, empty values kept',
  );
  t.same(
    (await add([{ Key: 'a', Value: 'one' }])).TagList,
    [
      { Key: 'a', Value: 'one' },
      { Key: 'b', Value: '2' },
      { Key: 'c', Value: '' },
    ],
    'an existing key is overwritten in place',
  );
  t.same((await add([{ Key: 'A', Value: 'upper' }])).TagList?.length, 4, 'keys are case-sensitive');
  t.same(
    (await remove(['b', 'A'])).TagList,
    [
      { Key: 'a', Value: 'one' },
      { Key: 'c', Value: '' },
    ],
    'Remove answers with the rest',
  );
  const missing = await failure(remove(['a', 'zzz']));
  t.equal(missing?.Code, 'TagNotFound', 'removing a key that is not there');
  t.equal(missing?.name, 'TagNotFoundFault');
  t.equal(missing?.$metadata.httpStatusCode, 404);
  t.same(
    await tags(client, arn),
    [
      { Key: 'a', Value: 'one' },
      { Key: 'c', Value: '' },
    ],
    'a refused remove removed nothing',
  );

  const fill = Array.from({ length: 48 }, (_, i) => ({ Key: `k${i}`, Value: `${i}` }));
  t.equal((await add(fill)).TagList?.length, 50, '50 tags are fine');
  t.equal((await add([{ Key: 'k0', Value: 'again' }])).TagList?.length, 50, 'overwriting at 50 is fine');
  const over = await failure(add([{ Key: 'one-more', Value: 'x' }]));
  t.equal(over?.Code, 'TagQuotaPerResourceExceeded', 'the 51st tag');
  t.equal(over?.$metadata.httpStatusCode, 400);
  t.equal((await tags(client, arn))?.length, 50);
  await remove(fill.map((tag) => tag.Key));

  const invalid: [string, Tag][] = [
    ['an aws: key', { Key: 'aws:owner', Value: 'x' }],
    ['an AWS: key', { Key: 'AWS:owner', Value: 'x' }],
    ['an aws: value', { Key: 'owner', Value: 'aws:x' }],
    ['a key of 129 characters', { Key: 'k'.repeat(129), Value: 'x' }],
    ['a value of 257 characters', { Key: 'k', Value: 'v'.repeat(257) }],
    ['a key with a forbidden character', { Key: 'bad*key', Value: 'x' }],
  ];
  for (const [what, tag] of invalid) {
    const error = await failure(add([tag]));
    t.equal(error?.Code, 'InvalidParameterValue', `${what} is refused`);
  }
  t.equal(
    (await add([{ Key: 'k'.repeat(128), Value: 'v'.repeat(256) }])).TagList?.length,
    3,
    'the longest key and value',
  );
  t.equal(
    (await add([{ Key: 'with space_.:/=+-@', Value: 'Ünïcode ok' }])).TagList?.length,
    4,
    'the allowed punctuation and letters',
  );
});

t.test('ARNs: malformed, missing resources, other accounts and regions', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'mine', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  const add = (arn: string) =>
    failure(client.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'k', Value: 'v' }] })));
  for (const arn of [
    'not-an-arn',
    'arn:aws:s3:::bucket',
    `${ARN}:cluster`,
    `${ARN}:widget:mine`,
    'arn:aws:elasticache:us-east-1:123:cluster:mine',
    `arn:aws:elasticache::000000000000:globalreplicationgroup:ldgnf-x`,
  ]) {
    const error = await add(arn);
    t.equal(error?.Code, 'InvalidARN', `InvalidARN: ${arn}`);
    t.equal(error?.name, 'InvalidARNFault');
    t.equal(error?.$metadata?.httpStatusCode, 400);
  }
  const notFound: [string, string, string, number][] = [
    [`${ARN}:cluster:missing`, 'CacheClusterNotFound', 'CacheClusterNotFoundFault', 404],
    [`${ARN}:parametergroup:missing`, 'CacheParameterGroupNotFound', 'CacheParameterGroupNotFoundFault', 404],
    [`${ARN}:subnetgroup:missing`, 'CacheSubnetGroupNotFoundFault', 'CacheSubnetGroupNotFoundFault', 400],
    [`${ARN}:securitygroup:missing`, 'CacheSecurityGroupNotFound', 'CacheSecurityGroupNotFoundFault', 404],
    [`${ARN}:reserved-instance:missing`, 'ReservedCacheNodeNotFound', 'ReservedCacheNodeNotFoundFault', 404],
    [`${ARN}:replicationgroup:missing`, 'ReplicationGroupNotFoundFault', 'ReplicationGroupNotFoundFault', 404],
    [`${ARN}:snapshot:missing`, 'SnapshotNotFoundFault', 'SnapshotNotFoundFault', 404],
    [`${ARN}:user:missing`, 'UserNotFound', 'UserNotFoundFault', 404],
    [`${ARN}:usergroup:missing`, 'UserGroupNotFound', 'UserGroupNotFoundFault', 404],
    [`${ARN}:serverlesscache:missing`, 'ServerlessCacheNotFoundFault', 'ServerlessCacheNotFoundFault', 404],
    [
      'arn:aws:elasticache:eu-west-1:000000000000:cluster:mine',
      'CacheClusterNotFound',
      'CacheClusterNotFoundFault',
      404,
    ],
    [
      'arn:aws:elasticache:us-east-1:111122223333:cluster:mine',
      'CacheClusterNotFound',
      'CacheClusterNotFoundFault',
      404,
    ],
  ];
  for (const [arn, code, name, status] of notFound) {
    const error = await add(arn);
    t.equal(error?.Code, code, `${arn}: ${code}`);
    t.equal(error?.name, name, `${arn}: ${name}`);
    t.equal(error?.$metadata?.httpStatusCode, status, `${arn}: HTTP ${status}`);
    const listed = await failure(client.send(new ListTagsForResourceCommand({ ResourceName: arn })));
    t.equal(listed?.Code, code, `${arn}: list too`);
  }
  const other = sdkClient(emulator, { accessKeyId: '111122223333' });
  const theirs = await failure(other.send(new ListTagsForResourceCommand({ ResourceName: `${ARN}:cluster:mine` })));
  t.equal(theirs?.Code, 'CacheClusterNotFound', 'another account cannot see my cluster by its ARN');
  t.same(await tags(client, `${ARN}:cluster:MINE`), [], 'the name in an ARN matches without regard to case');
  const upper = await client.send(
    new AddTagsToResourceCommand({ ResourceName: `${ARN}:cluster:MINE`, Tags: [{ Key: 'k', Value: 'v' }] }),
  );
  t.same(upper.TagList, [{ Key: 'k', Value: 'v' }]);
  t.same(
    await tags(client, `${ARN}:cluster:mine`),
    [{ Key: 'k', Value: 'v' }],
    "tags added by an upper-case ARN are the same resource's tags",
  );
  t.same(
    (await client.send(new RemoveTagsFromResourceCommand({ ResourceName: `${ARN}:cluster:Mine`, TagKeys: ['k'] })))
      .TagList,
    [],
  );
  const wrongPartition = await add('arn:aws-cn:elasticache:us-east-1:000000000000:cluster:mine');
  t.equal(wrongPartition?.Code, 'CacheClusterNotFound', 'the partition must match the region');
});

t.test('tags vanish with their resource', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const tagged = [{ Key: 'keep', Value: 'no' }];
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'phoenix',
      Engine: 'valkey',
      CacheNodeType: 'cache.t4g.micro',
      Tags: tagged,
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'phoenix' });
  await client.send(
    new AddTagsToResourceCommand({ ResourceName: `${ARN}:cluster:phoenix`, Tags: [{ Key: 'more', Value: 'x' }] }),
  );
  t.equal((await tags(client, `${ARN}:cluster:phoenix`))?.length, 2);
  await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'phoenix' }));
  await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'phoenix' });
  const gone = await failure(tags(client, `${ARN}:cluster:phoenix`));
  t.equal(gone?.Code, 'CacheClusterNotFound', 'a deleted cluster has no tags to list');
  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'phoenix', Engine: 'valkey', CacheNodeType: 'cache.t4g.micro' }),
  );
  t.same(await tags(client, `${ARN}:cluster:phoenix`), [], 'a new cluster of the same id starts without tags');

  const subnet = (await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'default' })))
    .CacheSubnetGroups![0].Subnets![0];
  const groups: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    [
      'parametergroup',
      () =>
        client.send(
          new CreateCacheParameterGroupCommand({
            CacheParameterGroupName: 'g',
            CacheParameterGroupFamily: 'redis7',
            Description: 'd',
            Tags: tagged,
          }),
        ),
      () => client.send(new DeleteCacheParameterGroupCommand({ CacheParameterGroupName: 'g' })),
    ],
    [
      'subnetgroup',
      () =>
        client.send(
          new CreateCacheSubnetGroupCommand({
            CacheSubnetGroupName: 'g',
            CacheSubnetGroupDescription: 'd',
            SubnetIds: [subnet.SubnetIdentifier!],
            Tags: tagged,
          }),
        ),
      () => client.send(new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: 'g' })),
    ],
    [
      'securitygroup',
      () =>
        client.send(
          new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'g', Description: 'd', Tags: tagged }),
        ),
      () => client.send(new DeleteCacheSecurityGroupCommand({ CacheSecurityGroupName: 'g' })),
    ],
  ];
  for (const [type, create, remove] of groups) {
    await create();
    t.same(await tags(client, `${ARN}:${type}:g`), tagged, `${type}: tagged`);
    await remove();
    const error = await failure(tags(client, `${ARN}:${type}:g`));
    t.ok(error?.Code?.includes('NotFound'), `${type}: gone with its tags (${error?.Code})`);
    if (type === 'parametergroup') {
      await client.send(
        new CreateCacheParameterGroupCommand({
          CacheParameterGroupName: 'g',
          CacheParameterGroupFamily: 'redis7',
          Description: 'd',
        }),
      );
    } else if (type === 'subnetgroup') {
      await client.send(
        new CreateCacheSubnetGroupCommand({
          CacheSubnetGroupName: 'g',
          CacheSubnetGroupDescription: 'd',
          SubnetIds: [subnet.SubnetIdentifier!],
        }),
      );
    } else {
      await client.send(new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'g', Description: 'd' }));
    }
    t.same(await tags(client, `${ARN}:${type}:g`), [], `${type}: recreated without tags`);
  }
});
