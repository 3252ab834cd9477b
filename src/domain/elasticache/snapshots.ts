/**
 * Snapshots (backups of redis / valkey data): the stored record, the rules the handlers share (names, quotas, which
 * sources can be snapshotted) and the snapshot a cluster or a replication group gives, shard by shard. The data
 * itself (one RDB per shard) is written by the snapshot worker (control/snapshots/); a record is `creating` until
 * then, so a snapshot whose job never finished is never listed as `available`.
 */
import type { NodeSnapshot, Snapshot } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import { arn } from './arns.js';
import { fault, invalidValue } from './faults.js';
import { clusterStyleId } from './identifiers.js';
import { KIND } from './kinds.js';
import { findSubnetGroup } from './network.js';
import {
  MEMBER_NODE,
  getCluster,
  isClusterMode,
  primaryOf,
  recordAccessors,
  replicasOf,
  updateCluster,
  updateGroup,
  type StoredCluster,
  type StoredGroup,
} from './records.js';

export type SnapshotState = Omit<Snapshot, 'NodeSnapshots'> &
  Required<Pick<Snapshot, 'SnapshotName' | 'SnapshotStatus' | 'SnapshotSource' | 'ARN'>> & {
    NodeSnapshots: NodeSnapshot[];
  };

/** One shard of a snapshot: its file is `<NodeGroupId>.rdb`; its data is taken from the primary of that shard. */
export interface SnapshotShard {
  nodeGroupId: string;
  /** The member cluster (or standalone cluster) whose node holds the shard's data when the snapshot was asked for. */
  clusterId: string;
}

/** What the API does not show of a snapshot. Never rendered. */
export interface SnapshotInternal {
  shards: SnapshotShard[];
  /** The resource snapshotted: its status is `snapshotting` while the data is taken. */
  source?: { kind: typeof KIND.cacheCluster | typeof KIND.replicationGroup; id: string };
  /** When the snapshot was asked for (ms since the epoch), for the 24-hour quota. */
  requestedAt: number;
  /** CopySnapshot: the snapshot whose files this one copies. */
  copyOf?: string;
  /** A final snapshot: once it is taken, the source is deleted. */
  thenDeleteSource?: boolean;
  /** The data was written (false with the runtime none, which keeps metadata only). */
  hasData?: boolean;
}

export type StoredSnapshot = { state: SnapshotState; internal: SnapshotInternal };

export const snapshotNotFound = (name: string) => fault('SnapshotNotFoundFault', `Snapshot ${name} not found.`);

const snapshots = recordAccessors<SnapshotState, SnapshotInternal>(
  KIND.snapshot,
  'SnapshotName',
  snapshotNotFound,
  (s) => s.SnapshotName,
);

export const findSnapshot = snapshots.find;
/** The snapshot a request names, or SnapshotNotFoundFault. */
export const getSnapshot = snapshots.get;
export const saveSnapshot = snapshots.save;
export const updateSnapshot = snapshots.update;
export const listSnapshots = snapshots.list;

/** Manual snapshots of one source AWS allows per 24 hours. */
export const MANUAL_SNAPSHOTS_PER_DAY = 20;

/** A new snapshot's name: cluster-style rules, lowercase; a name in use is SnapshotAlreadyExistsFault. */
export function newSnapshotName(store: Store, scope: Scope, value: string | undefined, parameter: string): string {
  const name = clusterStyleId(value, parameter, 255);
  if (findSnapshot(store, scope, name)) throw fault('SnapshotAlreadyExistsFault', `Snapshot ${name} already exists.`);
  return name;
}

export const snapshotsNotSupported = () =>
  fault('SnapshotFeatureNotSupportedFault', 'Snapshots are not supported for Memcached clusters.');

function checkQuota(store: Store, scope: Scope, sourceId: string): void {
  const since = Date.now() - 86_400_000;
  const taken = listSnapshots(store, scope).filter(
    (s) => s.state.SnapshotSource === 'manual' && s.internal.source?.id === sourceId && s.internal.requestedAt >= since,
  ).length;
  if (taken >= MANUAL_SNAPSHOTS_PER_DAY) {
    throw fault(
      'SnapshotQuotaExceededFault',
      'The maximum number of manual snapshots for this cluster taken within 24 hours has been reached',
    );
  }
}

/** The fields a snapshot copies from the cluster whose settings it keeps (a standalone cluster or a group member). */
function clusterSettings(store: Store, scope: Scope, cluster: StoredCluster): Partial<Snapshot> {
  const { state, internal } = cluster;
  return {
    CacheNodeType: state.CacheNodeType,
    Engine: state.Engine,
    EngineVersion: state.EngineVersion,
    PreferredAvailabilityZone: state.PreferredAvailabilityZone,
    CacheClusterCreateTime: state.CacheClusterCreateTime,
    PreferredMaintenanceWindow: state.PreferredMaintenanceWindow,
    TopicArn: state.NotificationConfiguration?.TopicArn,
    Port: internal.port,
    CacheParameterGroupName: state.CacheParameterGroup.CacheParameterGroupName,
    CacheSubnetGroupName: state.CacheSubnetGroupName,
    VpcId: findSubnetGroup(store, scope, state.CacheSubnetGroupName)?.VpcId,
    AutoMinorVersionUpgrade: state.AutoMinorVersionUpgrade,
    SnapshotRetentionLimit: state.SnapshotRetentionLimit,
    SnapshotWindow: state.SnapshotWindow,
    DataTiering: 'disabled',
  };
}

export interface SnapshotOrigin {
  name: string;
  source: 'manual' | 'automated';
  /** Final snapshots are taken from a source that is already `deleting`, and are not counted in the quota. */
  final?: boolean;
}

/** A snapshot of a standalone cluster (or of one member of a group with cluster mode disabled). */
export function snapshotOfCluster(
  store: Store,
  scope: Scope,
  cluster: StoredCluster,
  origin: SnapshotOrigin,
  group?: StoredGroup,
): StoredSnapshot {
  const { state } = cluster;
  // Node-based memcached clusters take no snapshots; a serverless memcached cache's backing cluster does, as on AWS.
  if (state.Engine === 'memcached' && !cluster.internal.serverlessCache) throw snapshotsNotSupported();
  if (state.CacheNodeType === 'cache.t1.micro') {
    throw fault('SnapshotFeatureNotSupportedFault', 'Snapshots are not supported for cache.t1.micro cache nodes.');
  }
  if (!origin.final && origin.source === 'manual')
    checkQuota(store, scope, group?.state.ReplicationGroupId ?? state.CacheClusterId);
  const node = state.CacheNodes[0];
  return {
    state: {
      SnapshotName: origin.name,
      ReplicationGroupId: group?.state.ReplicationGroupId,
      ReplicationGroupDescription: group?.state.Description,
      CacheClusterId: state.CacheClusterId,
      SnapshotStatus: 'creating',
      SnapshotSource: origin.source,
      ...clusterSettings(store, scope, cluster),
      NumCacheNodes: 1,
      NumNodeGroups: group ? 1 : undefined,
      AutomaticFailover: group?.state.AutomaticFailover,
      // The snapshot of a group encrypted with a KMS key is encrypted with that key.
      KmsKeyId: group?.state.KmsKeyId,
      NodeSnapshots: [
        {
          CacheClusterId: state.CacheClusterId,
          NodeGroupId: group ? '0001' : undefined,
          CacheNodeId: node?.CacheNodeId ?? MEMBER_NODE,
          CacheSize: '',
          CacheNodeCreateTime: node?.CacheNodeCreateTime,
        },
      ],
      ARN: arn(scope, 'snapshot', origin.name),
    },
    internal: {
      shards: [{ nodeGroupId: '0001', clusterId: state.CacheClusterId }],
      source: group
        ? { kind: KIND.replicationGroup, id: group.state.ReplicationGroupId }
        : { kind: KIND.cacheCluster, id: state.CacheClusterId },
      requestedAt: Date.now(),
      thenDeleteSource: origin.final,
    },
  };
}

/** A snapshot of a replication group: every shard, each from its primary (cluster mode keeps the slots). */
export function snapshotOfGroup(
  store: Store,
  scope: Scope,
  group: StoredGroup,
  origin: SnapshotOrigin,
): StoredSnapshot {
  const { state } = group;
  const template = getCluster(store, scope, state.MemberClusters[0]);
  if (!isClusterMode(state)) {
    const primaryId = primaryOf(state.NodeGroups[0])?.CacheClusterId ?? state.MemberClusters[0];
    return snapshotOfCluster(store, scope, getCluster(store, scope, primaryId), origin, group);
  }
  if (template.state.Engine === 'memcached') throw snapshotsNotSupported();
  if (!origin.final && origin.source === 'manual') checkQuota(store, scope, state.ReplicationGroupId);
  const shards: SnapshotShard[] = state.NodeGroups.map((g) => ({
    nodeGroupId: g.NodeGroupId,
    clusterId: primaryOf(g)?.CacheClusterId ?? g.NodeGroupMembers[0].CacheClusterId,
  }));
  const {
    CacheClusterCreateTime: _created,
    PreferredAvailabilityZone: _zone,
    ...settings
  } = clusterSettings(store, scope, template);
  return {
    state: {
      SnapshotName: origin.name,
      ReplicationGroupId: state.ReplicationGroupId,
      ReplicationGroupDescription: state.Description,
      SnapshotStatus: 'creating',
      SnapshotSource: origin.source,
      ...settings,
      NumNodeGroups: state.NodeGroups.length,
      AutomaticFailover: state.AutomaticFailover,
      KmsKeyId: state.KmsKeyId,
      NodeSnapshots: state.NodeGroups.map((g) => {
        const primary = primaryOf(g);
        const member = primary && getCluster(store, scope, primary.CacheClusterId);
        return {
          NodeGroupId: g.NodeGroupId,
          CacheNodeId: MEMBER_NODE,
          CacheSize: '',
          CacheNodeCreateTime: member?.state.CacheNodes[0]?.CacheNodeCreateTime,
          NodeGroupConfiguration: {
            NodeGroupId: g.NodeGroupId,
            Slots: g.Slots,
            ReplicaCount: replicasOf(g).length,
            PrimaryAvailabilityZone: primary?.PreferredAvailabilityZone,
            ReplicaAvailabilityZones: replicasOf(g).map((m) => m.PreferredAvailabilityZone ?? ''),
          },
        };
      }),
      ARN: arn(scope, 'snapshot', origin.name),
    },
    internal: {
      shards,
      source: { kind: KIND.replicationGroup, id: state.ReplicationGroupId },
      requestedAt: Date.now(),
      thenDeleteSource: origin.final,
    },
  };
}

/** Stores a new snapshot, or refuses a name that is taken. */
/** A manual copy of `source` under `name`, `creating` until the copy job has written its data (not yet stored). */
export function snapshotCopy(scope: Scope, source: StoredSnapshot, name: string, kmsKeyId?: string): StoredSnapshot {
  return {
    state: {
      ...source.state,
      SnapshotName: name,
      SnapshotStatus: 'creating',
      SnapshotSource: 'manual',
      KmsKeyId: kmsKeyId ?? source.state.KmsKeyId,
      NodeSnapshots: source.state.NodeSnapshots.map((n) => ({ ...n })),
      ARN: arn(scope, 'snapshot', name),
    },
    internal: { shards: source.internal.shards, requestedAt: Date.now(), copyOf: source.state.SnapshotName },
  };
}

export function insertSnapshot(store: Store, scope: Scope, snapshot: StoredSnapshot): void {
  if (!store.resources.insert(scope, KIND.snapshot, snapshot.state.SnapshotName, snapshot.state, snapshot.internal)) {
    throw fault('SnapshotAlreadyExistsFault', `Snapshot ${snapshot.state.SnapshotName} already exists.`);
  }
}

/** A snapshot a request means to use (restore, copy): it must exist and be `available`. */
export function requireSnapshotAvailable(store: Store, scope: Scope, name: string | undefined): StoredSnapshot {
  const snapshot = getSnapshot(store, scope, name);
  if (snapshot.state.SnapshotStatus !== 'available') {
    throw fault(
      'InvalidSnapshotStateFault',
      `Snapshot ${snapshot.state.SnapshotName} is not in available state (it is ${snapshot.state.SnapshotStatus}).`,
    );
  }
  return snapshot;
}

/** The snapshot name an ARN of this account and region names (SnapshotArns), or InvalidParameterValue. */
export function snapshotNameOfArn(scope: Scope, value: string): string {
  const match = /^arn:aws[a-z-]*:elasticache:([a-z0-9-]+):(\d{12}):snapshot:(.+)$/.exec(value);
  if (!match) throw invalidValue(`Invalid snapshot ARN: ${value}`);
  if (match[1] !== scope.region || match[2] !== scope.account) throw snapshotNotFound(match[3].toLowerCase());
  return match[3].toLowerCase();
}

/** The size AWS shows for a shard's data: megabytes, rounded up. */
export function cacheSize(bytes: number): string {
  return `${Math.max(0, Math.ceil(bytes / 2 ** 20))} MB`;
}

/** The source of a new snapshot turns `snapshotting` (a group, and the members whose data is taken). */
export function markSourceSnapshotting(store: Store, scope: Scope, snapshot: StoredSnapshot): void {
  const source = snapshot.internal.source;
  if (!source) return;
  if (source.kind === KIND.replicationGroup) {
    updateGroup(store, scope, source.id, ({ state }) => {
      state.Status = 'snapshotting';
    });
  }
  for (const shard of snapshot.internal.shards) {
    updateCluster(store, scope, shard.clusterId, ({ state }) => {
      state.CacheClusterStatus = 'snapshotting';
    });
  }
}
