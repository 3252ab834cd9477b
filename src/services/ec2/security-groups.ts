/**
 * VPC security groups and their rules: CreateSecurityGroup (with the allow-all egress rule every new group gets),
 * DescribeSecurityGroups, DeleteSecurityGroup, Authorize/Revoke ingress and egress, DescribeSecurityGroupRules.
 * Every rule is stored with a stable `sgr-` id (see rules.ts); the enforcement on connections reads them.
 */
import type {
  AuthorizeSecurityGroupEgressRequest,
  AuthorizeSecurityGroupIngressRequest,
  AuthorizeSecurityGroupIngressResult,
  CreateSecurityGroupRequest,
  CreateSecurityGroupResult,
  DeleteSecurityGroupRequest,
  DeleteSecurityGroupResult,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupRulesResult,
  DescribeSecurityGroupsRequest,
  DescribeSecurityGroupsResult,
  IpPermission,
  RevokedSecurityGroupRule,
  RevokeSecurityGroupEgressRequest,
  RevokeSecurityGroupIngressRequest,
  RevokeSecurityGroupIngressResult,
  SecurityGroup,
  SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import type { Scope, Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { ec2Errors } from './errors.js';
import { applyFilters, byIdsOrAll } from './filters.js';
import { newId } from './ids.js';
import { EC2_KIND } from './kinds.js';
import {
  DEFAULT_GROUP_NAME,
  defaultVpcId,
  ensureDefaultNetwork,
  insertSecurityGroup,
  listSecurityGroups,
  requireVpc,
  type StoredSecurityGroup,
} from './network.js';
import { paginate } from './pagination.js';
import {
  deleteRule,
  describeRule,
  expandPermissions,
  insertRule,
  ipPermissionsOf,
  listRules,
  ruleKey,
  type RuleSpec,
} from './rules.js';
import type { NetworkDependents } from './subnets.js';
import { tagsFromSpecifications } from './tags.js';

/** Inbound and outbound rules a group may have, each (AWS's default quota). */
export const RULES_PER_DIRECTION = 60;

/** EC2's character set for VPC security group names and descriptions. */
const VPC_GROUP_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

export function findGroup(store: Store, scope: Scope, groupId: string): StoredSecurityGroup | undefined {
  return store.resources.get<StoredSecurityGroup>(scope, EC2_KIND.securityGroup, groupId)?.state;
}

function requireGroup(store: Store, scope: Scope, groupId: string): StoredSecurityGroup {
  if (!groupId.startsWith('sg-')) throw ec2Errors.groupMalformed(groupId);
  const group = findGroup(store, scope, groupId);
  if (!group) throw ec2Errors.groupNotFound(groupId);
  return group;
}

/** A group named in the default VPC (GroupName parameters address the default VPC only, as on AWS). */
function requireDefaultVpcGroup(store: Store, scope: Scope, name: string): StoredSecurityGroup {
  const vpcId = defaultVpcId(store, scope);
  if (!vpcId) throw ec2Errors.noDefaultVpc();
  const group = listSecurityGroups(store, scope).find((g) => g.VpcId === vpcId && g.GroupName === name);
  if (!group) throw ec2Errors.groupNameNotFound(name, vpcId);
  return group;
}

/** A group as DescribeSecurityGroups shows it, rules included. */
export function withPermissions(store: Store, scope: Scope, group: StoredSecurityGroup): SecurityGroup {
  const rules = listRules(store, scope, group.GroupId);
  return { ...group, IpPermissions: ipPermissionsOf(rules, false), IpPermissionsEgress: ipPermissionsOf(rules, true) };
}

function revokedView(rule: SecurityGroupRule): RevokedSecurityGroupRule {
  return {
    SecurityGroupRuleId: rule.SecurityGroupRuleId,
    GroupId: rule.GroupId,
    IsEgress: rule.IsEgress,
    IpProtocol: rule.IpProtocol,
    FromPort: rule.FromPort,
    ToPort: rule.ToPort,
    CidrIpv4: rule.CidrIpv4,
    CidrIpv6: rule.CidrIpv6,
    PrefixListId: rule.PrefixListId,
    ReferencedGroupId: rule.ReferencedGroupInfo?.GroupId,
    Description: rule.Description,
  };
}

/** A rule spec shown back as a request-style permission (UnknownIpPermissions). */
function asPermission(spec: RuleSpec): IpPermission {
  return {
    IpProtocol: spec.IpProtocol,
    FromPort: spec.FromPort,
    ToPort: spec.ToPort,
    IpRanges: spec.CidrIpv4 ? [{ CidrIp: spec.CidrIpv4 }] : [],
    Ipv6Ranges: spec.CidrIpv6 ? [{ CidrIpv6: spec.CidrIpv6 }] : [],
    PrefixListIds: spec.PrefixListId ? [{ PrefixListId: spec.PrefixListId }] : [],
    UserIdGroupPairs: spec.ReferencedGroupInfo ? [{ ...spec.ReferencedGroupInfo }] : [],
  };
}

type RuleRequest = AuthorizeSecurityGroupIngressRequest & {
  SecurityGroupRuleIds?: string[];
};

export function securityGroupHandlers(store: Store, dependents: NetworkDependents = {}): HandlerTable {
  /** The group a rule call addresses: GroupId, or GroupName in the default VPC. */
  const targetGroup = (ctx: RequestContext, input: { GroupId?: string; GroupName?: string }) => {
    if (input.GroupId) return requireGroup(store, ctx, input.GroupId);
    if (input.GroupName) return requireDefaultVpcGroup(store, ctx, input.GroupName);
    throw ec2Errors.missing('The request must contain the parameter groupName or groupId');
  };

  /** The request's permissions: IpPermissions, or the older top-level parameters. */
  const permissionsOf = (input: RuleRequest): IpPermission[] => {
    const legacy =
      input.IpProtocol !== undefined ||
      input.CidrIp !== undefined ||
      input.FromPort !== undefined ||
      input.ToPort !== undefined ||
      input.SourceSecurityGroupName !== undefined;
    if (input.IpPermissions && input.IpPermissions.length > 0) {
      if (legacy) {
        throw ec2Errors.combination(
          'The parameter IpPermissions cannot be used with IpProtocol, FromPort, ToPort, CidrIp or SourceSecurityGroupName.',
        );
      }
      return input.IpPermissions;
    }
    if (!legacy) throw ec2Errors.missing('The request must contain the parameter ipPermissions');
    return [
      {
        IpProtocol: input.IpProtocol ?? '-1',
        FromPort: input.FromPort,
        ToPort: input.ToPort,
        IpRanges: input.CidrIp !== undefined ? [{ CidrIp: input.CidrIp }] : [],
        UserIdGroupPairs:
          input.SourceSecurityGroupName !== undefined ? [{ GroupName: input.SourceSecurityGroupName }] : [],
      },
    ];
  };

  const expand = (ctx: RequestContext, group: StoredSecurityGroup, input: RuleRequest, isEgress: boolean) =>
    expandPermissions(ctx, permissionsOf(input), isEgress, (ref) => {
      let referenced: StoredSecurityGroup | undefined;
      if (ref.GroupId) {
        referenced = findGroup(store, ctx, ref.GroupId);
        if (!referenced) throw ec2Errors.groupNotFound(ref.GroupId);
      } else {
        referenced = listSecurityGroups(store, ctx).find(
          (g) => g.VpcId === group.VpcId && g.GroupName === ref.GroupName,
        );
        if (!referenced) throw ec2Errors.groupNotFound(ref.GroupName!);
      }
      if (referenced.VpcId !== group.VpcId) {
        throw ec2Errors.differentNetworks();
      }
      return referenced.GroupId!;
    });

  const authorize = (
    input: RuleRequest,
    ctx: RequestContext,
    isEgress: boolean,
  ): AuthorizeSecurityGroupIngressResult => {
    ensureDefaultNetwork(store, ctx);
    const group = targetGroup(ctx, input);
    const specs = expand(ctx, group, input, isEgress);
    const tags = tagsFromSpecifications(input.TagSpecifications, 'security-group-rule');
    const existing = listRules(store, ctx, group.GroupId);
    const keys = new Set(existing.map(ruleKey));
    for (const spec of specs) {
      const key = ruleKey(spec);
      if (keys.has(key)) throw ec2Errors.permissionDuplicate(describeRule(spec));
      keys.add(key);
    }
    if (existing.filter((r) => r.IsEgress === isEgress).length + specs.length > RULES_PER_DIRECTION) {
      throw ec2Errors.rulesLimit();
    }
    const created = specs.map((spec) => insertRule(store, ctx, group.GroupId!, spec, { tags }));
    return { Return: true, SecurityGroupRules: created };
  };

  const revoke = (input: RuleRequest, ctx: RequestContext, isEgress: boolean): RevokeSecurityGroupIngressResult => {
    ensureDefaultNetwork(store, ctx);
    const group = targetGroup(ctx, input);
    const existing = listRules(store, ctx, group.GroupId).filter((r) => r.IsEgress === isEgress);
    if (input.SecurityGroupRuleIds && input.SecurityGroupRuleIds.length > 0) {
      if (input.IpPermissions && input.IpPermissions.length > 0) {
        throw ec2Errors.combination('The parameter SecurityGroupRuleIds cannot be used with IpPermissions.');
      }
      const rules = input.SecurityGroupRuleIds.map((id) => {
        const rule = existing.find((r) => r.SecurityGroupRuleId === id);
        if (!rule) throw ec2Errors.ruleNotFound(id);
        return rule;
      });
      for (const rule of rules) deleteRule(store, ctx, rule.SecurityGroupRuleId!);
      return { Return: true, RevokedSecurityGroupRules: rules.map(revokedView) };
    }
    const byKey = new Map(existing.map((r) => [ruleKey(r), r]));
    const revoked: SecurityGroupRule[] = [];
    const unknown: RuleSpec[] = [];
    for (const spec of expand(ctx, group, input, isEgress)) {
      const rule = byKey.get(ruleKey(spec));
      if (!rule) {
        unknown.push(spec);
        continue;
      }
      byKey.delete(ruleKey(spec));
      deleteRule(store, ctx, rule.SecurityGroupRuleId!);
      revoked.push(rule);
    }
    if (revoked.length === 0) throw ec2Errors.permissionNotFound();
    return {
      Return: true,
      UnknownIpPermissions: unknown.length > 0 ? unknown.map(asPermission) : undefined,
      RevokedSecurityGroupRules: revoked.map(revokedView),
    };
  };

  const CreateSecurityGroup = (input: CreateSecurityGroupRequest, ctx: RequestContext): CreateSecurityGroupResult => {
    ensureDefaultNetwork(store, ctx);
    const name = input.GroupName!;
    const description = input.Description!;
    if (name.length > 255)
      throw ec2Errors.invalidValue(
        `Value (${name.slice(0, 32)}...) for parameter groupName is invalid. It is longer than 255 characters.`,
      );
    if (description.length > 255) {
      throw ec2Errors.invalidValue(
        'Value for parameter GroupDescription is invalid. It is longer than 255 characters.',
      );
    }
    if (name.toLowerCase().startsWith('sg-')) {
      throw ec2Errors.invalidValue(
        `Value (${name}) for parameter groupName is invalid. Group names may not be in the format sg-*.`,
      );
    }
    if (!VPC_GROUP_TEXT.test(name)) {
      throw ec2Errors.invalidValue(
        `Value (${name}) for parameter groupName is invalid. Character sets beyond ASCII are not supported.`,
      );
    }
    if (!VPC_GROUP_TEXT.test(description)) {
      throw ec2Errors.invalidValue(
        `Value (${description}) for parameter GroupDescription is invalid. Character sets beyond ASCII are not supported.`,
      );
    }
    let vpcId = input.VpcId;
    if (vpcId === undefined || vpcId === '') {
      vpcId = defaultVpcId(store, ctx);
      if (!vpcId) throw ec2Errors.noDefaultVpc();
    }
    const vpc = requireVpc(store, ctx, vpcId);
    if (listSecurityGroups(store, ctx).some((g) => g.VpcId === vpc.id && g.GroupName === name)) {
      throw ec2Errors.groupDuplicate(name, vpc.id);
    }
    const groupId = newId('sg');
    const group = insertSecurityGroup(store, ctx, {
      groupId,
      groupName: name,
      description,
      vpcId: vpc.id,
      tags: tagsFromSpecifications(input.TagSpecifications, 'security-group'),
    });
    const all = { IsEgress: true, IpProtocol: '-1', FromPort: -1, ToPort: -1 };
    insertRule(store, ctx, groupId, { ...all, CidrIpv4: '0.0.0.0/0' });
    if ((vpc.state.Ipv6CidrBlockAssociationSet ?? []).length > 0)
      insertRule(store, ctx, groupId, { ...all, CidrIpv6: '::/0' });
    return { GroupId: groupId, Tags: group.Tags, SecurityGroupArn: group.SecurityGroupArn };
  };

  const DescribeSecurityGroups = (
    input: DescribeSecurityGroupsRequest,
    ctx: RequestContext,
  ): DescribeSecurityGroupsResult => {
    ensureDefaultNetwork(store, ctx);
    let groups: StoredSecurityGroup[];
    const ids = input.GroupIds ?? [];
    const names = input.GroupNames ?? [];
    if (ids.length > 0 || names.length > 0) {
      const chosen = new Map<string, StoredSecurityGroup>();
      for (const id of ids) chosen.set(id, requireGroup(store, ctx, id));
      for (const name of names) {
        const group = requireDefaultVpcGroup(store, ctx, name);
        chosen.set(group.GroupId!, group);
      }
      groups = [...chosen.values()];
    } else {
      groups = listSecurityGroups(store, ctx);
    }
    const rules = new Map<string, SecurityGroupRule[]>();
    for (const rule of listRules(store, ctx)) {
      const list = rules.get(rule.GroupId!) ?? [];
      list.push(rule);
      rules.set(rule.GroupId!, list);
    }
    const of = (g: StoredSecurityGroup, egress: boolean) =>
      (rules.get(g.GroupId!) ?? []).filter((r) => r.IsEgress === egress);
    const permissionFields = (prefix: string, egress: boolean) => ({
      [`${prefix}cidr`]: (g: StoredSecurityGroup) => of(g, egress).map((r) => r.CidrIpv4),
      [`${prefix}ipv6-cidr`]: (g: StoredSecurityGroup) => of(g, egress).map((r) => r.CidrIpv6),
      [`${prefix}prefix-list-id`]: (g: StoredSecurityGroup) => of(g, egress).map((r) => r.PrefixListId),
      [`${prefix}protocol`]: (g: StoredSecurityGroup) => of(g, egress).map((r) => r.IpProtocol),
      [`${prefix}from-port`]: (g: StoredSecurityGroup) => of(g, egress).map((r) => r.FromPort),
      [`${prefix}to-port`]: (g: StoredSecurityGroup) => of(g, egress).map((r) => r.ToPort),
      [`${prefix}group-id`]: (g: StoredSecurityGroup) => of(g, egress).map((r) => r.ReferencedGroupInfo?.GroupId),
      [`${prefix}user-id`]: (g: StoredSecurityGroup) => of(g, egress).map((r) => r.ReferencedGroupInfo?.UserId),
    });
    const filtered = applyFilters(groups, input.Filters, {
      fields: {
        'group-id': (g) => g.GroupId,
        'group-name': (g) => g.GroupName,
        'vpc-id': (g) => g.VpcId,
        description: (g) => g.Description,
        'owner-id': (g) => g.OwnerId,
        ...permissionFields('ip-permission.', false),
        ...permissionFields('egress.ip-permission.', true),
      },
      tags: (g) => g.Tags,
    });
    const { page, nextToken } = paginate(filtered, input);
    return {
      SecurityGroups: page.map((g) => ({
        ...g,
        IpPermissions: ipPermissionsOf(of(g, false), false),
        IpPermissionsEgress: ipPermissionsOf(of(g, true), true),
      })),
      NextToken: nextToken,
    };
  };

  const DeleteSecurityGroup = (input: DeleteSecurityGroupRequest, ctx: RequestContext): DeleteSecurityGroupResult => {
    ensureDefaultNetwork(store, ctx);
    const group = targetGroup(ctx, input);
    const id = group.GroupId!;
    if (group.GroupName === DEFAULT_GROUP_NAME) {
      const vpc = store.resources.get<unknown>(ctx, EC2_KIND.vpc, group.VpcId!);
      if (vpc && (vpc.internal as { defaultSecurityGroupId?: string }).defaultSecurityGroupId === id) {
        throw ec2Errors.cannotDeleteDefaultGroup(id);
      }
    }
    const referencing = listRules(store, ctx).filter((r) => r.ReferencedGroupInfo?.GroupId === id && r.GroupId !== id);
    if (referencing.length > 0) throw ec2Errors.dependency(`resource ${id} has a dependent object`);
    const user = dependents.securityGroup?.(ctx, id);
    if (user) throw ec2Errors.dependency(`resource ${id} has a dependent object (${user})`);
    for (const rule of listRules(store, ctx, id)) deleteRule(store, ctx, rule.SecurityGroupRuleId!);
    store.resources.delete(ctx, EC2_KIND.securityGroup, id);
    return { Return: true, GroupId: id };
  };

  const DescribeSecurityGroupRules = (
    input: DescribeSecurityGroupRulesRequest,
    ctx: RequestContext,
  ): DescribeSecurityGroupRulesResult => {
    ensureDefaultNetwork(store, ctx);
    const rules = byIdsOrAll(
      input.SecurityGroupRuleIds,
      (id) => {
        const rule = store.resources.get<SecurityGroupRule>(ctx, EC2_KIND.securityGroupRule, id);
        if (!rule) throw ec2Errors.ruleNotFound(id);
        return rule.state;
      },
      () => listRules(store, ctx),
    );
    const filtered = applyFilters(rules, input.Filters, {
      fields: {
        'group-id': (r) => r.GroupId,
        'security-group-rule-id': (r) => r.SecurityGroupRuleId,
      },
      tags: (r) => r.Tags,
    });
    const { page, nextToken } = paginate(filtered, input);
    return { SecurityGroupRules: page, NextToken: nextToken };
  };

  return {
    CreateSecurityGroup,
    DescribeSecurityGroups,
    DeleteSecurityGroup,
    AuthorizeSecurityGroupIngress: (input: AuthorizeSecurityGroupIngressRequest, ctx: RequestContext) =>
      authorize(input, ctx, false),
    AuthorizeSecurityGroupEgress: (input: AuthorizeSecurityGroupEgressRequest, ctx: RequestContext) =>
      authorize(input, ctx, true),
    RevokeSecurityGroupIngress: (input: RevokeSecurityGroupIngressRequest, ctx: RequestContext) =>
      revoke(input, ctx, false),
    RevokeSecurityGroupEgress: (input: RevokeSecurityGroupEgressRequest, ctx: RequestContext) =>
      revoke(input, ctx, true),
    DescribeSecurityGroupRules,
  };
}
