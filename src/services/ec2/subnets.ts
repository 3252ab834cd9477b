/**
 * Subnets: CreateSubnet (a CIDR inside its VPC, overlapping no other subnet of it, in one of the region's
 * availability zones), DescribeSubnets, DeleteSubnet, ModifySubnetAttribute.
 */
import type {
  CreateSubnetRequest,
  CreateSubnetResult,
  DeleteSubnetRequest,
  DescribeSubnetsRequest,
  DescribeSubnetsResult,
  ModifySubnetAttributeRequest,
  Subnet,
} from '@aws-sdk/client-ec2';
import type { Scope, Store } from '../../store/store.js';
import { availabilityZones } from '../../domain/regions.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { ipv4Contains, ipv4Overlap, ipv6Contains, ipv6Overlap, parseIpv4Cidr, parseIpv6Cidr } from './cidr.js';
import { ec2Errors } from './errors.js';
import { applyFilters, byIdsOrAll } from './filters.js';
import { newId } from './ids.js';
import { EC2_KIND } from './kinds.js';
import { ensureDefaultNetwork, insertSubnet, listSubnets, requireVpc, zoneIdOf } from './network.js';
import { paginate } from './pagination.js';
import { tagsFromSpecifications } from './tags.js';
import { blockCidr } from './vpcs.js';

/** Tells whether something outside EC2 (an ElastiCache node, say) still uses a subnet or security group. */
export interface NetworkDependents {
  /** A description of what uses the subnet, or undefined when nothing does. */
  subnet?(scope: Scope, subnetId: string): string | undefined;
  securityGroup?(scope: Scope, groupId: string): string | undefined;
}

export function requireSubnet(store: Store, scope: Scope, subnetId: string) {
  if (!subnetId.startsWith('subnet-')) throw ec2Errors.subnetMalformed(subnetId);
  const subnet = store.resources.get<Subnet>(scope, EC2_KIND.subnet, subnetId);
  if (!subnet) throw ec2Errors.subnetNotFound(subnetId);
  return subnet;
}

type BooleanAttribute =
  | 'MapPublicIpOnLaunch'
  | 'AssignIpv6AddressOnCreation'
  | 'MapCustomerOwnedIpOnLaunch'
  | 'EnableDns64'
  | 'EnableResourceNameDnsARecordOnLaunch'
  | 'EnableResourceNameDnsAAAARecordOnLaunch'
  | 'DisableLniAtDeviceIndex';

const BOOLEAN_ATTRIBUTES: BooleanAttribute[] = [
  'MapPublicIpOnLaunch',
  'AssignIpv6AddressOnCreation',
  'MapCustomerOwnedIpOnLaunch',
  'EnableDns64',
  'EnableResourceNameDnsARecordOnLaunch',
  'EnableResourceNameDnsAAAARecordOnLaunch',
  'DisableLniAtDeviceIndex',
];

export function subnetHandlers(store: Store, dependents: NetworkDependents = {}): HandlerTable {
  const CreateSubnet = (input: CreateSubnetRequest, ctx: RequestContext): CreateSubnetResult => {
    ensureDefaultNetwork(store, ctx);
    const vpc = requireVpc(store, ctx, input.VpcId!);
    if (input.CidrBlock === undefined || input.CidrBlock === '') {
      if (input.Ipv6Native) throw ec2Errors.invalidValue('IPv6-only subnets are not supported by elasticache-local.');
      throw ec2Errors.missing('The request must contain the parameter cidrBlock');
    }
    const cidr = blockCidr(input.CidrBlock, 'cidrBlock', ec2Errors.subnetRange);
    const vpcCidrs = (vpc.state.CidrBlockAssociationSet ?? []).map((a) => parseIpv4Cidr(a.CidrBlock!)!);
    if (!vpcCidrs.some((outer) => ipv4Contains(outer, cidr))) throw ec2Errors.subnetRange(input.CidrBlock);
    const siblings = listSubnets(store, ctx).filter((s) => s.state.VpcId === vpc.id);
    if (siblings.some((s) => ipv4Overlap(parseIpv4Cidr(s.state.CidrBlock!)!, cidr))) {
      throw ec2Errors.subnetConflict(input.CidrBlock);
    }

    let ipv6Cidr: string | undefined;
    if (input.Ipv6CidrBlock) {
      const block = parseIpv6Cidr(input.Ipv6CidrBlock);
      if (!block || block.prefix !== 64) {
        throw ec2Errors.invalidValue(
          `Value (${input.Ipv6CidrBlock}) for parameter ipv6CidrBlock is invalid. Subnets need a /64.`,
        );
      }
      const vpcBlocks = (vpc.state.Ipv6CidrBlockAssociationSet ?? []).map((a) => parseIpv6Cidr(a.Ipv6CidrBlock!)!);
      if (!vpcBlocks.some((outer) => ipv6Contains(outer, block))) throw ec2Errors.subnetRange(input.Ipv6CidrBlock);
      const taken = siblings.flatMap((s) =>
        (s.state.Ipv6CidrBlockAssociationSet ?? []).map((a) => parseIpv6Cidr(a.Ipv6CidrBlock!)!),
      );
      if (taken.some((other) => ipv6Overlap(other, block))) throw ec2Errors.subnetConflict(input.Ipv6CidrBlock);
      ipv6Cidr = input.Ipv6CidrBlock.toLowerCase();
    }

    const zones = availabilityZones(ctx.region);
    if (input.AvailabilityZone !== undefined && input.AvailabilityZoneId !== undefined) {
      throw ec2Errors.combination('Only one of availabilityZone and availabilityZoneId can be specified.');
    }
    let zone = zones[0];
    if (input.AvailabilityZone !== undefined) {
      if (!zones.includes(input.AvailabilityZone)) {
        throw ec2Errors.invalidValue(
          `Value (${input.AvailabilityZone}) for parameter availabilityZone is invalid. ` +
            `Subnets can currently only be created in the following availability zones: ${zones.join(', ')}.`,
        );
      }
      zone = input.AvailabilityZone;
    } else if (input.AvailabilityZoneId !== undefined) {
      const found = zones.find((z) => zoneIdOf(ctx.region, z) === input.AvailabilityZoneId);
      if (!found) {
        throw ec2Errors.invalidValue(
          `Value (${input.AvailabilityZoneId}) for parameter availabilityZoneId is invalid.`,
        );
      }
      zone = found;
    }

    const subnet = insertSubnet(store, ctx, {
      subnetId: newId('subnet'),
      vpcId: vpc.id,
      cidr: input.CidrBlock,
      availabilityZone: zone,
      defaultForAz: false,
      mapPublicIpOnLaunch: false,
      tags: tagsFromSpecifications(input.TagSpecifications, 'subnet'),
      ipv6Cidr,
    });
    // AWS answers the create with the subnet pending; a Describe right after shows it available.
    return { Subnet: { ...subnet, State: 'pending' } };
  };

  const DescribeSubnets = (input: DescribeSubnetsRequest, ctx: RequestContext): DescribeSubnetsResult => {
    ensureDefaultNetwork(store, ctx);
    const subnets = byIdsOrAll(
      input.SubnetIds,
      (id) => requireSubnet(store, ctx, id).state,
      () => listSubnets(store, ctx).map((s) => s.state),
    );
    const filtered = applyFilters(subnets, input.Filters, {
      fields: {
        'subnet-id': (s) => s.SubnetId,
        subnetId: (s) => s.SubnetId,
        'vpc-id': (s) => s.VpcId,
        vpcId: (s) => s.VpcId,
        'availability-zone': (s) => s.AvailabilityZone,
        availabilityZone: (s) => s.AvailabilityZone,
        'availability-zone-id': (s) => s.AvailabilityZoneId,
        availabilityZoneId: (s) => s.AvailabilityZoneId,
        'cidr-block': (s) => s.CidrBlock,
        cidr: (s) => s.CidrBlock,
        cidrBlock: (s) => s.CidrBlock,
        'default-for-az': (s) => s.DefaultForAz,
        defaultForAz: (s) => s.DefaultForAz,
        'map-public-ip-on-launch': (s) => s.MapPublicIpOnLaunch,
        'available-ip-address-count': (s) => s.AvailableIpAddressCount,
        'ipv6-cidr-block-association.ipv6-cidr-block': (s) =>
          s.Ipv6CidrBlockAssociationSet?.map((a) => a.Ipv6CidrBlock),
        'ipv6-cidr-block-association.association-id': (s) => s.Ipv6CidrBlockAssociationSet?.map((a) => a.AssociationId),
        'ipv6-native': (s) => s.Ipv6Native,
        'owner-id': (s) => s.OwnerId,
        state: (s) => s.State,
        'subnet-arn': (s) => s.SubnetArn,
      },
      tags: (s) => s.Tags,
    });
    const { page, nextToken } = paginate(filtered, input);
    return { Subnets: page, NextToken: nextToken };
  };

  const DeleteSubnet = (input: DeleteSubnetRequest, ctx: RequestContext) => {
    ensureDefaultNetwork(store, ctx);
    const subnet = requireSubnet(store, ctx, input.SubnetId!);
    const user = dependents.subnet?.(ctx, subnet.id);
    if (user) throw ec2Errors.dependency(`The subnet '${subnet.id}' has dependencies and cannot be deleted. (${user})`);
    store.resources.delete(ctx, EC2_KIND.subnet, subnet.id);
    return {};
  };

  const ModifySubnetAttribute = (input: ModifySubnetAttributeRequest, ctx: RequestContext) => {
    ensureDefaultNetwork(store, ctx);
    const subnet = requireSubnet(store, ctx, input.SubnetId!);
    const booleans = BOOLEAN_ATTRIBUTES.filter((name) => input[name] !== undefined);
    const others = (
      ['PrivateDnsHostnameTypeOnLaunch', 'EnableLniAtDeviceIndex', 'CustomerOwnedIpv4Pool'] as const
    ).filter((name) => input[name] !== undefined);
    const count = booleans.length + others.length;
    if (count === 0) throw ec2Errors.missing('The request must contain exactly one attribute to modify.');
    // The customer-owned pool travels with MapCustomerOwnedIpOnLaunch; everything else is one at a time.
    const paired = count === 2 && booleans[0] === 'MapCustomerOwnedIpOnLaunch' && others[0] === 'CustomerOwnedIpv4Pool';
    if (count > 1 && !paired) throw ec2Errors.combination('Only one attribute can be modified at a time.');

    const state: Subnet = { ...subnet.state };
    const dns = { ...state.PrivateDnsNameOptionsOnLaunch };
    for (const name of booleans) {
      const value = input[name]!.Value;
      if (value === undefined) throw ec2Errors.missing(`The request must contain the parameter ${name}.Value`);
      switch (name) {
        case 'AssignIpv6AddressOnCreation':
          if (value && (state.Ipv6CidrBlockAssociationSet ?? []).length === 0) {
            throw ec2Errors.invalidValue(
              `Subnet ${subnet.id} has no IPv6 CIDR block, so it cannot assign IPv6 addresses on creation.`,
            );
          }
          state.AssignIpv6AddressOnCreation = value;
          break;
        case 'EnableResourceNameDnsARecordOnLaunch':
          dns.EnableResourceNameDnsARecord = value;
          break;
        case 'EnableResourceNameDnsAAAARecordOnLaunch':
          dns.EnableResourceNameDnsAAAARecord = value;
          break;
        case 'DisableLniAtDeviceIndex':
          if (value) delete state.EnableLniAtDeviceIndex;
          break;
        default:
          state[name] = value;
      }
    }
    if (input.PrivateDnsHostnameTypeOnLaunch !== undefined) dns.HostnameType = input.PrivateDnsHostnameTypeOnLaunch;
    if (input.EnableLniAtDeviceIndex !== undefined) state.EnableLniAtDeviceIndex = input.EnableLniAtDeviceIndex;
    if (input.CustomerOwnedIpv4Pool !== undefined) state.CustomerOwnedIpv4Pool = input.CustomerOwnedIpv4Pool;
    state.PrivateDnsNameOptionsOnLaunch = dns;
    store.resources.update(ctx, EC2_KIND.subnet, subnet.id, state, subnet.internal);
    return {};
  };

  return { CreateSubnet, DescribeSubnets, DeleteSubnet, ModifySubnetAttribute };
}
