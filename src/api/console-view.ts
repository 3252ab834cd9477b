/**
 * The console's read-only view of the emulator (src/http/console.ts serves it): every cache cluster, replication
 * group, serverless cache and snapshot of every account and region, with the recent events, as plain JSON for the
 * page. Every field is picked by name from the records' API shapes: the records' internal parts (AUTH tokens, the
 * node credentials' material, pending secrets) are never copied, only the runtime id of each node, and that only
 * through the describer the composition root hands in, which turns it into a container name or a pid.
 */
import type { Endpoint, ServerlessCache, Snapshot } from '@aws-sdk/client-elasticache';
import {
  MEMBER_NODE,
  type CacheClusterInternal,
  type ClusterState,
  type GroupState,
  type StoredCluster,
} from '../domain/elasticache/records.js';
import { KIND } from '../domain/elasticache/kinds.js';
import {
  isBackingId,
  serverlessAsShown,
  type ServerlessInternal,
  type ServerlessState,
} from '../domain/elasticache/serverless.js';
import type { Scope, Store } from '../store/store.js';

/** What runs a node, as the console shows it. */
export type ConsoleRunner =
  { kind: 'container'; name: string; id: string } | { kind: 'process'; pid: number; port: number } | { kind: 'none' };

/** Which node a runtime id belongs to: enough for a runtime to name its container. */
export interface ConsoleNodeAddress extends Scope {
  clusterId: string;
  nodeId: string;
}

/** Turns a node's runtime id into what the console shows; given by the composition root, which knows the runtime. */
export type RunnerDescriber = (node: ConsoleNodeAddress, runtimeId: string) => ConsoleRunner | undefined;

export interface ConsoleEndpoint {
  address: string;
  port: number;
  /** A command that connects to it: `redis-cli -h H -p P` or `nc H P`. */
  command: string;
}

export interface ConsoleNode {
  clusterId: string;
  nodeId: string;
  status: string;
  availabilityZone?: string;
  endpoint?: ConsoleEndpoint;
  runner?: ConsoleRunner;
}

export interface ConsoleSettings {
  engine: string;
  engineVersion: string;
  nodeType: string;
  parameterGroup?: { name: string; status?: string };
  securityGroups: { id: string; status?: string }[];
  subnetGroup?: string;
  authTokenEnabled: boolean;
  transitEncryption: boolean;
}

export interface ConsoleCluster extends ConsoleSettings {
  id: string;
  status: string;
  numNodes: number;
  configurationEndpoint?: ConsoleEndpoint;
  nodes: ConsoleNode[];
}

export interface ConsoleShardMember extends ConsoleNode {
  role: string;
}

export interface ConsoleShard {
  id: string;
  status: string;
  slots?: string;
  /** The member cluster whose node is primary, if any is. */
  primary?: string;
  primaryEndpoint?: ConsoleEndpoint;
  readerEndpoint?: ConsoleEndpoint;
  members: ConsoleShardMember[];
}

export interface ConsoleGroup extends Partial<ConsoleSettings> {
  id: string;
  description?: string;
  status: string;
  clusterMode: boolean;
  automaticFailover?: string;
  multiAZ?: string;
  configurationEndpoint?: ConsoleEndpoint;
  shards: ConsoleShard[];
}

export interface ConsoleServerlessCache {
  name: string;
  status?: string;
  engine?: string;
  engineVersion?: string;
  endpoint?: ConsoleEndpoint;
  readerEndpoint?: ConsoleEndpoint;
  securityGroups: { id: string }[];
}

export interface ConsoleSnapshot {
  name: string;
  status?: string;
  source?: string;
  cacheClusterId?: string;
  replicationGroupId?: string;
  engine?: string;
  engineVersion?: string;
  nodeType?: string;
  createdAt?: string;
}

export interface ConsoleEvent {
  date: string;
  sourceType: string;
  sourceId: string;
  message: string;
}

export interface ConsoleScope extends Scope {
  cacheClusters: ConsoleCluster[];
  replicationGroups: ConsoleGroup[];
  serverlessCaches: ConsoleServerlessCache[];
  snapshots: ConsoleSnapshot[];
  events: ConsoleEvent[];
}

export interface ConsoleView {
  /** The runtime nodes run in: docker, process, none (or starting). */
  runtime: string;
  scopes: ConsoleScope[];
}

/** The resource kind serverless caches are stored under. */
const SERVERLESS_CACHE_KIND = KIND.serverlessCache;
/** How many of the newest events (of every scope together) the console shows. */
export const CONSOLE_EVENT_LIMIT = 100;

const scopeKey = (scope: Scope) => `${scope.account}\u0000${scope.region}`;

/**
 * The console's view, read from the store now. The page shows it as it is; `describeRunner` says what runs a
 * node from its runtime id.
 */
export function consoleView(store: Store, runtime: string, describeRunner: RunnerDescriber): ConsoleView {
  const scopes = new Map<string, ConsoleScope>();
  const scopeOf = (scope: Scope): ConsoleScope => {
    const key = scopeKey(scope);
    let found = scopes.get(key);
    if (!found) {
      found = {
        account: scope.account,
        region: scope.region,
        cacheClusters: [],
        replicationGroups: [],
        serverlessCaches: [],
        snapshots: [],
        events: [],
      };
      scopes.set(key, found);
    }
    return found;
  };

  const clusters = new Map<string, StoredCluster>();
  const clusterRows = store.resources.listEverywhere<ClusterState>(KIND.cacheCluster);
  for (const row of clusterRows) {
    const cluster = { state: row.state, internal: row.internal as CacheClusterInternal };
    clusters.set(`${scopeKey(row.scope)}\u0000${row.id.toLowerCase()}`, cluster);
  }
  const memberOf = (scope: Scope, id: string) => clusters.get(`${scopeKey(scope)}\u0000${id.toLowerCase()}`);

  for (const row of store.resources.listEverywhere<GroupState>(KIND.replicationGroup)) {
    // A serverless cache's backing group is shown as the serverless cache.
    if (row.internal.serverlessCache !== undefined) continue;
    scopeOf(row.scope).replicationGroups.push(groupView(row.scope, row.state, memberOf, describeRunner));
  }
  for (const row of clusterRows) {
    // Members are shown in their group, as the replication group's nodes.
    if (row.state.ReplicationGroupId) continue;
    // A memcached serverless cache's backing cluster is shown as the serverless cache.
    if ((row.internal as CacheClusterInternal).serverlessCache !== undefined) continue;
    const cluster = { state: row.state, internal: row.internal as CacheClusterInternal };
    scopeOf(row.scope).cacheClusters.push(clusterView(row.scope, cluster, describeRunner));
  }
  for (const row of store.resources.listEverywhere<ServerlessState>(SERVERLESS_CACHE_KIND)) {
    const cache = { state: row.state, internal: row.internal as ServerlessInternal };
    scopeOf(row.scope).serverlessCaches.push(serverlessView(serverlessAsShown(store, row.scope, cache)));
  }
  for (const row of store.resources.listEverywhere<Snapshot>(KIND.snapshot)) {
    if (isBackingId(row.id)) continue;
    scopeOf(row.scope).snapshots.push(snapshotView(row.state));
  }
  for (const event of store.events.recentEverywhere(CONSOLE_EVENT_LIMIT)) {
    if (isBackingId(event.SourceIdentifier)) continue;
    scopeOf(event.scope).events.push({
      date: event.Date.toISOString(),
      sourceType: event.SourceType,
      sourceId: event.SourceIdentifier,
      message: event.Message,
    });
  }
  const ordered = [...scopes.values()].sort(
    (a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region),
  );
  return { runtime, scopes: ordered };
}

/** `redis-cli` for Redis and Valkey (with `-c` where the endpoint is a cluster's), `nc` for Memcached. */
function endpointView(
  endpoint: Endpoint | undefined,
  engine: string | undefined,
  options: { cluster?: boolean; auth?: boolean } = {},
): ConsoleEndpoint | undefined {
  if (!endpoint?.Address || endpoint.Port === undefined) return undefined;
  const { Address: address, Port: port } = endpoint;
  let command = `redis-cli -h ${address} -p ${port}`;
  if (engine === 'memcached') command = `nc ${address} ${port}`;
  else {
    if (options.cluster) command += ' -c';
    // The token is the user's to type: the console never has it to show.
    if (options.auth) command += ' --askpass';
  }
  return { address, port, command };
}

function settingsView(state: ClusterState): ConsoleSettings {
  return {
    engine: state.Engine,
    engineVersion: state.EngineVersion,
    nodeType: state.CacheNodeType,
    parameterGroup: {
      name: state.CacheParameterGroup.CacheParameterGroupName,
      status: state.CacheParameterGroup.ParameterApplyStatus,
    },
    securityGroups: [
      ...(state.SecurityGroups ?? []).map((g) => ({ id: g.SecurityGroupId ?? '', status: g.Status })),
      ...(state.CacheSecurityGroups ?? []).map((g) => ({ id: g.CacheSecurityGroupName ?? '', status: g.Status })),
    ],
    subnetGroup: state.CacheSubnetGroupName,
    authTokenEnabled: state.AuthTokenEnabled === true,
    transitEncryption: state.TransitEncryptionEnabled === true,
  };
}

function runnerOf(
  scope: Scope,
  cluster: StoredCluster,
  nodeId: string,
  describeRunner: RunnerDescriber,
): ConsoleRunner | undefined {
  const runtimeId = cluster.internal.nodes?.[nodeId]?.runtimeId;
  if (!runtimeId) return undefined;
  return describeRunner({ ...scope, clusterId: cluster.state.CacheClusterId, nodeId }, runtimeId);
}

function clusterView(scope: Scope, cluster: StoredCluster, describeRunner: RunnerDescriber): ConsoleCluster {
  const { state } = cluster;
  const auth = state.AuthTokenEnabled === true;
  return {
    id: state.CacheClusterId,
    status: state.CacheClusterStatus,
    ...settingsView(state),
    numNodes: state.NumCacheNodes,
    configurationEndpoint: endpointView(state.ConfigurationEndpoint, state.Engine, { auth }),
    nodes: state.CacheNodes.map((node) => ({
      clusterId: state.CacheClusterId,
      nodeId: node.CacheNodeId,
      status: node.CacheNodeStatus,
      availabilityZone: node.CustomerAvailabilityZone,
      endpoint: endpointView(node.Endpoint, state.Engine, { auth }),
      runner: runnerOf(scope, cluster, node.CacheNodeId, describeRunner),
    })),
  };
}

function groupView(
  scope: Scope,
  state: GroupState,
  memberOf: (scope: Scope, id: string) => StoredCluster | undefined,
  describeRunner: RunnerDescriber,
): ConsoleGroup {
  const clusterMode = state.ClusterEnabled === true;
  const template = state.MemberClusters.map((id) => memberOf(scope, id)).find((m) => m !== undefined);
  const engine = state.Engine ?? template?.state.Engine;
  const auth = state.AuthTokenEnabled === true;
  return {
    id: state.ReplicationGroupId,
    description: state.Description,
    status: state.Status,
    ...(template ? settingsView(template.state) : {}),
    engine,
    nodeType: state.CacheNodeType ?? template?.state.CacheNodeType,
    authTokenEnabled: auth,
    transitEncryption: state.TransitEncryptionEnabled === true,
    clusterMode,
    automaticFailover: state.AutomaticFailover,
    multiAZ: state.MultiAZ,
    configurationEndpoint: endpointView(state.ConfigurationEndpoint, engine, { cluster: true, auth }),
    shards: state.NodeGroups.map((shard) => {
      const primary = shard.NodeGroupMembers.find((m) => m.CurrentRole === 'primary');
      return {
        id: shard.NodeGroupId,
        status: shard.Status,
        slots: shard.Slots,
        primary: primary?.CacheClusterId,
        primaryEndpoint: endpointView(shard.PrimaryEndpoint, engine, { auth }),
        readerEndpoint: endpointView(shard.ReaderEndpoint, engine, { auth }),
        members: shard.NodeGroupMembers.map((member) => {
          const cluster = memberOf(scope, member.CacheClusterId);
          const node = cluster?.state.CacheNodes.find((n) => n.CacheNodeId === member.CacheNodeId);
          return {
            clusterId: member.CacheClusterId,
            nodeId: member.CacheNodeId ?? MEMBER_NODE,
            role: member.CurrentRole ?? (clusterMode ? 'shard member' : 'replica'),
            status: node?.CacheNodeStatus ?? cluster?.state.CacheClusterStatus ?? 'unknown',
            availabilityZone: member.PreferredAvailabilityZone,
            endpoint: endpointView(member.ReadEndpoint ?? node?.Endpoint, engine, { cluster: clusterMode, auth }),
            runner: cluster && runnerOf(scope, cluster, member.CacheNodeId, describeRunner),
          };
        }),
      };
    }),
  };
}

function serverlessView(state: ServerlessCache): ConsoleServerlessCache {
  return {
    name: state.ServerlessCacheName ?? '',
    status: state.Status,
    engine: state.Engine,
    engineVersion: state.FullEngineVersion ?? state.MajorEngineVersion,
    endpoint: endpointView(state.Endpoint, state.Engine),
    readerEndpoint: endpointView(state.ReaderEndpoint, state.Engine),
    securityGroups: (state.SecurityGroupIds ?? []).map((id) => ({ id })),
  };
}

function snapshotView(state: Snapshot): ConsoleSnapshot {
  const created = state.NodeSnapshots?.[0]?.SnapshotCreateTime;
  return {
    name: state.SnapshotName ?? '',
    status: state.SnapshotStatus,
    source: state.SnapshotSource,
    cacheClusterId: state.CacheClusterId,
    replicationGroupId: state.ReplicationGroupId,
    engine: state.Engine,
    engineVersion: state.EngineVersion,
    nodeType: state.CacheNodeType,
    createdAt: isoDate(created),
  };
}

/** A stored date (a Date's JSON string, or epoch ms) as ISO 8601; undefined when there is none or it is unreadable. */
function isoDate(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number' && !(value instanceof Date)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
