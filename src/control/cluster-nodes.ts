/**
 * The node-level steps the reconciler and the supervisor share: start / restart / stop a node through the runtime
 * from its spec (node-specs.ts), keep its endpoint listener pointed at it,
 * apply parameter values, and record what happened in the cluster's state and events. Every step re-reads the
 * cluster in its own transaction, so a step that is run again after a crash picks up where the last one stopped.
 */
import { isIP } from 'node:net';
import type { CacheCluster } from '@aws-sdk/client-elasticache';
import type { Logger } from '../common/logger.js';
import type { EndpointManager } from '../dataplane/endpoints.js';
import {
  applyRedisParameters,
  adminCommand,
  grantClientAccess,
  grantUserAccess,
  isAccessRefused,
  NodeUnreachable,
  withAdmin,
  type AdminTarget,
} from '../dataplane/node-admin.js';
import type { ServedCertificate } from './certificates.js';
import type { NodeHandle, NodeRuntime, NodeSpec, Peer } from '../runtime/runtime.js';
import type { EndpointAllocation, Scope, Store } from '../store/store.js';
import {
  MEMBER_NODE,
  findCluster,
  recordClusterEvent,
  updateCluster,
  type ClusterState,
  type RestoreSource,
  type StoredCluster,
} from '../domain/elasticache/records.js';
import { KIND } from '../domain/elasticache/kinds.js';
import type { SeedFile } from './snapshots/snapshot-files.js';
import { loadMemcached } from '../dataplane/memcached-dump.js';
import { nodeUsersOf } from '../domain/elasticache/user-records.js';
import { passwordHash } from '../runtime/node-access.js';
import { NodeSpecs, type EmulatorIdentity } from './node-specs.js';

export const CONFIGURATION_ROLE = 'cfg';
/** The node id of a member's temporary second node (startStandIn). */
const STAND_IN = 'standin';

/** The emulator's way into a node: its newest token first, then any it may still have. */
function adminTarget(spec: NodeSpec, target: { host: string; port: number }): AdminTarget {
  return {
    ...target,
    authToken: spec.authToken,
    fallbackAuthTokens: [spec.previousAuthToken, ...(spec.retiredAuthTokens ?? []), undefined].filter(
      (t, i, all) => t !== spec.authToken && all.indexOf(t) === i,
    ),
    access: spec.access,
    ...(spec.tls ? { tls: { authority: spec.tls.authority } } : {}),
  };
}

/** How the emulator and other nodes reach a running redis / valkey node. */
export interface LiveNode {
  admin: AdminTarget;
  peer: Peer;
  /** The node listens on its endpoint itself (NodeHandle.servesEndpoint), which is open to clients now. */
  servesEndpoint: boolean;
}

/** A running node that serves its endpoint and can let go of it: what moving its endpoint needs. */
export interface ClosableNode {
  spec: NodeSpec;
  admin: AdminTarget;
  endpoint: { address: string; port: number };
}

const clusterKey = (scope: Scope, id: string) => `${scope.account}/${scope.region}/${id}`;

export class ClusterNodes {
  /**
   * Clusters whose security groups refuse the host (control/admission-keeper.ts decides): their nodes keep their
   * endpoints closed and the emulator's listener, which checks every connection, stands there instead.
   */
  private readonly closedEndpoints = new Set<string>();
  /** Nodes being started or replaced now: the supervisor does not take one gone meanwhile for dead. */
  private readonly starting = new Set<string>();
  /** Whether a cluster's security groups refuse the host now: a node starting for it starts with its endpoint closed. */
  refusesHost?: (scope: Scope, cluster: StoredCluster) => boolean;
  /** Warm spares a new serverless cache's nodes are made from (control/serverless/warm-spares.ts). */
  spares?: { take(spec: NodeSpec): Promise<NodeHandle | undefined> };
  private readonly specs: NodeSpecs;

  constructor(
    private readonly store: Store,
    readonly runtime: NodeRuntime,
    private readonly endpoints: EndpointManager,
    private readonly identity: EmulatorIdentity,
    private readonly log: Logger,
    /** Where a snapshot's shard data is on the host (control/snapshots/); undefined when it keeps none. */
    private readonly seedFile: (scope: Scope, from: RestoreSource) => Promise<SeedFile | undefined> = async () =>
      undefined,
  ) {
    this.specs = new NodeSpecs(store, runtime, endpoints, identity, (scope, cluster) =>
      this.endpointsClosed(scope, cluster),
    );
    // A cluster's replicas follow their primary at its announced endpoint: the runtime knows its nodes' addresses.
    if (runtime.isGroupNode) endpoints.isGroupNode = (node, remote) => runtime.isGroupNode!(node, remote);
  }

  load(scope: Scope, id: string): StoredCluster | undefined {
    return findCluster(this.store, scope, id);
  }

  /** Re-reads the cluster, lets `change` edit it, saves it: one transaction, never a stale write. */
  update(scope: Scope, id: string, change: (cluster: StoredCluster) => void): StoredCluster | undefined {
    return updateCluster(this.store, scope, id, change);
  }

  event(scope: Scope, id: string, message: string): void {
    recordClusterEvent(this.store, scope, id, message);
  }

  /** A node's spec: what the runtime starts it from (control/node-specs.ts). */
  spec(scope: Scope, cluster: StoredCluster, nodeId: string): NodeSpec {
    return this.specs.spec(scope, cluster, nodeId);
  }

  /** The template of a new serverless cache's backing node (NodeSpecs.serverlessTemplate): the warm pool at start. */
  serverlessTemplate(engine: 'valkey' | 'redis'): NodeSpec {
    return this.specs.serverlessTemplate(engine);
  }

  /** Whether a node can hold a group endpoint itself (NodeSpecs.canHold). */
  canHold(nodeEndpoint: EndpointAllocation, groupEndpoint: EndpointAllocation): boolean {
    return this.specs.canHold(nodeEndpoint, groupEndpoint);
  }

  /** The certificate a memcached endpoint of an encrypted cluster presents (it answers Auto Discovery itself). */
  private endpointCertificate(state: ClusterState, address: string): ServedCertificate | undefined {
    if (!state.TransitEncryptionEnabled || state.Engine !== 'memcached') return undefined;
    return this.identity.authority?.issue([address]);
  }

  private handleOf(cluster: StoredCluster, nodeId: string): NodeHandle | undefined {
    const runtimeId = cluster.internal.nodes[nodeId]?.runtimeId;
    return runtimeId ? { runtimeId } : undefined;
  }

  /**
   * What starting or restarting a node needs: its cluster (undefined once the cluster is gone), its endpoint
   * (allocated on first use) and its spec; the endpoint is freed first for a node that will listen on it itself.
   */
  private async prepare(
    scope: Scope,
    id: string,
    nodeId: string,
  ): Promise<{ cluster: StoredCluster; endpoint: EndpointAllocation; spec: NodeSpec } | undefined> {
    const cluster = this.load(scope, id);
    if (!cluster) return undefined;
    const endpoint = this.store.transaction(() =>
      this.store.endpoints.allocate(scope, KIND.cacheCluster, id, nodeId, cluster.internal.port),
    );
    if (cluster.internal.clusterMode) this.specs.clusterAnnounceAddress = await this.runtime.clusterAnnounceAddress?.();
    const spec = this.spec(scope, cluster, nodeId);
    await this.freeEndpointFor(endpoint);
    // A serverless backing node listens on its allocated address at its role's port (serverlessHeld).
    if (spec.endpoint && spec.endpoint.port !== endpoint.port) {
      await this.freeEndpointFor(spec.endpoint);
      return { cluster, endpoint: { ...endpoint, port: spec.endpoint.port }, spec };
    }
    return { cluster, endpoint, spec };
  }

  /** Starts (or replaces) one node and records it available behind its endpoint. */
  async startNode(scope: Scope, id: string, nodeId: string): Promise<void> {
    const key = `${clusterKey(scope, id)}/${nodeId}`;
    this.starting.add(key);
    try {
      await this.startNodeNow(scope, id, nodeId);
    } finally {
      this.starting.delete(key);
    }
  }

  /** Whether a node is being started or replaced now (its old process or container may be gone already). */
  isStarting(scope: Scope, id: string, nodeId: string): boolean {
    return this.starting.has(`${clusterKey(scope, id)}/${nodeId}`);
  }

  private async startNodeNow(scope: Scope, id: string, nodeId: string): Promise<void> {
    const prepared = await this.prepare(scope, id, nodeId);
    if (!prepared) return;
    const { cluster, endpoint, spec } = prepared;
    // A cluster restored from a snapshot: its node starts holding the snapshot's data.
    const restoreFrom = cluster.internal.restoreFrom;
    const seed = restoreFrom && (await this.seedFile(scope, restoreFrom));
    // A memcached node reads no file at start: it is given the snapshot's items once it runs.
    const rdb = cluster.state.Engine === 'memcached' ? undefined : seed;
    // The runtime replaces whatever an interrupted earlier attempt left of this node.
    const spare = seed ? undefined : await this.spares?.take(spec);
    const handle =
      spare ??
      (await this.runtime.createNode(rdb ? { ...spec, seedRdb: rdb.path } : spec).finally(() => rdb && rdb.release()));
    await this.attach(scope, spec, handle);
    if (seed && !rdb) await this.loadItems(spec, handle, seed);
    await this.openEndpoint(spec, handle, endpoint);
    this.update(scope, id, ({ state, internal }) => {
      const node = state.CacheNodes.find((n) => n.CacheNodeId === nodeId)!;
      const added = node.CacheNodeStatus === 'creating';
      node.CacheNodeStatus = 'available';
      node.ParameterGroupStatus = 'in-sync';
      node.CacheNodeCreateTime ??= new Date();
      node.Endpoint = { Address: endpoint.address, Port: endpoint.port };
      internal.nodes[nodeId] = { runtimeId: handle.runtimeId };
      delete internal.restoreFrom;
      if (added)
        this.event(scope, id, `Added cache node ${nodeId} in availability zone ${node.CustomerAvailabilityZone}`);
    });
    this.publishDiscovery(scope, id);
  }

  private async loadItems(spec: NodeSpec, handle: NodeHandle, seed: SeedFile): Promise<void> {
    try {
      const live = this.reach(spec, handle);
      if (!live) throw new Error(`the node ${spec.nodeId} cannot be reached to load its snapshot`);
      await loadMemcached(live.admin, seed.path);
    } finally {
      await seed.release();
    }
  }

  /** Restarts a node in place (its data is gone, as on AWS); a node that has disappeared is recreated. */
  async restartNode(scope: Scope, id: string, nodeId: string): Promise<void> {
    const prepared = await this.prepare(scope, id, nodeId);
    if (!prepared) return;
    const { cluster, endpoint, spec } = prepared;
    const handle = this.handleOf(cluster, nodeId);
    const restarted = handle ? await this.runtime.restartNode(spec, handle) : await this.runtime.createNode(spec);
    await this.attach(scope, spec, restarted);
    await this.openEndpoint(spec, restarted, endpoint);
    this.update(scope, id, ({ state, internal }) => {
      internal.nodes[nodeId] = { runtimeId: restarted.runtimeId };
      const node = state.CacheNodes.find((n) => n.CacheNodeId === nodeId);
      if (node?.Endpoint) node.Endpoint = { Address: endpoint.address, Port: endpoint.port };
    });
  }

  /**
   * How to reach a member's node for replication work: asks the runtime where it runs now. Undefined when it does
   * not run (or nothing really runs, with the runtime none).
   */
  async liveNode(scope: Scope, id: string, nodeId = MEMBER_NODE): Promise<LiveNode | undefined> {
    const cluster = this.load(scope, id);
    const recorded = cluster && this.handleOf(cluster, nodeId);
    if (!recorded) return undefined;
    const spec = this.spec(scope, cluster, nodeId);
    const handle = await this.runtime.inspectNode(spec, recorded);
    return handle && this.reach(spec, handle);
  }

  /** How to reach a node already found running (a handle from inspect), without asking the runtime again. */
  reachFound(scope: Scope, cluster: StoredCluster, nodeId: string, handle: NodeHandle): LiveNode | undefined {
    return this.reach(this.spec(scope, cluster, nodeId), handle);
  }

  private reach(spec: NodeSpec, handle: NodeHandle): LiveNode | undefined {
    if (!handle.target || !handle.peer) return undefined;
    return {
      admin: adminTarget(spec, handle.target),
      peer: handle.peer,
      servesEndpoint: handle.servesEndpoint === true && !(spec.endpointClosed && handle.closable),
    };
  }

  /**
   * A node on the member's current spec beside its own, with no endpoint and no alias: the data of a primary without
   * replicas moves through it while the primary's node is replaced (a node type change keeps the data, as on AWS).
   * Removed by the caller; one left by a crash is an orphan the next start removes.
   */
  async startStandIn(scope: Scope, id: string): Promise<{ node: LiveNode; remove: () => Promise<void> }> {
    const cluster = this.load(scope, id);
    if (!cluster) throw new Error(`cache cluster ${id} is gone`);
    const spec: NodeSpec = {
      ...this.spec(scope, cluster, STAND_IN),
      endpoint: undefined,
      heldAddresses: undefined,
      cluster: undefined,
      aliases: [],
    };
    const handle = await this.runtime.createNode(spec);
    const remove = () => this.runtime.removeNode(spec, handle);
    if (!handle.target || !handle.peer) {
      await remove();
      throw new Error(`the stand-in node of ${id} does not answer`);
    }
    await this.applyParameters(spec, handle, spec.parameters);
    return { node: { admin: adminTarget(spec, handle.target), peer: handle.peer, servesEndpoint: false }, remove };
  }

  /**
   * A serverless backing node whose role changed takes its new role's port (serverlessHeld) while it runs: CONFIG SET
   * tls-port, which the runtime records, and the emulator reaches it there from now on (an emulator listener standing
   * on its endpoint, security groups closed, moves along). Its addresses must not include the cache's endpoint then
   * (serverless/held-endpoints.ts lets go of it first). Whether it moved.
   */
  async followRolePort(scope: Scope, id: string, nodeId = MEMBER_NODE): Promise<boolean> {
    const cluster = this.load(scope, id);
    const recorded = cluster && this.handleOf(cluster, nodeId);
    if (!cluster || !recorded || !this.runtime.nodePortChanged) return false;
    const spec = this.spec(scope, cluster, nodeId);
    const port = spec.endpoint?.port;
    const handle = await this.runtime.inspectNode(spec, recorded);
    if (!handle?.target || port === undefined || handle.target.port === port) return false;
    const admin = adminTarget(spec, handle.target);
    await withAdmin(admin, (redis) => redis.call(adminCommand(admin, 'CONFIG'), 'SET', 'tls-port', String(port)));
    const moved = this.runtime.nodePortChanged(spec, port);
    if (!moved) return false;
    this.endpoints.setTarget(spec, moved.target);
    const stored = cluster.state.CacheNodes.find((n) => n.CacheNodeId === nodeId)?.Endpoint;
    if (stored?.Address && this.endpoints.isOpen(stored.Address, stored.Port!)) {
      await this.endpoints.closeEndpoint(stored.Address, stored.Port!);
      await this.endpoints.openNodeEndpoint(spec, stored.Address, port);
    }
    this.update(scope, id, ({ state, internal }) => {
      internal.nodes[nodeId] = { runtimeId: moved.runtimeId };
      const node = state.CacheNodes.find((n) => n.CacheNodeId === nodeId);
      if (node?.Endpoint) node.Endpoint = { ...node.Endpoint, Port: port };
    });
    return true;
  }

  /** Removes a node, closes its endpoint and frees its address. */
  async stopNode(scope: Scope, id: string, nodeId: string): Promise<void> {
    const cluster = this.load(scope, id);
    if (!cluster) return;
    const spec = this.spec(scope, cluster, nodeId);
    await this.runtime.removeNode(spec, this.handleOf(cluster, nodeId));
    await this.endpoints.setAnnouncedEndpoints(spec, []);
    const endpoint = cluster.state.CacheNodes.find((n) => n.CacheNodeId === nodeId)?.Endpoint;
    if (endpoint?.Address) await this.endpoints.closeEndpoint(endpoint.Address, endpoint.Port!);
    this.endpoints.setTarget({ ...scope, clusterId: id, nodeId }, undefined);
    this.store.transaction(() => this.store.endpoints.release(scope, KIND.cacheCluster, id, nodeId));
  }

  /** A node that will listen on its endpoint itself needs it free: an emulator listener there (one of an older build, in front of its node) goes. */
  private async freeEndpointFor(endpoint: { address: string; port: number }): Promise<void> {
    if (this.runtime.servesEndpoints) await this.endpoints.closeEndpoint(endpoint.address, endpoint.port);
  }

  /** Opens the emulator's listener on a node's endpoint, unless the node itself listens there. */
  private async openEndpoint(
    spec: NodeSpec,
    handle: NodeHandle,
    endpoint: { address: string; port: number },
  ): Promise<void> {
    await this.endpoints.setAnnouncedEndpoints(spec, handle.announcedEndpoints ?? []);
    if (handle.servesEndpoint && !(spec.endpointClosed && handle.closable)) return;
    const tls =
      spec.engine === 'memcached' && spec.tls ? this.identity.authority?.issue([endpoint.address]) : undefined;
    await this.endpoints.openNodeEndpoint(spec, endpoint.address, endpoint.port, tls);
  }

  /** Whether the cluster's nodes have their endpoints closed (or a node starting for it starts so). */
  isClosed(scope: Scope, id: string): boolean {
    return this.closedEndpoints.has(clusterKey(scope, id));
  }

  /** A cluster refused now, and not closed yet, is closed from here on: its next node starts so. */
  private endpointsClosed(scope: Scope, cluster: StoredCluster): boolean {
    const key = clusterKey(scope, cluster.state.CacheClusterId);
    if (!this.closedEndpoints.has(key) && this.refusesHost?.(scope, cluster)) this.closedEndpoints.add(key);
    return this.closedEndpoints.has(key) || this.needsEndpointLogin(scope, cluster.state.CacheClusterId);
  }

  /** A cluster whose group has iam users: its endpoints stay the emulator's, which log those users in. */
  needsEndpointLogin(scope: Scope, id: string): boolean {
    return this.identity.iamLogins?.needsEndpointLogin(scope, id) ?? false;
  }

  /**
   * Closes a cluster's node endpoints to clients (its security groups refuse the host) or opens them again, for the
   * nodes starting from now on; control/served-endpoints.ts moves the running ones.
   */
  markEndpointsClosed(scope: Scope, id: string, closed: boolean): void {
    if (closed) this.closedEndpoints.add(clusterKey(scope, id));
    else this.closedEndpoints.delete(clusterKey(scope, id));
  }

  /** A cluster's running redis / valkey nodes that serve their endpoint and can let go of it (NodeHandle.closable). */
  async closableNodes(scope: Scope, id: string): Promise<ClosableNode[]> {
    const cluster = this.load(scope, id);
    if (!cluster || cluster.state.Engine === 'memcached') return [];
    const found: ClosableNode[] = [];
    for (const node of cluster.state.CacheNodes) {
      const endpoint = node.Endpoint;
      const recorded = this.handleOf(cluster, node.CacheNodeId!);
      if (!endpoint?.Address || !recorded) continue;
      const spec = this.spec(scope, cluster, node.CacheNodeId!);
      const handle = await this.runtime.inspectNode(spec, recorded);
      if (!handle?.closable || !handle.target) continue;
      found.push({
        spec,
        admin: adminTarget(spec, handle.target),
        endpoint: { address: endpoint.Address, port: endpoint.Port! },
      });
    }
    return found;
  }

  /**
   * Points the endpoint at the node and opens a redis / valkey node to clients (its AUTH tokens, or its group's RBAC
   * users; never the restricted commands), with its parameter values.
   */
  async attach(scope: Scope, spec: NodeSpec, handle: NodeHandle): Promise<void> {
    this.endpoints.setTarget(spec, handle.target);
    if (spec.engine === 'memcached' || !handle.target) return;
    await this.grantAccess(scope, spec, handle.target);
    await this.applyParameters(spec, handle, spec.parameters);
  }

  /** Who may use the node: its group's RBAC users when the group has a user group, else the default user and AUTH. */
  private async grantAccess(scope: Scope, spec: NodeSpec, target: { host: string; port: number }): Promise<void> {
    const admin = adminTarget(spec, target);
    const users = spec.access.mode === 'acl' ? nodeUsersOf(this.store, scope, spec.clusterId) : undefined;
    if (users) {
      const iam = this.identity.iamLogins;
      const groupId = this.load(scope, spec.clusterId)?.state.ReplicationGroupId;
      const withInternal = users.map((user) =>
        user.iamUserId && iam && groupId
          ? { ...user, passwordHashes: [passwordHash(iam.internalPassword(scope, groupId, user.iamUserId))] }
          : user,
      );
      await grantUserAccess(admin, withInternal);
      return;
    }
    const accepted = [spec.authToken, spec.previousAuthToken].filter((t): t is string => t !== undefined);
    // Without ACL the node started with the newest token only; a ROTATE or a change made while it ran needs more.
    const tokensChanged = spec.previousAuthToken !== undefined || (spec.retiredAuthTokens ?? []).length > 0;
    await grantClientAccess(admin, accepted, tokensChanged);
  }

  /**
   * Gives the running nodes of a cluster the client access the store now says (RBAC users changed, a user group
   * added or removed). A node that is not running, or does not answer, is skipped: it gets the same when it is
   * attached again (started, healed, replaced).
   */
  async refreshClientAccess(scope: Scope, id: string): Promise<void> {
    const cluster = this.load(scope, id);
    if (!cluster || cluster.state.Engine === 'memcached') return;
    for (const node of cluster.state.CacheNodes) {
      const handle = await this.inspect(scope, cluster, node.CacheNodeId);
      if (!handle?.target) continue;
      try {
        await this.grantAccess(scope, this.spec(scope, cluster, node.CacheNodeId), handle.target);
      } catch (error) {
        if (!(error instanceof NodeUnreachable)) throw error;
      }
    }
  }

  async applyParameters(spec: NodeSpec, handle: NodeHandle, values: Record<string, string>): Promise<void> {
    if (!handle.target) return;
    const refused = await applyRedisParameters(adminTarget(spec, handle.target), values);
    if (refused.length > 0) {
      this.log.debug(
        { cluster: spec.clusterId, node: spec.nodeId, refused },
        'parameters this engine does not take at run time',
      );
    }
  }

  /** Opens a memcached cluster's configuration endpoint and returns its address. */
  async openConfiguration(scope: Scope, id: string): Promise<{ address: string; port: number }> {
    const cluster = this.load(scope, id)!;
    const cfg = this.store.transaction(() =>
      this.store.endpoints.allocate(scope, KIND.cacheCluster, id, CONFIGURATION_ROLE, cluster.internal.port),
    );
    const tls = this.endpointCertificate(cluster.state, cfg.address);
    await this.endpoints.openConfigurationEndpoint({ ...scope, clusterId: id }, cfg.address, cfg.port, tls);
    this.publishDiscovery(scope, id);
    return cfg;
  }

  async closeConfiguration(cluster: CacheCluster): Promise<void> {
    const cfg = cluster.ConfigurationEndpoint;
    if (cfg?.Address) await this.endpoints.closeEndpoint(cfg.Address, cfg.Port!);
  }

  /**
   * Tells Auto Discovery the cluster's current node list. An endpoint advertised by name (--advertise-host) leaves
   * the ip field empty, which Auto Discovery clients read as "resolve the host name", rather than a name in it.
   */
  publishDiscovery(scope: Scope, id: string): void {
    const cluster = this.load(scope, id);
    if (!cluster || cluster.state.Engine !== 'memcached') return;
    const nodes = cluster.state.CacheNodes.flatMap(({ Endpoint: endpoint }) =>
      endpoint?.Address
        ? [{ host: endpoint.Address, ip: isIP(endpoint.Address) ? endpoint.Address : '', port: endpoint.Port! }]
        : [],
    );
    this.endpoints.setDiscoveredNodes({ ...scope, clusterId: id }, nodes);
  }

  forget(scope: Scope, id: string): void {
    this.endpoints.forgetCluster({ ...scope, clusterId: id });
    void this.identity.sasl?.release(scope, id);
  }

  /** Where a node runs now, if it still runs. */
  async inspect(scope: Scope, cluster: StoredCluster, nodeId: string): Promise<NodeHandle | undefined> {
    const handle = this.handleOf(cluster, nodeId);
    return handle ? this.runtime.inspectNode(this.spec(scope, cluster, nodeId), handle) : undefined;
  }

  /**
   * Whether the emulator's credentials still open a running redis / valkey node: false for a node started by an
   * older build that administered nodes another way. A node that does not answer counts as administrable (it is
   * the liveness check's business).
   */
  async canAdminister(scope: Scope, cluster: StoredCluster, nodeId: string, handle: NodeHandle): Promise<boolean> {
    if (cluster.state.Engine === 'memcached' || !handle.target) return true;
    const target = adminTarget(this.spec(scope, cluster, nodeId), handle.target);
    return withAdmin(target, async (redis) => {
      await redis.call(adminCommand(target, 'CONFIG'), 'GET', 'maxmemory');
      return true;
    }).catch((error: Error) => !isAccessRefused(error) && !/unknown command/i.test(error.message));
  }

  /** Re-opens the endpoint of a node found running (after an emulator restart). */
  async adopt(scope: Scope, cluster: StoredCluster, nodeId: string, handle: NodeHandle): Promise<void> {
    const spec = this.spec(scope, cluster, nodeId);
    this.endpoints.setTarget(spec, handle.target);
    const endpoint = cluster.state.CacheNodes.find((n) => n.CacheNodeId === nodeId)?.Endpoint;
    if (endpoint?.Address) await this.openEndpoint(spec, handle, { address: endpoint.Address, port: endpoint.Port! });
  }
}
