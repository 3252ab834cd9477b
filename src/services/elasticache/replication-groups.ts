/**
 * Replication groups: Create, Describe, Modify, Delete, Increase / DecreaseReplicaCount,
 * ModifyReplicationGroupShardConfiguration, TestFailover, and the member side of CreateCacheCluster /
 * DeleteCacheCluster. A group is stored with its member cache clusters, each of which is an ordinary cache
 * cluster record with ReplicationGroupId set (DescribeCacheClusters lists them, as AWS does). Handlers write the
 * desired topology (members, roles, shards and their slots) in the call's transaction and queue a job; the
 * replication group worker (control/replication-group-worker.ts) makes the nodes match.
 */
import type {
  CacheCluster,
  CreateCacheClusterMessage,
  CreateReplicationGroupMessage,
  DecreaseReplicaCountMessage,
  DeleteReplicationGroupMessage,
  DescribeReplicationGroupsMessage,
  IncreaseReplicaCountMessage,
  ModifyReplicationGroupMessage,
  ModifyReplicationGroupShardConfigurationMessage,
  NodeGroup,
  NodeGroupConfiguration,
  NodeGroupMember,
  ReplicationGroup,
  TestFailoverMessage,
} from '@aws-sdk/client-elasticache';
import { evenSlots, formatSlotRanges, rebalancedSlots, slotsToRanges } from '../../common/slot-ranges.js';
import type { Scope, Store } from '../../store/store.js';
import type { HandlerTable, RequestContext, WorkQueue } from '../context.js';
import { arn } from '../../domain/elasticache/arns.js';
import {
  CLIENT_DOWNLOAD_PAGE,
  NODES_PER_REGION,
  authTokenChange,
  cacheSecurityGroups,
  checkAuthToken,
  checkSecurityGroupKinds,
  checkNodeType,
  checkParameterGroup,
  countNodes,
  defaultVpcSecurityGroups,
  engineOf,
  getCluster,
  logDeliveryConfigurations,
  resolveVersion,
  saveCluster,
  securityGroupsOnCreate,
  vpcSecurityGroups,
  type AuthTokenChange,
  type CacheClusterInternal,
  type SecurityGroupDirectory,
  type StoredCluster,
} from './cache-clusters.js';
import {
  DEFAULT_PORTS,
  compareVersions,
  defaultVersion,
  versionInfoOf,
  type EngineName,
} from '../../domain/elasticache/catalog.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../domain/elasticache/faults.js';
import { clusterStyleId, maintenanceWindow, nextWindowStart, snapshotWindow, systemWindows } from '../../domain/elasticache/identifiers.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { paginate } from './pagination.js';
import { defaultParameterGroupName, findParameterGroup } from './parameter-groups.js';
import { checkCoverage, parseSlots, slotsOf } from '../../domain/elasticache/slots.js';
import { checkZone, findSubnetGroup, subnetZones } from './subnet-groups.js';
import { applyTags } from './tags.js';

export const MAX_REPLICAS = 5;
export const MAX_NODE_GROUPS = 500;
/** TestFailover: at most this many node groups in a rolling 24 hours (AWS counts per account; we count per group). */
export const FAILOVERS_PER_DAY = 15;
const DAY_MS = 86_400_000;

/** What the API does not show. Never rendered. */
export interface ReplicationGroupInternal {
  port: number;
  authToken?: string;
  previousAuthToken?: string;
  retiredAuthTokens?: string[];
  pendingAuthToken?: AuthTokenChange;
  pendingNodeType?: string;
  pendingEngineVersion?: string;
  pendingEngine?: EngineName;
  pendingParameterGroup?: string;
  /** Cluster mode: the slots each shard is to own; the worker migrates slots until NodeGroups[].Slots match. */
  targetSlots?: Record<string, string>;
  /** Cluster mode: shards whose slots move away and whose nodes then go. */
  removingShards?: string[];
  /** Member clusters whose nodes are to be removed (replica count decreases, member deletes). */
  removingMembers?: string[];
  /** A member to promote (TestFailover, ModifyReplicationGroup PrimaryClusterId); the worker clears it. */
  failover?: { nodeGroupId: string; to?: string; reason: 'test' | 'modify' };
  /** When TestFailover was called, for its rate limit. */
  failoverCalls?: number[];
  retainPrimaryCluster?: boolean;
  finalSnapshotIdentifier?: string;
}

export type StoredGroup = { state: ReplicationGroup; internal: ReplicationGroupInternal };

export const groupNotFound = (id: string) => fault('ReplicationGroupNotFoundFault', `ReplicationGroup not found: ${id}`);

export function findGroup(store: Store, scope: Scope, id: string): StoredGroup | undefined {
  const found = store.resources.get<ReplicationGroup>(scope, KIND.replicationGroup, id.toLowerCase());
  return found && { state: found.state, internal: found.internal as ReplicationGroupInternal };
}

export function getGroup(store: Store, scope: Scope, id: string | undefined): StoredGroup {
  const name = requireValue(id, 'ReplicationGroupId').toLowerCase();
  const group = findGroup(store, scope, name);
  if (!group) throw groupNotFound(name);
  return group;
}

export function saveGroup(store: Store, scope: Scope, group: StoredGroup): void {
  store.resources.update(scope, KIND.replicationGroup, group.state.ReplicationGroupId!, group.state, group.internal);
}

const isClusterMode = (state: ReplicationGroup) => state.ClusterEnabled === true;

/** Member cluster names: `<rg>-001` (cluster mode disabled), `<rg>-0001-001` (enabled). */
export function memberName(groupId: string, nodeGroupId: string | undefined, n: number): string {
  const member = String(n).padStart(3, '0');
  return nodeGroupId === undefined ? `${groupId}-${member}` : `${groupId}-${nodeGroupId}-${member}`;
}

/** The next unused member number in a shard (new replicas take the next free number, as on AWS). */
function nextMemberNumber(group: ReplicationGroup, nodeGroupId: string | undefined, taken: Set<string>): number {
  let n = 1;
  const id = group.ReplicationGroupId!;
  const all = new Set([...(group.MemberClusters ?? []), ...taken]);
  while (all.has(memberName(id, isClusterMode(group) ? nodeGroupId : undefined, n))) n++;
  return n;
}

/** The group as DescribeReplicationGroups shows it: members' roles and read endpoints only with cluster mode disabled. */
export function presentGroup(state: ReplicationGroup): ReplicationGroup {
  if (!isClusterMode(state)) return state;
  return {
    ...state,
    NodeGroups: state.NodeGroups?.map((g) => ({
      ...g,
      NodeGroupMembers: g.NodeGroupMembers?.map(({ CurrentRole: _role, ReadEndpoint: _endpoint, ...member }) => member),
    })),
  };
}

export function primaryOf(nodeGroup: NodeGroup): NodeGroupMember | undefined {
  return nodeGroup.NodeGroupMembers?.find((m) => m.CurrentRole === 'primary');
}

function nodeGroupOf(state: ReplicationGroup, clusterId: string): NodeGroup | undefined {
  return state.NodeGroups?.find((g) => g.NodeGroupMembers?.some((m) => m.CacheClusterId === clusterId));
}

/** A new member cluster, shaped after the group's template member. */
function newMember(template: CacheCluster, ctx: Scope, id: string, groupId: string, zone: string): CacheCluster {
  return {
    ...template,
    CacheClusterId: id,
    CacheClusterStatus: 'creating',
    CacheClusterCreateTime: undefined,
    NumCacheNodes: 1,
    PreferredAvailabilityZone: zone,
    PendingModifiedValues: {},
    CacheNodes: [{ CacheNodeId: '0001', CacheNodeStatus: 'creating', ParameterGroupStatus: 'in-sync', CustomerAvailabilityZone: zone }],
    ReplicationGroupId: groupId,
    ReplicationGroupLogDeliveryEnabled: (template.LogDeliveryConfigurations ?? []).length > 0,
    ARN: arn(ctx, 'cluster', id),
    ConfigurationEndpoint: undefined,
  };
}

interface ShardPlan {
  nodeGroupId?: string;
  slots?: string;
  zones: string[];
}

export function replicationGroupHandlers(
  store: Store,
  work: WorkQueue,
  groups: SecurityGroupDirectory = defaultVpcSecurityGroups,
): HandlerTable {
  const enqueue = (scope: Scope, id: string, action: string, payload: object = {}) => {
    store.jobs.enqueue(scope, KIND.replicationGroup, id, action, payload);
    work.wake();
  };
  const event = (scope: Scope, id: string, message: string) => store.events.record(scope, 'replication-group', id, message);

  const insertMember = (ctx: RequestContext, member: CacheCluster, internal: CacheClusterInternal) => {
    if (!store.resources.insert(ctx, KIND.cacheCluster, member.CacheClusterId!, member, internal)) {
      throw fault('CacheClusterAlreadyExistsFault', `Cache cluster ${member.CacheClusterId} already exists.`);
    }
  };

  const requireAvailable = (group: StoredGroup) => {
    if (group.state.Status !== 'available') {
      throw fault(
        'InvalidReplicationGroupStateFault',
        `Replication group ${group.state.ReplicationGroupId} is not in available state (it is ${group.state.Status}).`,
      );
    }
  };

  const memberInternal = (group: StoredGroup): CacheClusterInternal => ({
    port: group.internal.port,
    authToken: group.internal.authToken,
    previousAuthToken: group.internal.previousAuthToken,
    clusterMode: isClusterMode(group.state),
    nodes: {},
  });

  /** The first member, whose settings new members copy. */
  const templateOf = (ctx: Scope, group: StoredGroup): CacheCluster => {
    const first = group.state.MemberClusters?.[0];
    return getCluster(store, ctx, first!).state;
  };

  const checkQuota = (ctx: Scope, adding: number) => {
    if (countNodes(store, ctx) + adding > NODES_PER_REGION) {
      throw fault('NodeQuotaForCustomerExceededFault', `Cache node quota exceeded: at most ${NODES_PER_REGION} nodes per region.`);
    }
  };

  const checkReplicaCount = (count: number) => {
    if (!Number.isInteger(count) || count < 0 || count > MAX_REPLICAS) {
      throw invalidValue(`The number of replicas per node group must be within 0 and ${MAX_REPLICAS}.`);
    }
  };

  // ---- CreateReplicationGroup ----------------------------------------------------------------------------------

  const CreateReplicationGroup = (input: CreateReplicationGroupMessage, ctx: RequestContext) => {
    const id = clusterStyleId(input.ReplicationGroupId, 'ReplicationGroupId', 40);
    const description = requireValue(input.ReplicationGroupDescription, 'ReplicationGroupDescription');
    if (findGroup(store, ctx, id)) throw fault('ReplicationGroupAlreadyExistsFault', `Replication group ${id} already exists.`);
    if (input.GlobalReplicationGroupId !== undefined) {
      throw fault('GlobalReplicationGroupNotFoundFault', `Global replication group ${input.GlobalReplicationGroupId} not found.`);
    }
    if (input.SnapshotName !== undefined) {
      throw fault('SnapshotNotFoundFault', `Snapshot not found: ${input.SnapshotName.toLowerCase()}`);
    }
    if (input.ServerlessCacheSnapshotName !== undefined) {
      throw fault('ServerlessCacheSnapshotNotFoundFault', `Serverless cache snapshot not found: ${input.ServerlessCacheSnapshotName}`);
    }
    if (input.SnapshotArns?.length) {
      throw invalidValue(`The snapshot ${input.SnapshotArns[0]} cannot be read: seeding from an S3 object is not available here.`);
    }
    if (input.UserGroupIds?.length) {
      if (input.AuthToken !== undefined) throw invalidCombination('AuthToken and UserGroupIds cannot be used together.');
      throw fault('UserGroupNotFoundFault', `User group ${input.UserGroupIds[0]} not found.`);
    }

    // Building around an existing cluster: it becomes the primary and lends the group its settings.
    let primary: StoredCluster | undefined;
    if (input.PrimaryClusterId !== undefined) {
      primary = getCluster(store, ctx, input.PrimaryClusterId);
      if (primary.state.ReplicationGroupId) {
        throw fault('InvalidCacheClusterStateFault', `Cache cluster ${primary.state.CacheClusterId} already belongs to replication group ${primary.state.ReplicationGroupId}.`);
      }
      if (primary.state.Engine === 'memcached') throw invalidValue('Replication groups are not supported for Memcached clusters.');
      if (primary.state.CacheClusterStatus !== 'available') {
        throw fault('InvalidCacheClusterStateFault', `Cache cluster ${primary.state.CacheClusterId} is not in available state.`);
      }
    }
    const base = primary?.state;
    const engine = base ? (base.Engine as EngineName) : input.Engine === undefined ? 'redis' : engineOf(input.Engine);
    if (engine === 'memcached') throw invalidValue('Replication groups are not supported for Memcached clusters.');
    const version = base ? (versionInfoOf(engine, base.EngineVersion!) ?? defaultVersion(engine)) : resolveVersion(engine, input.EngineVersion);
    const type = checkNodeType(base?.CacheNodeType ?? input.CacheNodeType, engine, version);

    // Cluster mode: from the parameter group, or asked for (then the family's .cluster.on group is the default).
    const requestedGroup = base?.CacheParameterGroup?.CacheParameterGroupName ?? input.CacheParameterGroupName?.toLowerCase();
    const groupInfo = requestedGroup !== undefined ? findParameterGroup(store, ctx, requestedGroup) : undefined;
    if (requestedGroup !== undefined && !groupInfo) throw fault('CacheParameterGroupNotFoundFault', `CacheParameterGroup not found: ${requestedGroup}`);
    const clusterMode = groupInfo ? groupInfo.clusterEnabled : input.ClusterMode === 'enabled';
    if (input.ClusterMode === 'enabled' && !clusterMode) {
      throw invalidCombination('Cluster mode should be enabled in parameter group, but found it is disabled.');
    }
    if (input.ClusterMode === 'disabled' && clusterMode) {
      throw invalidCombination('Cluster mode should be disabled in parameter group, but found it is enabled.');
    }
    if (clusterMode && primary) throw invalidCombination('PrimaryClusterId cannot be used with cluster mode enabled.');
    const parameterGroup = checkParameterGroup(
      store,
      ctx,
      requestedGroup ?? defaultParameterGroupName(version.family, clusterMode),
      version.family,
      clusterMode,
    );

    const subnetGroupName = (base?.CacheSubnetGroupName ?? input.CacheSubnetGroupName ?? 'default').toLowerCase();
    const subnetGroup = findSubnetGroup(store, ctx, subnetGroupName);
    if (!subnetGroup) throw fault('CacheSubnetGroupNotFoundFault', `CacheSubnetGroup ${subnetGroupName} does not exist.`);
    const zones = subnetZones(ctx.region, subnetGroup);
    const spread = (offset: number, count: number) => Array.from({ length: count }, (_, i) => zones[(offset + i) % zones.length]);

    // The shards and their members.
    if (input.NumCacheClusters !== undefined && (input.NumNodeGroups !== undefined || input.ReplicasPerNodeGroup !== undefined)) {
      throw invalidCombination('NumCacheClusters cannot be used together with NumNodeGroups or ReplicasPerNodeGroup.');
    }
    if (input.NumCacheClusters !== undefined && clusterMode) {
      throw invalidCombination('NumCacheClusters is for cluster mode disabled; use NumNodeGroups and ReplicasPerNodeGroup.');
    }
    const configs: NodeGroupConfiguration[] = input.NodeGroupConfiguration ?? [];
    if (configs.length > 0 && input.NumNodeGroups !== undefined && input.NumNodeGroups !== configs.length) {
      throw invalidValue(`NumNodeGroups (${input.NumNodeGroups}) must equal the number of NodeGroupConfiguration entries (${configs.length}).`);
    }
    const shardCount = configs.length || (input.NumNodeGroups ?? 1);
    if (shardCount < 1) throw invalidValue('The parameter NumNodeGroups must be at least 1.');
    if (shardCount > MAX_NODE_GROUPS) {
      throw fault('NodeGroupsPerReplicationGroupQuotaExceededFault', `A replication group can have at most ${MAX_NODE_GROUPS} node groups.`);
    }
    if (!clusterMode && shardCount > 1) {
      throw invalidCombination('A replication group with cluster mode disabled has exactly one node group; use a parameter group with cluster-enabled yes for more.');
    }
    if (input.ReplicasPerNodeGroup !== undefined) checkReplicaCount(input.ReplicasPerNodeGroup);
    const shards: ShardPlan[] = [];
    if (clusterMode) {
      const explicitSlots = configs.filter((c) => c.Slots !== undefined).length;
      if (explicitSlots > 0 && explicitSlots !== shardCount) throw invalidValue('Either every NodeGroupConfiguration gives Slots or none does.');
      if (explicitSlots > 0) checkCoverage(configs.map((c) => c.Slots!));
      const even = evenSlots(shardCount);
      const ids = new Set<string>();
      for (let i = 0; i < shardCount; i++) {
        const config = configs[i] ?? {};
        const nodeGroupId = config.NodeGroupId ?? String(i + 1).padStart(4, '0');
        if (!/^\d{1,4}$/.test(nodeGroupId)) throw invalidValue(`Invalid NodeGroupId: ${nodeGroupId}. It must be 1 to 4 digits.`);
        if (ids.has(nodeGroupId)) throw invalidValue(`NodeGroupId ${nodeGroupId} is given more than once.`);
        ids.add(nodeGroupId);
        const replicas = config.ReplicaCount ?? input.ReplicasPerNodeGroup ?? 0;
        checkReplicaCount(replicas);
        shards.push({
          nodeGroupId,
          slots: formatSlotRanges(config.Slots !== undefined ? parseSlots(config.Slots) : even[i]),
          zones: shardZones(config, replicas, i),
        });
      }
    } else {
      const config = configs[0];
      if (config?.Slots !== undefined) throw invalidCombination('Slots can only be given with cluster mode enabled.');
      const preferred = input.PreferredCacheClusterAZs;
      let members = input.NumCacheClusters ?? (input.ReplicasPerNodeGroup ?? config?.ReplicaCount ?? (preferred?.length ? preferred.length - 1 : 0)) + 1;
      if (primary) members = Math.max(members, 1);
      if (members < 1 || members > MAX_REPLICAS + 1) {
        throw invalidValue(`The number of replicas per node group must be within 0 and ${MAX_REPLICAS}.`);
      }
      if (preferred?.length && preferred.length !== members) {
        throw invalidValue(`The number of PreferredCacheClusterAZs (${preferred.length}) must equal NumCacheClusters (${members}).`);
      }
      const memberZones = preferred?.length
        ? preferred.map((z) => checkZone(zones, z, subnetGroupName))
        : config
          ? shardZones(config, members - 1, 0)
          : spread(0, members);
      if (primary) memberZones[0] = primary.state.PreferredAvailabilityZone!;
      shards.push({ zones: memberZones });
    }
    function shardZones(config: NodeGroupConfiguration, replicas: number, offset: number): string[] {
      const primaryZone = config.PrimaryAvailabilityZone ? checkZone(zones, config.PrimaryAvailabilityZone, subnetGroupName) : zones[offset % zones.length];
      const replicaZones = config.ReplicaAvailabilityZones ?? [];
      if (replicaZones.length > 0 && replicaZones.length !== replicas) {
        throw invalidValue(`The number of ReplicaAvailabilityZones (${replicaZones.length}) must equal the replica count (${replicas}).`);
      }
      return [primaryZone, ...(replicaZones.length ? replicaZones.map((z) => checkZone(zones, z, subnetGroupName)) : spread(offset + 1, replicas))];
    }
    const totalMembers = shards.reduce((sum, s) => sum + s.zones.length, 0);

    const failover = input.AutomaticFailoverEnabled ?? clusterMode;
    if (clusterMode && input.AutomaticFailoverEnabled === false) {
      throw invalidCombination('Redis with cluster mode enabled cannot be created with automatic failover disabled.');
    }
    if (failover && !clusterMode && totalMembers < 2) {
      throw invalidCombination('When using automatic failover, there must be at least 2 cache clusters in the replication group.');
    }
    if (input.MultiAZEnabled && !failover) {
      throw invalidCombination('Multi-AZ requires automatic failover: set AutomaticFailoverEnabled to true.');
    }
    if (input.MultiAZEnabled && !clusterMode && totalMembers < 2) {
      throw invalidCombination('Multi-AZ requires at least one read replica.');
    }
    const tls = base?.TransitEncryptionEnabled ?? input.TransitEncryptionEnabled ?? false;
    if (input.AuthToken !== undefined) {
      if (!tls) throw invalidValue('The AUTH token is only supported when encryption-in-transit is enabled');
      checkAuthToken(input.AuthToken);
    }
    if (input.TransitEncryptionMode !== undefined && !tls) {
      throw invalidCombination('TransitEncryptionMode requires TransitEncryptionEnabled.');
    }
    const dataTieringType = type.name.startsWith('cache.r6gd.');
    if (input.DataTieringEnabled === true && !dataTieringType) {
      throw invalidCombination(`Data tiering is only supported for cache.r6gd node types, not ${type.name}.`);
    }
    if (dataTieringType && input.DataTieringEnabled !== true) {
      throw invalidCombination(`Node type ${type.name} requires DataTieringEnabled to be true.`);
    }
    const retention = input.SnapshotRetentionLimit ?? 0;
    if (retention < 0 || retention > 35) throw invalidValue('The parameter SnapshotRetentionLimit must be between 0 and 35.');
    const port = base ? (primary!.internal.port) : (input.Port ?? DEFAULT_PORTS[engine]);
    if (port < 1 || port > 65535) throw invalidValue(`Invalid port: ${port}`);
    checkQuota(ctx, totalMembers - (primary ? 1 : 0));

    // Built around a cluster, the group takes its security groups; the request is still checked as AWS checks it.
    if (base) checkSecurityGroupKinds(input);
    const securityGroups = base?.SecurityGroups ?? securityGroupsOnCreate(groups, ctx, subnetGroup.VpcId, input);
    const windows = systemWindows(id);
    const maintenance = input.PreferredMaintenanceWindow ? maintenanceWindow(input.PreferredMaintenanceWindow) : (base?.PreferredMaintenanceWindow ?? windows.maintenance);
    const snapshotTime = input.SnapshotWindow ? snapshotWindow(input.SnapshotWindow) : windows.snapshot;
    const logs = logDeliveryConfigurations(input.LogDeliveryConfigurations);
    const transitMode = tls ? (input.TransitEncryptionMode ?? 'required') : undefined;
    const atRest = input.AtRestEncryptionEnabled ?? engine === 'valkey';

    const template: CacheCluster = {
      CacheClusterId: id,
      ClientDownloadLandingPage: CLIENT_DOWNLOAD_PAGE,
      CacheNodeType: type.name,
      Engine: engine,
      EngineVersion: version.fullVersion,
      CacheClusterStatus: 'creating',
      NumCacheNodes: 1,
      PreferredMaintenanceWindow: maintenance,
      PendingModifiedValues: {},
      NotificationConfiguration: input.NotificationTopicArn ? { TopicArn: input.NotificationTopicArn, TopicStatus: 'active' } : undefined,
      CacheSecurityGroups: base?.CacheSecurityGroups ?? cacheSecurityGroups(store, ctx, input.CacheSecurityGroupNames),
      CacheParameterGroup: { CacheParameterGroupName: parameterGroup, ParameterApplyStatus: 'in-sync', CacheNodeIdsToReboot: [] },
      CacheSubnetGroupName: subnetGroup.CacheSubnetGroupName,
      AutoMinorVersionUpgrade: input.AutoMinorVersionUpgrade ?? base?.AutoMinorVersionUpgrade ?? true,
      SecurityGroups: securityGroups,
      SnapshotRetentionLimit: 0,
      SnapshotWindow: snapshotTime,
      AuthTokenEnabled: input.AuthToken !== undefined || (base?.AuthTokenEnabled ?? false),
      AuthTokenLastModifiedDate: input.AuthToken !== undefined ? new Date() : base?.AuthTokenLastModifiedDate,
      TransitEncryptionEnabled: tls,
      AtRestEncryptionEnabled: atRest,
      LogDeliveryConfigurations: logs,
      NetworkType: input.NetworkType ?? base?.NetworkType ?? 'ipv4',
      IpDiscovery: input.IpDiscovery ?? base?.IpDiscovery ?? 'ipv4',
      TransitEncryptionMode: transitMode,
    };

    const internal: ReplicationGroupInternal = { port, authToken: input.AuthToken ?? primary?.internal.authToken };
    const memberIds: string[] = [];
    const nodeGroups: NodeGroup[] = shards.map((shard) => {
      const members: NodeGroupMember[] = shard.zones.map((zone, i) => {
        const memberId = i === 0 && primary ? primary.state.CacheClusterId! : nextFreeName(shard.nodeGroupId);
        memberIds.push(memberId);
        return { CacheClusterId: memberId, CacheNodeId: '0001', PreferredAvailabilityZone: zone, CurrentRole: i === 0 ? 'primary' : 'replica' };
      });
      return {
        NodeGroupId: shard.nodeGroupId ?? '0001',
        Status: 'creating',
        Slots: shard.slots,
        NodeGroupMembers: members,
      };
    });
    function nextFreeName(nodeGroupId: string | undefined): string {
      let n = 1;
      while (memberIds.includes(memberName(id, nodeGroupId, n))) n++;
      return memberName(id, nodeGroupId, n);
    }

    const state: ReplicationGroup = {
      ReplicationGroupId: id,
      Description: description,
      GlobalReplicationGroupInfo: {},
      Status: 'creating',
      PendingModifiedValues: {},
      MemberClusters: memberIds,
      NodeGroups: nodeGroups,
      SnapshottingClusterId: retention > 0 && !clusterMode ? (memberIds[1] ?? memberIds[0]) : undefined,
      AutomaticFailover: failover ? 'enabling' : 'disabled',
      MultiAZ: input.MultiAZEnabled ? 'enabled' : 'disabled',
      SnapshotRetentionLimit: retention,
      SnapshotWindow: snapshotTime,
      ClusterEnabled: clusterMode,
      CacheNodeType: type.name,
      AuthTokenEnabled: template.AuthTokenEnabled,
      AuthTokenLastModifiedDate: template.AuthTokenLastModifiedDate,
      TransitEncryptionEnabled: tls,
      AtRestEncryptionEnabled: atRest,
      KmsKeyId: input.KmsKeyId,
      ARN: arn(ctx, 'replicationgroup', id),
      UserGroupIds: [],
      LogDeliveryConfigurations: logs,
      DataTiering: dataTieringType ? 'enabled' : 'disabled',
      AutoMinorVersionUpgrade: template.AutoMinorVersionUpgrade,
      NetworkType: template.NetworkType,
      IpDiscovery: template.IpDiscovery,
      TransitEncryptionMode: transitMode,
      ClusterMode: clusterMode ? 'enabled' : input.ClusterMode === 'compatible' ? 'compatible' : 'disabled',
      Engine: engine,
    };
    if (!store.resources.insert(ctx, KIND.replicationGroup, id, state, internal)) {
      throw fault('ReplicationGroupAlreadyExistsFault', `Replication group ${id} already exists.`);
    }
    const stored: StoredGroup = { state, internal };
    for (const group of nodeGroups) {
      for (const member of group.NodeGroupMembers!) {
        if (primary && member.CacheClusterId === primary.state.CacheClusterId) {
          primary.state.ReplicationGroupId = id;
          primary.state.CacheClusterStatus = 'modifying';
          primary.state.SnapshotRetentionLimit = 0;
          saveCluster(store, ctx, primary);
          continue;
        }
        insertMember(ctx, newMember(template, ctx, member.CacheClusterId!, id, member.PreferredAvailabilityZone!), memberInternal(stored));
      }
    }
    applyTags(store, state.ARN!, input.Tags);
    enqueue(ctx, id, 'converge');
    return { ReplicationGroup: presentGroup(state) };
  };

  // ---- DescribeReplicationGroups -------------------------------------------------------------------------------

  const DescribeReplicationGroups = (input: DescribeReplicationGroupsMessage, ctx: RequestContext) => {
    const all =
      input.ReplicationGroupId !== undefined
        ? [getGroup(store, ctx, input.ReplicationGroupId).state]
        : store.resources.list<ReplicationGroup>(ctx, KIND.replicationGroup).map((r) => r.state);
    const { page, marker } = paginate(all, input);
    return { Marker: marker, ReplicationGroups: page.map(presentGroup) };
  };

  // ---- ModifyReplicationGroup ----------------------------------------------------------------------------------

  const ModifyReplicationGroup = (input: ModifyReplicationGroupMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    requireAvailable(group);
    const { state, internal } = group;
    const clusterMode = isClusterMode(state);
    const memberCount = state.MemberClusters?.length ?? 0;
    const members = () => (state.MemberClusters ?? []).map((m) => getCluster(store, ctx, m));
    const memberChanges: ((member: CacheCluster) => void)[] = [];
    let needsWork = false;

    if (input.ReplicationGroupDescription !== undefined) state.Description = input.ReplicationGroupDescription;

    // Failover flags.
    const failoverOn = state.AutomaticFailover === 'enabled' || state.AutomaticFailover === 'enabling';
    const wantFailover = input.AutomaticFailoverEnabled ?? failoverOn;
    const wantMultiAz = input.MultiAZEnabled ?? state.MultiAZ === 'enabled';
    if (clusterMode && input.AutomaticFailoverEnabled === false) {
      throw invalidCombination('Turning off automatic failover for replication group with cluster mode enabled is not supported.');
    }
    if (wantFailover && !clusterMode && memberCount < 2) {
      throw invalidCombination('When using automatic failover, there must be at least 2 cache clusters in the replication group.');
    }
    if (wantMultiAz && !wantFailover) {
      throw invalidCombination('Multi-AZ requires automatic failover: set AutomaticFailoverEnabled to true.');
    }
    if (input.AutomaticFailoverEnabled !== undefined && input.AutomaticFailoverEnabled !== failoverOn) {
      state.AutomaticFailover = input.AutomaticFailoverEnabled ? 'enabling' : 'disabling';
      needsWork = true;
    }
    if (input.MultiAZEnabled !== undefined) state.MultiAZ = input.MultiAZEnabled ? 'enabled' : 'disabled';

    if (input.PrimaryClusterId !== undefined) {
      if (clusterMode) throw invalidCombination('PrimaryClusterId is not supported for replication groups with cluster mode enabled.');
      const target = input.PrimaryClusterId.toLowerCase();
      const nodeGroup = nodeGroupOf(state, target);
      if (!nodeGroup) throw fault('CacheClusterNotFoundFault', `CacheCluster not found: ${target}`);
      if (primaryOf(nodeGroup)?.CacheClusterId !== target) {
        internal.failover = { nodeGroupId: nodeGroup.NodeGroupId!, to: target, reason: 'modify' };
        state.PendingModifiedValues = { ...state.PendingModifiedValues, PrimaryClusterId: target };
        needsWork = true;
      }
    }
    if (input.SnapshottingClusterId !== undefined) {
      if (clusterMode) throw invalidCombination('SnapshottingClusterId is not supported for replication groups with cluster mode enabled.');
      const target = input.SnapshottingClusterId.toLowerCase();
      if (!state.MemberClusters?.includes(target)) throw fault('CacheClusterNotFoundFault', `CacheCluster not found: ${target}`);
      state.SnapshottingClusterId = target;
    }
    if (input.SnapshotRetentionLimit !== undefined) {
      if (input.SnapshotRetentionLimit < 0 || input.SnapshotRetentionLimit > 35) {
        throw invalidValue('The parameter SnapshotRetentionLimit must be between 0 and 35.');
      }
      state.SnapshotRetentionLimit = input.SnapshotRetentionLimit;
      if (input.SnapshotRetentionLimit === 0) delete state.SnapshottingClusterId;
      else if (!clusterMode) state.SnapshottingClusterId ??= state.MemberClusters?.[1] ?? state.MemberClusters?.[0];
    }
    if (input.SnapshotWindow !== undefined) {
      state.SnapshotWindow = snapshotWindow(input.SnapshotWindow);
      memberChanges.push((m) => (m.SnapshotWindow = state.SnapshotWindow));
    }
    if (input.PreferredMaintenanceWindow !== undefined) {
      const window = maintenanceWindow(input.PreferredMaintenanceWindow);
      memberChanges.push((m) => (m.PreferredMaintenanceWindow = window));
    }
    if (input.AutoMinorVersionUpgrade !== undefined) {
      state.AutoMinorVersionUpgrade = input.AutoMinorVersionUpgrade;
      memberChanges.push((m) => (m.AutoMinorVersionUpgrade = input.AutoMinorVersionUpgrade));
    }
    if (input.NotificationTopicArn !== undefined || input.NotificationTopicStatus !== undefined) {
      memberChanges.push((m) => {
        if (input.NotificationTopicArn !== undefined) {
          m.NotificationConfiguration = { TopicArn: input.NotificationTopicArn, TopicStatus: input.NotificationTopicStatus ?? 'active' };
        } else if (m.NotificationConfiguration) m.NotificationConfiguration.TopicStatus = input.NotificationTopicStatus;
      });
    }
    if (input.SecurityGroupIds !== undefined) {
      const template = templateOf(ctx, group);
      const vpcId = findSubnetGroup(store, ctx, template.CacheSubnetGroupName!)?.VpcId;
      const securityGroups = vpcSecurityGroups(groups, ctx, vpcId, input.SecurityGroupIds);
      memberChanges.push((m) => (m.SecurityGroups = securityGroups));
    }
    if (input.CacheSecurityGroupNames !== undefined) {
      const names = cacheSecurityGroups(store, ctx, input.CacheSecurityGroupNames);
      memberChanges.push((m) => (m.CacheSecurityGroups = names));
    }
    if (input.UserGroupIdsToAdd?.length) {
      throw fault('UserGroupNotFoundFault', `User group ${input.UserGroupIdsToAdd[0]} not found.`);
    }
    if (input.UserGroupIdsToRemove?.length) {
      throw fault('UserGroupNotFoundFault', `User group ${input.UserGroupIdsToRemove[0]} not found.`);
    }
    if (input.LogDeliveryConfigurations !== undefined) {
      state.LogDeliveryConfigurations = logDeliveryConfigurations(input.LogDeliveryConfigurations, state.LogDeliveryConfigurations);
      memberChanges.push((m) => (m.LogDeliveryConfigurations = state.LogDeliveryConfigurations));
    }
    if (input.IpDiscovery !== undefined) {
      state.IpDiscovery = input.IpDiscovery;
      memberChanges.push((m) => (m.IpDiscovery = input.IpDiscovery));
    }
    if (input.TransitEncryptionEnabled !== undefined || input.TransitEncryptionMode !== undefined) {
      const tls = input.TransitEncryptionEnabled ?? state.TransitEncryptionEnabled;
      if (input.TransitEncryptionMode !== undefined && !tls) throw invalidCombination('TransitEncryptionMode requires TransitEncryptionEnabled.');
      state.TransitEncryptionEnabled = tls;
      state.TransitEncryptionMode = tls ? (input.TransitEncryptionMode ?? state.TransitEncryptionMode ?? 'preferred') : undefined;
      memberChanges.push((m) => {
        m.TransitEncryptionEnabled = state.TransitEncryptionEnabled;
        m.TransitEncryptionMode = state.TransitEncryptionMode;
      });
    }
    if (input.ClusterMode !== undefined && input.ClusterMode !== state.ClusterMode) {
      const from = state.ClusterMode ?? 'disabled';
      if (from === 'enabled') throw invalidCombination('A replication group with cluster mode enabled cannot leave cluster mode.');
      if (input.ClusterMode === 'enabled' && from !== 'compatible') {
        throw invalidCombination('Cluster mode can only be enabled from compatible mode: set ClusterMode to compatible first.');
      }
      if (input.ClusterMode === 'enabled') {
        throw invalidCombination('Moving a replication group online from compatible to enabled cluster mode is not available in elasticache-local; create a cluster-mode-enabled group instead.');
      }
      state.ClusterMode = input.ClusterMode;
    }

    // Node-level changes, rolled through the members by the worker.
    const template = templateOf(ctx, group);
    const engine = template.Engine as EngineName;
    let targetEngine = engine;
    if (input.Engine !== undefined && input.Engine.toLowerCase() !== engine) {
      targetEngine = engineOf(input.Engine);
      if (!(engine === 'redis' && targetEngine === 'valkey')) throw invalidCombination('Engine modifications other than redis to valkey are not supported.');
      if (input.EngineVersion === undefined) throw invalidCombination('EngineVersion must be specified when changing Engine.');
    }
    let targetVersion = versionInfoOf(engine, template.EngineVersion!) ?? defaultVersion(engine);
    let pendingVersion: string | undefined;
    if (input.EngineVersion !== undefined) {
      const requested = resolveVersion(targetEngine, input.EngineVersion);
      if (targetEngine === engine && compareVersions(requested.fullVersion, template.EngineVersion!) < 0) {
        throw invalidValue(`Cannot downgrade the engine version from ${template.EngineVersion} to ${requested.fullVersion}.`);
      }
      if (requested.fullVersion !== template.EngineVersion || targetEngine !== engine) {
        pendingVersion = requested.fullVersion;
        targetVersion = requested;
      }
    }
    let pendingGroup: string | undefined;
    if (input.CacheParameterGroupName !== undefined) {
      pendingGroup = checkParameterGroup(store, ctx, input.CacheParameterGroupName.toLowerCase(), targetVersion.family, clusterMode);
      if (pendingGroup === template.CacheParameterGroup?.CacheParameterGroupName && !pendingVersion) pendingGroup = undefined;
    } else if (pendingVersion && targetVersion.family !== versionInfoOf(engine, template.EngineVersion!)?.family) {
      throw invalidCombination(`The engine version ${pendingVersion} needs a parameter group of family ${targetVersion.family}; specify CacheParameterGroupName.`);
    }
    let pendingType: string | undefined;
    if (input.CacheNodeType !== undefined && input.CacheNodeType !== template.CacheNodeType) {
      pendingType = checkNodeType(input.CacheNodeType, targetEngine, targetVersion).name;
    }
    const authChange = authTokenChange(input, state, 'replication group');
    if (authChange) {
      internal.pendingAuthToken = authChange;
      state.PendingModifiedValues = { ...state.PendingModifiedValues, AuthTokenStatus: authChange.strategy === 'ROTATE' ? 'ROTATING' : 'SETTING' };
      needsWork = true;
    }
    if (pendingType || pendingVersion || pendingGroup || targetEngine !== engine) {
      // Without ApplyImmediately these would wait for the maintenance window; a local emulator applies them at once
      // only when asked, and otherwise shows them pending like AWS does until the window.
      if (pendingType) internal.pendingNodeType = pendingType;
      if (pendingVersion) internal.pendingEngineVersion = pendingVersion;
      if (targetEngine !== engine) internal.pendingEngine = targetEngine;
      if (pendingGroup) internal.pendingParameterGroup = pendingGroup;
      memberChanges.push((m) => {
        m.PendingModifiedValues = {
          ...m.PendingModifiedValues,
          ...(pendingType ? { CacheNodeType: pendingType } : {}),
          ...(pendingVersion ? { EngineVersion: pendingVersion } : {}),
        };
      });
      needsWork = true;
    }

    for (const member of members()) {
      for (const change of memberChanges) change(member.state);
      saveCluster(store, ctx, member);
    }
    const immediate = input.ApplyImmediately === true || input.CacheParameterGroupName !== undefined;
    if (needsWork) {
      const onlyPending = !immediate && (pendingType || pendingVersion) && !internal.failover && !internal.pendingAuthToken &&
        input.AutomaticFailoverEnabled === undefined;
      if (!onlyPending) {
        state.Status = 'modifying';
        enqueue(ctx, state.ReplicationGroupId!, 'converge');
      } else {
        // Waits for the maintenance window, as AWS does without ApplyImmediately.
        const window = templateOf(ctx, group).PreferredMaintenanceWindow!;
        store.jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId!, 'converge', { maintenance: true }, nextWindowStart(window));
      }
    }
    saveGroup(store, ctx, group);
    event(ctx, state.ReplicationGroupId!, `Replication group ${state.ReplicationGroupId} modified`);
    return { ReplicationGroup: presentGroup(state) };
  };

  // ---- DeleteReplicationGroup ----------------------------------------------------------------------------------

  const DeleteReplicationGroup = (input: DeleteReplicationGroupMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    const { state, internal } = group;
    if (!['available', 'create-failed'].includes(state.Status!)) {
      throw fault('InvalidReplicationGroupStateFault', `Replication group ${state.ReplicationGroupId} is not in available state (it is ${state.Status}).`);
    }
    if (input.RetainPrimaryCluster) {
      if (isClusterMode(state)) throw invalidCombination('RetainPrimaryCluster is not supported for replication groups with cluster mode enabled.');
      internal.retainPrimaryCluster = true;
    }
    if (input.FinalSnapshotIdentifier !== undefined) {
      const name = clusterStyleId(input.FinalSnapshotIdentifier, 'FinalSnapshotIdentifier', 255);
      if (store.resources.get(ctx, KIND.snapshot, name)) throw fault('SnapshotAlreadyExistsFault', `Snapshot ${name} already exists.`);
      internal.finalSnapshotIdentifier = name;
    }
    state.Status = 'deleting';
    state.PendingModifiedValues = {};
    for (const member of (state.MemberClusters ?? []).map((m) => getCluster(store, ctx, m))) {
      const keep = internal.retainPrimaryCluster && member.state.CacheClusterId === primaryOf(state.NodeGroups![0])?.CacheClusterId;
      if (!keep) {
        member.state.CacheClusterStatus = 'deleting';
        saveCluster(store, ctx, member);
      }
    }
    store.jobs.cancel(ctx, KIND.replicationGroup, state.ReplicationGroupId!, 'converge');
    saveGroup(store, ctx, group);
    enqueue(ctx, state.ReplicationGroupId!, 'delete');
    return { ReplicationGroup: presentGroup(state) };
  };

  // ---- Replica counts ------------------------------------------------------------------------------------------

  /** The replica count each shard should have: NewReplicaCount for all, or ReplicaConfiguration per shard. */
  const replicaTargets = (
    group: StoredGroup,
    input: { NewReplicaCount?: number; ReplicaConfiguration?: { NodeGroupId?: string; NewReplicaCount?: number; PreferredAvailabilityZones?: string[] }[] },
  ): Map<string, { count: number; zones?: string[] }> => {
    const targets = new Map<string, { count: number; zones?: string[] }>();
    if (input.NewReplicaCount !== undefined && input.ReplicaConfiguration?.length) {
      throw invalidCombination('Specify either NewReplicaCount or ReplicaConfiguration, not both.');
    }
    if (input.NewReplicaCount !== undefined) {
      for (const g of group.state.NodeGroups ?? []) targets.set(g.NodeGroupId!, { count: input.NewReplicaCount });
    } else if (input.ReplicaConfiguration?.length) {
      for (const config of input.ReplicaConfiguration) {
        const id = requireValue(config.NodeGroupId, 'NodeGroupId');
        if (!group.state.NodeGroups?.some((g) => g.NodeGroupId === id)) {
          throw fault('NodeGroupNotFoundFault', `Node group ${id} not found in replication group ${group.state.ReplicationGroupId}.`);
        }
        targets.set(id, { count: requireValue(config.NewReplicaCount, 'NewReplicaCount'), zones: config.PreferredAvailabilityZones });
      }
    }
    for (const { count } of targets.values()) checkReplicaCount(count);
    return targets;
  };

  const requireApplyImmediately = (value: boolean | undefined) => {
    if (value !== true) throw invalidValue('ApplyImmediately=false is not currently supported; set ApplyImmediately to true.');
  };

  const replicasOf = (g: NodeGroup) => (g.NodeGroupMembers ?? []).filter((m) => m.CurrentRole !== 'primary');

  const IncreaseReplicaCount = (input: IncreaseReplicaCountMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    requireApplyImmediately(input.ApplyImmediately);
    requireAvailable(group);
    const targets = replicaTargets(group, input);
    if (targets.size === 0) throw invalidValue('Specify NewReplicaCount or ReplicaConfiguration.');
    const { state } = group;
    const template = templateOf(ctx, group);
    const subnetGroup = findSubnetGroup(store, ctx, template.CacheSubnetGroupName!) ?? { Subnets: [] };
    const zones = subnetZones(ctx.region, subnetGroup);
    const added: { nodeGroup: NodeGroup; member: NodeGroupMember }[] = [];
    const taken = new Set<string>();
    for (const nodeGroup of state.NodeGroups ?? []) {
      const target = targets.get(nodeGroup.NodeGroupId!);
      if (!target) continue;
      const current = replicasOf(nodeGroup).length;
      if (target.count < current) {
        throw invalidValue(`NewReplicaCount (${target.count}) must not be lower than the current number of replicas (${current}) of node group ${nodeGroup.NodeGroupId}.`);
      }
      const adding = target.count - current;
      if (target.zones?.length && target.zones.length !== adding) {
        throw invalidValue(`The number of PreferredAvailabilityZones (${target.zones.length}) must equal the number of replicas to add (${adding}).`);
      }
      for (let i = 0; i < adding; i++) {
        const zone = target.zones?.[i] ? checkZone(zones, target.zones[i], subnetGroup.CacheSubnetGroupName ?? 'default') : zones[(current + 1 + i) % zones.length];
        const id = memberName(state.ReplicationGroupId!, isClusterMode(state) ? nodeGroup.NodeGroupId : undefined, nextMemberNumber(state, nodeGroup.NodeGroupId, taken));
        taken.add(id);
        added.push({ nodeGroup, member: { CacheClusterId: id, CacheNodeId: '0001', PreferredAvailabilityZone: zone, CurrentRole: 'replica' } });
      }
    }
    if (added.length === 0) throw fault('NoOperationFault', 'The replication group already has the requested number of replicas.');
    checkQuota(ctx, added.length);
    for (const { nodeGroup, member } of added) {
      nodeGroup.NodeGroupMembers!.push(member);
      nodeGroup.Status = 'modifying';
      state.MemberClusters!.push(member.CacheClusterId!);
      insertMember(ctx, newMember(template, ctx, member.CacheClusterId!, state.ReplicationGroupId!, member.PreferredAvailabilityZone!), memberInternal(group));
    }
    state.Status = 'modifying';
    saveGroup(store, ctx, group);
    enqueue(ctx, state.ReplicationGroupId!, 'converge');
    return { ReplicationGroup: presentGroup(state) };
  };

  /** Marks members for removal: their status turns `deleting`, the worker stops their nodes and drops them. */
  const removeMembers = (ctx: Scope, group: StoredGroup, ids: string[]) => {
    group.internal.removingMembers = [...new Set([...(group.internal.removingMembers ?? []), ...ids])];
    for (const id of ids) {
      const member = getCluster(store, ctx, id);
      member.state.CacheClusterStatus = 'deleting';
      saveCluster(store, ctx, member);
      const nodeGroup = nodeGroupOf(group.state, id);
      if (nodeGroup) nodeGroup.Status = 'modifying';
    }
    group.state.Status = 'modifying';
  };

  const minimumReplicas = (state: ReplicationGroup) =>
    !isClusterMode(state) && (state.AutomaticFailover === 'enabled' || state.AutomaticFailover === 'enabling') ? 1 : 0;

  const DecreaseReplicaCount = (input: DecreaseReplicaCountMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    requireApplyImmediately(input.ApplyImmediately);
    requireAvailable(group);
    const { state } = group;
    const targets = replicaTargets(group, input);
    const toRemove: string[] = [];
    if (input.ReplicasToRemove?.length) {
      if (targets.size > 0 && input.NewReplicaCount !== undefined) {
        throw invalidCombination('Specify either NewReplicaCount or ReplicasToRemove, not both.');
      }
      for (const raw of input.ReplicasToRemove) {
        const id = raw.toLowerCase();
        const nodeGroup = nodeGroupOf(state, id);
        if (!nodeGroup) throw invalidValue(`Cache cluster ${id} is not a member of replication group ${state.ReplicationGroupId}.`);
        if (primaryOf(nodeGroup)?.CacheClusterId === id) throw invalidValue(`Cache cluster ${id} is a primary; only replicas can be removed.`);
        toRemove.push(id);
      }
    } else if (targets.size === 0) {
      throw invalidValue('Specify NewReplicaCount, ReplicaConfiguration or ReplicasToRemove.');
    } else {
      for (const nodeGroup of state.NodeGroups ?? []) {
        const target = targets.get(nodeGroup.NodeGroupId!);
        if (!target) continue;
        const replicas = replicasOf(nodeGroup);
        if (target.count > replicas.length) {
          throw invalidValue(`NewReplicaCount (${target.count}) must not be higher than the current number of replicas (${replicas.length}) of node group ${nodeGroup.NodeGroupId}.`);
        }
        // The newest replicas go first.
        toRemove.push(...replicas.slice(target.count).map((m) => m.CacheClusterId!).reverse());
      }
    }
    if (toRemove.length === 0) throw fault('NoOperationFault', 'The replication group already has the requested number of replicas.');
    const minimum = minimumReplicas(state);
    for (const nodeGroup of state.NodeGroups ?? []) {
      const left = replicasOf(nodeGroup).filter((m) => !toRemove.includes(m.CacheClusterId!)).length;
      if (left < minimum) throw invalidValue('Must have at least 1 replica when cluster mode is disabled with auto failover enabled.');
    }
    removeMembers(ctx, group, toRemove);
    saveGroup(store, ctx, group);
    enqueue(ctx, state.ReplicationGroupId!, 'converge');
    return { ReplicationGroup: presentGroup(state) };
  };

  // ---- Shards --------------------------------------------------------------------------------------------------

  const ModifyReplicationGroupShardConfiguration = (input: ModifyReplicationGroupShardConfigurationMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    const { state, internal } = group;
    if (!isClusterMode(state)) {
      throw invalidCombination(`Replication group ${state.ReplicationGroupId} does not have cluster mode enabled; only cluster-mode-enabled groups can be resharded.`);
    }
    requireApplyImmediately(input.ApplyImmediately);
    requireAvailable(group);
    const count = requireValue(input.NodeGroupCount, 'NodeGroupCount');
    if (count < 1) throw invalidValue('The parameter NodeGroupCount must be at least 1.');
    if (count > MAX_NODE_GROUPS) {
      throw fault('NodeGroupsPerReplicationGroupQuotaExceededFault', `A replication group can have at most ${MAX_NODE_GROUPS} node groups.`);
    }
    const current = state.NodeGroups ?? [];
    const currentIds = current.map((g) => g.NodeGroupId!);
    const remove = input.NodeGroupsToRemove ?? [];
    const retain = input.NodeGroupsToRetain ?? [];
    for (const id of [...remove, ...retain]) {
      if (!currentIds.includes(id)) throw fault('NodeGroupNotFoundFault', `Node group ${id} not found in replication group ${state.ReplicationGroupId}.`);
    }
    let removing: string[] = [];
    if (count < current.length) {
      if ((remove.length > 0) === (retain.length > 0)) {
        throw invalidValue('To remove node groups, specify exactly one of NodeGroupsToRemove or NodeGroupsToRetain.');
      }
      removing = remove.length > 0 ? [...new Set(remove)] : currentIds.filter((id) => !retain.includes(id));
      if (current.length - removing.length !== count) {
        throw invalidValue(`Removing ${removing.length} of ${current.length} node groups does not leave NodeGroupCount (${count}) node groups.`);
      }
    } else if (remove.length > 0 || retain.length > 0) {
      throw invalidCombination('NodeGroupsToRemove and NodeGroupsToRetain are only used when NodeGroupCount decreases.');
    }
    const adding = Math.max(0, count - current.length);
    const replicas = Math.max(0, (current[0]?.NodeGroupMembers?.length ?? 1) - 1);
    checkQuota(ctx, adding * (replicas + 1));
    const resharding = input.ReshardingConfiguration ?? [];
    const template = templateOf(ctx, group);
    const subnetGroup = findSubnetGroup(store, ctx, template.CacheSubnetGroupName!) ?? { Subnets: [] };
    const zones = subnetZones(ctx.region, subnetGroup);

    // New shards take the next free ids; their members are created, their slots arrive by migration.
    let next = Math.max(0, ...currentIds.map(Number)) + 1;
    for (let i = 0; i < adding; i++) {
      const config = resharding[current.length + i] ?? resharding[i];
      const nodeGroupId = String(next++).padStart(4, '0');
      const requested = config?.PreferredAvailabilityZones ?? [];
      const members: NodeGroupMember[] = Array.from({ length: replicas + 1 }, (_, n) => {
        const zone = requested[n] ? checkZone(zones, requested[n], subnetGroup.CacheSubnetGroupName ?? 'default') : zones[(i + n) % zones.length];
        return { CacheClusterId: memberName(state.ReplicationGroupId!, nodeGroupId, n + 1), CacheNodeId: '0001', PreferredAvailabilityZone: zone, CurrentRole: n === 0 ? 'primary' : 'replica' };
      });
      current.push({ NodeGroupId: nodeGroupId, Status: 'creating', Slots: '', NodeGroupMembers: members });
      for (const member of members) {
        state.MemberClusters!.push(member.CacheClusterId!);
        insertMember(ctx, newMember(template, ctx, member.CacheClusterId!, state.ReplicationGroupId!, member.PreferredAvailabilityZone!), memberInternal(group));
      }
    }
    const remaining = current.filter((g) => !removing.includes(g.NodeGroupId!)).map((g) => g.NodeGroupId!);
    const owned = Object.fromEntries(current.map((g) => [g.NodeGroupId!, slotsOf(g.Slots)]));
    internal.targetSlots = targetSlotStrings(owned, remaining);
    if (removing.length > 0) {
      internal.removingShards = removing;
      for (const g of current) if (removing.includes(g.NodeGroupId!)) g.Status = 'deleting';
      const leaving = current.filter((g) => removing.includes(g.NodeGroupId!)).flatMap((g) => g.NodeGroupMembers!.map((m) => m.CacheClusterId!));
      for (const id of leaving) {
        const member = getCluster(store, ctx, id);
        member.state.CacheClusterStatus = 'deleting';
        saveCluster(store, ctx, member);
      }
    }
    state.Status = 'modifying';
    state.PendingModifiedValues = { ...state.PendingModifiedValues, Resharding: { SlotMigration: { ProgressPercentage: 0 } } };
    saveGroup(store, ctx, group);
    enqueue(ctx, state.ReplicationGroupId!, 'converge');
    return { ReplicationGroup: presentGroup(state) };
  };

  // ---- TestFailover --------------------------------------------------------------------------------------------

  const TestFailover = (input: TestFailoverMessage, ctx: RequestContext) => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    const { state, internal } = group;
    const nodeGroupId = requireValue(input.NodeGroupId, 'NodeGroupId');
    requireAvailable(group);
    const nodeGroup = state.NodeGroups?.find((g) => g.NodeGroupId === nodeGroupId);
    if (!nodeGroup) throw fault('NodeGroupNotFoundFault', `Node group ${nodeGroupId} not found in replication group ${state.ReplicationGroupId}.`);
    if (state.AutomaticFailover !== 'enabled') {
      throw fault('TestFailoverNotAvailableFault', `Automatic failover is not enabled for replication group ${state.ReplicationGroupId}.`);
    }
    if (replicasOf(nodeGroup).length === 0) {
      throw fault('TestFailoverNotAvailableFault', `Node group ${nodeGroupId} has no replica to fail over to.`);
    }
    if (internal.failover) {
      throw fault('InvalidReplicationGroupStateFault', `A failover of replication group ${state.ReplicationGroupId} is already in progress.`);
    }
    const now = Date.now();
    const recent = (internal.failoverCalls ?? []).filter((at) => at > now - DAY_MS);
    if (recent.length >= FAILOVERS_PER_DAY) {
      throw fault('APICallRateForCustomerExceededFault', `TestFailover can be called for at most ${FAILOVERS_PER_DAY} node groups in a rolling 24 hours.`);
    }
    internal.failoverCalls = [...recent, now];
    internal.failover = { nodeGroupId, reason: 'test' };
    saveGroup(store, ctx, group);
    event(ctx, state.ReplicationGroupId!, `Test Failover API called for node group ${nodeGroupId}`);
    enqueue(ctx, state.ReplicationGroupId!, 'converge');
    return { ReplicationGroup: presentGroup(state) };
  };

  return {
    CreateReplicationGroup,
    DescribeReplicationGroups,
    ModifyReplicationGroup,
    DeleteReplicationGroup,
    IncreaseReplicaCount,
    DecreaseReplicaCount,
    ModifyReplicationGroupShardConfiguration,
    TestFailover,
  };
}

function targetSlotStrings(owned: Record<string, number[]>, remaining: string[]): Record<string, string> {
  const target = rebalancedSlots(owned, remaining);
  return Object.fromEntries(Object.entries(target).map(([id, slots]) => [id, formatSlotRanges(slotsToRanges(slots))]));
}

// ---- Members of a group, through the cache cluster API ------------------------------------------------------------

/** CreateCacheCluster with ReplicationGroupId: a new replica in a group with cluster mode disabled. */
export function addReplicaCluster(store: Store, work: WorkQueue, input: CreateCacheClusterMessage, ctx: RequestContext, id: string) {
  const group = getGroup(store, ctx, input.ReplicationGroupId);
  const { state } = group;
  const extras = (
    ['CacheNodeType', 'Engine', 'EngineVersion', 'CacheParameterGroupName', 'CacheSubnetGroupName', 'NumCacheNodes', 'AZMode', 'Port', 'AuthToken', 'SnapshotName'] as const
  ).filter((name) => input[name] !== undefined);
  if (extras.length > 0 || input.SecurityGroupIds?.length || input.CacheSecurityGroupNames?.length || input.PreferredAvailabilityZones?.length) {
    throw invalidCombination('Cannot specify additional cache cluster parameters when creating a replica cluster');
  }
  if (isClusterMode(state)) {
    throw invalidValue(`Replication group ${state.ReplicationGroupId} has cluster mode enabled; add replicas with IncreaseReplicaCount.`);
  }
  if (state.Status !== 'available') {
    throw fault('InvalidReplicationGroupStateFault', `Replication group ${state.ReplicationGroupId} is not in available state (it is ${state.Status}).`);
  }
  const nodeGroup = state.NodeGroups![0];
  if (nodeGroup.NodeGroupMembers!.length >= MAX_REPLICAS + 1) {
    throw fault('NodeQuotaForClusterExceededFault', `Replication group ${state.ReplicationGroupId} already has ${MAX_REPLICAS} replicas.`);
  }
  if (countNodes(store, ctx) + 1 > NODES_PER_REGION) {
    throw fault('NodeQuotaForCustomerExceededFault', `Cache node quota exceeded: at most ${NODES_PER_REGION} nodes per region.`);
  }
  const template = getCluster(store, ctx, state.MemberClusters![0]).state;
  const subnetGroup = findSubnetGroup(store, ctx, template.CacheSubnetGroupName!) ?? { Subnets: [] };
  const zones = subnetZones(ctx.region, subnetGroup);
  const zone = input.PreferredAvailabilityZone
    ? checkZone(zones, input.PreferredAvailabilityZone, subnetGroup.CacheSubnetGroupName ?? 'default')
    : zones[nodeGroup.NodeGroupMembers!.length % zones.length];
  const member = newMember(template, ctx, id, state.ReplicationGroupId!, zone);
  if (!store.resources.insert(ctx, KIND.cacheCluster, id, member, { port: group.internal.port, authToken: group.internal.authToken, previousAuthToken: group.internal.previousAuthToken, nodes: {} } satisfies CacheClusterInternal)) {
    throw fault('CacheClusterAlreadyExistsFault', `Cache cluster ${id} already exists.`);
  }
  applyTags(store, member.ARN!, input.Tags);
  nodeGroup.NodeGroupMembers!.push({ CacheClusterId: id, CacheNodeId: '0001', PreferredAvailabilityZone: zone, CurrentRole: 'replica' });
  nodeGroup.Status = 'modifying';
  state.MemberClusters!.push(id);
  state.Status = 'modifying';
  saveGroup(store, ctx, group);
  store.jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId!, 'converge');
  work.wake();
  return member;
}

/** DeleteCacheCluster of a member: a replica may go, unless the group would break AWS's rules. */
export function removeMemberCluster(store: Store, work: WorkQueue, ctx: RequestContext, member: StoredCluster) {
  const group = getGroup(store, ctx, member.state.ReplicationGroupId);
  const { state, internal } = group;
  const id = member.state.CacheClusterId!;
  const rgId = state.ReplicationGroupId!;
  if (isClusterMode(state)) {
    throw fault('InvalidCacheClusterStateFault', `Cannot delete cache cluster ${id}: it belongs to replication group ${rgId}, which has cluster mode enabled; use DecreaseReplicaCount.`);
  }
  if (state.Status !== 'available' || member.state.CacheClusterStatus !== 'available') {
    throw fault('InvalidCacheClusterStateFault', `Cache cluster ${id} is not in available state.`);
  }
  const nodeGroup = state.NodeGroups![0];
  if (nodeGroup.NodeGroupMembers!.length === 1) {
    throw fault('InvalidCacheClusterStateFault', `Cannot delete cache cluster ${id} because it is the only member of a replication group. Delete the replication group ${rgId} instead.`);
  }
  if (primaryOf(nodeGroup)?.CacheClusterId === id) {
    throw fault('InvalidCacheClusterStateFault', `Cannot delete cache cluster ${id} because it is serving as primary for replication group ${rgId}.`);
  }
  const failover = state.AutomaticFailover === 'enabled' || state.AutomaticFailover === 'enabling';
  if (failover && nodeGroup.NodeGroupMembers!.length === 2) {
    throw fault(
      'InvalidCacheClusterStateFault',
      `Cannot delete the cache cluster because it is the only read replica for replication group ${rgId} which has autofailover enabled or pending. Disable autofailover before deleting the cache cluster.`,
    );
  }
  internal.removingMembers = [...new Set([...(internal.removingMembers ?? []), id])];
  member.state.CacheClusterStatus = 'deleting';
  saveCluster(store, ctx, member);
  nodeGroup.Status = 'modifying';
  state.Status = 'modifying';
  saveGroup(store, ctx, group);
  store.jobs.enqueue(ctx, KIND.replicationGroup, rgId, 'converge');
  work.wake();
}

/** ListAllowedNodeTypeModifications for a group: what its members' node type may change to. */
export function groupNodeType(store: Store, scope: Scope, id: string): { nodeType: string; engine: EngineName; version: string } {
  const group = getGroup(store, scope, id);
  const template = getCluster(store, scope, group.state.MemberClusters![0]).state;
  return { nodeType: template.CacheNodeType!, engine: template.Engine as EngineName, version: template.EngineVersion! };
}

