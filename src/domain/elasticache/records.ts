/**
 * The two records the API handlers and the workers share: a cache cluster and a replication group, each its API
 * shape (what Describe shows) plus the internal facts the API never shows. The stored shapes are the SDK's output
 * types with the members every stored record has made required, so code reads `state.CacheClusterId` instead of
 * asserting it. One set of accessors (find / get / save / update) serves both sides; `update` re-reads inside its
 * own transaction, which is how workers stay safe to run again after a crash.
 */
import type {
  CacheCluster,
  CacheNode,
  NodeGroup,
  NodeGroupMember,
  ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import type { AuthTokenChange } from './auth-tokens.js';
import type { Engine } from '../../common/engines.js';
import { fault, requireValue } from './faults.js';
import { KIND } from './kinds.js';

// ---- one set of accessors for every record -------------------------------------------------------------------------

type Stored<State, Internal> = { state: State; internal: Internal };

/** find / get / save / update / list for one kind of record, ids compared lowercased as AWS does. */
export function recordAccessors<State, Internal extends object>(
  kind: string,
  idParameter: string,
  notFound: (id: string) => Error,
  idOf: (state: State) => string,
) {
  const find = (store: Store, scope: Scope, id: string): Stored<State, Internal> | undefined => {
    const found = store.resources.get<State>(scope, kind, id.toLowerCase());
    return found && { state: found.state, internal: found.internal as Internal };
  };
  const save = (store: Store, scope: Scope, record: Stored<State, Internal>): void => {
    store.resources.update(scope, kind, idOf(record.state), record.state, record.internal);
  };
  return {
    find,
    save,
    get(store: Store, scope: Scope, id: string | undefined): Stored<State, Internal> {
      const name = requireValue(id, idParameter).toLowerCase();
      const found = find(store, scope, name);
      if (!found) throw notFound(name);
      return found;
    },
    update(store: Store, scope: Scope, id: string, change: (record: Stored<State, Internal>) => void) {
      return store.transaction(() => {
        const record = find(store, scope, id);
        if (!record) return undefined;
        change(record);
        save(store, scope, record);
        return record;
      });
    },
    list(store: Store, scope: Scope): Stored<State, Internal>[] {
      return store.resources
        .list<State>(scope, kind)
        .map((r) => ({ state: r.state, internal: r.internal as Internal }));
    },
  };
}

// ---- cache clusters ------------------------------------------------------------------------------------------------

export type StoredCacheNode = CacheNode & Required<Pick<CacheNode, 'CacheNodeId' | 'CacheNodeStatus'>>;

/** A cache cluster as stored: every member below is set from the moment it is created. */
export type ClusterState = Omit<CacheCluster, 'CacheNodes' | 'CacheParameterGroup'> &
  Required<
    Pick<
      CacheCluster,
      | 'CacheClusterId'
      | 'CacheClusterStatus'
      | 'CacheNodeType'
      | 'Engine'
      | 'EngineVersion'
      | 'NumCacheNodes'
      | 'PreferredMaintenanceWindow'
      | 'PendingModifiedValues'
      | 'CacheSubnetGroupName'
      | 'ARN'
    >
  > & {
    CacheNodes: StoredCacheNode[];
    CacheParameterGroup: NonNullable<CacheCluster['CacheParameterGroup']> & { CacheParameterGroupName: string };
  };

/** What the API does not show of a cluster: secrets and runtime facts. Never rendered. */
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
  pendingEngine?: Engine;
  finalSnapshotIdentifier?: string;
  /** Restored from a snapshot: its node starts from that shard's RDB (cleared once the node runs). */
  restoreFrom?: RestoreSource;
  /** A member of a replication group with cluster mode enabled: its node runs as a Redis Cluster node. */
  clusterMode?: boolean;
  /** A member of a serverless cache's backing group: its nodes' maxmemory (the cache's DataStorage maximum). */
  maxMemoryBytes?: number;
  /** A member of a serverless cache's backing group, which no cache cluster API shows. */
  serverlessCache?: string;
  nodes: Record<string, { runtimeId?: string }>;
}

/** A snapshot's shard a new node starts from. */
export interface RestoreSource {
  snapshot: string;
  nodeGroupId: string;
}

export type StoredCluster = { state: ClusterState; internal: CacheClusterInternal };

export const clusterNotFound = (id: string) => fault('CacheClusterNotFoundFault', `CacheCluster not found: ${id}`);

const clusters = recordAccessors<ClusterState, CacheClusterInternal>(
  KIND.cacheCluster,
  'CacheClusterId',
  clusterNotFound,
  (s) => s.CacheClusterId,
);

export const findCluster = clusters.find;
/** The cluster a request names (CacheClusterId), or CacheClusterNotFound. */
export const getCluster = clusters.get;
export const saveCluster = clusters.save;
/** Re-reads the cluster, lets `change` edit it, saves it: one transaction, never a stale write. */
export const updateCluster = clusters.update;
export const listClusters = clusters.list;

export function recordClusterEvent(store: Store, scope: Scope, id: string, message: string): void {
  store.events.record(scope, 'cache-cluster', id, message);
}

/** Node ids as AWS numbers them: 0001, 0002, ... */
export function nodeIdOf(n: number): string {
  return String(n).padStart(4, '0');
}

/** The node of a replication group's member cluster: a member has exactly one. */
export const MEMBER_NODE = '0001';

// ---- replication groups --------------------------------------------------------------------------------------------

export type StoredMember = NodeGroupMember & Required<Pick<NodeGroupMember, 'CacheClusterId' | 'CacheNodeId'>>;
export type StoredNodeGroup = Omit<NodeGroup, 'NodeGroupMembers'> &
  Required<Pick<NodeGroup, 'NodeGroupId' | 'Status'>> & { NodeGroupMembers: StoredMember[] };

/** A replication group as stored: every member below is set from the moment it is created. */
export type GroupState = Omit<ReplicationGroup, 'MemberClusters' | 'NodeGroups'> &
  Required<Pick<ReplicationGroup, 'ReplicationGroupId' | 'Status' | 'PendingModifiedValues' | 'ARN'>> & {
    MemberClusters: string[];
    NodeGroups: StoredNodeGroup[];
  };

/** What the API does not show of a group. Never rendered. */
export interface ReplicationGroupInternal {
  port: number;
  authToken?: string;
  previousAuthToken?: string;
  retiredAuthTokens?: string[];
  pendingAuthToken?: AuthTokenChange;
  pendingNodeType?: string;
  pendingEngineVersion?: string;
  pendingEngine?: Engine;
  pendingParameterGroup?: string;
  /** A move to or from in-transit encryption (or between its modes) the worker rolls through the members. */
  pendingTransitEncryption?: { enabled: boolean; mode?: 'preferred' | 'required' };
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
  /** The serverless cache this group backs (domain/elasticache/serverless.ts): no group API shows it. */
  serverlessCache?: string;
  /** Its members' maxmemory: the serverless cache's DataStorage maximum. */
  maxMemoryBytes?: number;
  /** The group's primary follows a node outside the group (control/replication-groups/upstream.ts). */
  upstream?: GroupUpstream;
  /** CompleteMigration: the worker stops following the customer's node, once in sync unless forced. */
  endingMigration?: { force: boolean };
}

/**
 * Where a group's primary replicates from, outside the group: a customer's redis during an online migration, or
 * (a global datastore's secondary) the primary of the datastore's primary group, wherever that primary is now.
 */
export type GroupUpstream =
  | { kind: 'customer'; address: string; port: number }
  | { kind: 'global'; globalReplicationGroupId: string; region: string; replicationGroupId: string };

export type StoredGroup = { state: GroupState; internal: ReplicationGroupInternal };

export const groupNotFound = (id: string) =>
  fault('ReplicationGroupNotFoundFault', `ReplicationGroup not found: ${id}`);

const groups = recordAccessors<GroupState, ReplicationGroupInternal>(
  KIND.replicationGroup,
  'ReplicationGroupId',
  groupNotFound,
  (s) => s.ReplicationGroupId,
);

export const findGroup = groups.find;
/** The group a request names (ReplicationGroupId), or ReplicationGroupNotFoundFault. */
export const getGroup = groups.get;
export const saveGroup = groups.save;
/** Re-reads the group, lets `change` edit it, saves it: one transaction, never a stale write. */
export const updateGroup = groups.update;

export function recordGroupEvent(store: Store, scope: Scope, id: string, message: string): void {
  store.events.record(scope, 'replication-group', id, message);
}

export const isClusterMode = (state: ReplicationGroup): boolean => state.ClusterEnabled === true;

export const membersOf = (nodeGroup: StoredNodeGroup): StoredMember[] => nodeGroup.NodeGroupMembers;

export function primaryOf(nodeGroup: StoredNodeGroup): StoredMember | undefined {
  return nodeGroup.NodeGroupMembers.find((m) => m.CurrentRole === 'primary');
}

export function replicasOf(nodeGroup: StoredNodeGroup): StoredMember[] {
  return nodeGroup.NodeGroupMembers.filter((m) => m.CurrentRole !== 'primary');
}

/** The shard a member cluster belongs to. */
export function nodeGroupOf(state: GroupState, clusterId: string): StoredNodeGroup | undefined {
  return state.NodeGroups.find((g) => g.NodeGroupMembers.some((m) => m.CacheClusterId === clusterId));
}

export const failoverEnabledOrPending = (state: ReplicationGroup): boolean =>
  state.AutomaticFailover === 'enabled' || state.AutomaticFailover === 'enabling';

/** Member cluster names: `<rg>-001` (cluster mode disabled), `<rg>-0001-001` (enabled). */
export function memberName(groupId: string, nodeGroupId: string | undefined, n: number): string {
  const member = String(n).padStart(3, '0');
  return nodeGroupId === undefined ? `${groupId}-${member}` : `${groupId}-${nodeGroupId}-${member}`;
}

/** Shard ids as AWS numbers them: 0001, 0002, ... */
export const nodeGroupIdOf = nodeIdOf;

/** The first member, whose settings (engine, node type, subnet group, windows, ...) new members copy. */
export function templateMember(store: Store, scope: Scope, group: StoredGroup): StoredCluster {
  return getCluster(store, scope, group.state.MemberClusters[0]);
}

export function requireGroupAvailable(group: StoredGroup): void {
  if (group.state.Status !== 'available') {
    throw fault(
      'InvalidReplicationGroupStateFault',
      `Replication group ${group.state.ReplicationGroupId} is not in available state (it is ${group.state.Status}).`,
    );
  }
}

export function requireClusterAvailable(cluster: StoredCluster): void {
  if (cluster.state.CacheClusterStatus !== 'available') {
    throw fault(
      'InvalidCacheClusterStateFault',
      `Cache cluster ${cluster.state.CacheClusterId} is not in available state.`,
    );
  }
}

/** Stores a new cluster, or refuses an id that is taken. */
export function insertCluster(store: Store, scope: Scope, state: ClusterState, internal: CacheClusterInternal): void {
  if (!store.resources.insert(scope, KIND.cacheCluster, state.CacheClusterId, state, internal)) {
    throw fault('CacheClusterAlreadyExistsFault', `Cache cluster ${state.CacheClusterId} already exists.`);
  }
}
