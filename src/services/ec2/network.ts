/**
 * The records a VPC consists of, shared by the handlers: the VPC itself, its main route table, its default network
 * ACL, its `default` security group (with their rules), and subnets. Also the default VPC every account has in
 * every region, materialised on first use with exactly the ids ElastiCache's defaultNetwork(scope) names.
 */
import type { NetworkAcl, RouteTable, SecurityGroup, Subnet, Tag, Tenancy, Vpc } from '@aws-sdk/client-ec2';
import type { Scope, Store, StoredResource } from '../../store/store.js';
import { availabilityZones, regionCode } from '../../domain/regions.js';
import { defaultNetwork } from '../../domain/elasticache/default-network.js';
import { ipv4Size, numberToIpv4, parseIpv4Cidr } from './cidr.js';
import { ec2Errors } from './errors.js';
import { derivedId, ec2Arn, newId } from './ids.js';
import { EC2_KIND } from './kinds.js';
import { insertRule } from './rules.js';

export const DEFAULT_VPC_CIDR = '172.31.0.0/16';
export const DEFAULT_GROUP_NAME = 'default';
export const DEFAULT_GROUP_DESCRIPTION = 'default VPC security group';

export interface VpcAttributes {
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  enableNetworkAddressUsageMetrics: boolean;
}

export interface VpcInternal {
  attributes: VpcAttributes;
  mainRouteTableId: string;
  defaultNetworkAclId: string;
  defaultSecurityGroupId: string;
}

export interface SubnetInternal {
  aclAssociationId: string;
}

/** A security group as stored: its DescribeSecurityGroups shape without the rules (kept as rule resources). */
export type StoredSecurityGroup = Omit<SecurityGroup, 'IpPermissions' | 'IpPermissionsEgress'>;

/** The zone id AWS pairs with a zone name: us-east-1a → use1-az1. */
export function zoneIdOf(region: string, zone: string): string {
  const index = availabilityZones(region).indexOf(zone);
  return `${regionCode(region)}-az${index + 1}`;
}

/** One DHCP options set per account+region, shared by its VPCs as AWS's default set is. */
function dhcpOptionsId(scope: Scope): string {
  return derivedId('dopt', scope.account, scope.region, 'default-dhcp-options');
}

export function ensureDefaultNetwork(store: Store, scope: Scope): void {
  if (store.resources.get(scope, EC2_KIND.defaultNetworkMarker, 'default')) return;
  store.transaction(() => {
    if (!store.resources.insert(scope, EC2_KIND.defaultNetworkMarker, 'default', { materialised: true })) return;
    const network = defaultNetwork(scope);
    const makeId = (prefix: string, name: string) =>
      derivedId(prefix, scope.account, scope.region, 'default-vpc', name);
    createVpcRecords(store, scope, {
      vpcId: network.vpcId,
      cidr: DEFAULT_VPC_CIDR,
      isDefault: true,
      tenancy: 'default',
      tags: [],
      securityGroupId: network.securityGroupId,
      attributes: { enableDnsSupport: true, enableDnsHostnames: true, enableNetworkAddressUsageMetrics: false },
      makeId,
    });
    const base = parseIpv4Cidr(DEFAULT_VPC_CIDR)!.base;
    network.subnets.forEach((subnet, index) => {
      insertSubnet(store, scope, {
        subnetId: subnet.subnetId,
        vpcId: network.vpcId,
        cidr: `${numberToIpv4(base + index * 4096)}/20`,
        availabilityZone: subnet.availabilityZone,
        defaultForAz: true,
        mapPublicIpOnLaunch: true,
        tags: [],
        aclAssociationId: makeId('aclassoc', subnet.subnetId),
      });
    });
  });
}

export function findVpc(store: Store, scope: Scope, vpcId: string): StoredResource<Vpc> | undefined {
  return store.resources.get<Vpc>(scope, EC2_KIND.vpc, vpcId);
}

export function requireVpc(store: Store, scope: Scope, vpcId: string): StoredResource<Vpc> & { internal: VpcInternal } {
  if (!vpcId.startsWith('vpc-')) throw ec2Errors.vpcMalformed(vpcId);
  const vpc = findVpc(store, scope, vpcId);
  if (!vpc) throw ec2Errors.vpcNotFound(vpcId);
  return vpc as StoredResource<Vpc> & { internal: VpcInternal };
}

/** The default VPC's id, or undefined once it has been deleted. */
export function defaultVpcId(store: Store, scope: Scope): string | undefined {
  ensureDefaultNetwork(store, scope);
  const id = defaultNetwork(scope).vpcId;
  return findVpc(store, scope, id) ? id : undefined;
}

export interface VpcRecordOptions {
  vpcId: string;
  cidr: string;
  isDefault: boolean;
  tenancy: Tenancy | string;
  tags: Tag[];
  ipv6Cidr?: string;
  networkBorderGroup?: string;
  securityGroupId?: string;
  attributes: VpcAttributes;
  /** New ids for the VPC's companions: random for customer VPCs, derived for the default one. */
  makeId: (prefix: string, name: string) => string;
}

export function createVpcRecords(store: Store, scope: Scope, o: VpcRecordOptions): Vpc {
  const vpc: Vpc = {
    OwnerId: scope.account,
    InstanceTenancy: o.tenancy as Tenancy,
    Ipv6CidrBlockAssociationSet: o.ipv6Cidr
      ? [
          {
            AssociationId: o.makeId('vpc-cidr-assoc', 'ipv6'),
            Ipv6CidrBlock: o.ipv6Cidr,
            Ipv6CidrBlockState: { State: 'associated' },
            NetworkBorderGroup: o.networkBorderGroup ?? scope.region,
            Ipv6Pool: 'Amazon',
            Ipv6AddressAttribute: 'public',
            IpSource: 'amazon',
          },
        ]
      : [],
    CidrBlockAssociationSet: [
      { AssociationId: o.makeId('vpc-cidr-assoc', 'ipv4'), CidrBlock: o.cidr, CidrBlockState: { State: 'associated' } },
    ],
    IsDefault: o.isDefault,
    Tags: o.tags,
    BlockPublicAccessStates: { InternetGatewayBlockMode: 'off' },
    VpcId: o.vpcId,
    State: 'available',
    CidrBlock: o.cidr,
    DhcpOptionsId: dhcpOptionsId(scope),
  };
  const routeTableId = o.makeId('rtb', 'main-route-table');
  const aclId = o.makeId('acl', 'default-network-acl');
  const groupId = o.securityGroupId ?? o.makeId('sg', 'default-security-group');
  const internal: VpcInternal = {
    attributes: o.attributes,
    mainRouteTableId: routeTableId,
    defaultNetworkAclId: aclId,
    defaultSecurityGroupId: groupId,
  };
  store.resources.insert(scope, EC2_KIND.vpc, o.vpcId, vpc, internal);

  const routes: RouteTable['Routes'] = [
    { DestinationCidrBlock: o.cidr, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
  ];
  if (o.ipv6Cidr) {
    routes.push({
      DestinationIpv6CidrBlock: o.ipv6Cidr,
      GatewayId: 'local',
      Origin: 'CreateRouteTable',
      State: 'active',
    });
  }
  if (o.isDefault) {
    // The default VPC comes with an internet gateway and a route to it.
    routes.push({
      DestinationCidrBlock: '0.0.0.0/0',
      GatewayId: o.makeId('igw', 'internet-gateway'),
      Origin: 'CreateRoute',
      State: 'active',
    });
  }
  const routeTable: RouteTable = {
    Associations: [
      {
        Main: true,
        RouteTableAssociationId: o.makeId('rtbassoc', 'main'),
        RouteTableId: routeTableId,
        AssociationState: { State: 'associated' },
      },
    ],
    PropagatingVgws: [],
    RouteTableId: routeTableId,
    Routes: routes,
    Tags: [],
    VpcId: o.vpcId,
    OwnerId: scope.account,
  };
  store.resources.insert(scope, EC2_KIND.routeTable, routeTableId, routeTable);

  const entries: NetworkAcl['Entries'] = [];
  for (const egress of [true, false]) {
    entries.push({ CidrBlock: '0.0.0.0/0', Egress: egress, Protocol: '-1', RuleAction: 'allow', RuleNumber: 100 });
    if (o.ipv6Cidr)
      entries.push({ Ipv6CidrBlock: '::/0', Egress: egress, Protocol: '-1', RuleAction: 'allow', RuleNumber: 101 });
    entries.push({ CidrBlock: '0.0.0.0/0', Egress: egress, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32767 });
    if (o.ipv6Cidr)
      entries.push({ Ipv6CidrBlock: '::/0', Egress: egress, Protocol: '-1', RuleAction: 'deny', RuleNumber: 32768 });
  }
  const acl: NetworkAcl = {
    Associations: [],
    Entries: entries,
    IsDefault: true,
    NetworkAclId: aclId,
    Tags: [],
    VpcId: o.vpcId,
    OwnerId: scope.account,
  };
  store.resources.insert(scope, EC2_KIND.networkAcl, aclId, acl);

  insertSecurityGroup(store, scope, {
    groupId,
    groupName: DEFAULT_GROUP_NAME,
    description: DEFAULT_GROUP_DESCRIPTION,
    vpcId: o.vpcId,
    tags: [],
  });
  const all = { IpProtocol: '-1', FromPort: -1, ToPort: -1 };
  insertRule(
    store,
    scope,
    groupId,
    { ...all, IsEgress: false, ReferencedGroupInfo: { GroupId: groupId, UserId: scope.account } },
    {
      id: o.makeId('sgr', 'default-ingress'),
    },
  );
  insertRule(
    store,
    scope,
    groupId,
    { ...all, IsEgress: true, CidrIpv4: '0.0.0.0/0' },
    { id: o.makeId('sgr', 'default-egress') },
  );
  if (o.ipv6Cidr) {
    insertRule(
      store,
      scope,
      groupId,
      { ...all, IsEgress: true, CidrIpv6: '::/0' },
      { id: o.makeId('sgr', 'default-egress-ipv6') },
    );
  }
  return vpc;
}

export function insertSecurityGroup(
  store: Store,
  scope: Scope,
  o: { groupId: string; groupName: string; description: string; vpcId: string; tags: Tag[] },
): StoredSecurityGroup {
  const group: StoredSecurityGroup = {
    GroupId: o.groupId,
    Tags: o.tags,
    VpcId: o.vpcId,
    SecurityGroupArn: ec2Arn(scope, 'security-group', o.groupId),
    OwnerId: scope.account,
    GroupName: o.groupName,
    Description: o.description,
  };
  store.resources.insert(scope, EC2_KIND.securityGroup, o.groupId, group);
  return group;
}

export function insertSubnet(
  store: Store,
  scope: Scope,
  o: {
    subnetId: string;
    vpcId: string;
    cidr: string;
    availabilityZone: string;
    defaultForAz: boolean;
    mapPublicIpOnLaunch: boolean;
    tags: Tag[];
    ipv6Cidr?: string;
    aclAssociationId?: string;
  },
): Subnet {
  const size = ipv4Size(parseIpv4Cidr(o.cidr)!);
  const subnet: Subnet = {
    AvailabilityZoneId: zoneIdOf(scope.region, o.availabilityZone),
    MapCustomerOwnedIpOnLaunch: false,
    OwnerId: scope.account,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: o.ipv6Cidr
      ? [
          {
            AssociationId: newId('subnet-cidr-assoc'),
            Ipv6CidrBlock: o.ipv6Cidr,
            Ipv6CidrBlockState: { State: 'associated' },
            Ipv6AddressAttribute: 'public',
            IpSource: 'amazon',
          },
        ]
      : [],
    Tags: o.tags,
    SubnetArn: ec2Arn(scope, 'subnet', o.subnetId),
    EnableDns64: false,
    Ipv6Native: false,
    PrivateDnsNameOptionsOnLaunch: {
      HostnameType: 'ip-name',
      EnableResourceNameDnsARecord: false,
      EnableResourceNameDnsAAAARecord: false,
    },
    BlockPublicAccessStates: { InternetGatewayBlockMode: 'off' },
    SubnetId: o.subnetId,
    State: 'available',
    VpcId: o.vpcId,
    CidrBlock: o.cidr,
    // AWS reserves the first four addresses and the last one of every subnet.
    AvailableIpAddressCount: size - 5,
    AvailabilityZone: o.availabilityZone,
    DefaultForAz: o.defaultForAz,
    MapPublicIpOnLaunch: o.mapPublicIpOnLaunch,
  };
  const internal: SubnetInternal = { aclAssociationId: o.aclAssociationId ?? newId('aclassoc') };
  store.resources.insert(scope, EC2_KIND.subnet, o.subnetId, subnet, internal);
  return subnet;
}

export function listSubnets(store: Store, scope: Scope): StoredResource<Subnet>[] {
  return store.resources.list<Subnet>(scope, EC2_KIND.subnet);
}

export function listSecurityGroups(store: Store, scope: Scope): StoredSecurityGroup[] {
  return store.resources.list<StoredSecurityGroup>(scope, EC2_KIND.securityGroup).map((r) => r.state);
}
