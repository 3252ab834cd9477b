/**
 * VPCs: CreateVpc (with its main route table, default network ACL and `default` security group), DescribeVpcs,
 * DeleteVpc, Describe/ModifyVpcAttribute. The default VPC is one of them, materialised on first use.
 */
import type {
  CreateVpcRequest,
  CreateVpcResult,
  DeleteVpcRequest,
  DescribeVpcAttributeRequest,
  DescribeVpcAttributeResult,
  DescribeVpcsRequest,
  DescribeVpcsResult,
  ModifyVpcAttributeRequest,
  Vpc,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { isNetworkAddress, parseIpv4Cidr } from './cidr.js';
import { ec2Errors } from './errors.js';
import { applyFilters, byIdsOrAll } from './filters.js';
import { newId } from './ids.js';
import { EC2_KIND } from './kinds.js';
import {
  createVpcRecords,
  ensureDefaultNetwork,
  listSecurityGroups,
  listSubnets,
  requireVpc,
  type VpcAttributes,
  type VpcInternal,
} from './network.js';
import { paginate } from './pagination.js';
import { listRules } from './rules.js';
import { tagsFromSpecifications } from './tags.js';

/** Parses a VPC or subnet CIDR: a network address with a /16 to /28 prefix. */
export function blockCidr(text: string | undefined, parameter: string, outOfRange: (cidr: string) => Error) {
  const cidr = parseIpv4Cidr(text ?? '');
  if (!cidr || !isNetworkAddress(cidr)) {
    throw ec2Errors.invalidValue(
      `Value (${text}) for parameter ${parameter} is invalid. This is not a valid CIDR block.`,
    );
  }
  if (cidr.prefix < 16 || cidr.prefix > 28) throw outOfRange(text!);
  return cidr;
}

export const vpcFilterSpec = {
  fields: {
    'vpc-id': (v: Vpc) => v.VpcId,
    cidr: (v: Vpc) => v.CidrBlock,
    'cidr-block': (v: Vpc) => v.CidrBlock,
    'cidr-block-association.cidr-block': (v: Vpc) => v.CidrBlockAssociationSet?.map((a) => a.CidrBlock),
    'cidr-block-association.association-id': (v: Vpc) => v.CidrBlockAssociationSet?.map((a) => a.AssociationId),
    'cidr-block-association.state': (v: Vpc) => v.CidrBlockAssociationSet?.map((a) => a.CidrBlockState?.State),
    'ipv6-cidr-block-association.ipv6-cidr-block': (v: Vpc) =>
      v.Ipv6CidrBlockAssociationSet?.map((a) => a.Ipv6CidrBlock),
    'ipv6-cidr-block-association.association-id': (v: Vpc) =>
      v.Ipv6CidrBlockAssociationSet?.map((a) => a.AssociationId),
    'ipv6-cidr-block-association.state': (v: Vpc) =>
      v.Ipv6CidrBlockAssociationSet?.map((a) => a.Ipv6CidrBlockState?.State),
    'dhcp-options-id': (v: Vpc) => v.DhcpOptionsId,
    'is-default': (v: Vpc) => v.IsDefault,
    isDefault: (v: Vpc) => v.IsDefault,
    'owner-id': (v: Vpc) => v.OwnerId,
    state: (v: Vpc) => v.State,
  },
  tags: (v: Vpc) => v.Tags,
};

const ATTRIBUTES: (keyof VpcAttributes)[] = [
  'enableDnsSupport',
  'enableDnsHostnames',
  'enableNetworkAddressUsageMetrics',
];
const MEMBERS: Record<
  keyof VpcAttributes,
  'EnableDnsSupport' | 'EnableDnsHostnames' | 'EnableNetworkAddressUsageMetrics'
> = {
  enableDnsSupport: 'EnableDnsSupport',
  enableDnsHostnames: 'EnableDnsHostnames',
  enableNetworkAddressUsageMetrics: 'EnableNetworkAddressUsageMetrics',
};

/** An Amazon-provided /56 for a VPC that asks for one. */
function amazonIpv6Block(): string {
  const hex = randomBytes(3).toString('hex');
  return `2600:1f18:${hex.slice(0, 4)}:${hex.slice(4, 6)}00::/56`;
}

export function vpcHandlers(store: Store): HandlerTable {
  const CreateVpc = (input: CreateVpcRequest, ctx: RequestContext): CreateVpcResult => {
    ensureDefaultNetwork(store, ctx);
    if (input.CidrBlock === undefined || input.CidrBlock === '') {
      if (input.Ipv4IpamPoolId)
        throw ec2Errors.invalidValue('IPAM pools are not supported by elasticache-local; give a CidrBlock.');
      throw ec2Errors.missing("Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
    }
    blockCidr(input.CidrBlock, 'cidrBlock', ec2Errors.vpcRange);
    if (input.Ipv6CidrBlock || input.Ipv6Pool || input.Ipv6IpamPoolId) {
      throw ec2Errors.invalidValue('Only AmazonProvidedIpv6CidrBlock is supported by elasticache-local for IPv6.');
    }
    const vpcId = newId('vpc');
    const vpc = createVpcRecords(store, ctx, {
      vpcId,
      cidr: input.CidrBlock,
      isDefault: false,
      tenancy: input.InstanceTenancy ?? 'default',
      tags: tagsFromSpecifications(input.TagSpecifications, 'vpc'),
      ipv6Cidr: input.AmazonProvidedIpv6CidrBlock ? amazonIpv6Block() : undefined,
      networkBorderGroup: input.Ipv6CidrBlockNetworkBorderGroup,
      attributes: { enableDnsSupport: true, enableDnsHostnames: false, enableNetworkAddressUsageMetrics: false },
      makeId: (prefix) => newId(prefix),
    });
    // AWS answers the create with the VPC still pending; a Describe right after shows it available.
    return { Vpc: { ...vpc, State: 'pending' } };
  };

  const DescribeVpcs = (input: DescribeVpcsRequest, ctx: RequestContext): DescribeVpcsResult => {
    ensureDefaultNetwork(store, ctx);
    const vpcs = byIdsOrAll(
      input.VpcIds,
      (id) => requireVpc(store, ctx, id).state,
      () => store.resources.list<Vpc>(ctx, EC2_KIND.vpc).map((r) => r.state),
    );
    const { page, nextToken } = paginate(applyFilters(vpcs, input.Filters, vpcFilterSpec), input);
    return { Vpcs: page, NextToken: nextToken };
  };

  const DeleteVpc = (input: DeleteVpcRequest, ctx: RequestContext) => {
    ensureDefaultNetwork(store, ctx);
    const vpc = requireVpc(store, ctx, input.VpcId!);
    const internal = vpc.internal;
    const subnets = listSubnets(store, ctx).filter((s) => s.state.VpcId === vpc.id);
    const groups = listSecurityGroups(store, ctx).filter(
      (g) => g.VpcId === vpc.id && g.GroupId !== internal.defaultSecurityGroupId,
    );
    const routeTables = store.resources
      .list<{ VpcId: string }>(ctx, EC2_KIND.routeTable)
      .filter((r) => r.state.VpcId === vpc.id);
    const acls = store.resources
      .list<{ VpcId: string }>(ctx, EC2_KIND.networkAcl)
      .filter((r) => r.state.VpcId === vpc.id);
    if (subnets.length > 0 || groups.length > 0 || routeTables.length > 1 || acls.length > 1) {
      throw ec2Errors.dependency(`The vpc '${vpc.id}' has dependencies and cannot be deleted.`);
    }
    for (const rule of listRules(store, ctx, internal.defaultSecurityGroupId)) {
      store.resources.delete(ctx, EC2_KIND.securityGroupRule, rule.SecurityGroupRuleId!);
    }
    store.resources.delete(ctx, EC2_KIND.securityGroup, internal.defaultSecurityGroupId);
    for (const table of routeTables) store.resources.delete(ctx, EC2_KIND.routeTable, table.id);
    for (const acl of acls) store.resources.delete(ctx, EC2_KIND.networkAcl, acl.id);
    store.resources.delete(ctx, EC2_KIND.vpc, vpc.id);
    return {};
  };

  const DescribeVpcAttribute = (
    input: DescribeVpcAttributeRequest,
    ctx: RequestContext,
  ): DescribeVpcAttributeResult => {
    ensureDefaultNetwork(store, ctx);
    const vpc = requireVpc(store, ctx, input.VpcId!);
    const attribute = input.Attribute as keyof VpcAttributes;
    if (!ATTRIBUTES.includes(attribute))
      throw ec2Errors.invalidValue(`Value (${attribute}) for parameter attribute is invalid.`);
    return { VpcId: vpc.id, [MEMBERS[attribute]]: { Value: vpc.internal.attributes[attribute] } };
  };

  const ModifyVpcAttribute = (input: ModifyVpcAttributeRequest, ctx: RequestContext) => {
    ensureDefaultNetwork(store, ctx);
    const vpc = requireVpc(store, ctx, input.VpcId!);
    const given = ATTRIBUTES.filter((a) => input[MEMBERS[a]] !== undefined);
    if (given.length === 0) throw ec2Errors.missing('The request must contain exactly one attribute to modify.');
    if (given.length > 1) throw ec2Errors.combination('Only one attribute can be modified at a time.');
    const attribute = given[0];
    const value = input[MEMBERS[attribute]]!.Value;
    if (value === undefined)
      throw ec2Errors.missing(`The request must contain the parameter ${MEMBERS[attribute]}.Value`);
    const attributes = { ...vpc.internal.attributes, [attribute]: value };
    const internal: VpcInternal = { ...vpc.internal, attributes };
    store.resources.update(ctx, EC2_KIND.vpc, vpc.id, vpc.state, internal);
    return {};
  };

  return { CreateVpc, DescribeVpcs, DeleteVpc, DescribeVpcAttribute, ModifyVpcAttribute };
}
