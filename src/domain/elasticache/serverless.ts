/**
 * Serverless caches: the record the API shows and the rules its handlers and workers share. A valkey / redis
 * serverless cache is served by a hidden backing replication group (one shard, a primary and a replica, cluster mode
 * enabled, TLS required), a memcached one by a hidden memcached cluster with TLS, so the group and cluster machinery
 * creates, supervises, snapshots and deletes its nodes; the cache's status and endpoints are read from that backing
 * resource when the cache is shown.
 */
import type { CacheUsageLimits, Endpoint, ServerlessCache } from '@aws-sdk/client-elasticache';
import type { Engine } from '../../common/engines.js';
import type { EndpointAllocation, Scope, Store } from '../../store/store.js';
import { DEFAULT_PORTS, ENGINE_VERSIONS, nodeType, type EngineVersionInfo } from './catalog.js';
import { fault, invalidCombination, invalidValue } from './faults.js';
import { KIND } from './kinds.js';
import { defaultParameterGroupName } from './parameter-groups.js';
import { findCluster, findGroup, primaryOf, recordAccessors, type StoredGroup } from './records.js';

/** The reader endpoint's port, beside the endpoint's own (6379), as AWS serves a serverless cache. */
export const SERVERLESS_READER_PORT = 6380;

/** What the backing nodes are sized as where no DataStorage maximum is set (their memory is then the limit). */
export const BACKING_NODE_TYPE = 'cache.m7g.large';

export type ServerlessState = ServerlessCache &
  Required<Pick<ServerlessCache, 'ServerlessCacheName' | 'Status' | 'Engine' | 'ARN'>>;

/** What the API does not show of a serverless cache: the hidden resource whose nodes serve it. */
export interface ServerlessInternal {
  /** valkey / redis: a replication group. */
  backingGroupId?: string;
  /** memcached: a cache cluster. */
  backingClusterId?: string;
}

export type StoredServerless = { state: ServerlessState; internal: ServerlessInternal };

export const serverlessNotFound = (name: string) =>
  fault('ServerlessCacheNotFoundFault', `Serverless cache ${name} not found.`);

const caches = recordAccessors<ServerlessState, ServerlessInternal>(
  KIND.serverlessCache,
  'ServerlessCacheName',
  serverlessNotFound,
  (s) => s.ServerlessCacheName,
);
export const findServerless = caches.find;
export const getServerless = caches.get;
export const saveServerless = caches.save;
export const updateServerless = caches.update;
export const listServerless = caches.list;

/**
 * The backing group's (or memcached cluster's) id: two hyphens in a row, which no id a client chooses may have, so
 * it never meets a resource of the user's.
 */
export const backingGroupId = (name: string): string => `serverless--${name}`;

/**
 * Whether an id is one of a serverless cache's hidden resources: its backing group, the group's member clusters
 * (named after it), and the node snapshots behind its serverless snapshots (the automatic ones named after it).
 */
export const isBackingId = (id: string): boolean =>
  id.startsWith('serverless--') || id.startsWith('automatic.serverless--');

/** The serverless caches a user group is attached to. */
export function serverlessCachesUsing(store: Store, scope: Scope, userGroupId: string): string[] {
  return listServerless(store, scope)
    .filter((c) => c.state.UserGroupId === userGroupId && c.state.Status !== 'deleting')
    .map((c) => c.state.ServerlessCacheName);
}

/** The backing group of a valkey / redis cache, while it exists. */
export function backingGroup(store: Store, scope: Scope, cache: StoredServerless): StoredGroup | undefined {
  const id = cache.internal.backingGroupId;
  return id === undefined ? undefined : findGroup(store, scope, id);
}

/**
 * A valkey / redis cache's two endpoints, allocated on first use: its endpoint (the backing group's configuration
 * endpoint) and its reader endpoint, the same address on SERVERLESS_READER_PORT where every endpoint has its own
 * address, as AWS serves it; where endpoints share one address (the ports mode, --advertise-host), a port of the
 * emulator's range.
 */
export function serverlessEndpointsOf(
  store: Store,
  scope: Scope,
  group: StoredGroup,
): { endpoint: EndpointAllocation; reader: EndpointAllocation } {
  const id = group.state.ReplicationGroupId;
  const port = group.internal.port;
  return store.transaction(() => {
    const endpoint = store.endpoints.allocate(scope, KIND.replicationGroup, id, 'cfg', port);
    // The loopback mode honours a requested port: the address is this endpoint's alone, so its reader port is free.
    const reader =
      endpoint.port === port
        ? { ...endpoint, port: SERVERLESS_READER_PORT }
        : store.endpoints.allocate(scope, KIND.replicationGroup, id, 'reader', SERVERLESS_READER_PORT);
    return { endpoint, reader };
  });
}

/**
 * Whether a runtime's backing nodes announce the cache's endpoints (serverless/announce.ts): where nodes really run.
 * Processes announce them as their address too; containers announce them as their hostname, with an address the node
 * network shares, whose role ports the docker runtime routes to each cache's nodes (runtime/role-port-router.ts).
 */
export const announcesServerlessEndpoints = (runtime: { name: string }): boolean =>
  runtime.name === 'process' || runtime.name === 'docker';

/**
 * What a backing node announces to cluster clients (CLUSTER SLOTS, SHARDS, NODES, MOVED) as its address and port:
 * the cache's endpoint for the shard's primary, its reader endpoint for the replica, as AWS shows a serverless cache
 * (one shard over every slot, at the endpoint, its replica at the reader port). Clients never learn a backing node.
 */
export function serverlessAnnounced(
  store: Store,
  scope: Scope,
  group: StoredGroup,
  memberId: string,
): { host: string; port: number } {
  const at = byRole(group, memberId, serverlessEndpointsOf(store, scope, group));
  return { host: at.address, port: at.port };
}

/** The cache endpoint a member's role leads to: the endpoint for the shard's primary, else the reader endpoint. */
function byRole(
  group: StoredGroup,
  memberId: string,
  { endpoint, reader }: { endpoint: EndpointAllocation; reader: EndpointAllocation },
): EndpointAllocation {
  const primary = group.state.NodeGroups[0] && primaryOf(group.state.NodeGroups[0])?.CacheClusterId;
  return primary === memberId ? endpoint : reader;
}

/**
 * Where a backing node listens on its own where nodes hold their endpoints (the process runtime): the cache endpoint
 * its role leads to (serverlessAnnounced), on that endpoint's port, which becomes the node's port (a redis node has
 * one TLS port: the replica's is the reader endpoint's). Undefined where the two endpoints do not share an address of
 * their own (the ports endpoint mode): the emulator's listeners stay in front there.
 */
export function serverlessHeld(
  store: Store,
  scope: Scope,
  group: StoredGroup,
  memberId: string,
): { address: string; port: number } | undefined {
  const endpoints = serverlessEndpointsOf(store, scope, group);
  if (endpoints.endpoint.address !== endpoints.reader.address) return undefined;
  const { address, port } = byRole(group, memberId, endpoints);
  return { address, port };
}

/** What the cache shows of its backing resource: its status and endpoints; undefined once it has gone. */
export interface BackingView {
  status: string;
  endpoint?: Endpoint;
  reader?: Endpoint;
}

export function backingView(store: Store, scope: Scope, cache: StoredServerless): BackingView | undefined {
  const clusterId = cache.internal.backingClusterId;
  if (clusterId !== undefined) {
    const cluster = findCluster(store, scope, clusterId);
    return cluster && { status: cluster.state.CacheClusterStatus, endpoint: cluster.state.ConfigurationEndpoint };
  }
  const group = backingGroup(store, scope, cache);
  return (
    group && {
      status: group.state.Status,
      endpoint: group.state.ConfigurationEndpoint,
      reader: group.state.NodeGroups[0]?.ReaderEndpoint,
    }
  );
}

/** The cache's status as its backing resource's work shows it (a deleted cache keeps `deleting` until it goes). */
export function serverlessStatus(cache: StoredServerless, backing: BackingView | undefined): string {
  if (cache.state.Status === 'deleting' || !backing) return cache.state.Status;
  if (['creating', 'modifying', 'deleting', 'create-failed'].includes(backing.status)) return backing.status;
  return 'available';
}

/**
 * The cache as the API shows it: its record, with the status and endpoints its backing group has now (the group's
 * configuration endpoint is the cache's endpoint; the reader endpoint sits beside it).
 */
export function serverlessAsShown(store: Store, scope: Scope, cache: StoredServerless): ServerlessCache {
  const backing = backingView(store, scope, cache);
  if (!backing) return cache.state;
  const { endpoint, reader } = backing;
  return {
    ...cache.state,
    Status: serverlessStatus(cache, backing),
    Endpoint: endpoint?.Address ? { Address: endpoint.Address, Port: endpoint.Port } : undefined,
    ReaderEndpoint: reader?.Address ? { Address: reader.Address, Port: reader.Port } : undefined,
  };
}

/** Major versions serverless caches offer; the newest of an engine is its default. */
const MAJORS: Record<Engine, string[]> = { valkey: ['7', '8'], redis: ['7'], memcached: ['1.6'] };

/** MajorEngineVersion to the newest catalog version of that major. */
export function serverlessVersion(
  engine: Engine,
  major: string | undefined,
): { major: string; info: EngineVersionInfo } {
  const chosen = major ?? MAJORS[engine].at(-1)!;
  const info = MAJORS[engine].includes(chosen)
    ? ENGINE_VERSIONS.filter((v) => v.engine === engine && v.version.startsWith(`${chosen}.`)).at(-1)
    : undefined;
  if (!info) throw invalidValue(`Invalid major engine version ${chosen} for engine ${engine}.`);
  return { major: chosen, info };
}

/**
 * What a valkey / redis cache's backing group is created with beside the request's own choices: its version (the
 * major's newest), node type, parameter group (the family's default with cluster mode on) and its nodes' maxmemory;
 * its port is the engine's default, which the group takes unless a restored snapshot names another.
 * CreateServerlessCache creates the group from it, and the warm pool at start (NodeSpecs.serverlessTemplate) builds
 * the template its spares are keyed by from it, so the two cannot drift apart.
 */
export function backingGroupBasis(engine: Engine, major: string | undefined, limits: CacheUsageLimits | undefined) {
  const { major: chosen, info } = serverlessVersion(engine, major);
  return {
    major: chosen,
    info,
    cacheNodeType: BACKING_NODE_TYPE,
    port: DEFAULT_PORTS[engine],
    parameterGroup: defaultParameterGroupName(info.family, true),
    maxMemoryBytes: maxMemoryBytesOf(limits),
  };
}

const GIB = 2 ** 30;

/**
 * CacheUsageLimits as AWS checks them: DataStorage in GB (1-5000, its unit required), ECPUPerSecond 1000-15,000,000,
 * each minimum at most its maximum. Returns the limits as given, which Describe echoes.
 */
export function checkUsageLimits(limits: CacheUsageLimits | undefined): CacheUsageLimits | undefined {
  if (!limits) return undefined;
  const storage = limits.DataStorage;
  if (storage) {
    if (storage.Unit !== 'GB') throw invalidValue('DataStorage Unit must be GB.');
    for (const [name, value] of [
      ['Maximum', storage.Maximum],
      ['Minimum', storage.Minimum],
    ] as const) {
      if (value !== undefined && (value < 1 || value > 5000))
        throw invalidValue(`DataStorage ${name} must be between 1 and 5000 GB.`);
    }
    if (storage.Maximum !== undefined && storage.Minimum !== undefined && storage.Minimum > storage.Maximum)
      throw invalidCombination('DataStorage Minimum cannot be greater than Maximum.');
  }
  const ecpu = limits.ECPUPerSecond;
  if (ecpu) {
    for (const [name, value] of [
      ['Maximum', ecpu.Maximum],
      ['Minimum', ecpu.Minimum],
    ] as const) {
      if (value !== undefined && (value < 1000 || value > 15_000_000))
        throw invalidValue(`ECPUPerSecond ${name} must be between 1000 and 15000000.`);
    }
    if (ecpu.Maximum !== undefined && ecpu.Minimum !== undefined && ecpu.Minimum > ecpu.Maximum)
      throw invalidCombination('ECPUPerSecond Minimum cannot be greater than Maximum.');
  }
  return limits;
}

/**
 * The backing nodes' maxmemory: the DataStorage maximum, beyond which writes evict keys with a TTL (the default
 * volatile-lru policy) and then fail with OOM, as AWS answers; without one, the backing node type's memory.
 */
export function maxMemoryBytesOf(limits: CacheUsageLimits | undefined): number {
  const maximum = limits?.DataStorage?.Maximum;
  return maximum !== undefined ? maximum * GIB : nodeType(BACKING_NODE_TYPE)!.memoryBytes;
}

/** `HH:MM` (DailySnapshotTime). */
export function checkDailySnapshotTime(value: string): string {
  const match = /^(\d{2}):(\d{2})$/.exec(value);
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59)
    throw invalidValue(`Invalid DailySnapshotTime ${value}: the format must be HH:MM.`);
  return value;
}

/** The backing group's SnapshotWindow: an hour from the cache's DailySnapshotTime, when its automatic snapshot is taken. */
export function snapshotWindowOf(dailySnapshotTime: string): string {
  const [hours, minutes] = dailySnapshotTime.split(':').map(Number);
  const end = (hours * 60 + minutes + 60) % 1440;
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${dailySnapshotTime}-${hhmm(end)}`;
}
