/**
 * Cache clusters: Create, Describe, Modify, Delete, Reboot, ListAllowedNodeTypeModifications.
 * Handlers check a request against the stored state, write the desired state and a job in the call's
 * transaction, and answer with the cluster as AWS shows it at that moment (`creating`, `modifying`, ...).
 * The reconciler (control/cache-cluster-worker.ts) then makes the nodes match and moves the status on.
 * A cluster that is a member of a replication group is created and deleted through the group's rules
 * (replication-groups/members.ts).
 */
import type {
  CacheCluster,
  CreateCacheClusterMessage,
  DeleteCacheClusterMessage,
  DescribeCacheClustersMessage,
  ListAllowedNodeTypeModificationsMessage,
  ModifyCacheClusterMessage,
  PendingModifiedValues,
  RebootCacheClusterMessage,
} from '@aws-sdk/client-elasticache';
import type { Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { authTokenChange, checkAuthToken } from '../../domain/elasticache/auth-tokens.js';
import type { Engine } from '../../common/engines.js';
import {
  DEFAULT_PORTS,
  NODE_TYPES,
  compareVersions,
  defaultVersion,
  nodeType,
  nodeTypeSupports,
  versionInfoOf,
} from '../../domain/elasticache/catalog.js';
import {
  MAX_MEMCACHED_NODES,
  cacheSecurityGroups,
  checkNodeQuota,
  checkNodeType,
  checkParameterGroup,
  checkPort,
  checkSnapshotRetention,
  engineOf,
  logDeliveryConfigurations,
  newClusterState,
  resolveVersion,
  securityGroupsOnCreate,
  vpcSecurityGroups,
  zonesForNewNodes,
} from '../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue } from '../../domain/elasticache/faults.js';
import {
  clusterStyleId,
  maintenanceWindow,
  nextWindowStart,
  snapshotWindow,
  systemWindows,
} from '../../domain/elasticache/identifiers.js';
import { JobQueue, type WorkQueue } from '../../domain/elasticache/jobs.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import {
  defaultVpcSecurityGroups,
  findSubnetGroup,
  type SecurityGroupDirectory,
} from '../../domain/elasticache/network.js';
import { defaultParameterGroupName } from '../../domain/elasticache/parameter-groups.js';
import {
  findGroup,
  getCluster,
  listClusters,
  recordClusterEvent,
  requireClusterAvailable,
  saveCluster,
  type CacheClusterInternal,
} from '../../domain/elasticache/records.js';
import { paginate } from './pagination.js';
import { addReplicaCluster, groupNodeType, removeMemberCluster } from './replication-groups/members.js';
import { applyTags } from './tags.js';

/** The cluster as DescribeCacheClusters shows it: nodes only on request, and never while creating or deleting. */
export function presentCluster(state: CacheCluster, showNodes: boolean): CacheCluster {
  const hideNodes = !showNodes || state.CacheClusterStatus === 'creating' || state.CacheClusterStatus === 'deleting';
  // A spread with the member set to undefined: V8 copies it far faster than an object rest (the serializer skips it).
  return hideNodes ? { ...state, CacheNodes: undefined } : state;
}

export function cacheClusterHandlers(
  store: Store,
  work: WorkQueue,
  groups: SecurityGroupDirectory = defaultVpcSecurityGroups,
): HandlerTable {
  const jobs = new JobQueue(store, work);

  const CreateCacheCluster = (input: CreateCacheClusterMessage, ctx: RequestContext) => {
    const id = clusterStyleId(input.CacheClusterId, 'CacheClusterId', 50);
    if (input.ReplicationGroupId !== undefined) {
      return { CacheCluster: presentCluster(addReplicaCluster(store, jobs, input, ctx, id), false) };
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
    if (
      memcached &&
      (input.SnapshotArns || input.SnapshotName || input.SnapshotRetentionLimit || input.SnapshotWindow)
    ) {
      throw invalidCombination('Snapshots are not supported for Memcached clusters.');
    }
    checkSnapshotRetention(input.SnapshotRetentionLimit);
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
    const port = checkPort(input.Port ?? DEFAULT_PORTS[engine]);

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
    checkNodeQuota(store, ctx, numNodes);
    const tls = input.TransitEncryptionEnabled ?? false;
    const state = newClusterState(ctx, {
      id,
      engine,
      version,
      nodeType: type.name,
      zones,
      crossAz: input.AZMode === 'cross-az',
      maintenanceWindow: window,
      parameterGroup,
      subnetGroup: subnetGroup.CacheSubnetGroupName!,
      securityGroups: securityGroupsOnCreate(groups, ctx, subnetGroup.VpcId, input),
      cacheSecurityGroups: cacheSecurityGroups(store, ctx, input.CacheSecurityGroupNames),
      notificationTopicArn: input.NotificationTopicArn,
      autoMinorVersionUpgrade: input.AutoMinorVersionUpgrade ?? true,
      snapshotRetentionLimit: memcached ? undefined : (input.SnapshotRetentionLimit ?? 0),
      snapshotWindow: memcached
        ? undefined
        : input.SnapshotWindow
          ? snapshotWindow(input.SnapshotWindow)
          : systemWindows(id).snapshot,
      authTokenEnabled: input.AuthToken !== undefined,
      authTokenLastModifiedDate: input.AuthToken !== undefined ? new Date() : undefined,
      transitEncryption: tls,
      transitEncryptionMode: tls ? 'required' : undefined,
      atRestEncryption: false,
      logDelivery: logDeliveryConfigurations(input.LogDeliveryConfigurations),
      networkType: input.NetworkType ?? 'ipv4',
      ipDiscovery: input.IpDiscovery ?? 'ipv4',
    });
    const internal: CacheClusterInternal = { port, authToken: input.AuthToken, nodes: {} };
    if (!store.resources.insert(ctx, KIND.cacheCluster, id, state, internal)) {
      throw fault('CacheClusterAlreadyExistsFault', `Cache cluster ${id} already exists.`);
    }
    applyTags(store, state.ARN, input.Tags);
    jobs.enqueue(ctx, KIND.cacheCluster, id, 'create');
    return { CacheCluster: presentCluster(state, false) };
  };

  const DescribeCacheClusters = (input: DescribeCacheClustersMessage, ctx: RequestContext) => {
    let clusters =
      input.CacheClusterId !== undefined
        ? [getCluster(store, ctx, input.CacheClusterId).state]
        : listClusters(store, ctx).map((c) => c.state);
    if (input.ShowCacheClustersNotInReplicationGroups) clusters = clusters.filter((c) => !c.ReplicationGroupId);
    const { page, marker } = paginate(clusters, input);
    return { Marker: marker, CacheClusters: page.map((c) => presentCluster(c, input.ShowCacheNodeInfo ?? false)) };
  };

  const ModifyCacheCluster = (input: ModifyCacheClusterMessage, ctx: RequestContext) => {
    const cluster = getCluster(store, ctx, input.CacheClusterId);
    const { state, internal } = cluster;
    requireClusterAvailable(cluster);
    if (state.ReplicationGroupId) {
      throw invalidCombination(
        `Cache cluster ${state.CacheClusterId} is a member of replication group ${state.ReplicationGroupId}; modify the replication group instead.`,
      );
    }
    const engine = state.Engine as Engine;
    const memcached = engine === 'memcached';
    const pending: PendingModifiedValues = { ...state.PendingModifiedValues };
    const currentNodes = state.CacheNodes ?? [];

    // Changes that take effect at once, whatever ApplyImmediately says.
    if (input.PreferredMaintenanceWindow !== undefined) {
      state.PreferredMaintenanceWindow = maintenanceWindow(input.PreferredMaintenanceWindow);
    }
    if (input.AutoMinorVersionUpgrade !== undefined) state.AutoMinorVersionUpgrade = input.AutoMinorVersionUpgrade;
    if (input.SecurityGroupIds !== undefined) {
      const vpcId = findSubnetGroup(store, ctx, state.CacheSubnetGroupName)?.VpcId;
      state.SecurityGroups = vpcSecurityGroups(groups, ctx, vpcId, input.SecurityGroupIds);
    }
    if (input.CacheSecurityGroupNames !== undefined) {
      state.CacheSecurityGroups = cacheSecurityGroups(store, ctx, input.CacheSecurityGroupNames);
    }
    if (input.NotificationTopicArn !== undefined) {
      state.NotificationConfiguration = {
        TopicArn: input.NotificationTopicArn,
        TopicStatus: input.NotificationTopicStatus ?? 'active',
      };
    } else if (input.NotificationTopicStatus !== undefined && state.NotificationConfiguration) {
      state.NotificationConfiguration.TopicStatus = input.NotificationTopicStatus;
    }
    if (input.SnapshotRetentionLimit !== undefined || input.SnapshotWindow !== undefined) {
      if (memcached) throw invalidCombination('Snapshots are not supported for Memcached clusters.');
      checkSnapshotRetention(input.SnapshotRetentionLimit);
      if (input.SnapshotRetentionLimit !== undefined) state.SnapshotRetentionLimit = input.SnapshotRetentionLimit;
      if (input.SnapshotWindow !== undefined) state.SnapshotWindow = snapshotWindow(input.SnapshotWindow);
    }
    if (input.IpDiscovery !== undefined) state.IpDiscovery = input.IpDiscovery;
    if (input.LogDeliveryConfigurations !== undefined) {
      state.LogDeliveryConfigurations = logDeliveryConfigurations(
        input.LogDeliveryConfigurations,
        state.LogDeliveryConfigurations,
      );
    }

    // Changes that wait for the maintenance window unless ApplyImmediately.
    let targetEngine = engine;
    if (input.Engine !== undefined && input.Engine.toLowerCase() !== engine) {
      targetEngine = engineOf(input.Engine);
      if (!(engine === 'redis' && targetEngine === 'valkey')) {
        throw invalidCombination(`Engine modifications other than redis to valkey are not supported.`);
      }
      if (input.EngineVersion === undefined)
        throw invalidCombination('EngineVersion must be specified when changing Engine.');
      internal.pendingEngine = targetEngine;
    }
    let targetVersion = versionInfoOf(engine, state.EngineVersion) ?? defaultVersion(engine);
    if (input.EngineVersion !== undefined) {
      const requested = resolveVersion(targetEngine, input.EngineVersion);
      if (targetEngine === engine && compareVersions(requested.fullVersion, state.EngineVersion) < 0) {
        throw invalidValue(
          `Cannot downgrade the engine version from ${state.EngineVersion} to ${requested.fullVersion}.`,
        );
      }
      if (requested.fullVersion !== state.EngineVersion || targetEngine !== engine) {
        pending.EngineVersion = requested.fullVersion;
        targetVersion = requested;
      }
    }
    if (input.CacheParameterGroupName !== undefined) {
      internal.pendingParameterGroup = checkParameterGroup(
        store,
        ctx,
        input.CacheParameterGroupName.toLowerCase(),
        targetVersion.family,
      );
    } else if (
      pending.EngineVersion &&
      versionInfoOf(targetEngine, pending.EngineVersion)?.family !== versionInfoOf(engine, state.EngineVersion)?.family
    ) {
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
      const current = state.NumCacheNodes;
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
        if (removing.length > 0)
          throw invalidCombination('CacheNodeIdsToRemove is only valid when reducing the number of nodes.');
        const adding = input.NumCacheNodes - current;
        checkNodeQuota(store, ctx, adding);
        internal.pendingNewZones = zonesForNewNodes(
          ctx.region,
          findSubnetGroup(store, ctx, state.CacheSubnetGroupName) ?? { Subnets: [] },
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
      Object.keys(pending).length > 0 ||
      internal.pendingParameterGroup !== undefined ||
      internal.pendingEngine !== undefined;
    jobs.cancel(ctx, KIND.cacheCluster, state.CacheClusterId, 'modify');
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
        jobs.enqueue(ctx, KIND.cacheCluster, state.CacheClusterId, 'modify');
      } else {
        const runAfter = nextWindowStart(state.PreferredMaintenanceWindow);
        jobs.enqueue(ctx, KIND.cacheCluster, state.CacheClusterId, 'modify', { maintenance: true }, { runAfter });
      }
    }
    saveCluster(store, ctx, cluster);
    recordClusterEvent(store, ctx, state.CacheClusterId, 'Cache cluster modified');
    return { CacheCluster: presentCluster(state, false) };
  };

  const RebootCacheCluster = (input: RebootCacheClusterMessage, ctx: RequestContext) => {
    const cluster = getCluster(store, ctx, input.CacheClusterId);
    const { state } = cluster;
    requireClusterAvailable(cluster);
    const ids = input.CacheNodeIdsToReboot ?? [];
    if (ids.length === 0)
      throw invalidValue('The parameter CacheNodeIdsToReboot must be provided and must not be blank.');
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
    for (const node of nodes) if (ids.includes(node.CacheNodeId)) node.CacheNodeStatus = 'rebooting';
    saveCluster(store, ctx, cluster);
    if (state.ReplicationGroupId) {
      // A member's node comes back as a replica of the group's primary: the group's worker restarts it.
      jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'reboot-member', {
        clusterId: state.CacheClusterId,
      });
    } else {
      jobs.enqueue(ctx, KIND.cacheCluster, state.CacheClusterId, 'reboot', { nodeIds: [...new Set(ids)] });
    }
    return { CacheCluster: presentCluster(state, false) };
  };

  const DeleteCacheCluster = (input: DeleteCacheClusterMessage, ctx: RequestContext) => {
    const cluster = getCluster(store, ctx, input.CacheClusterId);
    const { state, internal } = cluster;
    if (state.ReplicationGroupId) {
      if (input.FinalSnapshotIdentifier !== undefined) {
        throw invalidCombination('FinalSnapshotIdentifier is not supported for members of a replication group.');
      }
      removeMemberCluster(store, jobs, ctx, cluster);
      return { CacheCluster: presentCluster(state, false) };
    }
    if (!['available', 'incompatible-network', 'restore-failed', 'create-failed'].includes(state.CacheClusterStatus)) {
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
    jobs.cancel(ctx, KIND.cacheCluster, state.CacheClusterId, 'modify');
    saveCluster(store, ctx, cluster);
    jobs.enqueue(ctx, KIND.cacheCluster, state.CacheClusterId, 'delete');
    return { CacheCluster: presentCluster(state, false) };
  };

  const ListAllowedNodeTypeModifications = (input: ListAllowedNodeTypeModificationsMessage, ctx: RequestContext) => {
    if ((input.CacheClusterId === undefined) === (input.ReplicationGroupId === undefined)) {
      throw invalidCombination('Exactly one of CacheClusterId or ReplicationGroupId must be specified.');
    }
    const {
      nodeType: currentType,
      engine,
      version,
    } = input.ReplicationGroupId !== undefined
      ? groupNodeType(store, ctx, input.ReplicationGroupId)
      : (({ state }) => ({
          nodeType: state.CacheNodeType,
          engine: state.Engine as Engine,
          version: state.EngineVersion,
        }))(getCluster(store, ctx, input.CacheClusterId));
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
