/**
 * DescribeRouteTables and DescribeNetworkAcls: every VPC's main route table and default network ACL (created with
 * the VPC, removed with it). Subnets use the main table implicitly (not listed, as on AWS) and are associated with
 * the default ACL explicitly (listed).
 */
import type {
  DescribeNetworkAclsRequest,
  DescribeNetworkAclsResult,
  DescribeRouteTablesRequest,
  DescribeRouteTablesResult,
  NetworkAcl,
  RouteTable,
} from '@aws-sdk/client-ec2';
import type { Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { ec2Errors } from './errors.js';
import { applyFilters, byIdsOrAll } from './filters.js';
import { EC2_KIND } from './kinds.js';
import { ensureDefaultNetwork, listSubnets, type SubnetInternal } from './network.js';
import { paginate } from './pagination.js';

export function networkTableHandlers(store: Store): HandlerTable {
  const DescribeRouteTables = (input: DescribeRouteTablesRequest, ctx: RequestContext): DescribeRouteTablesResult => {
    ensureDefaultNetwork(store, ctx);
    const tables = byIdsOrAll(
      input.RouteTableIds,
      (id) => {
        const table = store.resources.get<RouteTable>(ctx, EC2_KIND.routeTable, id);
        if (!table) throw ec2Errors.routeTableNotFound(id);
        return table.state;
      },
      () => store.resources.list<RouteTable>(ctx, EC2_KIND.routeTable).map((r) => r.state),
    );
    const filtered = applyFilters(tables, input.Filters, {
      fields: {
        'vpc-id': (t) => t.VpcId,
        'route-table-id': (t) => t.RouteTableId,
        'owner-id': (t) => t.OwnerId,
        'association.main': (t) => t.Associations?.map((a) => a.Main),
        'association.route-table-association-id': (t) => t.Associations?.map((a) => a.RouteTableAssociationId),
        'association.route-table-id': (t) => t.Associations?.map((a) => a.RouteTableId),
        'association.subnet-id': (t) => t.Associations?.map((a) => a.SubnetId),
        'association.gateway-id': (t) => t.Associations?.map((a) => a.GatewayId),
        'route.destination-cidr-block': (t) => t.Routes?.map((r) => r.DestinationCidrBlock),
        'route.destination-ipv6-cidr-block': (t) => t.Routes?.map((r) => r.DestinationIpv6CidrBlock),
        'route.gateway-id': (t) => t.Routes?.map((r) => r.GatewayId),
        'route.origin': (t) => t.Routes?.map((r) => r.Origin),
        'route.state': (t) => t.Routes?.map((r) => r.State),
      },
      tags: (t) => t.Tags,
    });
    const { page, nextToken } = paginate(filtered, input);
    return { RouteTables: page, NextToken: nextToken };
  };

  const DescribeNetworkAcls = (input: DescribeNetworkAclsRequest, ctx: RequestContext): DescribeNetworkAclsResult => {
    ensureDefaultNetwork(store, ctx);
    const acls = byIdsOrAll(
      input.NetworkAclIds,
      (id) => {
        const acl = store.resources.get<NetworkAcl>(ctx, EC2_KIND.networkAcl, id);
        if (!acl) throw ec2Errors.networkAclNotFound(id);
        return acl.state;
      },
      () => store.resources.list<NetworkAcl>(ctx, EC2_KIND.networkAcl).map((r) => r.state),
    );
    const subnets = listSubnets(store, ctx);
    const withAssociations = acls.map((acl) => ({
      ...acl,
      Associations: acl.IsDefault
        ? subnets
            .filter((s) => s.state.VpcId === acl.VpcId)
            .map((s) => ({
              NetworkAclAssociationId: (s.internal as SubnetInternal).aclAssociationId,
              NetworkAclId: acl.NetworkAclId,
              SubnetId: s.id,
            }))
        : acl.Associations,
    }));
    const filtered = applyFilters(withAssociations, input.Filters, {
      fields: {
        'vpc-id': (a) => a.VpcId,
        'network-acl-id': (a) => a.NetworkAclId,
        default: (a) => a.IsDefault,
        'owner-id': (a) => a.OwnerId,
        'association.association-id': (a) => a.Associations?.map((x) => x.NetworkAclAssociationId),
        'association.network-acl-id': (a) => a.Associations?.map((x) => x.NetworkAclId),
        'association.subnet-id': (a) => a.Associations?.map((x) => x.SubnetId),
        'entry.cidr': (a) => a.Entries?.map((e) => e.CidrBlock),
        'entry.ipv6-cidr': (a) => a.Entries?.map((e) => e.Ipv6CidrBlock),
        'entry.egress': (a) => a.Entries?.map((e) => e.Egress),
        'entry.protocol': (a) => a.Entries?.map((e) => e.Protocol),
        'entry.rule-action': (a) => a.Entries?.map((e) => e.RuleAction),
        'entry.rule-number': (a) => a.Entries?.map((e) => e.RuleNumber),
      },
      tags: (a) => a.Tags,
    });
    const { page, nextToken } = paginate(filtered, input);
    return { NetworkAcls: page, NextToken: nextToken };
  };

  return { DescribeRouteTables, DescribeNetworkAcls };
}
