/**
 * CreateReplicationGroup: a new group with its member clusters, or one built around an existing cluster
 * (PrimaryClusterId), which becomes its primary and lends it its settings. The request is checked in the order AWS
 * checks it; the shard plan is create-plan.ts's. The group and its members are written `creating` and a converge
 * job brings up their nodes.
 */
import type { CreateReplicationGroupMessage } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../../store/store.js';
import type { RequestContext } from '../../../api/query-api.js';
import { arn } from '../../../domain/elasticache/arns.js';
import { checkAuthToken } from '../../../domain/elasticache/auth-tokens.js';
import type { Engine } from '../../../common/engines.js';
import {
  DEFAULT_PORTS,
  defaultVersion,
  versionInfoOf,
  type NodeTypeInfo,
} from '../../../domain/elasticache/catalog.js';
import {
  cacheSecurityGroups,
  checkNodeQuota,
  checkNodeType,
  checkParameterGroup,
  checkPort,
  checkSecurityGroupKinds,
  checkSnapshotRetention,
  engineOf,
  logDeliveryConfigurations,
  memberInternal,
  newClusterState,
  securityGroupsOnCreate,
  type NewClusterSettings,
} from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import {
  clusterStyleId,
  maintenanceWindow,
  snapshotWindow,
  systemWindows,
} from '../../../domain/elasticache/identifiers.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { checkAtRestEncryption } from '../../../domain/elasticache/kms-keys.js';
import { findSubnetGroup, subnetZones } from '../../../domain/elasticache/network.js';
import { defaultParameterGroupName, findParameterGroup } from '../../../domain/elasticache/parameter-groups.js';
import {
  MEMBER_NODE,
  findGroup,
  getCluster,
  insertCluster,
  memberName,
  primaryOf,
  requireClusterAvailable,
  saveCluster,
  type GroupState,
  type ReplicationGroupInternal,
  type StoredCluster,
  type StoredNodeGroup,
} from '../../../domain/elasticache/records.js';
import {
  checkRestoreTarget,
  restoreSourceOf,
  restoredVersion,
  snapshotSlots,
  snapshotToRestore,
} from '../../../domain/elasticache/restore.js';
import type { StoredSnapshot } from '../../../domain/elasticache/snapshots.js';
import { applyTags } from '../tags.js';
import { userGroupsOnCreate } from '../users/attach.js';
import { joinAsSecondary, planSecondary } from '../global-datastores/membership.js';
import { planShards, type ShardPlan } from './create-plan.js';
import type { GroupHandlerDeps } from './group-rules.js';

export function createReplicationGroup({ store, jobs, securityGroups }: GroupHandlerDeps) {
  /** `backing`: the hidden group behind a serverless cache (services/elasticache/serverless/), its id reserved. */
  return (
    request: CreateReplicationGroupMessage,
    ctx: RequestContext,
    backing?: Pick<ReplicationGroupInternal, 'serverlessCache' | 'maxMemoryBytes'>,
  ): GroupState => {
    const restore = snapshotToRestore(store, ctx, request);
    if (restore && request.PrimaryClusterId !== undefined) {
      throw invalidCombination('PrimaryClusterId cannot be used together with SnapshotName or SnapshotArns.');
    }
    // A global datastore's secondary takes the primary group's settings.
    const secondary = request.GlobalReplicationGroupId !== undefined ? planSecondary(store, ctx, request) : undefined;
    const input = restore ? withRestoreDefaults(request, restore) : (secondary?.input ?? request);
    const id = backing
      ? requireValue(input.ReplicationGroupId, 'ReplicationGroupId')
      : clusterStyleId(input.ReplicationGroupId, 'ReplicationGroupId', 40);
    const description = requireValue(input.ReplicationGroupDescription, 'ReplicationGroupDescription');
    if (findGroup(store, ctx, id))
      throw fault('ReplicationGroupAlreadyExistsFault', `Replication group ${id} already exists.`);

    const primary =
      input.PrimaryClusterId !== undefined ? existingPrimary(store, ctx, input.PrimaryClusterId) : undefined;
    const base = primary?.state;
    const engine = base ? (base.Engine as Engine) : input.Engine === undefined ? 'redis' : engineOf(input.Engine);
    if (engine === 'memcached') throw invalidValue('Replication groups are not supported for Memcached clusters.');
    const version = base
      ? (versionInfoOf(engine, base.EngineVersion) ?? defaultVersion(engine))
      : restoredVersion(engine, input.EngineVersion, restore);
    const type = checkNodeType(base?.CacheNodeType ?? input.CacheNodeType, engine, version);
    const { clusterMode, parameterGroup } = chooseClusterMode(
      store,
      ctx,
      input,
      base?.CacheParameterGroup.CacheParameterGroupName,
      version.family,
    );
    if (clusterMode && primary) throw invalidCombination('PrimaryClusterId cannot be used with cluster mode enabled.');
    // A serverless cache is a cluster-mode cache (one shard owning every slot): AWS restores no cluster-mode
    // snapshot into a group with cluster mode disabled.
    if (input.ServerlessCacheSnapshotName !== undefined && !clusterMode) {
      throw invalidCombination(
        'A serverless cache snapshot can only be restored into a replication group with cluster mode enabled.',
      );
    }

    const subnetGroupName = (base?.CacheSubnetGroupName ?? input.CacheSubnetGroupName ?? 'default').toLowerCase();
    const subnetGroup = findSubnetGroup(store, ctx, subnetGroupName);
    if (!subnetGroup)
      throw fault('CacheSubnetGroupNotFoundFault', `CacheSubnetGroup ${subnetGroupName} does not exist.`);
    const shards = planShards(input, {
      clusterMode,
      zones: subnetZones(ctx.region, subnetGroup),
      subnetGroupName,
      existingPrimary: primary && { zone: primary.state.PreferredAvailabilityZone },
    });
    if (restore) {
      checkRestoreTarget(restore, {
        engine,
        fullVersion: version.fullVersion,
        nodeType: type.name,
        shards: shards.length,
      });
    }
    const totalMembers = shards.reduce((sum, s) => sum + s.zones.length, 0);
    const tls = base?.TransitEncryptionEnabled ?? input.TransitEncryptionEnabled ?? false;
    const failover = checkGroupOptions(input, { clusterMode, totalMembers, tls, type });
    const atRestEncryption = input.AtRestEncryptionEnabled ?? engine === 'valkey';
    checkAtRestEncryption(input, atRestEncryption, ctx);
    const userGroupIds = userGroupsOnCreate(
      store,
      ctx,
      input.UserGroupIds,
      input.AuthToken !== undefined || (base?.AuthTokenEnabled ?? false),
      {
        groupId: id,
        engine,
        engineVersion: version.fullVersion,
        tls,
        shownAs: backing?.serverlessCache !== undefined ? `serverless cache ${backing.serverlessCache}` : undefined,
      },
    );
    const port = checkPort(primary ? primary.internal.port : (input.Port ?? DEFAULT_PORTS[engine]));
    checkNodeQuota(store, ctx, totalMembers - (primary ? 1 : 0));

    // Built around a cluster, the group takes its security groups; the request is still checked as AWS checks it.
    if (base) checkSecurityGroupKinds(input);
    const vpcSecurityGroups =
      base?.SecurityGroups ?? securityGroupsOnCreate(securityGroups, ctx, subnetGroup.VpcId, input);
    const windows = systemWindows(id);
    const maintenance = input.PreferredMaintenanceWindow
      ? maintenanceWindow(input.PreferredMaintenanceWindow)
      : (base?.PreferredMaintenanceWindow ?? windows.maintenance);
    const snapshotTime = input.SnapshotWindow ? snapshotWindow(input.SnapshotWindow) : windows.snapshot;
    const logDelivery = logDeliveryConfigurations(input.LogDeliveryConfigurations);
    const settings: Omit<NewClusterSettings, 'id' | 'zones'> = {
      engine,
      version,
      nodeType: type.name,
      maintenanceWindow: maintenance,
      parameterGroup,
      subnetGroup: subnetGroup.CacheSubnetGroupName!,
      securityGroups: vpcSecurityGroups,
      cacheSecurityGroups: base?.CacheSecurityGroups ?? cacheSecurityGroups(store, ctx, input.CacheSecurityGroupNames),
      notificationTopicArn: input.NotificationTopicArn,
      autoMinorVersionUpgrade: input.AutoMinorVersionUpgrade ?? base?.AutoMinorVersionUpgrade ?? true,
      snapshotRetentionLimit: 0,
      snapshotWindow: snapshotTime,
      authTokenEnabled: input.AuthToken !== undefined || (base?.AuthTokenEnabled ?? false),
      authTokenLastModifiedDate: input.AuthToken !== undefined ? new Date() : base?.AuthTokenLastModifiedDate,
      transitEncryption: tls,
      transitEncryptionMode: tls ? (input.TransitEncryptionMode ?? 'required') : undefined,
      atRestEncryption,
      logDelivery,
      networkType: input.NetworkType ?? base?.NetworkType ?? 'ipv4',
      ipDiscovery: input.IpDiscovery ?? base?.IpDiscovery ?? 'ipv4',
      replicationGroupId: id,
    };

    const group = {
      state: buildGroupState(ctx, input, {
        id,
        description,
        shards,
        primary,
        settings,
        clusterMode,
        failover,
        userGroupIds,
      }),
      internal: {
        port,
        authToken: input.AuthToken ?? primary?.internal.authToken,
        ...backing,
      } as ReplicationGroupInternal,
    };
    if (restore && clusterMode) redistributeFromSnapshot(group.state.NodeGroups, group.internal, restore);
    if (secondary) joinAsSecondary(store, ctx, group, secondary);
    if (!store.resources.insert(ctx, KIND.replicationGroup, id, group.state, group.internal)) {
      throw fault('ReplicationGroupAlreadyExistsFault', `Replication group ${id} already exists.`);
    }
    // A restore: each shard's primary starts from that shard's data; its replicas sync from it.
    const restoreFor = (memberId: string) => {
      const shard = group.state.NodeGroups.findIndex((g) => primaryOf(g)?.CacheClusterId === memberId);
      return restore && shard >= 0 ? restoreSourceOf(restore, shard) : undefined;
    };
    for (const member of group.state.NodeGroups.flatMap((g) => g.NodeGroupMembers)) {
      if (primary && member.CacheClusterId === primary.state.CacheClusterId) {
        primary.state.ReplicationGroupId = id;
        primary.state.CacheClusterStatus = 'modifying';
        primary.state.SnapshotRetentionLimit = 0;
        saveCluster(store, ctx, primary);
        continue;
      }
      const state = newClusterState(ctx, {
        ...settings,
        id: member.CacheClusterId,
        zones: [member.PreferredAvailabilityZone!],
      });
      insertCluster(store, ctx, state, { ...memberInternal(group), restoreFrom: restoreFor(member.CacheClusterId) });
    }
    applyTags(store, group.state.ARN, input.Tags);
    jobs.enqueue(ctx, KIND.replicationGroup, id, 'converge');
    return group.state;
  };
}

/**
 * What a restore takes from its snapshot when the request leaves it out: engine, version, node type, port, and for a
 * snapshot of a cluster-mode group, cluster mode and its shard count.
 */
function withRestoreDefaults(
  input: CreateReplicationGroupMessage,
  snapshot: StoredSnapshot,
): CreateReplicationGroupMessage {
  const from = snapshot.state;
  const clusterMode = from.NodeSnapshots.some((n) => n.NodeGroupConfiguration !== undefined);
  const shapeGiven =
    input.NumNodeGroups !== undefined ||
    input.NodeGroupConfiguration !== undefined ||
    input.NumCacheClusters !== undefined;
  return {
    ...input,
    Engine: input.Engine ?? from.Engine,
    CacheNodeType: input.CacheNodeType ?? from.CacheNodeType,
    Port: input.Port ?? from.Port,
    ClusterMode:
      input.ClusterMode ?? (clusterMode && input.CacheParameterGroupName === undefined ? 'enabled' : undefined),
    NumNodeGroups: input.NumNodeGroups ?? (clusterMode && !shapeGiven ? from.NumNodeGroups : undefined),
  };
}

/**
 * A shard's data holds the keys of the slots its snapshot shard owned: each shard starts owning those, and where
 * NodeGroupConfiguration asks for other slots, the converge job migrates them (with their keys) before the group
 * turns available.
 */
function redistributeFromSnapshot(
  nodeGroups: StoredNodeGroup[],
  internal: ReplicationGroupInternal,
  snapshot: StoredSnapshot,
): void {
  const slots = snapshotSlots(snapshot);
  const target: Record<string, string> = {};
  nodeGroups.forEach((nodeGroup, i) => {
    const from = slots[i];
    if (from === undefined || from === nodeGroup.Slots || nodeGroup.Slots === undefined) return;
    target[nodeGroup.NodeGroupId] = nodeGroup.Slots;
    nodeGroup.Slots = from;
  });
  if (Object.keys(target).length > 0) internal.targetSlots = target;
}

/** PrimaryClusterId: an available redis / valkey cluster of no group. */
function existingPrimary(store: Store, scope: Scope, clusterId: string): StoredCluster {
  const primary = getCluster(store, scope, clusterId);
  if (primary.state.ReplicationGroupId) {
    throw fault(
      'InvalidCacheClusterStateFault',
      `Cache cluster ${primary.state.CacheClusterId} already belongs to replication group ${primary.state.ReplicationGroupId}.`,
    );
  }
  if (primary.state.Engine === 'memcached')
    throw invalidValue('Replication groups are not supported for Memcached clusters.');
  requireClusterAvailable(primary);
  return primary;
}

/** Cluster mode: from the parameter group, or asked for (then the family's .cluster.on group is the default). */
function chooseClusterMode(
  store: Store,
  scope: Scope,
  input: CreateReplicationGroupMessage,
  primaryGroup: string | undefined,
  family: string,
): { clusterMode: boolean; parameterGroup: string } {
  const requested = primaryGroup ?? input.CacheParameterGroupName?.toLowerCase();
  const info = requested !== undefined ? findParameterGroup(store, scope, requested) : undefined;
  if (requested !== undefined && !info)
    throw fault('CacheParameterGroupNotFoundFault', `CacheParameterGroup not found: ${requested}`);
  const clusterMode = info ? info.clusterEnabled : input.ClusterMode === 'enabled';
  if (input.ClusterMode === 'enabled' && !clusterMode) {
    throw invalidCombination('Cluster mode should be enabled in parameter group, but found it is disabled.');
  }
  if (input.ClusterMode === 'disabled' && clusterMode) {
    throw invalidCombination('Cluster mode should be disabled in parameter group, but found it is enabled.');
  }
  const name = requested ?? defaultParameterGroupName(family, clusterMode);
  return { clusterMode, parameterGroup: checkParameterGroup(store, scope, name, family, clusterMode) };
}

/** Failover, Multi-AZ, AUTH / TLS, data tiering and snapshot retention; returns whether failover is on. */
function checkGroupOptions(
  input: CreateReplicationGroupMessage,
  {
    clusterMode,
    totalMembers,
    tls,
    type,
  }: { clusterMode: boolean; totalMembers: number; tls: boolean; type: NodeTypeInfo },
): boolean {
  const failover = input.AutomaticFailoverEnabled ?? clusterMode;
  if (clusterMode && input.AutomaticFailoverEnabled === false) {
    throw invalidCombination('Redis with cluster mode enabled cannot be created with automatic failover disabled.');
  }
  if (failover && !clusterMode && totalMembers < 2) {
    throw invalidCombination(
      'When using automatic failover, there must be at least 2 cache clusters in the replication group.',
    );
  }
  if (input.MultiAZEnabled && !failover) {
    throw invalidCombination('Multi-AZ requires automatic failover: set AutomaticFailoverEnabled to true.');
  }
  if (input.MultiAZEnabled && !clusterMode && totalMembers < 2) {
    throw invalidCombination('Multi-AZ requires at least one read replica.');
  }
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
  checkSnapshotRetention(input.SnapshotRetentionLimit ?? 0);
  return failover;
}

interface GroupPlan {
  id: string;
  description: string;
  shards: ShardPlan[];
  primary: StoredCluster | undefined;
  settings: Omit<NewClusterSettings, 'id' | 'zones'>;
  clusterMode: boolean;
  failover: boolean;
  userGroupIds: string[];
}

/** The group as the create call leaves it: `creating`, its members named and their roles set. */
function buildGroupState(scope: Scope, input: CreateReplicationGroupMessage, plan: GroupPlan): GroupState {
  const { id, shards, primary, settings, clusterMode } = plan;
  const memberIds: string[] = [];
  const nextFreeName = (nodeGroupId: string | undefined): string => {
    let n = 1;
    while (memberIds.includes(memberName(id, nodeGroupId, n))) n++;
    return memberName(id, nodeGroupId, n);
  };
  const nodeGroups: StoredNodeGroup[] = shards.map((shard) => ({
    NodeGroupId: shard.nodeGroupId ?? '0001',
    Status: 'creating',
    Slots: shard.slots,
    NodeGroupMembers: shard.zones.map((zone, i) => {
      const memberId = i === 0 && primary ? primary.state.CacheClusterId : nextFreeName(shard.nodeGroupId);
      memberIds.push(memberId);
      return {
        CacheClusterId: memberId,
        CacheNodeId: MEMBER_NODE,
        PreferredAvailabilityZone: zone,
        CurrentRole: i === 0 ? 'primary' : 'replica',
      };
    }),
  }));
  const retention = input.SnapshotRetentionLimit ?? 0;
  return {
    ReplicationGroupId: id,
    Description: plan.description,
    GlobalReplicationGroupInfo: {},
    Status: 'creating',
    PendingModifiedValues: {},
    MemberClusters: memberIds,
    NodeGroups: nodeGroups,
    SnapshottingClusterId: retention > 0 && !clusterMode ? (memberIds[1] ?? memberIds[0]) : undefined,
    AutomaticFailover: plan.failover ? 'enabling' : 'disabled',
    MultiAZ: input.MultiAZEnabled ? 'enabled' : 'disabled',
    SnapshotRetentionLimit: retention,
    SnapshotWindow: settings.snapshotWindow,
    ClusterEnabled: clusterMode,
    CacheNodeType: settings.nodeType,
    AuthTokenEnabled: settings.authTokenEnabled,
    AuthTokenLastModifiedDate: settings.authTokenLastModifiedDate,
    TransitEncryptionEnabled: settings.transitEncryption,
    AtRestEncryptionEnabled: settings.atRestEncryption,
    KmsKeyId: input.KmsKeyId,
    ARN: arn(scope, 'replicationgroup', id),
    UserGroupIds: plan.userGroupIds,
    LogDeliveryConfigurations: settings.logDelivery,
    DataTiering: settings.nodeType.startsWith('cache.r6gd.') ? 'enabled' : 'disabled',
    AutoMinorVersionUpgrade: settings.autoMinorVersionUpgrade,
    NetworkType: settings.networkType,
    IpDiscovery: settings.ipDiscovery,
    TransitEncryptionMode: settings.transitEncryptionMode,
    ClusterMode: clusterMode ? 'enabled' : input.ClusterMode === 'compatible' ? 'compatible' : 'disabled',
    Engine: settings.engine,
  };
}
