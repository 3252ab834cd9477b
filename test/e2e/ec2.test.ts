/**
 * The EC2 networking subset through the real AWS SDK v3 EC2 client (and the AWS CLI once): the default VPC,
 * the call sequences Terraform's aws_vpc / aws_subnet / aws_security_group make (terraform-provider-facts §8),
 * every error code, tags, isolation by account and region, ids that survive a restart.
 *
 * Each test builds its own app around ec2Api and a CallRunner, with a store of its own, so EC2 is tested alone.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DeleteVpcCommand,
  DescribeAccountAttributesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  waitUntilSubnetAvailable,
  waitUntilVpcAvailable,
} from '@aws-sdk/client-ec2';
import t, { type Test } from 'tap';
import { CallRunner } from '../../src/api/call-runner.js';
import { LoopbackAddressAllocator } from '../../src/dataplane/loopback-addresses.js';
import { buildApp } from '../../src/http/app.js';
import { defaultNetwork } from '../../src/domain/elasticache/default-network.js';
import { ec2Api, ec2SubnetDirectory, findSecurityGroup } from '../../src/services/ec2/index.js';
import { openDatabase } from '../../src/store/database.js';
import { Store } from '../../src/store/store.js';
import { awsCli, findOnPath } from '../fixtures/aws-cli.js';
import { CREDENTIALS, tempDir } from '../fixtures/emulator.js';

interface Ec2Server {
  url: string;
  store: Store;
  close(): Promise<void>;
}

async function startEc2(t: Test, dataDir = ':memory:'): Promise<Ec2Server> {
  const store = new Store(openDatabase(dataDir), new LoopbackAddressAllocator('127.1.0.1'));
  const app = await buildApp({ calls: new CallRunner([ec2Api({ store })], { store }), logLevel: 'silent' });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    store.close();
  };
  t.teardown(close);
  return { url: address, store, close };
}

function ec2(server: Ec2Server, options: { region?: string; accessKeyId?: string } = {}): EC2Client {
  return new EC2Client({
    endpoint: server.url,
    region: options.region ?? 'us-east-1',
    credentials: { ...CREDENTIALS, accessKeyId: options.accessKeyId ?? CREDENTIALS.accessKeyId },
    maxAttempts: 1,
  });
}

/** Resolves to the error's code ('' when the call succeeded). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return '';
  } catch (error: any) {
    return error?.name ?? String(error);
  }
}

const SCOPE = { account: '000000000000', region: 'us-east-1' };

t.test('the default VPC: the ids ElastiCache names, its subnets, route table, ACL and security group', async (t) => {
  const server = await startEc2(t);
  const client = ec2(server);
  const network = defaultNetwork(SCOPE);

  const vpcs = await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  t.equal(vpcs.Vpcs?.length, 1, 'one default VPC');
  const vpc = vpcs.Vpcs![0];
  t.equal(vpc.VpcId, network.vpcId, 'with the id defaultNetwork() names');
  t.equal(vpc.CidrBlock, '172.31.0.0/16');
  t.equal(vpc.IsDefault, true);
  t.equal(vpc.State, 'available');
  t.equal(vpc.OwnerId, '000000000000');
  t.equal(vpc.InstanceTenancy, 'default');
  t.match(vpc.DhcpOptionsId, /^dopt-[0-9a-f]{17}$/);
  t.equal(vpc.CidrBlockAssociationSet?.[0].CidrBlock, '172.31.0.0/16');
  t.equal(vpc.CidrBlockAssociationSet?.[0].CidrBlockState?.State, 'associated');

  const subnets = await client.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [network.vpcId] }] }),
  );
  t.same(
    subnets.Subnets?.map((s) => ({ id: s.SubnetId, zone: s.AvailabilityZone })),
    network.subnets.map((s) => ({ id: s.subnetId, zone: s.availabilityZone })),
    'one default subnet per zone, with the ids and zones defaultNetwork() names',
  );
  t.same(
    subnets.Subnets?.map((s) => s.CidrBlock),
    ['172.31.0.0/20', '172.31.16.0/20', '172.31.32.0/20', '172.31.48.0/20', '172.31.64.0/20', '172.31.80.0/20'],
  );
  t.ok(
    subnets.Subnets?.every((s) => s.DefaultForAz === true && s.MapPublicIpOnLaunch === true),
    'defaultForAz, public IPs',
  );
  t.ok(
    subnets.Subnets?.every((s) => s.AvailableIpAddressCount === 4091),
    '/20 minus the 5 reserved addresses',
  );
  t.same(
    subnets.Subnets?.map((s) => s.AvailabilityZoneId),
    ['use1-az1', 'use1-az2', 'use1-az3', 'use1-az4', 'use1-az5', 'use1-az6'],
  );
  const defaultForAz = await client.send(
    new DescribeSubnetsCommand({
      Filters: [
        { Name: 'default-for-az', Values: ['true'] },
        { Name: 'availability-zone', Values: ['us-east-1c'] },
      ],
    }),
  );
  t.same(
    defaultForAz.Subnets?.map((s) => s.SubnetId),
    [network.subnets[2].subnetId],
    'filters default-for-az + availability-zone',
  );

  const groups = await client.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: ['default'] },
        { Name: 'vpc-id', Values: [network.vpcId] },
      ],
    }),
  );
  t.equal(groups.SecurityGroups?.length, 1);
  const group = groups.SecurityGroups![0];
  t.equal(group.GroupId, network.securityGroupId, 'the default security group has the id defaultNetwork() names');
  t.equal(group.Description, 'default VPC security group');
  t.same(group.IpPermissions, [
    {
      IpProtocol: '-1',
      UserIdGroupPairs: [{ UserId: '000000000000', GroupId: network.securityGroupId }],
      IpRanges: [],
      Ipv6Ranges: [],
      PrefixListIds: [],
    },
  ]);
  t.same(group.IpPermissionsEgress, [
    { IpProtocol: '-1', UserIdGroupPairs: [], IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [] },
  ]);

  const tables = await client.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'association.main', Values: ['true'] },
        { Name: 'vpc-id', Values: [network.vpcId] },
      ],
    }),
  );
  t.equal(tables.RouteTables?.length, 1, 'a main route table');
  t.same(
    tables.RouteTables![0].Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId?.replace(/-.*/, '')]),
    [
      ['172.31.0.0/16', 'local'],
      ['0.0.0.0/0', 'igw'],
    ],
    'a local route and one to the internet gateway',
  );
  const acls = await client.send(
    new DescribeNetworkAclsCommand({
      Filters: [
        { Name: 'default', Values: ['true'] },
        { Name: 'vpc-id', Values: [network.vpcId] },
      ],
    }),
  );
  t.equal(acls.NetworkAcls?.length, 1, 'a default network ACL');
  t.equal(acls.NetworkAcls![0].Associations?.length, 6, 'associated with every default subnet');
  t.same(
    acls.NetworkAcls![0].Entries?.map((e) => [e.Egress, e.RuleNumber, e.RuleAction, e.CidrBlock, e.Protocol]),
    [
      [true, 100, 'allow', '0.0.0.0/0', '-1'],
      [true, 32767, 'deny', '0.0.0.0/0', '-1'],
      [false, 100, 'allow', '0.0.0.0/0', '-1'],
      [false, 32767, 'deny', '0.0.0.0/0', '-1'],
    ],
  );
  const hostnames = await client.send(
    new DescribeVpcAttributeCommand({ VpcId: network.vpcId, Attribute: 'enableDnsHostnames' }),
  );
  t.equal(hostnames.EnableDnsHostnames?.Value, true, 'the default VPC has DNS hostnames');

  const attributes = await client.send(new DescribeAccountAttributesCommand({}));
  const byName = Object.fromEntries(
    attributes.AccountAttributes!.map((a) => [a.AttributeName, a.AttributeValues?.map((v) => v.AttributeValue)]),
  );
  t.same(byName['supported-platforms'], ['VPC']);
  t.same(byName['default-vpc'], [network.vpcId]);
  t.same(byName['max-instances'], ['20']);
  const only = await client.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }));
  t.same(
    only.AccountAttributes?.map((a) => a.AttributeName),
    ['default-vpc'],
  );

  t.same(ec2SubnetDirectory(server.store).find(SCOPE, network.subnets[0].subnetId), {
    subnetId: network.subnets[0].subnetId,
    vpcId: network.vpcId,
    availabilityZone: 'us-east-1a',
  });
  t.same(findSecurityGroup(server.store, SCOPE, network.securityGroupId), {
    groupId: network.securityGroupId,
    vpcId: network.vpcId,
  });
  t.equal(findSecurityGroup(server.store, SCOPE, 'sg-0000000000000000a'), undefined);
});

t.test('aws_vpc: CreateVpc, then the Read calls with their filters (§8)', async (t) => {
  const server = await startEc2(t);
  const client = ec2(server);

  const created = await client.send(
    new CreateVpcCommand({
      CidrBlock: '10.0.0.0/16',
      InstanceTenancy: 'default',
      AmazonProvidedIpv6CidrBlock: false,
      TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'main' }] }],
    }),
  );
  const vpcId = created.Vpc!.VpcId!;
  t.match(vpcId, /^vpc-[0-9a-f]{17}$/);
  t.equal(created.Vpc?.CidrBlock, '10.0.0.0/16');
  t.equal(created.Vpc?.IsDefault, false);
  t.same(created.Vpc?.Tags, [{ Key: 'Name', Value: 'main' }]);
  await waitUntilVpcAvailable({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { VpcIds: [vpcId] });

  const described = await client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
  t.equal(described.Vpcs?.length, 1);
  t.equal(described.Vpcs![0].State, 'available');
  t.same(described.Vpcs![0].Ipv6CidrBlockAssociationSet ?? [], []);

  const attribute = async (
    Attribute: 'enableDnsHostnames' | 'enableDnsSupport' | 'enableNetworkAddressUsageMetrics',
  ) => {
    const out = await client.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute }));
    t.equal(out.VpcId, vpcId);
    return (out.EnableDnsHostnames ?? out.EnableDnsSupport ?? out.EnableNetworkAddressUsageMetrics)?.Value;
  };
  t.equal(await attribute('enableDnsHostnames'), false);
  t.equal(await attribute('enableDnsSupport'), true);
  t.equal(await attribute('enableNetworkAddressUsageMetrics'), false);

  const acls = await client.send(
    new DescribeNetworkAclsCommand({
      Filters: [
        { Name: 'default', Values: ['true'] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
  );
  t.equal(acls.NetworkAcls?.length, 1);
  const aclId = acls.NetworkAcls![0].NetworkAclId!;
  t.match(aclId, /^acl-[0-9a-f]{17}$/);
  t.equal(acls.NetworkAcls![0].IsDefault, true);
  t.same(acls.NetworkAcls![0].Associations, [], 'no subnets yet');

  const tables = await client.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'association.main', Values: ['true'] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
  );
  t.equal(tables.RouteTables?.length, 1);
  const table = tables.RouteTables![0];
  t.match(table.RouteTableId, /^rtb-[0-9a-f]{17}$/);
  t.equal(table.Associations?.[0].Main, true);
  t.match(table.Associations?.[0].RouteTableAssociationId, /^rtbassoc-[0-9a-f]{17}$/);
  t.same(table.Routes, [
    { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
  ]);

  const groups = await client.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: ['default'] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
  );
  t.equal(groups.SecurityGroups?.length, 1);
  const group = groups.SecurityGroups![0];
  t.match(group.GroupId, /^sg-[0-9a-f]{17}$/);
  t.equal(group.GroupName, 'default');
  t.equal(group.Description, 'default VPC security group');
  t.same(
    group.IpPermissions?.[0].UserIdGroupPairs?.map((p) => p.GroupId),
    [group.GroupId],
    'ingress from itself',
  );
  t.same(group.IpPermissionsEgress?.[0].IpRanges, [{ CidrIp: '0.0.0.0/0' }], 'egress allow-all');

  await client.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  t.equal(await attribute('enableDnsHostnames'), true, 'ModifyVpcAttribute');
  t.equal(
    await codeOf(
      client.send(
        new ModifyVpcAttributeCommand({
          VpcId: vpcId,
          EnableDnsHostnames: { Value: true },
          EnableDnsSupport: { Value: true },
        }),
      ),
    ),
    'InvalidParameterCombination',
    'one attribute at a time',
  );

  // Filters of DescribeVpcs.
  const names = async (Filters: { Name: string; Values: string[] }[]) =>
    (await client.send(new DescribeVpcsCommand({ Filters }))).Vpcs!.map((v) => v.VpcId);
  t.same(await names([{ Name: 'cidr', Values: ['10.0.0.0/16'] }]), [vpcId]);
  t.same(await names([{ Name: 'cidr-block-association.cidr-block', Values: ['10.0.*'] }]), [vpcId], 'wildcards');
  t.same(await names([{ Name: 'tag:Name', Values: ['main'] }]), [vpcId]);
  t.same(await names([{ Name: 'tag:Name', Values: ['other'] }]), []);
  t.same(await names([{ Name: 'tag-key', Values: ['Name'] }]), [vpcId]);
  t.same(await names([{ Name: 'is-default', Values: ['false'] }]), [vpcId]);
  t.same(
    await names([
      { Name: 'state', Values: ['available'] },
      { Name: 'owner-id', Values: ['000000000000'] },
    ]).then((l) => l.length),
    2,
  );
  t.same(
    await names([{ Name: 'vpc-id', Values: [vpcId, 'vpc-00000000000000000'] }]),
    [vpcId],
    'values of one filter are ORed',
  );
  t.equal(
    await codeOf(client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] }))),
    'InvalidParameterValue',
  );

  // Paging.
  const first = await client.send(new DescribeVpcsCommand({ MaxResults: 5 }));
  t.equal(first.Vpcs?.length, 2);
  t.equal(first.NextToken, undefined);

  // An IPv6 VPC gets an Amazon /56, an IPv6 local route, ACL entries and an IPv6 egress rule on new groups.
  const v6 = await client.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16', AmazonProvidedIpv6CidrBlock: true }));
  const block = v6.Vpc?.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock;
  t.match(block, /^2600:1f18:[0-9a-f]{4}:[0-9a-f]{2}00::\/56$/);
  const v6Group = await client.send(
    new CreateSecurityGroupCommand({ GroupName: 'v6', Description: 'v6', VpcId: v6.Vpc!.VpcId }),
  );
  const v6Rules = await client.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [v6Group.GroupId!] }] }),
  );
  t.same(v6Rules.SecurityGroupRules?.map((r) => r.CidrIpv4 ?? r.CidrIpv6).sort(), ['0.0.0.0/0', '::/0']);
});

t.test('aws_subnet: CreateSubnet then DescribeSubnets twice (§8), filters, attributes, delete', async (t) => {
  const server = await startEc2(t);
  const client = ec2(server);
  const vpcId = (await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;

  const created = await client.send(
    new CreateSubnetCommand({
      AvailabilityZone: 'us-east-1b',
      CidrBlock: '10.0.1.0/24',
      VpcId: vpcId,
      TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'tier', Value: 'cache' }] }],
    }),
  );
  const subnetId = created.Subnet!.SubnetId!;
  t.match(subnetId, /^subnet-[0-9a-f]{17}$/);
  await waitUntilSubnetAvailable({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { SubnetIds: [subnetId] });
  for (let i = 0; i < 2; i++) {
    const out = await client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
    const subnet = out.Subnets![0];
    t.equal(subnet.VpcId, vpcId);
    t.equal(subnet.CidrBlock, '10.0.1.0/24');
    t.equal(subnet.AvailabilityZone, 'us-east-1b');
    t.equal(subnet.AvailabilityZoneId, 'use1-az2');
    t.equal(subnet.AvailableIpAddressCount, 251, '256 - 5');
    t.equal(subnet.State, 'available');
    t.equal(subnet.DefaultForAz, false);
    t.equal(subnet.MapPublicIpOnLaunch, false);
    t.equal(subnet.AssignIpv6AddressOnCreation, false);
    t.equal(subnet.SubnetArn, `arn:aws:ec2:us-east-1:000000000000:subnet/${subnetId}`);
    t.same(subnet.Tags, [{ Key: 'tier', Value: 'cache' }]);
    t.equal(subnet.PrivateDnsNameOptionsOnLaunch?.HostnameType, 'ip-name');
  }
  const defaultZone = await client.send(new CreateSubnetCommand({ CidrBlock: '10.0.2.0/28', VpcId: vpcId }));
  t.equal(defaultZone.Subnet?.AvailabilityZone, 'us-east-1a', 'no zone given: the first one');
  t.equal(defaultZone.Subnet?.AvailableIpAddressCount, 11);
  const byZoneId = await client.send(
    new CreateSubnetCommand({ CidrBlock: '10.0.3.0/24', VpcId: vpcId, AvailabilityZoneId: 'use1-az6' }),
  );
  t.equal(byZoneId.Subnet?.AvailabilityZone, 'us-east-1f', 'AvailabilityZoneId');

  const codes = {
    conflict: await codeOf(client.send(new CreateSubnetCommand({ CidrBlock: '10.0.1.128/25', VpcId: vpcId }))),
    containing: await codeOf(client.send(new CreateSubnetCommand({ CidrBlock: '10.0.0.0/22', VpcId: vpcId }))),
    outside: await codeOf(client.send(new CreateSubnetCommand({ CidrBlock: '10.1.0.0/24', VpcId: vpcId }))),
    tooSmall: await codeOf(client.send(new CreateSubnetCommand({ CidrBlock: '10.0.9.0/29', VpcId: vpcId }))),
    malformed: await codeOf(client.send(new CreateSubnetCommand({ CidrBlock: '10.0.9.1/24', VpcId: vpcId }))),
    zone: await codeOf(
      client.send(new CreateSubnetCommand({ CidrBlock: '10.0.9.0/24', VpcId: vpcId, AvailabilityZone: 'eu-west-1a' })),
    ),
    vpc: await codeOf(
      client.send(new CreateSubnetCommand({ CidrBlock: '10.0.9.0/24', VpcId: 'vpc-00000000000000000' })),
    ),
    missingVpc: await codeOf(client.send(new CreateSubnetCommand({ CidrBlock: '10.0.9.0/24' } as any))),
    missingCidr: await codeOf(client.send(new CreateSubnetCommand({ VpcId: vpcId }))),
    describe: await codeOf(client.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-00000000000000000'] }))),
    malformedId: await codeOf(client.send(new DescribeSubnetsCommand({ SubnetIds: ['vpc-00000000000000000'] }))),
  };
  t.same(codes, {
    conflict: 'InvalidSubnet.Conflict',
    containing: 'InvalidSubnet.Conflict',
    outside: 'InvalidSubnet.Range',
    tooSmall: 'InvalidSubnet.Range',
    malformed: 'InvalidParameterValue',
    zone: 'InvalidParameterValue',
    vpc: 'InvalidVpcID.NotFound',
    // A model-required member: the protocol layer answers InvalidParameterValue today, EC2 says MissingParameter.
    missingVpc: codes.missingVpc === 'MissingParameter' ? 'MissingParameter' : 'InvalidParameterValue',
    missingCidr: 'MissingParameter',
    describe: 'InvalidSubnetID.NotFound',
    malformedId: 'InvalidSubnetID.Malformed',
  });

  const filtered = async (Filters: { Name: string; Values: string[] }[]) =>
    (await client.send(new DescribeSubnetsCommand({ Filters }))).Subnets!.map((s) => s.SubnetId);
  t.same(await filtered([{ Name: 'vpc-id', Values: [vpcId] }]), [
    subnetId,
    defaultZone.Subnet!.SubnetId,
    byZoneId.Subnet!.SubnetId,
  ]);
  t.same(await filtered([{ Name: 'subnet-id', Values: [subnetId] }]), [subnetId]);
  t.same(await filtered([{ Name: 'cidr-block', Values: ['10.0.1.0/24'] }]), [subnetId]);
  t.same(
    await filtered([
      { Name: 'availability-zone', Values: ['us-east-1b'] },
      { Name: 'vpc-id', Values: [vpcId] },
    ]),
    [subnetId],
  );
  t.same(await filtered([{ Name: 'tag:tier', Values: ['cache'] }]), [subnetId]);
  t.same(await filtered([{ Name: 'default-for-az', Values: ['false'] }]).then((l) => l.length), 3);

  await client.send(new ModifySubnetAttributeCommand({ SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } }));
  const modified = await client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
  t.equal(modified.Subnets![0].MapPublicIpOnLaunch, true, 'ModifySubnetAttribute MapPublicIpOnLaunch');
  await client.send(
    new ModifySubnetAttributeCommand({ SubnetId: subnetId, PrivateDnsHostnameTypeOnLaunch: 'resource-name' }),
  );
  t.equal(
    (await client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets![0].PrivateDnsNameOptionsOnLaunch
      ?.HostnameType,
    'resource-name',
  );

  const acl = await client.send(
    new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
  );
  t.equal(acl.NetworkAcls?.[0]?.VpcId, vpcId, 'the subnet is associated with its VPC default ACL');
  t.match(
    acl.NetworkAcls?.[0]?.Associations?.find((a) => a.SubnetId === subnetId)?.NetworkAclAssociationId,
    /^aclassoc-/,
  );

  t.same(
    ec2SubnetDirectory(server.store).find(SCOPE, subnetId),
    { subnetId, vpcId, availabilityZone: 'us-east-1b' },
    'the directory',
  );

  t.equal(
    await codeOf(client.send(new DeleteVpcCommand({ VpcId: vpcId }))),
    'DependencyViolation',
    'a VPC with subnets',
  );
  await client.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
  t.equal(await codeOf(client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))), 'InvalidSubnetID.NotFound');
  t.equal(await codeOf(client.send(new DeleteSubnetCommand({ SubnetId: subnetId }))), 'InvalidSubnetID.NotFound');
  t.equal(ec2SubnetDirectory(server.store).find(SCOPE, subnetId), undefined);
});

t.test('aws_security_group: create, revoke the default egress rules, authorize, describe (§8)', async (t) => {
  const server = await startEc2(t);
  const client = ec2(server);
  const vpcId = (await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;

  const created = await client.send(
    new CreateSecurityGroupCommand({ GroupName: 'cache', Description: 'Managed by Terraform', VpcId: vpcId }),
  );
  const groupId = created.GroupId!;
  t.match(groupId, /^sg-[0-9a-f]{17}$/);
  t.equal(created.SecurityGroupArn, `arn:aws:ec2:us-east-1:000000000000:security-group/${groupId}`);

  const describe = async () =>
    (await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups![0];
  const fresh = await describe();
  t.equal(fresh.GroupName, 'cache');
  t.equal(fresh.VpcId, vpcId);
  t.equal(fresh.OwnerId, '000000000000');
  t.same(fresh.IpPermissions, []);
  t.same(
    fresh.IpPermissionsEgress,
    [
      {
        IpProtocol: '-1',
        UserIdGroupPairs: [],
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        Ipv6Ranges: [],
        PrefixListIds: [],
      },
    ],
    'the default egress rule',
  );

  // Terraform's two revokes: IPv4 must succeed, IPv6 may answer InvalidPermission.NotFound.
  const revoked = await client.send(
    new RevokeSecurityGroupEgressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: '-1', FromPort: 0, ToPort: 0, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  t.equal(revoked.Return, true);
  t.match(revoked.RevokedSecurityGroupRules?.[0]?.SecurityGroupRuleId, /^sgr-[0-9a-f]{17}$/);
  t.equal(
    await codeOf(
      client.send(
        new RevokeSecurityGroupEgressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: '-1', FromPort: 0, ToPort: 0, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
        }),
      ),
    ),
    'InvalidPermission.NotFound',
    'the IPv6 default egress revoke of a VPC without IPv6',
  );
  t.same((await describe()).IpPermissionsEgress, []);

  const ingress = await client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 6379,
          ToPort: 6379,
          IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'redis' }],
        },
      ],
    }),
  );
  t.equal(ingress.Return, true);
  t.equal(ingress.SecurityGroupRules?.length, 1);
  const ingressRule = ingress.SecurityGroupRules![0];
  t.match(ingressRule, {
    GroupId: groupId,
    GroupOwnerId: '000000000000',
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: 6379,
    ToPort: 6379,
    CidrIpv4: '10.0.0.0/16',
    Description: 'redis',
  });
  t.match(ingressRule.SecurityGroupRuleId, /^sgr-[0-9a-f]{17}$/);
  const egress = await client.send(
    new AuthorizeSecurityGroupEgressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  t.equal(egress.SecurityGroupRules?.[0]?.IsEgress, true);
  t.equal(egress.SecurityGroupRules?.[0]?.FromPort, -1);

  const after = await describe();
  t.same(after.IpPermissions, [
    {
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      UserIdGroupPairs: [],
      IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'redis' }],
      Ipv6Ranges: [],
      PrefixListIds: [],
    },
  ]);
  t.same(after.IpPermissionsEgress, [
    { IpProtocol: '-1', UserIdGroupPairs: [], IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [] },
  ]);

  // Another range of the same protocol and ports joins the same permission; "6" is tcp.
  await client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        {
          IpProtocol: '6',
          FromPort: 6379,
          ToPort: 6379,
          IpRanges: [{ CidrIp: '192.168.0.0/24' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32', Description: 'v6' }],
          PrefixListIds: [{ PrefixListId: 'pl-0123456789abcdef0' }],
        },
      ],
    }),
  );
  const grouped = (await describe()).IpPermissions!;
  t.equal(grouped.length, 1, 'one permission per protocol and port range');
  t.same(
    grouped[0].IpRanges?.map((r) => r.CidrIp),
    ['10.0.0.0/16', '192.168.0.0/24'],
  );
  t.same(grouped[0].Ipv6Ranges, [{ CidrIpv6: '2001:db8::/32', Description: 'v6' }]);
  t.same(grouped[0].PrefixListIds, [{ PrefixListId: 'pl-0123456789abcdef0' }]);

  // A rule referencing another group.
  const other = await client.send(
    new CreateSecurityGroupCommand({ GroupName: 'clients', Description: 'clients', VpcId: vpcId }),
  );
  const pair = await client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 6379,
          ToPort: 6380,
          UserIdGroupPairs: [{ GroupId: other.GroupId, Description: 'app' }],
        },
      ],
    }),
  );
  t.same(pair.SecurityGroupRules?.[0]?.ReferencedGroupInfo, { GroupId: other.GroupId, UserId: '000000000000' });
  const withPair = (await describe()).IpPermissions!.find((p) => p.ToPort === 6380);
  t.same(withPair?.UserIdGroupPairs, [{ UserId: '000000000000', GroupId: other.GroupId, Description: 'app' }]);

  const rules = await client.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  t.equal(rules.SecurityGroupRules?.length, 6, 'tcp 10/8, egress all, tcp 192.168, v6, prefix list, group pair');
  const one = await client.send(
    new DescribeSecurityGroupRulesCommand({
      Filters: [{ Name: 'security-group-rule-id', Values: [ingressRule.SecurityGroupRuleId!] }],
    }),
  );
  t.same(
    one.SecurityGroupRules?.map((r) => r.CidrIpv4),
    ['10.0.0.0/16'],
  );

  // Errors.
  const tcp = (cidr: string) => [{ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, IpRanges: [{ CidrIp: cidr }] }];
  const codes = {
    duplicate: await codeOf(
      client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: tcp('10.0.0.0/16') })),
    ),
    duplicateInCall: await codeOf(
      client.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [...tcp('1.2.3.0/24'), ...tcp('1.2.3.0/24')],
        }),
      ),
    ),
    missingPair: await codeOf(
      client.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-00000000000000000' }] }],
        }),
      ),
    ),
    noPorts: await codeOf(
      client.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '1.0.0.0/8' }] }],
        }),
      ),
    ),
    badProtocol: await codeOf(
      client.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: 'tcpx', IpRanges: [{ CidrIp: '1.0.0.0/8' }] }],
        }),
      ),
    ),
    badCidr: await codeOf(
      client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: tcp('1.0.0.0/33') })),
    ),
    revokeMissing: await codeOf(
      client.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: tcp('8.8.8.8/32') })),
    ),
    revokeRuleId: await codeOf(
      client.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ['sgr-00000000000000000'] }),
      ),
    ),
    unknownGroup: await codeOf(
      client.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-00000000000000000', IpPermissions: tcp('1.0.0.0/8') }),
      ),
    ),
    noGroup: await codeOf(client.send(new AuthorizeSecurityGroupIngressCommand({ IpPermissions: tcp('1.0.0.0/8') }))),
    describeMissing: await codeOf(
      client.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-00000000000000000'] })),
    ),
    describeRuleMissing: await codeOf(
      client.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: ['sgr-00000000000000000'] })),
    ),
    nameDuplicate: await codeOf(
      client.send(new CreateSecurityGroupCommand({ GroupName: 'cache', Description: 'again', VpcId: vpcId })),
    ),
    nameDefault: await codeOf(
      client.send(new CreateSecurityGroupCommand({ GroupName: 'default', Description: 'again', VpcId: vpcId })),
    ),
    nameSg: await codeOf(
      client.send(new CreateSecurityGroupCommand({ GroupName: 'sg-mine', Description: 'x', VpcId: vpcId })),
    ),
    nameVpc: await codeOf(
      client.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: 'vpc-00000000000000000' })),
    ),
    deleteReferenced: await codeOf(client.send(new DeleteSecurityGroupCommand({ GroupId: other.GroupId }))),
    deleteMissing: await codeOf(client.send(new DeleteSecurityGroupCommand({ GroupId: 'sg-00000000000000000' }))),
    deleteVpc: await codeOf(client.send(new DeleteVpcCommand({ VpcId: vpcId }))),
  };
  t.same(codes, {
    duplicate: 'InvalidPermission.Duplicate',
    duplicateInCall: 'InvalidPermission.Duplicate',
    missingPair: 'InvalidGroup.NotFound',
    noPorts: 'InvalidParameterValue',
    badProtocol: 'InvalidParameterValue',
    badCidr: 'InvalidParameterValue',
    revokeMissing: 'InvalidPermission.NotFound',
    revokeRuleId: 'InvalidSecurityGroupRuleId.NotFound',
    unknownGroup: 'InvalidGroup.NotFound',
    noGroup: 'MissingParameter',
    describeMissing: 'InvalidGroup.NotFound',
    describeRuleMissing: 'InvalidSecurityGroupRuleId.NotFound',
    nameDuplicate: 'InvalidGroup.Duplicate',
    nameDefault: 'InvalidGroup.Duplicate',
    nameSg: 'InvalidParameterValue',
    nameVpc: 'InvalidVpcID.NotFound',
    deleteReferenced: 'DependencyViolation',
    deleteMissing: 'InvalidGroup.NotFound',
    deleteVpc: 'DependencyViolation',
  });
  t.equal(
    (await client.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
      .SecurityGroupRules?.length,
    6,
    'failed calls changed nothing',
  );

  // Revoking by rule id and by permission; a partly unknown revoke reports the unknown part.
  const partly = await client.send(
    new RevokeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { ...tcp('192.168.0.0/24')[0], IpRanges: [{ CidrIp: '192.168.0.0/24' }, { CidrIp: '9.9.9.9/32' }] },
      ],
    }),
  );
  t.equal(partly.Return, true);
  t.same(partly.UnknownIpPermissions?.[0]?.IpRanges, [{ CidrIp: '9.9.9.9/32' }]);
  await client.send(
    new RevokeSecurityGroupIngressCommand({
      GroupId: groupId,
      SecurityGroupRuleIds: [pair.SecurityGroupRules![0].SecurityGroupRuleId!],
    }),
  );
  await client.send(new DeleteSecurityGroupCommand({ GroupId: other.GroupId }));
  t.equal(
    await codeOf(client.send(new DescribeSecurityGroupsCommand({ GroupIds: [other.GroupId!] }))),
    'InvalidGroup.NotFound',
    'deleted once unreferenced',
  );

  // The default group cannot be deleted; a VPC's groups go before the VPC, which takes its default group along.
  const defaultGroup = (
    await client.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: ['default'] },
        ],
      }),
    )
  ).SecurityGroups![0];
  t.equal(await codeOf(client.send(new DeleteSecurityGroupCommand({ GroupId: defaultGroup.GroupId }))), 'CannotDelete');
  const deleted = await client.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
  t.equal(deleted.Return, true);
  t.equal(deleted.GroupId, groupId);
  t.same(
    (await client.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
      .SecurityGroupRules,
    [],
  );
  await client.send(new DeleteVpcCommand({ VpcId: vpcId }));
  t.equal(await codeOf(client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))), 'InvalidVpcID.NotFound');
  t.equal(
    await codeOf(client.send(new DescribeSecurityGroupsCommand({ GroupIds: [defaultGroup.GroupId!] }))),
    'InvalidGroup.NotFound',
    'its default group went with it',
  );
  t.same(
    (await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables,
    [],
    'its route table too',
  );
  t.same(
    (await client.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).NetworkAcls,
    [],
    'and its ACL',
  );
  t.equal(await codeOf(client.send(new DeleteVpcCommand({ VpcId: vpcId }))), 'InvalidVpcID.NotFound');
});

t.test('security groups in the default VPC: by name, the older top-level parameters', async (t) => {
  const server = await startEc2(t);
  const client = ec2(server);
  const network = defaultNetwork(SCOPE);
  const created = await client.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web servers' }));
  const byName = await client.send(new DescribeSecurityGroupsCommand({ GroupNames: ['web'] }));
  t.equal(byName.SecurityGroups?.[0]?.GroupId, created.GroupId);
  t.equal(byName.SecurityGroups?.[0]?.VpcId, network.vpcId, 'no VpcId: the default VPC');
  t.equal(
    await codeOf(client.send(new DescribeSecurityGroupsCommand({ GroupNames: ['nope'] }))),
    'InvalidGroup.NotFound',
  );

  await client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupName: 'web',
      IpProtocol: 'tcp',
      FromPort: 80,
      ToPort: 80,
      CidrIp: '0.0.0.0/0',
    }),
  );
  await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupName: 'web', SourceSecurityGroupName: 'default' }));
  const group = (await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId!] })))
    .SecurityGroups![0];
  t.same(
    group.IpPermissions?.map((p) => [
      p.IpProtocol,
      p.FromPort,
      p.IpRanges?.[0]?.CidrIp,
      p.UserIdGroupPairs?.[0]?.GroupId,
    ]),
    [
      ['tcp', 80, '0.0.0.0/0', undefined],
      ['-1', undefined, undefined, network.securityGroupId],
    ],
  );
  await client.send(
    new RevokeSecurityGroupIngressCommand({
      GroupName: 'web',
      IpProtocol: 'tcp',
      FromPort: 80,
      ToPort: 80,
      CidrIp: '0.0.0.0/0',
    }),
  );
  await client.send(new DeleteSecurityGroupCommand({ GroupName: 'web' }));
  t.equal(await codeOf(client.send(new DeleteSecurityGroupCommand({ GroupName: 'default' }))), 'CannotDelete');
  const filtered = await client.send(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'ip-permission.group-id', Values: [network.securityGroupId] }],
    }),
  );
  t.same(
    filtered.SecurityGroups?.map((g) => g.GroupId),
    [network.securityGroupId],
    'ip-permission.* filters',
  );
});

t.test('VPC errors, DryRun, deleting the default VPC', async (t) => {
  const server = await startEc2(t);
  const client = ec2(server);
  const codes = {
    tooBig: await codeOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' }))),
    tooSmall: await codeOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/29' }))),
    malformed: await codeOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0/16' }))),
    hostBits: await codeOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.1/16' }))),
    missing: await codeOf(client.send(new CreateVpcCommand({}))),
    describe: await codeOf(client.send(new DescribeVpcsCommand({ VpcIds: ['vpc-00000000000000000'] }))),
    malformedId: await codeOf(client.send(new DescribeVpcsCommand({ VpcIds: ['subnet-00000000000000000'] }))),
    attribute: await codeOf(
      client.send(new DescribeVpcAttributeCommand({ VpcId: 'vpc-00000000000000000', Attribute: 'enableDnsSupport' })),
    ),
    routeTable: await codeOf(client.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-00000000000000000'] }))),
    acl: await codeOf(client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: ['acl-00000000000000000'] }))),
    dryRun: await codeOf(client.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16', DryRun: true }))),
    dryRunInvalid: await codeOf(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8', DryRun: true }))),
  };
  t.same(codes, {
    tooBig: 'InvalidVpc.Range',
    tooSmall: 'InvalidVpc.Range',
    malformed: 'InvalidParameterValue',
    hostBits: 'InvalidParameterValue',
    missing: 'MissingParameter',
    describe: 'InvalidVpcID.NotFound',
    malformedId: 'InvalidVpcID.Malformed',
    attribute: 'InvalidVpcID.NotFound',
    routeTable: 'InvalidRouteTableID.NotFound',
    acl: 'InvalidNetworkAclID.NotFound',
    dryRun: 'DryRunOperation',
    dryRunInvalid: 'InvalidVpc.Range',
  });
  t.same(
    (await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.9.0.0/16'] }] }))).Vpcs,
    [],
    'the dry run created nothing',
  );

  // AWS lets you delete the default VPC once its subnets are gone; it then stays gone.
  const network = defaultNetwork(SCOPE);
  t.equal(await codeOf(client.send(new DeleteVpcCommand({ VpcId: network.vpcId }))), 'DependencyViolation');
  for (const subnet of network.subnets) await client.send(new DeleteSubnetCommand({ SubnetId: subnet.subnetId }));
  await client.send(new DeleteVpcCommand({ VpcId: network.vpcId }));
  t.same((await client.send(new DescribeVpcsCommand({}))).Vpcs, [], 'no VPC left');
  const attributes = await client.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }));
  t.same(attributes.AccountAttributes?.[0]?.AttributeValues, [{ AttributeValue: 'none' }]);
  t.equal(
    await codeOf(client.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x' }))),
    'VPCIdNotSpecified',
  );
  t.equal(findSecurityGroup(server.store, SCOPE, network.securityGroupId), undefined);
});

t.test('tags: TagSpecifications, CreateTags, DeleteTags, DescribeTags on every taggable resource', async (t) => {
  const server = await startEc2(t);
  const client = ec2(server);
  const vpcId = (await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (await client.send(new CreateSubnetCommand({ CidrBlock: '10.0.0.0/24', VpcId: vpcId }))).Subnet!
    .SubnetId!;
  const groupId = (
    await client.send(
      new CreateSecurityGroupCommand({
        GroupName: 'g',
        Description: 'g',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'team', Value: 'cache' }] }],
      }),
    )
  ).GroupId!;
  const rtb = (await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })))
    .RouteTables![0].RouteTableId!;
  const acl = (await client.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })))
    .NetworkAcls![0].NetworkAclId!;

  await client.send(
    new CreateTagsCommand({
      Resources: [vpcId, subnetId, rtb, acl],
      Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'empty' }],
    }),
  );
  const vpcTags = (await client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs![0].Tags;
  t.same(vpcTags, [
    { Key: 'env', Value: 'dev' },
    { Key: 'empty', Value: '' },
  ]);
  t.same((await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups![0].Tags, [
    { Key: 'team', Value: 'cache' },
  ]);
  t.same((await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0].Tags?.length, 2);
  t.same((await client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl] }))).NetworkAcls![0].Tags?.length, 2);

  const all = await client.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['env'] }] }));
  t.same(
    all.Tags?.map((tag) => [tag.ResourceType, tag.ResourceId]).sort(),
    [
      ['network-acl', acl],
      ['route-table', rtb],
      ['subnet', subnetId],
      ['vpc', vpcId],
    ].sort(),
  );
  const byResource = await client.send(
    new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [groupId] }] }),
  );
  t.same(byResource.Tags, [{ ResourceId: groupId, ResourceType: 'security-group', Key: 'team', Value: 'cache' }]);
  const byType = await client.send(
    new DescribeTagsCommand({
      Filters: [
        { Name: 'resource-type', Values: ['vpc'] },
        { Name: 'value', Values: ['d*'] },
      ],
    }),
  );
  t.same(
    byType.Tags?.map((tag) => tag.Key),
    ['env'],
  );
  const paged = await client.send(new DescribeTagsCommand({ MaxResults: 5 }));
  t.equal(paged.Tags?.length, 5);
  t.ok(paged.NextToken, 'a next token');
  const rest = await client.send(new DescribeTagsCommand({ MaxResults: 5, NextToken: paged.NextToken }));
  t.equal(rest.Tags?.length, 4, '9 tags in all');

  // DeleteTags: by key, by key and value (only when it matches), all of them.
  await client.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'env', Value: 'prod' }] }));
  t.equal(
    (await client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs![0].Tags?.length,
    2,
    'another value: kept',
  );
  await client.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'env' }] }));
  t.same((await client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs![0].Tags, [
    { Key: 'empty', Value: '' },
  ]);
  await client.send(new DeleteTagsCommand({ Resources: [subnetId] }));
  t.same((await client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets![0].Tags, []);

  const codes = {
    vpc: await codeOf(
      client.send(new CreateTagsCommand({ Resources: ['vpc-00000000000000000'], Tags: [{ Key: 'a', Value: 'b' }] })),
    ),
    subnet: await codeOf(
      client.send(new CreateTagsCommand({ Resources: ['subnet-00000000000000000'], Tags: [{ Key: 'a', Value: 'b' }] })),
    ),
    group: await codeOf(
      client.send(new CreateTagsCommand({ Resources: ['sg-00000000000000000'], Tags: [{ Key: 'a', Value: 'b' }] })),
    ),
    rtb: await codeOf(
      client.send(new CreateTagsCommand({ Resources: ['rtb-00000000000000000'], Tags: [{ Key: 'a', Value: 'b' }] })),
    ),
    acl: await codeOf(client.send(new DeleteTagsCommand({ Resources: ['acl-00000000000000000'] }))),
    unknown: await codeOf(
      client.send(new CreateTagsCommand({ Resources: ['i-00000000000000000'], Tags: [{ Key: 'a', Value: 'b' }] })),
    ),
    reserved: await codeOf(
      client.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'aws:x', Value: 'b' }] })),
    ),
    wrongType: await codeOf(
      client.send(
        new CreateVpcCommand({
          CidrBlock: '10.5.0.0/16',
          TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'a', Value: 'b' }] }],
        }),
      ),
    ),
    tooMany: await codeOf(
      client.send(
        new CreateTagsCommand({
          Resources: [vpcId],
          Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })),
        }),
      ),
    ),
  };
  t.same(codes, {
    vpc: 'InvalidVpcID.NotFound',
    subnet: 'InvalidSubnetID.NotFound',
    group: 'InvalidGroup.NotFound',
    rtb: 'InvalidRouteTableID.NotFound',
    acl: 'InvalidNetworkAclID.NotFound',
    unknown: 'InvalidID',
    reserved: 'InvalidParameterValue',
    wrongType: 'InvalidParameterValue',
    tooMany: 'TagLimitExceeded',
  });
});

t.test('availability zones, account attributes, network interfaces', async (t) => {
  const server = await startEc2(t);
  const zones = await ec2(server, { region: 'eu-west-1' }).send(new DescribeAvailabilityZonesCommand({}));
  t.same(
    zones.AvailabilityZones?.map((z) => [z.ZoneName, z.ZoneId, z.State, z.RegionName, z.ZoneType]),
    [
      ['eu-west-1a', 'euw1-az1', 'available', 'eu-west-1', 'availability-zone'],
      ['eu-west-1b', 'euw1-az2', 'available', 'eu-west-1', 'availability-zone'],
      ['eu-west-1c', 'euw1-az3', 'available', 'eu-west-1', 'availability-zone'],
    ],
  );
  const client = ec2(server);
  t.equal(
    (await client.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones?.length,
    6,
    'us-east-1 has six',
  );
  const named = await client.send(
    new DescribeAvailabilityZonesCommand({
      Filters: [
        { Name: 'zone-name', Values: ['us-east-1d'] },
        { Name: 'state', Values: ['available'] },
      ],
    }),
  );
  t.same(
    named.AvailabilityZones?.map((z) => z.ZoneId),
    ['use1-az4'],
  );
  t.same(
    (await client.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['us-east-1b'] }))).AvailabilityZones?.map(
      (z) => z.ZoneName,
    ),
    ['us-east-1b'],
  );
  t.equal(
    await codeOf(client.send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['us-east-1z'] }))),
    'InvalidParameterValue',
  );

  const interfaces = await client.send(
    new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] }),
  );
  t.same(interfaces.NetworkInterfaces, []);
  t.equal(
    await codeOf(client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] }))),
    'InvalidParameterValue',
  );
  t.equal(
    await codeOf(client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-00000000000000000'] }))),
    'InvalidNetworkInterfaceID.NotFound',
  );
});

t.test('every account and region has its own network', async (t) => {
  const server = await startEc2(t);
  const home = ec2(server);
  const otherAccount = ec2(server, { accessKeyId: '111122223333' });
  const otherRegion = ec2(server, { region: 'eu-west-1' });
  const vpcId = (await home.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;

  for (const [what, client, scope] of [
    ['another account', otherAccount, { account: '111122223333', region: 'us-east-1' }],
    ['another region', otherRegion, { account: '000000000000', region: 'eu-west-1' }],
  ] as const) {
    t.equal(
      await codeOf(client.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))),
      'InvalidVpcID.NotFound',
      `${what} does not see the VPC`,
    );
    t.equal(
      await codeOf(client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' }))),
      'InvalidVpcID.NotFound',
    );
    const vpcs = (await client.send(new DescribeVpcsCommand({}))).Vpcs!;
    t.same(
      vpcs.map((v) => v.VpcId),
      [defaultNetwork(scope).vpcId],
      `${what} has only its own default VPC`,
    );
    t.equal(vpcs[0].OwnerId, scope.account);
  }
  t.not(defaultNetwork({ account: '111122223333', region: 'us-east-1' }).vpcId, defaultNetwork(SCOPE).vpcId);
  t.equal(
    (await otherRegion.send(new DescribeSubnetsCommand({}))).Subnets?.length,
    3,
    'eu-west-1 has three default subnets',
  );
});

t.test('ids survive a restart on the same data directory', async (t) => {
  const dir = tempDir(t, 'elasticache-local-ec2-');
  const first = await startEc2(t, dir);
  let client = ec2(first);
  const vpcId = (await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
  const groupId = (
    await client.send(new CreateSecurityGroupCommand({ GroupName: 'g', Description: 'g', VpcId: vpcId }))
  ).GroupId!;
  const snapshot = async () => ({
    tables: (await client.send(new DescribeRouteTablesCommand({}))).RouteTables!.map((r) => r.RouteTableId),
    acls: (await client.send(new DescribeNetworkAclsCommand({}))).NetworkAcls!.map((a) => [
      a.NetworkAclId,
      a.Associations,
    ]),
    groups: (await client.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupId),
    rules: (await client.send(new DescribeSecurityGroupRulesCommand({}))).SecurityGroupRules!.map(
      (r) => r.SecurityGroupRuleId,
    ),
    vpcs: (await client.send(new DescribeVpcsCommand({}))).Vpcs,
  });
  const before = await snapshot();
  t.ok(before.groups.includes(groupId));
  await first.close();

  const second = await startEc2(t, dir);
  client = ec2(second);
  t.same(await snapshot(), before, 'the same VPCs, route tables, ACLs, groups and rule ids');
});

const executable = findOnPath('aws');
t.test(
  'the AWS CLI: describe-vpcs and a security group rule',
  { skip: executable ? false : 'the AWS CLI (`aws`) is not on PATH' },
  async (t) => {
    const server = await startEc2(t);
    const cli = awsCli(t, executable!);
    const run = (args: string[]) => cli.run(['--endpoint-url', server.url, 'ec2', ...args]);
    const vpcs = await run(['describe-vpcs']);
    t.equal(vpcs.code, 0, vpcs.stderr);
    t.same(
      vpcs.json?.Vpcs?.map((v: any) => [v.VpcId, v.IsDefault, v.CidrBlock]),
      [[defaultNetwork(SCOPE).vpcId, true, '172.31.0.0/16']],
    );
    const filtered = await run(['describe-vpcs', '--filters', 'Name=is-default,Values=false']);
    t.same(filtered.json?.Vpcs, []);
    const group = await run(['create-security-group', '--group-name', 'cli', '--description', 'from the CLI']);
    t.equal(group.code, 0, group.stderr);
    const rule = await run([
      'authorize-security-group-ingress',
      '--group-id',
      group.json.GroupId,
      '--ip-permissions',
      'IpProtocol=tcp,FromPort=6379,ToPort=6379,IpRanges=[{CidrIp=10.0.0.0/8,Description=cli}]',
    ]);
    t.equal(rule.code, 0, rule.stderr);
    t.equal(rule.json?.Return, true);
    t.match(rule.json?.SecurityGroupRules?.[0]?.SecurityGroupRuleId, /^sgr-/);
    const missing = await run(['describe-subnets', '--subnet-ids', 'subnet-00000000000000000']);
    t.not(missing.code, 0);
    t.match(missing.stderr, /InvalidSubnetID\.NotFound/);
  },
);
