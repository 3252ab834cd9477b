/**
 * Who may connect to a cluster: on ElastiCache only what the cluster's VPC security groups admit reaches a node. A
 * connection is admitted when one of the cluster's groups has an ingress rule for TCP (or all traffic) on a port
 * range holding the endpoint's port, whose source CIDR holds the client's address or whose source group the client
 * is in. Egress rules of the client's own groups are not modelled (a client is assumed free to send).
 *
 * Clients on the host count as one EC2 instance placed in every VPC: at a fixed address inside the VPC's CIDR
 * (or the one configured) and a member of the VPC's `default` group (or of the groups configured). Client
 * containers are placed by their labels (CLIENT_LABEL), and count as the host where they have none.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Scope, Store } from '../../store/store.js';
import type { ClusterState } from './records.js';
import { findSubnetGroup, type SecurityGroupDirectory } from './network.js';

/** One ingress rule as enforcement needs it (EC2's SecurityGroupRule, reduced). */
export interface IngressRule {
  /** tcp, udp, icmp, ... or -1 for all traffic. */
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  sourceGroupId?: string;
}

/** What the cluster's security groups are matched against. */
export interface ClientIdentity {
  address: string;
  groups: string[];
  /** How logs and events name it: `the host`, a container's name. */
  name: string;
}

/** The rules of the VPC security groups, as ElastiCache's enforcement reads them (implemented by the EC2 subset). */
export interface SecurityGroupRules extends SecurityGroupDirectory {
  ingress(scope: Scope, groupId: string): IngressRule[];
  /** The VPC's primary IPv4 CIDR. */
  vpcCidr(scope: Scope, vpcId: string): string | undefined;
  /** A group of the VPC by id or by name. */
  resolve(scope: Scope, vpcId: string, idOrName: string): string | undefined;
}

/** The host's identity where the user set it; what is unset takes the per-VPC default. */
export interface HostIdentitySettings {
  address?: string;
  /** Group ids or names; each VPC takes the ones it has. */
  groups?: string[];
}

export interface Admission {
  admitted: boolean;
  client: ClientIdentity;
  /** The cluster's groups, for saying which did not admit the client. */
  groups: string[];
  port: number;
}

/** The address the host has in a VPC by default: the 10th address of its CIDR (172.31.0.10 in the default VPC). */
export function defaultHostAddress(vpcCidr: string | undefined): string {
  const base = vpcCidr?.split('/')[0];
  if (!base || !isIPv4(base)) return '10.0.0.10';
  const octets = base.split('.').map(Number);
  const n = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3] + 10;
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

export function hostIdentity(
  rules: SecurityGroupRules,
  scope: Scope,
  vpcId: string,
  settings: HostIdentitySettings,
): ClientIdentity {
  const address = settings.address ?? defaultHostAddress(rules.vpcCidr(scope, vpcId));
  const groups = settings.groups
    ? settings.groups.flatMap((g) => rules.resolve(scope, vpcId, g) ?? [])
    : [rules.defaultOf(scope, vpcId)].filter((g): g is string => g !== undefined);
  return { address, groups, name: 'the host' };
}

function inCidr(address: string, cidr: string | undefined): boolean {
  if (!cidr) return false;
  const [base, prefix] = cidr.split('/');
  const family = isIPv4(base) ? 'ipv4' : isIPv6(base) ? 'ipv6' : undefined;
  if (!family) return false;
  const list = new BlockList();
  list.addSubnet(base, Number(prefix), family);
  // An IPv4 client checked against an IPv6 rule is its IPv4-mapped address, as a dual-stack socket shows it.
  if (family === 'ipv6' && isIPv4(address)) return list.check(`::ffff:${address}`, 'ipv6');
  if (family === 'ipv4' && isIPv6(address)) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    return mapped !== undefined && list.check(mapped, 'ipv4');
  }
  return list.check(address, family);
}

/** Whether one of the rules admits a TCP connection from the client to the port. */
export function admits(rules: IngressRule[], port: number, client: ClientIdentity): boolean {
  return rules.some((rule) => {
    const all = rule.protocol === '-1';
    if (!all && rule.protocol !== 'tcp') return false;
    if (!all && (port < rule.fromPort || port > rule.toPort)) return false;
    if (rule.sourceGroupId) return client.groups.includes(rule.sourceGroupId);
    return inCidr(client.address, rule.cidrIpv4) || inCidr(client.address, rule.cidrIpv6);
  });
}

/** The VPC a cluster's nodes are in: its subnet group's. */
export function vpcOf(store: Store, scope: Scope, cluster: ClusterState): string | undefined {
  const name = cluster.CacheSubnetGroupName;
  return name ? findSubnetGroup(store, scope, name)?.VpcId : undefined;
}

/** What a cluster's security groups admit, ready to match clients against (taken once per sweep). */
export interface AdmissionContext {
  scope: Scope;
  vpcId: string;
  /** The cluster's groups, for saying which did not admit a client. */
  groups: string[];
  ingress: IngressRule[];
  port: number;
}

/** The rules a cluster's connections are checked against (undefined: the cluster is not in a VPC, nothing to enforce). */
export function admissionContext(
  store: Store,
  rules: SecurityGroupRules,
  scope: Scope,
  cluster: ClusterState,
  port: number,
): AdmissionContext | undefined {
  const vpcId = vpcOf(store, scope, cluster);
  if (!vpcId) return undefined;
  const groups = (cluster.SecurityGroups ?? []).map((g) => g.SecurityGroupId!).filter(Boolean);
  return { scope, vpcId, groups, ingress: groups.flatMap((g) => rules.ingress(scope, g)), port };
}

export function decide(context: AdmissionContext, client: ClientIdentity): Admission {
  const { ingress, port, groups } = context;
  return { admitted: admits(ingress, port, client), client, groups, port };
}

/** Whether the host may connect to the cluster's port (undefined: the cluster is not in a VPC, nothing to enforce). */
export function hostAdmission(
  store: Store,
  rules: SecurityGroupRules,
  scope: Scope,
  cluster: ClusterState,
  port: number,
  settings: HostIdentitySettings,
): Admission | undefined {
  const context = admissionContext(store, rules, scope, cluster, port);
  return context && decide(context, hostIdentity(rules, scope, context.vpcId, settings));
}

/**
 * Container labels that place a client container in the cluster's VPC: its security groups (ids or names,
 * comma-separated) and its address there. What a container does not label is the host's (it counts as the host).
 */
export const CLIENT_LABEL = {
  securityGroups: 'elasticache-local.security-groups',
  address: 'elasticache-local.address',
} as const;

/** A labelled client's identity in a VPC: its labels where it has them, the host's otherwise. */
export function labelledIdentity(
  rules: SecurityGroupRules,
  scope: Scope,
  vpcId: string,
  client: { name: string; labels: Record<string, string> },
  host: HostIdentitySettings,
): ClientIdentity {
  const groups = client.labels[CLIENT_LABEL.securityGroups]
    ?.split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  const address = client.labels[CLIENT_LABEL.address]?.trim() || undefined;
  const identity = hostIdentity(rules, scope, vpcId, {
    address: address ?? host.address,
    groups: groups ?? host.groups,
  });
  return { ...identity, name: client.name };
}
