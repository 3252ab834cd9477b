/**
 * Cache subnet groups (over the default VPC's subnets) and EC2-Classic cache security groups, through the real
 * AWS SDK v3 client against a real emulator.
 */
import {
  AuthorizeCacheSecurityGroupIngressCommand,
  CreateCacheClusterCommand,
  CreateCacheSecurityGroupCommand,
  CreateCacheSubnetGroupCommand,
  DeleteCacheClusterCommand,
  DeleteCacheSecurityGroupCommand,
  DeleteCacheSubnetGroupCommand,
  DescribeCacheClustersCommand,
  DescribeCacheSecurityGroupsCommand,
  DescribeCacheSubnetGroupsCommand,
  ModifyCacheSubnetGroupCommand,
  RevokeCacheSecurityGroupIngressCommand,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
} from '@aws-sdk/client-elasticache';
import t from 'tap';
import { failure, sdkClient, startTestEmulator, waiter, type Client } from '../fixtures/emulator.js';

async function defaultSubnets(client: Client) {
  const out = await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'default' }));
  const group = out.CacheSubnetGroups![0];
  return {
    vpcId: group.VpcId!,
    subnets: group.Subnets!.map((s) => ({ id: s.SubnetIdentifier!, zone: s.SubnetAvailabilityZone!.Name! })),
  };
}

t.test('the default subnet group covers the default VPC, one subnet per availability zone', async (t) => {
  const emulator = await startTestEmulator(t);
  for (const [region, zones] of [
    ['us-east-1', 6],
    ['eu-west-1', 3],
  ] as [string, number][]) {
    const client = sdkClient(emulator, { region });
    const out = await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'default' }));
    t.equal(out.CacheSubnetGroups?.length, 1);
    const group = out.CacheSubnetGroups![0];
    t.equal(group.CacheSubnetGroupName, 'default', `${region}: named default`);
    t.match(group.VpcId, /^vpc-[0-9a-f]{17}$/, `${region}: in the default VPC`);
    t.equal(group.ARN, `arn:aws:elasticache:${region}:000000000000:subnetgroup:default`);
    t.equal(group.Subnets?.length, zones, `${region}: ${zones} subnets`);
    const subnetZones = group.Subnets!.map((s) => s.SubnetAvailabilityZone?.Name);
    t.equal(new Set(subnetZones).size, zones, `${region}: one per zone`);
    t.ok(
      subnetZones.every((z) => z?.startsWith(region)),
      `${region}: zones of the region`,
    );
    t.ok(
      group.Subnets!.every((s) => /^subnet-[0-9a-f]{17}$/.test(s.SubnetIdentifier!)),
      `${region}: subnet ids`,
    );
    const all = await client.send(new DescribeCacheSubnetGroupsCommand({}));
    t.same(
      all.CacheSubnetGroups?.map((g) => g.CacheSubnetGroupName),
      ['default'],
      `${region}: listed by a describe-all`,
    );
  }
  const a = await defaultSubnets(sdkClient(emulator));
  const b = await defaultSubnets(sdkClient(emulator, { accessKeyId: '111122223333' }));
  t.not(a.vpcId, b.vpcId, 'every account has its own default VPC');
  t.same(await defaultSubnets(sdkClient(emulator)), a, 'and the same one on every call');
});

t.test('subnet groups: create, duplicate, bad subnets, modify, not found', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const { vpcId, subnets } = await defaultSubnets(client);
  const created = await client.send(
    new CreateCacheSubnetGroupCommand({
      CacheSubnetGroupName: 'My-Subnets',
      CacheSubnetGroupDescription: 'two zones',
      SubnetIds: [subnets[0].id, subnets[1].id],
    }),
  );
  const group = created.CacheSubnetGroup!;
  t.equal(group.CacheSubnetGroupName, 'my-subnets', 'stored lowercase');
  t.equal(group.CacheSubnetGroupDescription, 'two zones');
  t.equal(group.VpcId, vpcId);
  t.same(
    group.Subnets?.map((s) => s.SubnetIdentifier),
    [subnets[0].id, subnets[1].id],
  );
  t.same(
    group.Subnets?.map((s) => s.SubnetAvailabilityZone?.Name),
    [subnets[0].zone, subnets[1].zone],
  );
  t.equal(group.ARN, 'arn:aws:elasticache:us-east-1:000000000000:subnetgroup:my-subnets');

  const cases: [string, object, string, number][] = [
    ['a duplicate name', { CacheSubnetGroupName: 'MY-SUBNETS' }, 'CacheSubnetGroupAlreadyExists', 400],
    ['the default name', { CacheSubnetGroupName: 'default' }, 'CacheSubnetGroupAlreadyExists', 400],
    ['an unknown subnet', { SubnetIds: ['subnet-0123456789abcdef0'] }, 'InvalidSubnet', 400],
    ['a known and an unknown subnet', { SubnetIds: [subnets[0].id, 'subnet-0123456789abcdef0'] }, 'InvalidSubnet', 400],
    ['no subnets', { SubnetIds: [] }, 'InvalidParameterValue', 400],
    ['a bad name', { CacheSubnetGroupName: 'a_b' }, 'InvalidParameterValue', 400],
    ['no description', { CacheSubnetGroupDescription: '' }, 'InvalidParameterValue', 400],
  ];
  const base = { CacheSubnetGroupName: 'other', CacheSubnetGroupDescription: 'd', SubnetIds: [subnets[2].id] };
  for (const [what, change, code, status] of cases) {
    const error = await failure(client.send(new CreateCacheSubnetGroupCommand({ ...base, ...change } as any)));
    t.equal(error?.Code, code, `${what}: ${code}`);
    t.equal(error?.$metadata?.httpStatusCode, status, `${what}: HTTP ${status}`);
  }
  const otherAccountSubnet = (await defaultSubnets(sdkClient(emulator, { accessKeyId: '111122223333' }))).subnets[0].id;
  const foreign = await failure(
    client.send(new CreateCacheSubnetGroupCommand({ ...base, SubnetIds: [otherAccountSubnet] })),
  );
  t.equal(foreign?.Code, 'InvalidSubnet', "another account's subnet is unknown here");
  const listed = await client.send(new DescribeCacheSubnetGroupsCommand({}));
  t.same(
    listed.CacheSubnetGroups?.map((g) => g.CacheSubnetGroupName),
    ['default', 'my-subnets'],
    'refused creates left nothing',
  );

  const modified = await client.send(
    new ModifyCacheSubnetGroupCommand({
      CacheSubnetGroupName: 'my-subnets',
      CacheSubnetGroupDescription: 'three zones',
      SubnetIds: subnets.slice(0, 3).map((s) => s.id),
    }),
  );
  t.equal(modified.CacheSubnetGroup?.CacheSubnetGroupDescription, 'three zones');
  t.equal(modified.CacheSubnetGroup?.Subnets?.length, 3);
  const descriptionOnly = await client.send(
    new ModifyCacheSubnetGroupCommand({ CacheSubnetGroupName: 'My-Subnets', CacheSubnetGroupDescription: 'renamed' }),
  );
  t.equal(descriptionOnly.CacheSubnetGroup?.Subnets?.length, 3, 'subnets stay when not given');
  const described = await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'my-subnets' }));
  t.equal(described.CacheSubnetGroups?.[0].CacheSubnetGroupDescription, 'renamed');
  const badModify = await failure(
    client.send(
      new ModifyCacheSubnetGroupCommand({
        CacheSubnetGroupName: 'my-subnets',
        SubnetIds: ['subnet-0123456789abcdef0'],
      }),
    ),
  );
  t.equal(badModify?.Code, 'InvalidSubnet');

  for (const [what, call] of [
    ['describe', () => client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'nope' }))],
    [
      'modify',
      () =>
        client.send(
          new ModifyCacheSubnetGroupCommand({ CacheSubnetGroupName: 'nope', CacheSubnetGroupDescription: 'x' }),
        ),
    ],
    ['delete', () => client.send(new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: 'nope' }))],
  ] as [string, () => Promise<unknown>][]) {
    const error = await failure(call());
    t.equal(error?.Code, 'CacheSubnetGroupNotFoundFault', `${what}: the wire code keeps its Fault suffix`);
    t.equal(error?.name, 'CacheSubnetGroupNotFoundFault', `${what}: SDK class`);
    t.equal(error?.$metadata?.httpStatusCode, 400, `${what}: HTTP 400, not 404`);
  }
  const elsewhere = await failure(
    sdkClient(emulator, { region: 'us-west-2' }).send(
      new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'my-subnets' }),
    ),
  );
  t.equal(elsewhere?.Code, 'CacheSubnetGroupNotFoundFault', 'a group lives in one region');
});

t.test('subnet groups in use by a cluster: shown on it, and not deletable until it is gone', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const { subnets } = await defaultSubnets(client);
  const chosen = subnets.slice(1, 3);
  await client.send(
    new CreateCacheSubnetGroupCommand({
      CacheSubnetGroupName: 'app',
      CacheSubnetGroupDescription: 'd',
      SubnetIds: chosen.map((s) => s.id),
    }),
  );
  const created = await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'app',
      Engine: 'memcached',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 2,
      CacheSubnetGroupName: 'APP',
    }),
  );
  t.equal(created.CacheCluster?.CacheSubnetGroupName, 'app', 'the cluster names its subnet group');
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'app' });
  const cluster = (
    await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'app', ShowCacheNodeInfo: true }))
  ).CacheClusters![0];
  t.equal(cluster.CacheSubnetGroupName, 'app');
  const zones = new Set(chosen.map((s) => s.zone));
  t.ok(
    cluster.CacheNodes!.every((n) => zones.has(n.CustomerAvailabilityZone!)),
    "nodes are placed in the subnet group's zones",
  );

  const inUse = await failure(client.send(new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: 'app' })));
  t.equal(inUse?.Code, 'CacheSubnetGroupInUse', 'in use by a cluster');
  t.equal(inUse?.$metadata.httpStatusCode, 400);
  const defaultGroup = await failure(
    client.send(new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: 'default' })),
  );
  t.ok(
    defaultGroup?.Code === 'CacheSubnetGroupInUse' || defaultGroup?.Code === 'InvalidParameterValue',
    `the default group cannot be deleted (${defaultGroup?.Code})`,
  );
  t.equal(defaultGroup?.$metadata.httpStatusCode, 400);

  await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'app' }));
  await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'app' });
  await client.send(new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: 'App' }));
  const gone = await failure(client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'app' })));
  t.equal(gone?.Code, 'CacheSubnetGroupNotFoundFault', 'deleted');
  t.same(
    (await client.send(new DescribeCacheSubnetGroupsCommand({}))).CacheSubnetGroups?.map((g) => g.CacheSubnetGroupName),
    ['default'],
  );
});

t.test('cache security groups: create, describe, authorize, revoke, delete', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const created = await client.send(
    new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'Web', Description: 'web tier' }),
  );
  t.same(created.CacheSecurityGroup, {
    OwnerId: '000000000000',
    CacheSecurityGroupName: 'web',
    Description: 'web tier',
    EC2SecurityGroups: [],
    ARN: 'arn:aws:elasticache:us-east-1:000000000000:securitygroup:web',
  });
  const duplicate = await failure(
    client.send(new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'WEB', Description: 'again' })),
  );
  t.equal(duplicate?.Code, 'CacheSecurityGroupAlreadyExists');
  for (const reserved of ['default', 'Default', 'DEFAULT']) {
    const error = await failure(
      client.send(new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: reserved, Description: 'd' })),
    );
    t.equal(error?.Code, 'InvalidParameterValue', `the name ${reserved} is refused`);
  }
  const noDescription = await failure(
    client.send(new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'x', Description: '' })),
  );
  t.equal(noDescription?.Code, 'InvalidParameterValue', 'a description is required');

  const authorize = (name: string, group = 'web') =>
    client.send(
      new AuthorizeCacheSecurityGroupIngressCommand({
        CacheSecurityGroupName: group,
        EC2SecurityGroupName: name,
        EC2SecurityGroupOwnerId: '123456789012',
      }),
    );
  const revoke = (name: string, group = 'web') =>
    client.send(
      new RevokeCacheSecurityGroupIngressCommand({
        CacheSecurityGroupName: group,
        EC2SecurityGroupName: name,
        EC2SecurityGroupOwnerId: '123456789012',
      }),
    );
  const one = await authorize('app-servers');
  t.same(one.CacheSecurityGroup?.EC2SecurityGroups, [
    { Status: 'authorized', EC2SecurityGroupName: 'app-servers', EC2SecurityGroupOwnerId: '123456789012' },
  ]);
  const two = await authorize('batch');
  t.same(
    two.CacheSecurityGroup?.EC2SecurityGroups?.map((g) => g.EC2SecurityGroupName),
    ['app-servers', 'batch'],
  );
  const again = await failure(authorize('app-servers'));
  t.equal(again?.Code, 'AuthorizationAlreadyExists', 'a duplicate authorization');
  t.equal(again?.name, 'AuthorizationAlreadyExistsFault');
  t.equal(again?.$metadata.httpStatusCode, 400);
  const revoked = await revoke('app-servers');
  t.same(
    revoked.CacheSecurityGroup?.EC2SecurityGroups?.map((g) => g.EC2SecurityGroupName),
    ['batch'],
    'revoke answers with what is left',
  );
  const missing = await failure(revoke('app-servers'));
  t.equal(missing?.Code, 'AuthorizationNotFound', 'revoking what is not authorized');
  t.equal(missing?.name, 'AuthorizationNotFoundFault');
  t.equal(missing?.$metadata.httpStatusCode, 404);
  const noGroup = await failure(authorize('x', 'nope'));
  t.equal(noGroup?.Code, 'CacheSecurityGroupNotFound');
  t.equal(noGroup?.$metadata.httpStatusCode, 404);

  await client.send(
    new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'batch', Description: 'batch tier' }),
  );
  const all = await client.send(new DescribeCacheSecurityGroupsCommand({}));
  t.same(
    all.CacheSecurityGroups?.map((g) => g.CacheSecurityGroupName),
    ['web', 'batch'],
  );
  const web = await client.send(new DescribeCacheSecurityGroupsCommand({ CacheSecurityGroupName: 'Web' }));
  t.same(
    web.CacheSecurityGroups?.[0].EC2SecurityGroups?.map((g) => g.EC2SecurityGroupName),
    ['batch'],
    'rules are kept',
  );
  const otherRegion = await sdkClient(emulator, { region: 'eu-west-1' }).send(
    new DescribeCacheSecurityGroupsCommand({}),
  );
  t.same(otherRegion.CacheSecurityGroups, [], 'groups live in one region');

  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'classic',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      CacheSecurityGroupNames: ['web'],
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'classic' });
  const cluster = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'classic' })))
    .CacheClusters![0];
  t.same(
    cluster.CacheSecurityGroups,
    [{ CacheSecurityGroupName: 'web', Status: 'active' }],
    'the cluster names its cache security group',
  );
  const busy = await failure(client.send(new DeleteCacheSecurityGroupCommand({ CacheSecurityGroupName: 'web' })));
  t.equal(busy?.Code, 'InvalidCacheSecurityGroupState', 'in use by a cluster');
  t.equal(busy?.$metadata.httpStatusCode, 400);
  const unknownForCluster = await failure(
    client.send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'c2',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        CacheSecurityGroupNames: ['nope'],
      }),
    ),
  );
  t.equal(unknownForCluster?.Code, 'CacheSecurityGroupNotFound', 'a cluster cannot name a missing group');

  await client.send(new DeleteCacheSecurityGroupCommand({ CacheSecurityGroupName: 'batch' }));
  await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'classic' }));
  await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'classic' });
  await client.send(new DeleteCacheSecurityGroupCommand({ CacheSecurityGroupName: 'WEB' }));
  t.same((await client.send(new DescribeCacheSecurityGroupsCommand({}))).CacheSecurityGroups, [], 'both deleted');
  const gone = await failure(client.send(new DeleteCacheSecurityGroupCommand({ CacheSecurityGroupName: 'web' })));
  t.equal(gone?.Code, 'CacheSecurityGroupNotFound');
  t.equal(gone?.name, 'CacheSecurityGroupNotFoundFault');
  t.equal(gone?.$metadata.httpStatusCode, 404);
});
