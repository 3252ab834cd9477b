/**
 * The parts of ModifyReplicationGroup that reach the members: settings every member shares (windows, notifications,
 * security groups, log delivery, TLS, ...), and node-level changes the worker rolls through the members (engine,
 * version, parameter group, node type) or applies to them (AUTH token, user group).
 */
import type { CacheCluster, ModifyReplicationGroupMessage } from '@aws-sdk/client-elasticache';
import type { Scope } from '../../../store/store.js';
import { authTokenChange } from '../../../domain/elasticache/auth-tokens.js';
import { transitEncryptionChange } from '../../../domain/elasticache/transit-encryption.js';
import type { Engine } from '../../../common/engines.js';
import { compareVersions, defaultVersion, versionInfoOf } from '../../../domain/elasticache/catalog.js';
import {
  cacheSecurityGroups,
  checkNodeType,
  checkParameterGroup,
  checkSnapshotRetention,
  engineOf,
  logDeliveryConfigurations,
  resolveVersion,
  vpcSecurityGroups,
} from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import { maintenanceWindow, snapshotWindow } from '../../../domain/elasticache/identifiers.js';
import { findSubnetGroup } from '../../../domain/elasticache/network.js';
import { isClusterMode, templateMember, type StoredGroup } from '../../../domain/elasticache/records.js';
import type { GroupHandlerDeps } from './group-rules.js';
import { userGroupChangeOf } from '../users/attach.js';

/** A change every member cluster takes, applied once the whole request has been checked. */
export type MemberChange = (member: CacheCluster) => void;

/**
 * Group settings: snapshotting, windows, notifications, security groups, logs, cluster mode, which need no node
 * work, and in-transit encryption, whose change the worker rolls through the nodes (returns whether there is one).
 */
export function settingChanges(
  { store, securityGroups }: GroupHandlerDeps,
  ctx: Scope,
  group: StoredGroup,
  input: ModifyReplicationGroupMessage,
  memberChanges: MemberChange[],
): boolean {
  const { state } = group;
  const clusterMode = isClusterMode(state);
  if (input.SnapshottingClusterId !== undefined) {
    if (clusterMode)
      throw invalidCombination(
        'SnapshottingClusterId is not supported for replication groups with cluster mode enabled.',
      );
    const target = input.SnapshottingClusterId.toLowerCase();
    if (!state.MemberClusters.includes(target))
      throw fault('CacheClusterNotFoundFault', `CacheCluster not found: ${target}`);
    state.SnapshottingClusterId = target;
  }
  if (input.SnapshotRetentionLimit !== undefined) {
    checkSnapshotRetention(input.SnapshotRetentionLimit);
    state.SnapshotRetentionLimit = input.SnapshotRetentionLimit;
    if (input.SnapshotRetentionLimit === 0) delete state.SnapshottingClusterId;
    else if (!clusterMode) state.SnapshottingClusterId ??= state.MemberClusters[1] ?? state.MemberClusters[0];
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
        m.NotificationConfiguration = {
          TopicArn: input.NotificationTopicArn,
          TopicStatus: input.NotificationTopicStatus ?? 'active',
        };
      } else if (m.NotificationConfiguration) m.NotificationConfiguration.TopicStatus = input.NotificationTopicStatus;
    });
  }
  if (input.SecurityGroupIds !== undefined) {
    const template = templateMember(store, ctx, group).state;
    const vpcId = findSubnetGroup(store, ctx, template.CacheSubnetGroupName)?.VpcId;
    const memberships = vpcSecurityGroups(securityGroups, ctx, vpcId, input.SecurityGroupIds);
    memberChanges.push((m) => (m.SecurityGroups = memberships));
  }
  if (input.CacheSecurityGroupNames !== undefined) {
    const names = cacheSecurityGroups(store, ctx, input.CacheSecurityGroupNames);
    memberChanges.push((m) => (m.CacheSecurityGroups = names));
  }
  if (input.LogDeliveryConfigurations !== undefined) {
    state.LogDeliveryConfigurations = logDeliveryConfigurations(
      input.LogDeliveryConfigurations,
      state.LogDeliveryConfigurations,
    );
    memberChanges.push((m) => (m.LogDeliveryConfigurations = state.LogDeliveryConfigurations));
  }
  if (input.IpDiscovery !== undefined) {
    state.IpDiscovery = input.IpDiscovery;
    memberChanges.push((m) => (m.IpDiscovery = input.IpDiscovery));
  }
  const template = templateMember(store, ctx, group).state;
  const tls = transitEncryptionChange(input, state, { name: template.Engine!, version: template.EngineVersion! });
  if (tls) {
    // The members' nodes move one by one (node-changes.ts); the group and its members show it pending meanwhile.
    group.internal.pendingTransitEncryption = { enabled: tls.enabled, mode: tls.mode };
    const pending = { TransitEncryptionEnabled: tls.enabled, TransitEncryptionMode: tls.mode };
    state.PendingModifiedValues = { ...state.PendingModifiedValues, ...pending };
    memberChanges.push((m) => (m.PendingModifiedValues = { ...m.PendingModifiedValues, ...pending }));
  }
  if (input.ClusterMode !== undefined && input.ClusterMode !== state.ClusterMode) {
    const from = state.ClusterMode ?? 'disabled';
    if (from === 'enabled')
      throw invalidCombination('A replication group with cluster mode enabled cannot leave cluster mode.');
    if (input.ClusterMode === 'enabled' && from !== 'compatible') {
      throw invalidCombination(
        'Cluster mode can only be enabled from compatible mode: set ClusterMode to compatible first.',
      );
    }
    if (input.ClusterMode === 'enabled') {
      throw invalidCombination(
        'Moving a replication group online from compatible to enabled cluster mode is not available in elasticache-local; create a cluster-mode-enabled group instead.',
      );
    }
    state.ClusterMode = input.ClusterMode;
  }
  return tls !== undefined;
}

/**
 * Node-level changes: what the worker is to roll through the members (pending in the group's internal facts and in
 * the members' PendingModifiedValues) and a new AUTH token. `pendingOnly`: nothing but a node type or version
 * change, which waits for the maintenance window without ApplyImmediately.
 */
export function nodeChanges(
  { store }: GroupHandlerDeps,
  ctx: Scope,
  group: StoredGroup,
  input: ModifyReplicationGroupMessage,
  memberChanges: MemberChange[],
): { needsWork: boolean; pendingOnly: boolean } {
  const { state, internal } = group;
  const clusterMode = isClusterMode(state);
  let needsWork = false;
  const template = templateMember(store, ctx, group).state;
  const engine = template.Engine as Engine;
  let targetEngine = engine;
  if (input.Engine !== undefined && input.Engine.toLowerCase() !== engine) {
    targetEngine = engineOf(input.Engine);
    if (!(engine === 'redis' && targetEngine === 'valkey'))
      throw invalidCombination('Engine modifications other than redis to valkey are not supported.');
    if (input.EngineVersion === undefined)
      throw invalidCombination('EngineVersion must be specified when changing Engine.');
  }
  let targetVersion = versionInfoOf(engine, template.EngineVersion) ?? defaultVersion(engine);
  let pendingVersion: string | undefined;
  if (input.EngineVersion !== undefined) {
    const requested = resolveVersion(targetEngine, input.EngineVersion);
    if (targetEngine === engine && compareVersions(requested.fullVersion, template.EngineVersion) < 0) {
      throw invalidValue(
        `Cannot downgrade the engine version from ${template.EngineVersion} to ${requested.fullVersion}.`,
      );
    }
    if (requested.fullVersion !== template.EngineVersion || targetEngine !== engine) {
      pendingVersion = requested.fullVersion;
      targetVersion = requested;
    }
  }
  let pendingGroup: string | undefined;
  if (input.CacheParameterGroupName !== undefined) {
    pendingGroup = checkParameterGroup(
      store,
      ctx,
      input.CacheParameterGroupName.toLowerCase(),
      targetVersion.family,
      clusterMode,
    );
    if (pendingGroup === template.CacheParameterGroup?.CacheParameterGroupName && !pendingVersion)
      pendingGroup = undefined;
  } else if (pendingVersion && targetVersion.family !== versionInfoOf(engine, template.EngineVersion)?.family) {
    throw invalidCombination(
      `The engine version ${pendingVersion} needs a parameter group of family ${targetVersion.family}; specify CacheParameterGroupName.`,
    );
  }
  let pendingType: string | undefined;
  if (input.CacheNodeType !== undefined && input.CacheNodeType !== template.CacheNodeType) {
    pendingType = checkNodeType(input.CacheNodeType, targetEngine, targetVersion).name;
  }
  const authChange = authTokenChange(input, state, 'replication group');
  if (authChange) {
    internal.pendingAuthToken = authChange;
    state.PendingModifiedValues = {
      ...state.PendingModifiedValues,
      AuthTokenStatus: authChange.strategy === 'ROTATE' ? 'ROTATING' : 'SETTING',
    };
    needsWork = true;
  }
  // Checked after the TLS settings (settingChanges), which the same request may turn on.
  const userGroups = userGroupChangeOf(store, ctx, state.UserGroupIds ?? [], input, {
    groupId: state.ReplicationGroupId,
    engine: targetEngine,
    engineVersion: pendingVersion ?? template.EngineVersion,
    // A TLS change is rolled through the nodes later; the rule is checked against where it leads.
    tls: (internal.pendingTransitEncryption?.enabled ?? state.TransitEncryptionEnabled) === true,
    shownAs: internal.serverlessCache !== undefined ? `serverless cache ${internal.serverlessCache}` : undefined,
  });
  if (userGroups) {
    state.PendingModifiedValues = { ...state.PendingModifiedValues, UserGroups: userGroups };
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
  return { needsWork, pendingOnly: Boolean(pendingType || pendingVersion) };
}
