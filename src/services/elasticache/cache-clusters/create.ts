/** CreateCacheCluster: a standalone cluster (a member of a group is added through replication-groups/members.ts). */
import type { CreateCacheClusterMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { checkMemcachedTls } from '../../../domain/elasticache/transit-encryption.js';
import { checkAuthToken } from '../../../domain/elasticache/auth-tokens.js';
import { DEFAULT_PORTS } from '../../../domain/elasticache/catalog.js';
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
  securityGroupsOnCreate,
  zonesForNewNodes,
} from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import {
  clusterStyleId,
  maintenanceWindow,
  snapshotWindow,
  systemWindows,
} from '../../../domain/elasticache/identifiers.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  checkRestoreTarget,
  restoreSourceOf,
  restoredVersion,
  snapshotToRestore,
} from '../../../domain/elasticache/restore.js';
import { findSubnetGroup } from '../../../domain/elasticache/network.js';
import { defaultParameterGroupName } from '../../../domain/elasticache/parameter-groups.js';
import { type CacheClusterInternal } from '../../../domain/elasticache/records.js';
import { addReplicaCluster } from '../replication-groups/members.js';
import { applyTags } from '../tags.js';

import { presentCluster, type ClusterHandlerDeps } from './present.js';

export function createCacheCluster({ store, jobs, securityGroups: groups }: ClusterHandlerDeps) {
  /** `backing`: the hidden cluster behind a memcached serverless cache (services/elasticache/serverless/), its id reserved. */
  return (
    input: CreateCacheClusterMessage,
    ctx: RequestContext,
    backing?: Pick<CacheClusterInternal, 'serverlessCache' | 'maxMemoryBytes' | 'restoreFrom'>,
  ) => {
    const id = backing
      ? requireValue(input.CacheClusterId, 'CacheClusterId')
      : clusterStyleId(input.CacheClusterId, 'CacheClusterId', 50);
    if (input.ReplicationGroupId !== undefined) {
      return { CacheCluster: presentCluster(addReplicaCluster(store, jobs, input, ctx, id), false) };
    }
    // A restore takes the snapshot's engine, version and node type unless the request gives them.
    const restore = snapshotToRestore(store, ctx, input);
    const engine = engineOf(input.Engine ?? restore?.state.Engine);
    const version = restoredVersion(engine, input.EngineVersion, restore);
    const type = checkNodeType(input.CacheNodeType ?? restore?.state.CacheNodeType, engine, version);
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
    if (restore)
      checkRestoreTarget(restore, { engine, fullVersion: version.fullVersion, nodeType: type.name, shards: 1 });
    if (input.AuthToken !== undefined) {
      if (!input.TransitEncryptionEnabled) {
        throw invalidValue('The AUTH token is only supported when encryption-in-transit is enabled');
      }
      if (memcached) throw invalidCombination('AUTH tokens are not supported for Memcached clusters.');
      checkAuthToken(input.AuthToken);
    }
    const port = checkPort(input.Port ?? restore?.state.Port ?? DEFAULT_PORTS[engine]);

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
    if (tls && memcached) checkMemcachedTls(version.fullVersion);
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
    const internal: CacheClusterInternal = {
      port,
      authToken: input.AuthToken,
      restoreFrom: restore && restoreSourceOf(restore, 0),
      nodes: {},
      ...backing,
    };
    if (!store.resources.insert(ctx, KIND.cacheCluster, id, state, internal)) {
      throw fault('CacheClusterAlreadyExistsFault', `Cache cluster ${id} already exists.`);
    }
    applyTags(store, state.ARN, input.Tags);
    jobs.enqueue(ctx, KIND.cacheCluster, id, 'create');
    return { CacheCluster: presentCluster(state, false) };
  };
}
