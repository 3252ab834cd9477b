/**
 * Security group rules, stored one per resource (kind ec2-security-group-rule, id `sgr-…`) in their
 * DescribeSecurityGroupRules shape, so they keep stable ids and can later be enforced on connections.
 * IpPermissions (the DescribeSecurityGroups view) are derived from them: rules of the same protocol and port range
 * grouped into one permission, as EC2 shows them.
 */
import type { IpPermission, SecurityGroupRule, Tag } from '@aws-sdk/client-ec2';
import type { Scope, Store } from '../../store/store.js';
import { parseIpv4Cidr, parseIpv6Cidr } from './cidr.js';
import { ec2Errors } from './errors.js';
import { EC2_KIND } from './kinds.js';
import { ec2Arn, newId } from './ids.js';

/** What identifies a rule, without its id, owner or description. */
export interface RuleSpec {
  IsEgress: boolean;
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupInfo?: { GroupId: string; UserId: string };
  Description?: string;
}

const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };
const PORTED = new Set(['tcp', 'udp']);
const TYPED = new Set(['icmp', 'icmpv6']);

/** `tcp`/`TCP`/`6` → `tcp`, `-1` stays, other protocol numbers 0–255 stay numbers. */
export function normalizeProtocol(raw: string | undefined): string {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '-1' || value === 'all') return '-1';
  if (['tcp', 'udp', 'icmp', 'icmpv6'].includes(value)) return value;
  if (/^\d{1,3}$/.test(value) && Number(value) <= 255)
    return PROTOCOL_NAMES[String(Number(value))] ?? String(Number(value));
  throw ec2Errors.invalidValue(`Invalid value '${raw ?? ''}' for IP protocol. Unknown protocol.`);
}

function portRange(protocol: string, from: number | undefined, to: number | undefined): [number, number] {
  if (PORTED.has(protocol)) {
    if (from === undefined || to === undefined) {
      throw ec2Errors.invalidValue('Invalid value for portRange. Must specify both from and to ports with TCP/UDP.');
    }
    if (from < 0 || to > 65535 || from > to) {
      throw ec2Errors.invalidValue(`Invalid value for portRange. The port range ${from}-${to} is not valid.`);
    }
    return [from, to];
  }
  if (TYPED.has(protocol)) {
    const type = from ?? -1;
    const code = to ?? -1;
    if (type < -1 || type > 255 || code < -1 || code > 255) {
      throw ec2Errors.invalidValue(`Invalid value for ICMP type ${type} and code ${code}.`);
    }
    return [type, code];
  }
  return [-1, -1];
}

export interface GroupResolver {
  /** The referenced group's id, after checking it exists (and may be referenced from `vpcId`). */
  (ref: { GroupId?: string; GroupName?: string }): string;
}

/** Expands request IpPermissions into one RuleSpec per source or destination. */
export function expandPermissions(
  scope: Scope,
  permissions: IpPermission[],
  isEgress: boolean,
  resolveGroup: GroupResolver,
): RuleSpec[] {
  const specs: RuleSpec[] = [];
  for (const permission of permissions) {
    const IpProtocol = normalizeProtocol(permission.IpProtocol);
    const [FromPort, ToPort] = portRange(IpProtocol, permission.FromPort, permission.ToPort);
    const base = { IsEgress: isEgress, IpProtocol, FromPort, ToPort };
    const before = specs.length;
    for (const range of permission.IpRanges ?? []) {
      const cidr = range.CidrIp ?? '';
      if (!parseIpv4Cidr(cidr)) throw ec2Errors.invalidValue(`CIDR block ${cidr} is malformed`);
      specs.push({ ...base, CidrIpv4: cidr, Description: range.Description });
    }
    for (const range of permission.Ipv6Ranges ?? []) {
      const cidr = range.CidrIpv6 ?? '';
      if (!parseIpv6Cidr(cidr)) throw ec2Errors.invalidValue(`CIDR block ${cidr} is malformed`);
      specs.push({ ...base, CidrIpv6: cidr.toLowerCase(), Description: range.Description });
    }
    for (const prefixList of permission.PrefixListIds ?? []) {
      const id = prefixList.PrefixListId ?? '';
      if (!/^pl-[0-9a-f]{8,17}$/.test(id)) {
        throw ec2Errors.invalidValue(`The prefix list ID '${id}' is malformed.`);
      }
      specs.push({ ...base, PrefixListId: id, Description: prefixList.Description });
    }
    for (const pair of permission.UserIdGroupPairs ?? []) {
      if (!pair.GroupId && !pair.GroupName) {
        throw ec2Errors.missing('Either groupId or groupName must be specified in a UserIdGroupPair.');
      }
      const GroupId = resolveGroup(pair);
      specs.push({ ...base, ReferencedGroupInfo: { GroupId, UserId: scope.account }, Description: pair.Description });
    }
    if (specs.length === before) {
      throw ec2Errors.missing(
        'No source or destination was specified in the permission (IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs).',
      );
    }
  }
  return specs;
}

export function ruleKey(rule: RuleSpec | SecurityGroupRule): string {
  const target = rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.PrefixListId ?? rule.ReferencedGroupInfo?.GroupId ?? '';
  return [rule.IsEgress ? 'egress' : 'ingress', rule.IpProtocol, rule.FromPort, rule.ToPort, target].join('|');
}

/** How EC2 names a rule in its InvalidPermission.Duplicate message. */
export function describeRule(rule: RuleSpec): string {
  const peer = rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.PrefixListId ?? rule.ReferencedGroupInfo?.GroupId;
  const protocol = rule.IpProtocol === '-1' ? 'ALL' : rule.IpProtocol.toUpperCase();
  const ports = PORTED.has(rule.IpProtocol) ? `, from port: ${rule.FromPort}, to port: ${rule.ToPort}` : '';
  return `peer: ${peer}, ${protocol}${ports}, ALLOW`;
}

export function listRules(store: Store, scope: Scope, groupId?: string): SecurityGroupRule[] {
  const all = store.resources.list<SecurityGroupRule>(scope, EC2_KIND.securityGroupRule).map((r) => r.state);
  return groupId === undefined ? all : all.filter((rule) => rule.GroupId === groupId);
}

export function insertRule(
  store: Store,
  scope: Scope,
  groupId: string,
  spec: RuleSpec,
  options: { id?: string; tags?: Tag[] } = {},
): SecurityGroupRule {
  const id = options.id ?? newId('sgr');
  const rule: SecurityGroupRule = {
    SecurityGroupRuleId: id,
    GroupId: groupId,
    GroupOwnerId: scope.account,
    IsEgress: spec.IsEgress,
    IpProtocol: spec.IpProtocol,
    FromPort: spec.FromPort,
    ToPort: spec.ToPort,
    CidrIpv4: spec.CidrIpv4,
    CidrIpv6: spec.CidrIpv6,
    PrefixListId: spec.PrefixListId,
    ReferencedGroupInfo: spec.ReferencedGroupInfo,
    Description: spec.Description,
    Tags: options.tags ?? [],
    SecurityGroupRuleArn: ec2Arn(scope, 'security-group-rule', id),
  };
  for (const key of Object.keys(rule) as (keyof SecurityGroupRule)[]) if (rule[key] === undefined) delete rule[key];
  store.resources.insert(scope, EC2_KIND.securityGroupRule, id, rule);
  return rule;
}

export function deleteRule(store: Store, scope: Scope, ruleId: string): void {
  store.resources.delete(scope, EC2_KIND.securityGroupRule, ruleId);
}

/** The DescribeSecurityGroups view of a group's rules in one direction. */
export function ipPermissionsOf(rules: SecurityGroupRule[], isEgress: boolean): IpPermission[] {
  const byRange = new Map<string, IpPermission>();
  for (const rule of rules) {
    if (rule.IsEgress !== isEgress) continue;
    const key = `${rule.IpProtocol}|${rule.FromPort}|${rule.ToPort}`;
    let permission = byRange.get(key);
    if (!permission) {
      const protocol = rule.IpProtocol!;
      const showsPorts = PORTED.has(protocol) || TYPED.has(protocol);
      permission = {
        IpProtocol: protocol,
        ...(showsPorts ? { FromPort: rule.FromPort, ToPort: rule.ToPort } : {}),
        UserIdGroupPairs: [],
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
      };
      byRange.set(key, permission);
    }
    const description = rule.Description !== undefined ? { Description: rule.Description } : {};
    if (rule.CidrIpv4) permission.IpRanges!.push({ CidrIp: rule.CidrIpv4, ...description });
    else if (rule.CidrIpv6) permission.Ipv6Ranges!.push({ CidrIpv6: rule.CidrIpv6, ...description });
    else if (rule.PrefixListId) permission.PrefixListIds!.push({ PrefixListId: rule.PrefixListId, ...description });
    else if (rule.ReferencedGroupInfo) {
      permission.UserIdGroupPairs!.push({
        UserId: rule.ReferencedGroupInfo.UserId,
        GroupId: rule.ReferencedGroupInfo.GroupId,
        ...description,
      });
    }
  }
  return [...byRange.values()];
}
