/** ElastiCache on top of the EC2 subset: cache subnet groups over customer VPC subnets, and EC2 protecting them. */
import {
  CreateCacheClusterCommand,
  CreateCacheSubnetGroupCommand,
  DeleteCacheSubnetGroupCommand,
  DescribeCacheSubnetGroupsCommand,
} from '@aws-sdk/client-elasticache';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import t from 'tap';
import { CREDENTIALS, sdkClient, startTestEmulator } from '../fixtures/emulator.js';

t.test('a cache subnet group over new VPC subnets; EC2 will not delete a subnet the group uses', async (t) => {
  const emulator = await startTestEmulator(t);
  const ec2 = new EC2Client({ endpoint: emulator.url, region: 'us-east-1', credentials: CREDENTIALS });
  const elasticache = sdkClient(emulator);
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!;
  const subnets = await Promise.all(
    ['us-east-1a', 'us-east-1b'].map(
      async (zone, i) =>
        (
          await ec2.send(
            new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: `10.20.${i}.0/24`, AvailabilityZone: zone }),
          )
        ).Subnet!,
    ),
  );
  const group = (
    await elasticache.send(
      new CreateCacheSubnetGroupCommand({
        CacheSubnetGroupName: 'app',
        CacheSubnetGroupDescription: 'app subnets',
        SubnetIds: subnets.map((s) => s.SubnetId!),
      }),
    )
  ).CacheSubnetGroup!;
  t.equal(group.VpcId, vpc.VpcId, "the group is in the subnets' VPC");
  t.same(
    group.Subnets!.map((s) => [s.SubnetIdentifier, s.SubnetAvailabilityZone?.Name]),
    subnets.map((s) => [s.SubnetId, s.AvailabilityZone]),
    'with their zones',
  );

  const mixed = await elasticache
    .send(
      new CreateCacheSubnetGroupCommand({
        CacheSubnetGroupName: 'mixed',
        CacheSubnetGroupDescription: 'two VPCs',
        SubnetIds: [
          subnets[0].SubnetId!,
          (await elasticache.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'default' })))
            .CacheSubnetGroups![0].Subnets![0].SubnetIdentifier!,
        ],
      }),
    )
    .catch((e) => e);
  t.equal(mixed.Code, 'InvalidSubnet', 'subnets of two VPCs are refused');

  const inUse = await ec2.send(new DeleteSubnetCommand({ SubnetId: subnets[0].SubnetId })).catch((e) => e);
  t.equal(inUse.Code ?? inUse.name, 'DependencyViolation', 'EC2 keeps a subnet a cache subnet group uses');
  await elasticache.send(new DeleteCacheSubnetGroupCommand({ CacheSubnetGroupName: 'app' }));
  await ec2.send(new DeleteSubnetCommand({ SubnetId: subnets[0].SubnetId }));
  t.pass('and lets it go once the group is gone');
});

t.test(
  "a cluster's VPC security groups must exist in its VPC; without any it gets that VPC's default group",
  async (t) => {
    const emulator = await startTestEmulator(t);
    const ec2 = new EC2Client({ endpoint: emulator.url, region: 'us-east-1', credentials: CREDENTIALS });
    const elasticache = sdkClient(emulator);
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!;
    const subnet = (
      await ec2.send(
        new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.30.1.0/24', AvailabilityZone: 'us-east-1c' }),
      )
    ).Subnet!;
    await elasticache.send(
      new CreateCacheSubnetGroupCommand({
        CacheSubnetGroupName: 'vpc',
        CacheSubnetGroupDescription: 'vpc',
        SubnetIds: [subnet.SubnetId!],
      }),
    );
    const appGroup = (
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'app', Description: 'app', VpcId: vpc.VpcId }))
    ).GroupId!;
    const defaultOfVpc = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpc.VpcId!] },
            { Name: 'group-name', Values: ['default'] },
          ],
        }),
      )
    ).SecurityGroups![0].GroupId;
    const base = { Engine: 'redis', CacheNodeType: 'cache.t3.micro', CacheSubnetGroupName: 'vpc' };

    const unknown = await elasticache
      .send(
        new CreateCacheClusterCommand({ ...base, CacheClusterId: 'x1', SecurityGroupIds: ['sg-0123456789abcdef0'] }),
      )
      .catch((e) => e);
    t.equal(unknown.Code, 'InvalidParameterValue', 'an unknown security group is refused');
    const defaultVpcGroup = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'group-name', Values: ['default'] },
            {
              Name: 'vpc-id',
              Values: [
                (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] })))
                  .Vpcs![0].VpcId!,
              ],
            },
          ],
        }),
      )
    ).SecurityGroups![0].GroupId!;
    const otherVpc = await elasticache
      .send(new CreateCacheClusterCommand({ ...base, CacheClusterId: 'x2', SecurityGroupIds: [defaultVpcGroup] }))
      .catch((e) => e);
    t.equal(otherVpc.Code, 'InvalidParameterValue', 'a group of another VPC is refused');

    const given = await elasticache.send(
      new CreateCacheClusterCommand({ ...base, CacheClusterId: 'x3', SecurityGroupIds: [appGroup] }),
    );
    t.same(given.CacheCluster!.SecurityGroups, [{ SecurityGroupId: appGroup, Status: 'active' }]);
    const none = await elasticache.send(new CreateCacheClusterCommand({ ...base, CacheClusterId: 'x4' }));
    t.same(
      none.CacheCluster!.SecurityGroups,
      [{ SecurityGroupId: defaultOfVpc, Status: 'active' }],
      "no groups: the VPC's default group",
    );
    const inUse = await ec2.send(new DeleteSecurityGroupCommand({ GroupId: appGroup })).catch((e) => e);
    t.equal(inUse.Code ?? inUse.name, 'DependencyViolation', 'EC2 keeps a group a cluster uses');
  },
);
