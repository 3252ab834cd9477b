/**
 * ModifyCacheCluster: settings that change at once, and node changes (engine, version, node type, parameter group,
 * AUTH token, node count) that wait for the maintenance window unless ApplyImmediately, each queued as one modify job.
 */
import type { ModifyCacheClusterMessage, PendingModifiedValues } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { authTokenChange } from '../../../domain/elasticache/auth-tokens.js';
import type { Engine } from '../../../common/engines.js';
import { compareVersions, defaultVersion, versionInfoOf } from '../../../domain/elasticache/catalog.js';
import {
  MAX_MEMCACHED_NODES,
  cacheSecurityGroups,
  checkNodeQuota,
  checkNodeType,
  checkParameterGroup,
  checkSnapshotRetention,
  engineOf,
  logDeliveryConfigurations,
  resolveVersion,
  vpcSecurityGroups,
  zonesForNewNodes,
} from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import { maintenanceWindow, nextWindowStart, snapshotWindow } from '../../../domain/elasticache/identifiers.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { findSubnetGroup } from '../../../domain/elasticache/network.js';
import {
  getCluster,
  recordClusterEvent,
  requireClusterAvailable,
  saveCluster,
} from '../../../domain/elasticache/records.js';

import { presentCluster, type ClusterHandlerDeps } from './present.js';

export function modifyCacheCluster({ store, jobs, securityGroups: groups }: ClusterHandlerDeps) {
  return (input: ModifyCacheClusterMessage, ctx: RequestContext) => {
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
}
