/**
 * Cache clusters: Create, Describe, Modify, Delete, Reboot, ListAllowedNodeTypeModifications.
 * Handlers check a request against the stored state, write the desired state and a job in the call's
 * transaction, and answer with the cluster as AWS shows it at that moment (`creating`, `modifying`, ...).
 * The reconciler (control/cache-cluster-worker.ts) then makes the nodes match and moves the status on.
 */
import type {
  CacheCluster,
  CacheSubnetGroup,
  CreateCacheClusterMessage,
  DeleteCacheClusterMessage,
  DescribeCacheClustersMessage,
  ListAllowedNodeTypeModificationsMessage,
  LogDeliveryConfiguration,
  LogDeliveryConfigurationRequest,
  ModifyCacheClusterMessage,
  PendingModifiedValues,
  RebootCacheClusterMessage,
} from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import type { HandlerTable, RequestContext, WorkQueue } from '../context.js';
import { arn } from '../../domain/elasticache/arns.js';
import {
  DEFAULT_PORTS,
  ENGINES,
  NODE_TYPES,
  compareVersions,
  defaultVersion,
  findEngineVersion,
  nodeType,
  nodeTypeSupports,
  versionInfoOf,
  type EngineName,
  type EngineVersionInfo,
} from '../../domain/elasticache/catalog.js';
import { defaultNetwork } from '../../domain/elasticache/default-network.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../domain/elasticache/faults.js';
import { clusterStyleId, maintenanceWindow, nextWindowStart, snapshotWindow, systemWindows } from '../../domain/elasticache/identifiers.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { paginate } from './pagination.js';
import { defaultParameterGroupName, findParameterGroup } from './parameter-groups.js';
import { findCacheSecurityGroup } from './security-groups.js';
import { checkZone, findSubnetGroup, subnetZones } from './subnet-groups.js';
import { addReplicaCluster, findGroup, groupNodeType, removeMemberCluster } from './replication-groups.js';
import { applyTags } from './tags.js';

export const MAX_MEMCACHED_NODES = 40;
export const NODES_PER_REGION = 300;
export const CLIENT_DOWNLOAD_PAGE = 'https://console.aws.amazon.com/elasticache/home#client-download:';

/** What the API does not show: secrets and runtime facts. Never rendered. */
export interface CacheClusterInternal {
  /** The port every endpoint of the cluster listens on (the requested one, as on AWS). */
  port: number;
  authToken?: string;
  /** Tokens accepted during a ROTATE until the next change. */
  previousAuthToken?: string;
  /** Tokens no longer accepted that running nodes may still have until the change reaches them. */
  retiredAuthTokens?: string[];
  /** Pending changes that PendingModifiedValues has no field for. */
  pendingNewZones?: string[];
  pendingParameterGroup?: string;
  pendingAuthToken?: AuthTokenChange;
  pendingEngine?: EngineName;
  finalSnapshotIdentifier?: string;
  /** A member of a replication group with cluster mode enabled: its node runs as a Redis Cluster node. */
  clusterMode?: boolean;
  nodes: Record<string, { runtimeId?: string }>;
}

export type StoredCluster = { state: CacheCluster; internal: CacheClusterInternal };

export const notFound = (id: string) => fault('CacheClusterNotFoundFault', `CacheCluster not found: ${id}`);

export function getCluster(store: Store, scope: Scope, id: string): StoredCluster {
  const found = store.resources.get<CacheCluster>(scope, KIND.cacheCluster, id.toLowerCase());
  if (!found) throw notFound(id.toLowerCase());
  return { state: found.state, internal: found.internal as CacheClusterInternal };
}

export function saveCluster(store: Store, scope: Scope, cluster: StoredCluster): void {
  store.resources.update(scope, KIND.cacheCluster, cluster.state.CacheClusterId!, cluster.state, cluster.internal);
}

function nodeIdOf(n: number): string {
  return String(n).padStart(4, '0');
}

export function engineOf(value: string | undefined): EngineName {
  const engine = requireValue(value, 'Engine', 'null').toLowerCase();
  if (!ENGINES.includes(engine as EngineName)) {
    throw invalidValue(`Invalid value for Engine: ${value}. Valid values are: memcached, redis, valkey.`);
  }
  return engine as EngineName;
}

export function resolveVersion(engine: EngineName, requested: string | undefined): EngineVersionInfo {
  if (requested === undefined || requested === '') return defaultVersion(engine);
  const found = findEngineVersion(engine, requested);
  if (found.ok) return found.info;
  throw found.reason === 'patch-not-allowed' ? invalidValue(found.message) : invalidCombination(found.message);
}

export function checkNodeType(name: string | undefined, engine: EngineName, version: EngineVersionInfo) {
  const type = requireValue(name, 'CacheNodeType', 'null');
  const info = nodeType(type);
  if (!info) throw invalidValue(`Invalid Cache Node Type: ${type}`);
  if (!nodeTypeSupports(info, engine, version.fullVersion)) {
    throw invalidCombination(`Cache node type ${type} is not supported by ${engine} ${version.fullVersion}.`);
  }
  return info;
}

export function checkAuthToken(token: string) {
  // 16-128 printable ASCII characters, none of / " @ (the API reference's rule).
  if (token.length < 16 || token.length > 128 || !/^[\x21-\x7e]+$/.test(token) || /[/"@]/.test(token)) {
    throw invalidValue('Invalid AuthToken provided.');
  }
}

export type AuthTokenChange = { token?: string; strategy: 'ROTATE' | 'SET' | 'DELETE' };

/** A Modify call's AUTH token change (ROTATE by default), checked against the resource's TLS and token state. */
export function authTokenChange(
  input: { AuthToken?: string; AuthTokenUpdateStrategy?: string },
  current: { TransitEncryptionEnabled?: boolean; AuthTokenEnabled?: boolean },
  what: 'cluster' | 'replication group',
): AuthTokenChange | undefined {
  if (input.AuthToken === undefined && input.AuthTokenUpdateStrategy === undefined) return undefined;
  if (!current.TransitEncryptionEnabled) throw invalidValue('The AUTH token is only supported when encryption-in-transit is enabled');
  const strategy = (input.AuthTokenUpdateStrategy ?? 'ROTATE') as AuthTokenChange['strategy'];
  if (strategy === 'DELETE') {
    if (input.AuthToken !== undefined) throw invalidCombination('AuthToken must not be given with the DELETE strategy.');
    if (!current.AuthTokenEnabled) throw invalidCombination(`The ${what} has no AUTH token to delete.`);
  } else {
    checkAuthToken(requireValue(input.AuthToken, 'AuthToken'));
  }
  return { token: input.AuthToken, strategy };
}

/** The tokens a resource holds once a change is applied: the newest, the one a ROTATE keeps, those retired. */
export function nextAuthTokens(
  current: { authToken?: string; previousAuthToken?: string },
  change: AuthTokenChange,
): { authToken?: string; previousAuthToken?: string; retiredAuthTokens: string[] } {
  const held = [current.authToken, current.previousAuthToken].filter((t): t is string => t !== undefined);
  if (change.strategy === 'DELETE') return { authToken: undefined, previousAuthToken: undefined, retiredAuthTokens: held };
  const previousAuthToken = change.strategy === 'ROTATE' ? current.authToken : undefined;
  return { authToken: change.token, previousAuthToken, retiredAuthTokens: held.filter((t) => t !== previousAuthToken && t !== change.token) };
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
  defaultOf: (scope, vpcId) => (vpcId === defaultNetwork(scope).vpcId ? defaultNetwork(scope).securityGroupId : undefined),
};

/** The cluster's VPC security groups: they must exist and be in its subnet group's VPC. */
export function vpcSecurityGroups(groups: SecurityGroupDirectory, scope: Scope, vpcId: string | undefined, ids: string[]) {
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
export function checkSecurityGroupKinds(input: { SecurityGroupIds?: string[]; CacheSecurityGroupNames?: string[]; CacheSubnetGroupName?: string }) {
  if (input.CacheSecurityGroupNames?.length && (input.SecurityGroupIds?.length || input.CacheSubnetGroupName)) {
    throw invalidCombination('Use of cache security groups is not permitted along with cache subnet group and/or security group Ids.');
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

/** The cluster as DescribeCacheClusters shows it: nodes only on request, and never while creating or deleting. */
export function presentCluster(state: CacheCluster, showNodes: boolean): CacheCluster {
  const hideNodes = !showNodes || state.CacheClusterStatus === 'creating' || state.CacheClusterStatus === 'deleting';
  // A spread with the member set to undefined: V8 copies it far faster than an object rest (the serializer skips it).
  return hideNodes ? { ...state, CacheNodes: undefined } : state;
}

/** Zones for new memcached nodes: the requested ones, else spread (cross-az) or the cluster's zone. */
function zonesForNewNodes(
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

export function cacheClusterHandlers(
  store: Store,
  work: WorkQueue,
  groups: SecurityGroupDirectory = defaultVpcSecurityGroups,
): HandlerTable {
  const enqueue = (scope: Scope, id: string, action: string, payload: object = {}, runAfter = 0) => {
    store.jobs.enqueue(scope, KIND.cacheCluster, id, action, payload, runAfter);
    work.wake();
  };

  const CreateCacheCluster = (input: CreateCacheClusterMessage, ctx: RequestContext) => {
    const id = clusterStyleId(input.CacheClusterId, 'CacheClusterId', 50);
    if (input.ReplicationGroupId !== undefined) {
      return { CacheCluster: presentCluster(addReplicaCluster(store, work, input, ctx, id), false) };
    }
    const engine = engineOf(input.Engine);
    const version = resolveVersion(engine, input.EngineVersion);
    const type = checkNodeType(input.CacheNodeType, engine, version);
    const memcached = engine === 'memcached';

    const numNodes = input.NumCacheNodes ?? 1;
    if (!memcached && numNodes !== 1) {
      throw invalidValue('Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1.');
    }
    if (numNodes < 1) throw invalidValue('The parameter NumCacheNodes must be at least 1.');
    if (numNodes > MAX_MEMCACHED_NODES) {
      throw fault(
        'NodeQuotaForClusterExceededFault',
        `Cluster node quota exceeded. Each cluster can have at most ${MAX_MEMCACHED_NODES} nodes in this region.`,
      );
    }
    if (!memcached && (input.AZMode !== undefined || input.PreferredAvailabilityZones !== undefined)) {
      throw invalidCombination('AZMode and PreferredAvailabilityZones are only supported for Memcached clusters.');
    }
    if (input.AZMode === 'cross-az' && numNodes < 2) {
      throw invalidValue('Cross-AZ mode requires at least two cache nodes.');
    }
    if (memcached && (input.SnapshotArns || input.SnapshotName || input.SnapshotRetentionLimit || input.SnapshotWindow)) {
      throw invalidCombination('Snapshots are not supported for Memcached clusters.');
    }
    if (input.SnapshotRetentionLimit !== undefined && (input.SnapshotRetentionLimit < 0 || input.SnapshotRetentionLimit > 35)) {
      throw invalidValue('The parameter SnapshotRetentionLimit must be between 0 and 35.');
    }
    if (input.SnapshotName !== undefined) {
      throw fault('SnapshotNotFoundFault', `Snapshot not found: ${input.SnapshotName.toLowerCase()}`);
    }
    if (input.AuthToken !== undefined) {
      if (!input.TransitEncryptionEnabled) {
        throw invalidValue('The AUTH token is only supported when encryption-in-transit is enabled');
      }
      if (memcached) throw invalidCombination('AUTH tokens are not supported for Memcached clusters.');
      checkAuthToken(input.AuthToken);
    }
    const port = input.Port ?? DEFAULT_PORTS[engine];
    if (port < 1 || port > 65535) throw invalidValue(`Invalid port: ${port}`);

    const parameterGroup = checkParameterGroup(
      store,
      ctx,
      input.CacheParameterGroupName ?? defaultParameterGroupName(version.family),
      version.family,
    );
    const subnetGroupName = (input.CacheSubnetGroupName ?? 'default').toLowerCase();
    const subnetGroup = findSubnetGroup(store, ctx, subnetGroupName);
    if (!subnetGroup) {
      throw fault('CacheSubnetGroupNotFoundFault', `CacheSubnetGroup ${subnetGroupName} does not exist.`);
    }
    const window = input.PreferredMaintenanceWindow
      ? maintenanceWindow(input.PreferredMaintenanceWindow)
      : systemWindows(id).maintenance;
    const zones = zonesForNewNodes(
      ctx.region,
      subnetGroup,
      numNodes,
      input.AZMode,
      input.PreferredAvailabilityZone,
      input.PreferredAvailabilityZones,
      0,
    );
    if (countNodes(store, ctx) + numNodes > NODES_PER_REGION) {
      throw fault('NodeQuotaForCustomerExceededFault', `Cache node quota exceeded: at most ${NODES_PER_REGION} nodes per region.`);
    }
    const securityGroups = securityGroupsOnCreate(groups, ctx, subnetGroup.VpcId, input);
    const tls = input.TransitEncryptionEnabled ?? false;
    const clusterArn = arn(ctx, 'cluster', id);
    const state: CacheCluster = {
      CacheClusterId: id,
      ClientDownloadLandingPage: CLIENT_DOWNLOAD_PAGE,
      CacheNodeType: type.name,
      Engine: engine,
      EngineVersion: version.fullVersion,
      CacheClusterStatus: 'creating',
      NumCacheNodes: numNodes,
      PreferredAvailabilityZone: input.AZMode === 'cross-az' || new Set(zones).size > 1 ? 'Multiple' : zones[0],
      PreferredMaintenanceWindow: window,
      PendingModifiedValues: {},
      NotificationConfiguration: input.NotificationTopicArn
        ? { TopicArn: input.NotificationTopicArn, TopicStatus: 'active' }
        : undefined,
      CacheSecurityGroups: cacheSecurityGroups(store, ctx, input.CacheSecurityGroupNames),
      CacheParameterGroup: { CacheParameterGroupName: parameterGroup, ParameterApplyStatus: 'in-sync', CacheNodeIdsToReboot: [] },
      CacheSubnetGroupName: subnetGroup.CacheSubnetGroupName,
      CacheNodes: zones.map((zone, i) => ({
        CacheNodeId: nodeIdOf(i + 1),
        CacheNodeStatus: 'creating',
        ParameterGroupStatus: 'in-sync',
        CustomerAvailabilityZone: zone,
      })),
      AutoMinorVersionUpgrade: input.AutoMinorVersionUpgrade ?? true,
      SecurityGroups: securityGroups,
      SnapshotRetentionLimit: memcached ? undefined : (input.SnapshotRetentionLimit ?? 0),
      SnapshotWindow: memcached ? undefined : input.SnapshotWindow ? snapshotWindow(input.SnapshotWindow) : systemWindows(id).snapshot,
      AuthTokenEnabled: input.AuthToken !== undefined,
      AuthTokenLastModifiedDate: input.AuthToken !== undefined ? new Date() : undefined,
      TransitEncryptionEnabled: tls,
      AtRestEncryptionEnabled: false,
      ARN: clusterArn,
      ReplicationGroupLogDeliveryEnabled: false,
      LogDeliveryConfigurations: logDeliveryConfigurations(input.LogDeliveryConfigurations),
      NetworkType: input.NetworkType ?? 'ipv4',
      IpDiscovery: input.IpDiscovery ?? 'ipv4',
      TransitEncryptionMode: tls ? 'required' : undefined,
    };
    const internal: CacheClusterInternal = { port, authToken: input.AuthToken, nodes: {} };
    if (!store.resources.insert(ctx, KIND.cacheCluster, id, state, internal)) {
      throw fault('CacheClusterAlreadyExistsFault', `Cache cluster ${id} already exists.`);
    }
    applyTags(store, clusterArn, input.Tags);
    enqueue(ctx, id, 'create');
    return { CacheCluster: presentCluster(state, false) };
  };

  const DescribeCacheClusters = (input: DescribeCacheClustersMessage, ctx: RequestContext) => {
    let clusters: CacheCluster[];
    if (input.CacheClusterId !== undefined) {
      clusters = [getCluster(store, ctx, input.CacheClusterId).state];
    } else {
      clusters = store.resources.list<CacheCluster>(ctx, KIND.cacheCluster).map((r) => r.state);
    }
    if (input.ShowCacheClustersNotInReplicationGroups) clusters = clusters.filter((c) => !c.ReplicationGroupId);
    const { page, marker } = paginate(clusters, input);
    return { Marker: marker, CacheClusters: page.map((c) => presentCluster(c, input.ShowCacheNodeInfo ?? false)) };
  };

  const ModifyCacheCluster = (input: ModifyCacheClusterMessage, ctx: RequestContext) => {
    const cluster = getCluster(store, ctx, requireValue(input.CacheClusterId, 'CacheClusterId'));
    const { state, internal } = cluster;
    if (state.CacheClusterStatus !== 'available') {
      throw fault('InvalidCacheClusterStateFault', `Cache cluster ${state.CacheClusterId} is not in available state.`);
    }
    if (state.ReplicationGroupId) {
      throw invalidCombination(
        `Cache cluster ${state.CacheClusterId} is a member of replication group ${state.ReplicationGroupId}; modify the replication group instead.`,
      );
    }
    const engine = state.Engine as EngineName;
    const memcached = engine === 'memcached';
    const pending: PendingModifiedValues = { ...state.PendingModifiedValues };
    const currentNodes = state.CacheNodes ?? [];

    // Changes that take effect at once, whatever ApplyImmediately says.
    if (input.PreferredMaintenanceWindow !== undefined) {
      state.PreferredMaintenanceWindow = maintenanceWindow(input.PreferredMaintenanceWindow);
    }
    if (input.AutoMinorVersionUpgrade !== undefined) state.AutoMinorVersionUpgrade = input.AutoMinorVersionUpgrade;
    if (input.SecurityGroupIds !== undefined) {
      const vpcId = findSubnetGroup(store, ctx, state.CacheSubnetGroupName!)?.VpcId;
      state.SecurityGroups = vpcSecurityGroups(groups, ctx, vpcId, input.SecurityGroupIds);
    }
    if (input.CacheSecurityGroupNames !== undefined) {
      state.CacheSecurityGroups = cacheSecurityGroups(store, ctx, input.CacheSecurityGroupNames);
    }
    if (input.NotificationTopicArn !== undefined) {
      state.NotificationConfiguration = { TopicArn: input.NotificationTopicArn, TopicStatus: input.NotificationTopicStatus ?? 'active' };
    } else if (input.NotificationTopicStatus !== undefined && state.NotificationConfiguration) {
      state.NotificationConfiguration.TopicStatus = input.NotificationTopicStatus;
    }
    if (input.SnapshotRetentionLimit !== undefined || input.SnapshotWindow !== undefined) {
      if (memcached) throw invalidCombination('Snapshots are not supported for Memcached clusters.');
      if (input.SnapshotRetentionLimit !== undefined) {
        if (input.SnapshotRetentionLimit < 0 || input.SnapshotRetentionLimit > 35) {
          throw invalidValue('The parameter SnapshotRetentionLimit must be between 0 and 35.');
        }
        state.SnapshotRetentionLimit = input.SnapshotRetentionLimit;
      }
      if (input.SnapshotWindow !== undefined) state.SnapshotWindow = snapshotWindow(input.SnapshotWindow);
    }
    if (input.IpDiscovery !== undefined) state.IpDiscovery = input.IpDiscovery;
    if (input.LogDeliveryConfigurations !== undefined) {
      state.LogDeliveryConfigurations = logDeliveryConfigurations(input.LogDeliveryConfigurations, state.LogDeliveryConfigurations);
    }

    // Changes that wait for the maintenance window unless ApplyImmediately.
    let targetEngine = engine;
    if (input.Engine !== undefined && input.Engine.toLowerCase() !== engine) {
      targetEngine = engineOf(input.Engine);
      if (!(engine === 'redis' && targetEngine === 'valkey')) {
        throw invalidCombination(`Engine modifications other than redis to valkey are not supported.`);
      }
      if (input.EngineVersion === undefined) throw invalidCombination('EngineVersion must be specified when changing Engine.');
      internal.pendingEngine = targetEngine;
    }
    let targetVersion = versionInfoOf(engine, state.EngineVersion!) ?? defaultVersion(engine);
    if (input.EngineVersion !== undefined) {
      const requested = resolveVersion(targetEngine, input.EngineVersion);
      if (targetEngine === engine && compareVersions(requested.fullVersion, state.EngineVersion!) < 0) {
        throw invalidValue(`Cannot downgrade the engine version from ${state.EngineVersion} to ${requested.fullVersion}.`);
      }
      if (requested.fullVersion !== state.EngineVersion || targetEngine !== engine) {
        pending.EngineVersion = requested.fullVersion;
        targetVersion = requested;
      }
    }
    if (input.CacheParameterGroupName !== undefined) {
      internal.pendingParameterGroup = checkParameterGroup(store, ctx, input.CacheParameterGroupName.toLowerCase(), targetVersion.family);
    } else if (pending.EngineVersion && versionInfoOf(targetEngine, pending.EngineVersion)?.family !== versionInfoOf(engine, state.EngineVersion!)?.family) {
      throw invalidCombination(
        `The engine version ${pending.EngineVersion} needs a parameter group of family ${targetVersion.family}; specify CacheParameterGroupName.`,
      );
    }
    if (input.CacheNodeType !== undefined && input.CacheNodeType !== state.CacheNodeType) {
      checkNodeType(input.CacheNodeType, targetEngine, targetVersion);
      pending.CacheNodeType = input.CacheNodeType;
    }
    const authChange = authTokenChange(input, state, 'cluster');
    if (authChange) {
      internal.pendingAuthToken = authChange;
      pending.AuthTokenStatus = authChange.strategy === 'ROTATE' ? 'ROTATING' : 'SETTING';
    }

    if (input.NumCacheNodes !== undefined) {
      const current = state.NumCacheNodes!;
      if (!memcached && input.NumCacheNodes !== 1) {
        throw invalidValue('Cannot modify a Redis cluster to have a NumCacheNodes parameter greater than 1.');
      }
      if (input.NumCacheNodes < 1) throw invalidValue('The parameter NumCacheNodes must be at least 1.');
      if (input.NumCacheNodes > MAX_MEMCACHED_NODES) {
        throw fault(
          'NodeQuotaForClusterExceededFault',
          `Cluster node quota exceeded. Each cluster can have at most ${MAX_MEMCACHED_NODES} nodes in this region.`,
        );
      }
      const removing = input.CacheNodeIdsToRemove ?? [];
      if (input.NumCacheNodes < current) {
        if (removing.length !== current - input.NumCacheNodes) {
          throw invalidValue(
            `The number of cache node IDs to remove (${removing.length}) must equal the current number of nodes (${current}) minus NumCacheNodes (${input.NumCacheNodes}).`,
          );
        }
        const known = new Set(currentNodes.map((n) => n.CacheNodeId));
        const unknown = removing.find((nodeId) => !known.has(nodeId));
        if (unknown) throw invalidValue(`Cache node ${unknown} does not exist in cluster ${state.CacheClusterId}.`);
        pending.NumCacheNodes = input.NumCacheNodes;
        pending.CacheNodeIdsToRemove = removing;
        delete internal.pendingNewZones;
      } else if (input.NumCacheNodes > current) {
        if (removing.length > 0) throw invalidCombination('CacheNodeIdsToRemove is only valid when reducing the number of nodes.');
        const adding = input.NumCacheNodes - current;
        if (countNodes(store, ctx) + adding > NODES_PER_REGION) {
          throw fault('NodeQuotaForCustomerExceededFault', `Cache node quota exceeded: at most ${NODES_PER_REGION} nodes per region.`);
        }
        internal.pendingNewZones = zonesForNewNodes(
          ctx.region,
          findSubnetGroup(store, ctx, state.CacheSubnetGroupName!) ?? { Subnets: [] },
          adding,
          input.AZMode ?? (state.PreferredAvailabilityZone === 'Multiple' ? 'cross-az' : 'single-az'),
          state.PreferredAvailabilityZone === 'Multiple' ? undefined : state.PreferredAvailabilityZone,
          input.NewAvailabilityZones,
          current,
        );
        pending.NumCacheNodes = input.NumCacheNodes;
        delete pending.CacheNodeIdsToRemove;
      } else {
        // The current count cancels pending additions and removals.
        delete pending.NumCacheNodes;
        delete pending.CacheNodeIdsToRemove;
        delete internal.pendingNewZones;
      }
    } else if (input.CacheNodeIdsToRemove !== undefined && input.CacheNodeIdsToRemove.length > 0) {
      throw invalidCombination('CacheNodeIdsToRemove requires NumCacheNodes.');
    }

    state.PendingModifiedValues = pending;
    const hasPending =
      Object.keys(pending).length > 0 || internal.pendingParameterGroup !== undefined || internal.pendingEngine !== undefined;
    store.jobs.cancel(ctx, KIND.cacheCluster, state.CacheClusterId!, 'modify');
    if (hasPending) {
      // A parameter group swap is applied as soon as possible, like ApplyImmediately (API reference).
      if (input.ApplyImmediately || input.CacheParameterGroupName !== undefined) {
        state.CacheClusterStatus = 'modifying';
        if (internal.pendingParameterGroup) {
          state.CacheParameterGroup = {
            CacheParameterGroupName: internal.pendingParameterGroup,
            ParameterApplyStatus: 'applying',
            CacheNodeIdsToReboot: [],
          };
        }
        enqueue(ctx, state.CacheClusterId!, 'modify');
      } else {
        enqueue(ctx, state.CacheClusterId!, 'modify', { maintenance: true }, nextWindowStart(state.PreferredMaintenanceWindow!));
      }
    }
    saveCluster(store, ctx, cluster);
    store.events.record(ctx, 'cache-cluster', state.CacheClusterId!, 'Cache cluster modified');
    return { CacheCluster: presentCluster(state, false) };
  };

  const RebootCacheCluster = (input: RebootCacheClusterMessage, ctx: RequestContext) => {
    const cluster = getCluster(store, ctx, requireValue(input.CacheClusterId, 'CacheClusterId'));
    const { state } = cluster;
    if (state.CacheClusterStatus !== 'available') {
      throw fault('InvalidCacheClusterStateFault', `Cache cluster ${state.CacheClusterId} is not in available state.`);
    }
    const ids = input.CacheNodeIdsToReboot ?? [];
    if (ids.length === 0) throw invalidValue('The parameter CacheNodeIdsToReboot must be provided and must not be blank.');
    const nodes = state.CacheNodes ?? [];
    for (const nodeId of ids) {
      if (!nodes.some((n) => n.CacheNodeId === nodeId)) {
        throw invalidValue(`Cache node ${nodeId} does not exist in cluster ${state.CacheClusterId}.`);
      }
    }
    if (state.ReplicationGroupId && findGroup(store, ctx, state.ReplicationGroupId)?.state.ClusterEnabled) {
      throw invalidCombination('Rebooting nodes of a replication group with cluster mode enabled is not supported.');
    }
    state.CacheClusterStatus = 'rebooting cluster nodes';
    for (const node of nodes) if (ids.includes(node.CacheNodeId!)) node.CacheNodeStatus = 'rebooting';
    saveCluster(store, ctx, cluster);
    if (state.ReplicationGroupId) {
      // A member's node comes back as a replica of the group's primary: the group's worker restarts it.
      store.jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'reboot-member', { clusterId: state.CacheClusterId });
      work.wake();
    } else {
      enqueue(ctx, state.CacheClusterId!, 'reboot', { nodeIds: [...new Set(ids)] });
    }
    return { CacheCluster: presentCluster(state, false) };
  };

  const DeleteCacheCluster = (input: DeleteCacheClusterMessage, ctx: RequestContext) => {
    const cluster = getCluster(store, ctx, requireValue(input.CacheClusterId, 'CacheClusterId'));
    const { state, internal } = cluster;
    if (state.ReplicationGroupId) {
      if (input.FinalSnapshotIdentifier !== undefined) {
        throw invalidCombination('FinalSnapshotIdentifier is not supported for members of a replication group.');
      }
      removeMemberCluster(store, work, ctx, cluster);
      return { CacheCluster: presentCluster(state, false) };
    }
    if (!['available', 'incompatible-network', 'restore-failed', 'create-failed'].includes(state.CacheClusterStatus!)) {
      throw fault('InvalidCacheClusterStateFault', `Cache cluster ${state.CacheClusterId} is not in available state.`);
    }
    if (input.FinalSnapshotIdentifier !== undefined) {
      if (state.Engine === 'memcached') {
        throw fault('SnapshotFeatureNotSupportedFault', 'Snapshots are not supported for Memcached clusters.');
      }
      const name = clusterStyleId(input.FinalSnapshotIdentifier, 'FinalSnapshotIdentifier', 255);
      if (store.resources.get(ctx, KIND.snapshot, name)) {
        throw fault('SnapshotAlreadyExistsFault', `Snapshot ${name} already exists.`);
      }
      internal.finalSnapshotIdentifier = name;
    }
    state.CacheClusterStatus = 'deleting';
    state.PendingModifiedValues = {};
    store.jobs.cancel(ctx, KIND.cacheCluster, state.CacheClusterId!, 'modify');
    saveCluster(store, ctx, cluster);
    enqueue(ctx, state.CacheClusterId!, 'delete');
    return { CacheCluster: presentCluster(state, false) };
  };

  const ListAllowedNodeTypeModifications = (input: ListAllowedNodeTypeModificationsMessage, ctx: RequestContext) => {
    if ((input.CacheClusterId === undefined) === (input.ReplicationGroupId === undefined)) {
      throw invalidCombination('Exactly one of CacheClusterId or ReplicationGroupId must be specified.');
    }
    const { nodeType: currentType, engine, version } =
      input.ReplicationGroupId !== undefined
        ? groupNodeType(store, ctx, input.ReplicationGroupId)
        : (({ state }) => ({ nodeType: state.CacheNodeType!, engine: state.Engine as EngineName, version: state.EngineVersion! }))(
            getCluster(store, ctx, input.CacheClusterId!),
          );
    const current = nodeType(currentType);
    const candidates = NODE_TYPES.filter(
      (t) => !t.previousGeneration && t.name !== currentType && nodeTypeSupports(t, engine, version),
    );
    const memory = current?.memoryBytes ?? 0;
    return {
      ScaleUpModifications: candidates.filter((t) => t.memoryBytes > memory).map((t) => t.name),
      ScaleDownModifications: candidates.filter((t) => t.memoryBytes < memory).map((t) => t.name),
    };
  };

  return {
    CreateCacheCluster,
    DescribeCacheClusters,
    ModifyCacheCluster,
    RebootCacheCluster,
    DeleteCacheCluster,
    ListAllowedNodeTypeModifications,
  };
}

