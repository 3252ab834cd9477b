/**
 * The EC2 subset as the call pipeline sees it (VPCs, subnets, security groups and what tools call around them), and
 * what ElastiCache needs to know of it: which subnets and security groups exist and in which VPC.
 * One call is one SQLite transaction (src/api/call-runner.ts); a DryRun call runs in full and is then rolled back
 * with DryRunOperation.
 */
import type { Subnet } from '@aws-sdk/client-ec2';
import type { QueryApi } from '../../api/query-api.js';
import { findModelsDir, loadServiceModel, type ServiceModel } from '../../protocol/model.js';
import type { Scope, Store } from '../../store/store.js';
import type { Handler, HandlerTable } from '../../api/query-api.js';
import type { SubnetDirectory, SubnetInfo } from '../../domain/elasticache/network.js';
import { accountHandlers } from './account.js';
import { ec2Errors } from './errors.js';
import { EC2_KIND } from './kinds.js';
import { DEFAULT_GROUP_NAME, ensureDefaultNetwork, findVpc, type StoredSecurityGroup } from './network.js';
import { listRules } from './rules.js';
import type { IngressRule, SecurityGroupRules } from '../../domain/elasticache/admission.js';
import { networkTableHandlers } from './network-tables.js';
import { findGroup, securityGroupHandlers } from './security-groups.js';
import { subnetHandlers, type NetworkDependents } from './subnets.js';
import { tagHandlers } from './tags.js';
import { vpcHandlers } from './vpcs.js';

export type { NetworkDependents } from './subnets.js';

let cachedModel: ServiceModel | undefined;
export function ec2Model(): ServiceModel {
  cachedModel ??= loadServiceModel(findModelsDir(import.meta.url), 'ec2', '2016-11-15');
  return cachedModel;
}

export interface Ec2Deps {
  store: Store;
  /** What outside EC2 still uses a subnet or security group (DeleteSubnet / DeleteSecurityGroup refuse then). */
  dependents?: NetworkDependents;
}

/** Runs the call and, when it asked for a dry run, throws DryRunOperation so its transaction rolls back. */
function honourDryRun(handler: Handler): Handler {
  return (input, ctx) => {
    const output = handler(input, ctx);
    if (input && (input as { DryRun?: boolean }).DryRun === true) throw ec2Errors.dryRun();
    return output;
  };
}

export function ec2Handlers({ store, dependents }: Ec2Deps): HandlerTable {
  const handlers: HandlerTable = {
    ...vpcHandlers(store),
    ...networkTableHandlers(store),
    ...subnetHandlers(store, dependents),
    ...securityGroupHandlers(store, dependents),
    ...tagHandlers(store),
    ...accountHandlers(store),
  };
  return Object.fromEntries(Object.entries(handlers).map(([name, handler]) => [name, honourDryRun(handler)]));
}

export function ec2Api(deps: Ec2Deps): QueryApi {
  return {
    signingName: 'ec2',
    title: 'Amazon EC2',
    model: ec2Model(),
    handlers: ec2Handlers(deps),
    usesStore: true,
  };
}

/** ElastiCache's view of the subnets: the default VPC's and every created one. */
export function ec2SubnetDirectory(store: Store): SubnetDirectory {
  return {
    find(scope: Scope, subnetId: string): SubnetInfo | undefined {
      ensureDefaultNetwork(store, scope);
      const subnet = store.resources.get<Subnet>(scope, EC2_KIND.subnet, subnetId)?.state;
      return subnet && { subnetId, vpcId: subnet.VpcId!, availabilityZone: subnet.AvailabilityZone! };
    },
  };
}

/** A VPC security group by id (the default VPC's default group included), or undefined. */
export function findSecurityGroup(
  store: Store,
  scope: Scope,
  groupId: string,
): { groupId: string; vpcId: string } | undefined {
  ensureDefaultNetwork(store, scope);
  const group = findGroup(store, scope, groupId);
  return group && { groupId, vpcId: group.VpcId! };
}

/**
 * ElastiCache's view of the VPC security groups: by id, each VPC's `default` group, and the ingress rules its
 * endpoints enforce.
 */
export function ec2SecurityGroupDirectory(store: Store): SecurityGroupRules {
  const groupsOf = (scope: Scope, vpcId: string) =>
    store.resources.list<StoredSecurityGroup>(scope, EC2_KIND.securityGroup).filter((g) => g.state.VpcId === vpcId);
  return {
    find: (scope: Scope, groupId: string) => findSecurityGroup(store, scope, groupId),
    defaultOf(scope: Scope, vpcId: string): string | undefined {
      ensureDefaultNetwork(store, scope);
      return groupsOf(scope, vpcId).find((g) => g.state.GroupName === DEFAULT_GROUP_NAME)?.state.GroupId;
    },
    ingress: (scope: Scope, groupId: string): IngressRule[] =>
      listRules(store, scope, groupId)
        .filter((rule) => !rule.IsEgress)
        .map((rule) => ({
          protocol: rule.IpProtocol ?? '-1',
          fromPort: rule.FromPort ?? -1,
          toPort: rule.ToPort ?? -1,
          cidrIpv4: rule.CidrIpv4,
          cidrIpv6: rule.CidrIpv6,
          sourceGroupId: rule.ReferencedGroupInfo?.GroupId,
        })),
    vpcCidr: (scope: Scope, vpcId: string) => findVpc(store, scope, vpcId)?.state.CidrBlock,
    resolve: (scope: Scope, vpcId: string, idOrName: string) =>
      groupsOf(scope, vpcId).find((g) => g.state.GroupId === idOrName || g.state.GroupName === idOrName)?.state.GroupId,
  };
}
