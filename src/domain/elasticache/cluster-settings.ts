/**
 * The settings checks a cache cluster and a replication group share (engine, version, node type, parameter group,
 * security groups, log delivery, node quota, zones) and the one place a new cluster's state is built, whether it
 * stands alone or is a member of a group.
 */
import type {
  CacheCluster,
  CacheSubnetGroup,
  LogDeliveryConfiguration,
  LogDeliveryConfigurationRequest,
} from '@aws-sdk/client-elasticache';
import { ENGINES } from '../../common/engines.js';
import type { Scope, Store } from '../../store/store.js';
import type { Engine } from '../../common/engines.js';
import { defaultVersion, findEngineVersion, nodeType, nodeTypeSupports, type EngineVersionInfo } from './catalog.js';
import { fault, invalidCombination, invalidValue, requireValue } from './faults.js';
import { KIND } from './kinds.js';
import { checkZone, findCacheSecurityGroup, subnetZones, type SecurityGroupDirectory } from './network.js';
import { findParameterGroup } from './parameter-groups.js';
import {
  MEMBER_NODE,
  isClusterMode,
  nodeIdOf,
  type CacheClusterInternal,
  type ClusterState,
  type StoredCacheNode,
  type StoredGroup,
} from './records.js';
import { arn } from './arns.js';

export const MAX_MEMCACHED_NODES = 40;
export const NODES_PER_REGION = 300;
export const CLIENT_DOWNLOAD_PAGE = 'https://console.aws.amazon.com/elasticache/home#client-download:';

export function engineOf(value: string | undefined): Engine {
  const engine = requireValue(value, 'Engine', 'null').toLowerCase();
  if (!ENGINES.includes(engine as Engine)) {
    throw invalidValue(`Invalid value for Engine: ${value}. Valid values are: memcached, redis, valkey.`);
  }
  return engine as Engine;
}

export function resolveVersion(engine: Engine, requested: string | undefined): EngineVersionInfo {
  if (requested === undefined || requested === '') return defaultVersion(engine);
  const found = findEngineVersion(engine, requested);
  if (found.ok) return found.info;
  throw found.reason === 'patch-not-allowed' ? invalidValue(found.message) : invalidCombination(found.message);
}

export function checkNodeType(name: string | undefined, engine: Engine, version: EngineVersionInfo) {
  const type = requireValue(name, 'CacheNodeType', 'null');
  const info = nodeType(type);
  if (!info) throw invalidValue(`Invalid Cache Node Type: ${type}`);
  if (!nodeTypeSupports(info, engine, version.fullVersion)) {
    throw invalidCombination(`Cache node type ${type} is not supported by ${engine} ${version.fullVersion}.`);
  }
  return info;
}

export function logDeliveryConfigurations(
  requests: LogDeliveryConfigurationRequest[] | undefined,
  current: LogDeliveryConfiguration[] = [],
): LogDeliveryConfiguration[] {
  const byType = new Map(current.map((c) => [c.LogType, c]));
  for (const request of requests ?? []) {
    const logType = requireValue(request.LogType, 'LogDeliveryConfigurations.LogType');
    if (request.Enabled === false) {
      byType.delete(logType);
      continue;
    }
    byType.set(logType, {
      LogType: logType,
      DestinationType: requireValue(request.DestinationType, 'LogDeliveryConfigurations.DestinationType'),
      DestinationDetails: requireValue(request.DestinationDetails, 'LogDeliveryConfigurations.DestinationDetails'),
      LogFormat: requireValue(request.LogFormat, 'LogDeliveryConfigurations.LogFormat'),
      Status: 'active',
    });
  }
  return [...byType.values()];
}

/** The group's name, once it exists, is of the family and matches the cluster mode (a cache cluster: disabled). */
export function checkParameterGroup(store: Store, scope: Scope, name: string, family: string, clusterMode = false) {
  const group = findParameterGroup(store, scope, name);
  if (!group) throw fault('CacheParameterGroupNotFoundFault', `CacheParameterGroup not found: ${name}`);
  if (group.family !== family) {
    throw invalidCombination(`Expected a parameter group of family ${family} but found one of family ${group.family}`);
  }
  if (group.clusterEnabled !== clusterMode) {
    throw invalidCombination(
      clusterMode
        ? 'Cluster mode should be enabled in parameter group, but found it is disabled.'
        : 'Cluster mode should be disabled in parameter group, but found it is enabled.',
    );
  }
  return group.name;
}

export function cacheSecurityGroups(store: Store, scope: Scope, names: string[] | undefined) {
  return (names ?? []).map((name) => {
    const group = findCacheSecurityGroup(store, scope, name);
    if (!group) throw fault('CacheSecurityGroupNotFoundFault', `CacheSecurityGroup not found: ${name}`);
    return { CacheSecurityGroupName: group.CacheSecurityGroupName, Status: 'active' };
  });
}

/** The cluster's VPC security groups: they must exist and be in its subnet group's VPC. */
export function vpcSecurityGroups(
  groups: SecurityGroupDirectory,
  scope: Scope,
  vpcId: string | undefined,
  ids: string[],
) {
  return [...new Set(ids)].map((id) => {
    const group = groups.find(scope, id);
    if (!group) throw invalidValue(`Some security group Id not recognized by EC2: ${id}`);
    if (vpcId && group.vpcId !== vpcId) {
      throw invalidValue(`The security group ${id} is not in the VPC ${vpcId} of the cache subnet group.`);
    }
    return { SecurityGroupId: id, Status: 'active' };
  });
}

/** Cache security groups (EC2-Classic) and VPC networking exclude each other. */
export function checkSecurityGroupKinds(input: {
  SecurityGroupIds?: string[];
  CacheSecurityGroupNames?: string[];
  CacheSubnetGroupName?: string;
}) {
  if (input.CacheSecurityGroupNames?.length && (input.SecurityGroupIds?.length || input.CacheSubnetGroupName)) {
    throw invalidCombination(
      'Use of cache security groups is not permitted along with cache subnet group and/or security group Ids.',
    );
  }
}

/**
 * The VPC security groups of a new cluster or group. None given (absent, or the empty list the Go SDK sends as a bare
 * `SecurityGroupIds=`, as Terraform does): its VPC's default security group, unless it names cache security groups.
 */
export function securityGroupsOnCreate(
  groups: SecurityGroupDirectory,
  scope: Scope,
  vpcId: string | undefined,
  input: { SecurityGroupIds?: string[]; CacheSecurityGroupNames?: string[]; CacheSubnetGroupName?: string },
) {
  checkSecurityGroupKinds(input);
  const defaultGroup = vpcId ? groups.defaultOf(scope, vpcId) : undefined;
  const ids = input.SecurityGroupIds?.length
    ? input.SecurityGroupIds
    : input.CacheSecurityGroupNames?.length || !defaultGroup
      ? []
      : [defaultGroup];
  return vpcSecurityGroups(groups, scope, vpcId, ids);
}

export function countNodes(store: Store, scope: Scope): number {
  return store.resources
    .list<CacheCluster>(scope, KIND.cacheCluster)
    .reduce((sum, c) => sum + (c.state.NumCacheNodes ?? 0), 0);
}

/** Zones for new memcached nodes: the requested ones, else spread (cross-az) or the cluster's zone. */
export function zonesForNewNodes(
  region: string,
  subnetGroup: CacheSubnetGroup,
  count: number,
  azMode: string | undefined,
  preferred: string | undefined,
  requested: string[] | undefined,
  offset: number,
): string[] {
  // Nodes go where the subnet group has subnets.
  const zones = subnetZones(region, subnetGroup);
  for (const zone of [preferred, ...(requested ?? [])]) {
    if (zone !== undefined) checkZone(zones, zone, subnetGroup.CacheSubnetGroupName);
  }
  if (requested && requested.length > 0) {
    if (requested.length !== count) {
      throw invalidValue(
        `The number of availability zones (${requested.length}) must match the number of cache nodes to create (${count}).`,
      );
    }
    return requested;
  }
  if (azMode === 'cross-az') return Array.from({ length: count }, (_, i) => zones[(offset + i) % zones.length]);
  return Array.from({ length: count }, () => preferred ?? zones[0]);
}

export function checkNodeQuota(store: Store, scope: Scope, adding: number): void {
  if (countNodes(store, scope) + adding > NODES_PER_REGION) {
    throw fault(
      'NodeQuotaForCustomerExceededFault',
      `Cache node quota exceeded: at most ${NODES_PER_REGION} nodes per region.`,
    );
  }
}

export function checkSnapshotRetention(limit: number | undefined): void {
  if (limit !== undefined && (limit < 0 || limit > 35)) {
    throw invalidValue('The parameter SnapshotRetentionLimit must be between 0 and 35.');
  }
}

export function checkPort(port: number): number {
  if (port < 1 || port > 65535) throw invalidValue(`Invalid port: ${port}`);
  return port;
}

/** Everything a new cache cluster's state is made of, checked: a standalone cluster's, or a group member's. */
export interface NewClusterSettings {
  id: string;
  engine: Engine;
  version: EngineVersionInfo;
  nodeType: string;
  /** One zone per node. */
  zones: string[];
  /** Nodes spread over zones on purpose (memcached AZMode cross-az): the cluster's zone shows as `Multiple`. */
  crossAz?: boolean;
  maintenanceWindow: string;
  parameterGroup: string;
  subnetGroup: string;
  securityGroups: SecurityGroupMembership[];
  cacheSecurityGroups: CacheSecurityGroupMembership[];
  notificationTopicArn?: string;
  autoMinorVersionUpgrade: boolean;
  /** Undefined for memcached, which has no snapshots. */
  snapshotRetentionLimit?: number;
  snapshotWindow?: string;
  authTokenEnabled: boolean;
  authTokenLastModifiedDate?: Date;
  transitEncryption: boolean;
  transitEncryptionMode?: CacheCluster['TransitEncryptionMode'];
  atRestEncryption: boolean;
  logDelivery: LogDeliveryConfiguration[];
  networkType: NonNullable<CacheCluster['NetworkType']>;
  ipDiscovery: NonNullable<CacheCluster['IpDiscovery']>;
  /** A member of this replication group. */
  replicationGroupId?: string;
}

type SecurityGroupMembership = NonNullable<CacheCluster['SecurityGroups']>[number];
type CacheSecurityGroupMembership = NonNullable<CacheCluster['CacheSecurityGroups']>[number];

/** A new cluster as the create call leaves it: `creating`, its nodes `creating` in their zones. */
export function newClusterState(scope: Scope, settings: NewClusterSettings): ClusterState {
  const { id, zones } = settings;
  return {
    CacheClusterId: id,
    ClientDownloadLandingPage: CLIENT_DOWNLOAD_PAGE,
    CacheNodeType: settings.nodeType,
    Engine: settings.engine,
    EngineVersion: settings.version.fullVersion,
    CacheClusterStatus: 'creating',
    NumCacheNodes: zones.length,
    PreferredAvailabilityZone: settings.crossAz || new Set(zones).size > 1 ? 'Multiple' : zones[0],
    PreferredMaintenanceWindow: settings.maintenanceWindow,
    PendingModifiedValues: {},
    NotificationConfiguration: settings.notificationTopicArn
      ? { TopicArn: settings.notificationTopicArn, TopicStatus: 'active' }
      : undefined,
    CacheSecurityGroups: settings.cacheSecurityGroups,
    CacheParameterGroup: {
      CacheParameterGroupName: settings.parameterGroup,
      ParameterApplyStatus: 'in-sync',
      CacheNodeIdsToReboot: [],
    },
    CacheSubnetGroupName: settings.subnetGroup,
    CacheNodes: zones.map((zone, i) => newCacheNode(nodeIdOf(i + 1), zone)),
    AutoMinorVersionUpgrade: settings.autoMinorVersionUpgrade,
    SecurityGroups: settings.securityGroups,
    SnapshotRetentionLimit: settings.snapshotRetentionLimit,
    SnapshotWindow: settings.snapshotWindow,
    AuthTokenEnabled: settings.authTokenEnabled,
    AuthTokenLastModifiedDate: settings.authTokenLastModifiedDate,
    TransitEncryptionEnabled: settings.transitEncryption,
    AtRestEncryptionEnabled: settings.atRestEncryption,
    ARN: arn(scope, 'cluster', id),
    ReplicationGroupId: settings.replicationGroupId,
    ReplicationGroupLogDeliveryEnabled: settings.replicationGroupId !== undefined && settings.logDelivery.length > 0,
    LogDeliveryConfigurations: settings.logDelivery,
    NetworkType: settings.networkType,
    IpDiscovery: settings.ipDiscovery,
    TransitEncryptionMode: settings.transitEncryptionMode,
  };
}

export function newCacheNode(nodeId: string, zone: string): StoredCacheNode {
  return {
    CacheNodeId: nodeId,
    CacheNodeStatus: 'creating',
    ParameterGroupStatus: 'in-sync',
    CustomerAvailabilityZone: zone,
  };
}

/** A member added to an existing group: shaped after the group's first member, as AWS's new replicas are. */
export function newMemberFrom(
  template: ClusterState,
  scope: Scope,
  id: string,
  groupId: string,
  zone: string,
): ClusterState {
  return {
    ...template,
    CacheClusterId: id,
    CacheClusterStatus: 'creating',
    CacheClusterCreateTime: undefined,
    NumCacheNodes: 1,
    PreferredAvailabilityZone: zone,
    PendingModifiedValues: {},
    CacheNodes: [newCacheNode(MEMBER_NODE, zone)],
    ReplicationGroupId: groupId,
    ReplicationGroupLogDeliveryEnabled: (template.LogDeliveryConfigurations ?? []).length > 0,
    ARN: arn(scope, 'cluster', id),
    ConfigurationEndpoint: undefined,
  };
}

/** A member's internal facts: the group's port and AUTH tokens. */
export function memberInternal(group: StoredGroup): CacheClusterInternal {
  return {
    port: group.internal.port,
    authToken: group.internal.authToken,
    previousAuthToken: group.internal.previousAuthToken,
    clusterMode: isClusterMode(group.state),
    maxMemoryBytes: group.internal.maxMemoryBytes,
    serverlessCache: group.internal.serverlessCache,
    nodes: {},
  };
}
