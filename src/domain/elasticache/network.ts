/**
 * Where ElastiCache resources sit in the network: cache subnet groups (the `default` one over the default VPC's
 * subnets) and their zones, cache security groups, and the directories through which ElastiCache sees EC2's subnets
 * and VPC security groups (the default VPC's alone without the EC2 subset, the EC2 subset's when it is served).
 */
import type { CacheSecurityGroup, CacheSubnetGroup } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import { availabilityZones } from '../regions.js';
import { arn } from './arns.js';
import { defaultNetwork } from './default-network.js';
import { invalidValue } from './faults.js';
import { KIND } from './kinds.js';

export const DEFAULT_SUBNET_GROUP = 'default';

export interface SubnetInfo {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
}

export interface SubnetDirectory {
  find(scope: Scope, subnetId: string): SubnetInfo | undefined;
}

/** The default VPC's subnets: all there is until the EC2 subset serves customer VPCs. */
export const defaultVpcSubnets: SubnetDirectory = {
  find(scope, subnetId) {
    const network = defaultNetwork(scope);
    const subnet = network.subnets.find((s) => s.subnetId === subnetId);
    return subnet && { subnetId, vpcId: network.vpcId, availabilityZone: subnet.availabilityZone };
  },
};

export function subnetGroupShape(
  scope: Scope,
  name: string,
  description: string,
  subnets: SubnetInfo[],
): CacheSubnetGroup {
  return {
    CacheSubnetGroupName: name,
    CacheSubnetGroupDescription: description,
    VpcId: subnets[0]?.vpcId,
    Subnets: subnets.map((s) => ({
      SubnetIdentifier: s.subnetId,
      SubnetAvailabilityZone: { Name: s.availabilityZone },
      SupportedNetworkTypes: ['ipv4'],
    })),
    ARN: arn(scope, 'subnetgroup', name),
    SupportedNetworkTypes: ['ipv4'],
  };
}

export function defaultSubnetGroup(scope: Scope): CacheSubnetGroup {
  const network = defaultNetwork(scope);
  return subnetGroupShape(
    scope,
    DEFAULT_SUBNET_GROUP,
    DEFAULT_SUBNET_GROUP,
    network.subnets.map((s) => ({ subnetId: s.subnetId, vpcId: network.vpcId, availabilityZone: s.availabilityZone })),
  );
}

export function findSubnetGroup(store: Store, scope: Scope, rawName: string): CacheSubnetGroup | undefined {
  const name = rawName.toLowerCase();
  if (name === DEFAULT_SUBNET_GROUP) return defaultSubnetGroup(scope);
  return store.resources.get<CacheSubnetGroup>(scope, KIND.subnetGroup, name)?.state;
}

/** Zones of the subnet group, in the region's order: where nodes may go. */
export function subnetZones(region: string, subnetGroup: CacheSubnetGroup): string[] {
  const grouped = new Set((subnetGroup.Subnets ?? []).map((s) => s.SubnetAvailabilityZone?.Name));
  return availabilityZones(region).filter((zone) => grouped.has(zone));
}

/**
 * A requested zone must be one of the subnet group's; returns it. The name is undefined only for the stand-in of a
 * cluster whose subnet group has gone.
 */
export function checkZone(zones: string[], zone: string, subnetGroupName: string | undefined): string {
  if (!zones.includes(zone)) {
    throw invalidValue(
      `Invalid availability zone: ${zone}. The cache subnet group ${subnetGroupName} has subnets in: ${zones.join(', ')}.`,
    );
  }
  return zone;
}

export function findCacheSecurityGroup(store: Store, scope: Scope, name: string): CacheSecurityGroup | undefined {
  return store.resources.get<CacheSecurityGroup>(scope, KIND.securityGroup, name.toLowerCase())?.state;
}

/** VPC security groups as ElastiCache sees them: by id, with the VPC they belong to (the EC2 subset's, when served). */
export interface SecurityGroupDirectory {
  find(scope: Scope, groupId: string): { groupId: string; vpcId: string } | undefined;
  /** The `default` group of a VPC. */
  defaultOf(scope: Scope, vpcId: string): string | undefined;
}

/** Without the EC2 subset: the default VPC's default group is all there is. */
export const defaultVpcSecurityGroups: SecurityGroupDirectory = {
  find: (scope, groupId) => {
    const network = defaultNetwork(scope);
    return groupId === network.securityGroupId ? { groupId, vpcId: network.vpcId } : undefined;
  },
  defaultOf: (scope, vpcId) =>
    vpcId === defaultNetwork(scope).vpcId ? defaultNetwork(scope).securityGroupId : undefined,
};
