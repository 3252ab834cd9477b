/**
 * A node's spec, built from its cluster, its group and its parameter group: what the runtime starts (or finds) a node
 * from. Which addresses it listens on (its endpoint, the group endpoints it holds alone, a serverless cache's
 * endpoint by its role), what it announces in cluster mode, its certificate, credentials and names. Split from
 * cluster-nodes.ts, which runs the steps; this only reads the store (and allocates endpoints on first use).
 */
import type { EndpointManager } from '../dataplane/endpoints.js';
import { nodeAccess } from './node-credentials.js';
import type { NodeRuntime, NodeSpec, NodeTls } from '../runtime/runtime.js';
import type { EndpointAllocation, Scope, Store } from '../store/store.js';
import {
  findCluster,
  findGroup,
  isClusterMode,
  type ClusterState,
  type StoredCluster,
} from '../domain/elasticache/records.js';
import type { Engine } from '../common/engines.js';
import { nodeType } from '../domain/elasticache/catalog.js';
import { regionCode } from '../domain/regions.js';
import { KIND } from '../domain/elasticache/kinds.js';
import { rolesLeadingTo } from './replication-groups/endpoint-holders.js';
import {
  announcesServerlessEndpoints,
  backingGroupBasis,
  backingGroupId,
  serverlessAnnounced,
  serverlessHeld,
} from '../domain/elasticache/serverless.js';
import { effectiveParameters } from '../domain/elasticache/parameter-groups.js';
import { MEMBER_NODE } from '../domain/elasticache/records.js';
import type { CertificateAuthority } from './certificates.js';
import type { MemcachedSaslService } from './memcached-sasl.js';
import type { IamLogins } from './iam-logins.js';

/** This emulator instance: the id its node names carry, and the key its node credentials derive from. */
export interface EmulatorIdentity {
  instanceId: string;
  credentialKey: string;
  /** Issues the certificates of nodes with in-transit encryption (none: such nodes cannot start). */
  authority?: CertificateAuthority;
  /** Serves memcached SASL's password checks (none: no node starts with SASL). */
  sasl?: MemcachedSaslService;
  /** IAM users' logins at the endpoints; without it an iam user cannot log in. */
  iamLogins?: IamLogins;
}

export class NodeSpecs {
  /** The address cluster nodes announce beside their endpoints, as the runtime last said (NodeRuntime). */
  clusterAnnounceAddress: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly runtime: NodeRuntime,
    private readonly endpoints: EndpointManager,
    private readonly identity: EmulatorIdentity,
    /** Whether the cluster's nodes start with their endpoints closed (ClusterNodes: security groups refuse the host). */
    private readonly endpointsClosed: (scope: Scope, cluster: StoredCluster) => boolean,
  ) {}

  spec(scope: Scope, cluster: StoredCluster, nodeId: string): NodeSpec {
    const { state, internal } = cluster;
    const parameters = effectiveParameters(this.store, scope, state.CacheParameterGroup.CacheParameterGroupName).values;
    const id = state.CacheClusterId;
    // A Redis Cluster node listens on its endpoint's port (in a container) and announces its endpoint.
    const allocated = internal.clusterMode
      ? this.store.transaction(() => this.store.endpoints.allocate(scope, KIND.cacheCluster, id, nodeId, internal.port))
      : this.store.endpoints.find(scope, KIND.cacheCluster, id, nodeId);
    // A serverless cache's backing node listens on its role's endpoint, on that endpoint's port.
    const held = allocated && this.serverlessHeld(scope, cluster);
    const endpoint = held && allocated ? { ...allocated, port: held.port } : allocated;
    return {
      heldAddresses: held
        ? this.endpoints.isOpen(held.address, held.port)
          ? undefined
          : [held.address]
        : endpoint && this.heldAddresses(scope, state, endpoint),
      endpointClosed: this.endpointsClosed(scope, cluster) || undefined,
      account: scope.account,
      region: scope.region,
      clusterId: id,
      nodeId,
      engine: state.Engine as Engine,
      engineVersion: state.EngineVersion,
      cacheNodeType: state.CacheNodeType,
      maxMemoryBytes: internal.maxMemoryBytes ?? nodeType(state.CacheNodeType)?.memoryBytes ?? 0,
      port: (internal.clusterMode && endpoint?.port) || internal.port,
      endpoint: endpoint && { address: endpoint.address, port: endpoint.port },
      cluster:
        internal.clusterMode && endpoint
          ? {
              ...this.announced(scope, cluster, endpoint),
              groupId: state.ReplicationGroupId,
              spareRole: this.spareRole(scope, cluster),
            }
          : undefined,
      parameters,
      authToken: internal.authToken,
      previousAuthToken: internal.previousAuthToken,
      retiredAuthTokens: internal.retiredAuthTokens,
      access: nodeAccess(
        this.identity.credentialKey,
        scope,
        {
          engine: state.Engine as Engine,
          engineVersion: state.EngineVersion,
          clusterId: id,
          groupId: state.ReplicationGroupId,
        },
        nodeId,
      ),
      // As AWS names nodes: <cluster>.<hash>.<node>.<region code>.cache.amazonaws.com, plus the short forms.
      aliases: [
        `${id}.${this.identity.instanceId.slice(0, 6)}.${nodeId}.${regionCode(scope.region)}.cache.amazonaws.com`,
        `${id}-${nodeId}`,
      ],
      tls: state.TransitEncryptionEnabled
        ? this.nodeTls(scope, state, endpoint, internal.clusterMode ? this.clusterAnnounceAddress : undefined)
        : undefined,
      sasl: this.identity.sasl?.nodeSasl(scope, id, state.Engine),
    };
  }

  /**
   * What the warm-spare pool (serverless/warm-spares.ts) keys and forms a serverless cache's spares from, for a cache
   * created with neither MajorEngineVersion nor CacheUsageLimits, before any exists: its first backing node's spec as
   * spec() would build it, in the parts a spare takes (engine, version, node type, maxmemory, the default cluster-mode
   * parameter group's values, access mode, TLS authority, and the port, which keys a pool where containers keep theirs).
   * The pieces are those CreateServerlessCache gives its backing group (backingGroupBasis), so a real create's spec
   * lands in the pool this one fills.
   */
  serverlessTemplate(engine: 'valkey' | 'redis'): NodeSpec {
    const scope: Scope = { account: '000000000000', region: 'us-east-1' };
    const basis = backingGroupBasis(engine, undefined, undefined);
    // A member's EngineVersion is the full one (newClusterState), which a spec carries and a pool is keyed by.
    const engineVersion = basis.info.fullVersion;
    const groupId = backingGroupId('warm-pool');
    const clusterId = `${groupId}-0001-001`;
    const authority = this.identity.authority;
    if (!authority) throw new Error('in-transit encryption needs the certificate authority of the data dir');
    return {
      account: scope.account,
      region: scope.region,
      clusterId,
      nodeId: MEMBER_NODE,
      engine,
      engineVersion,
      cacheNodeType: basis.cacheNodeType,
      maxMemoryBytes: basis.maxMemoryBytes,
      port: basis.port,
      parameters: effectiveParameters(this.store, scope, basis.parameterGroup).values,
      access: nodeAccess(
        this.identity.credentialKey,
        scope,
        { engine, engineVersion, clusterId, groupId },
        MEMBER_NODE,
      ),
      aliases: [],
      // A spare is reached on its own address; a claim gives it its member's certificate.
      tls: { mode: 'required', ...authority.issue(['127.0.0.1']) },
    };
  }

  /**
   * A TLS node's certificate: valid for its own endpoint and, since group endpoints pass its TLS through, for its
   * group's endpoints (allocated here when the group has none yet, as the group worker would a moment later).
   */
  private nodeTls(
    scope: Scope,
    state: ClusterState,
    endpoint: EndpointAllocation | undefined,
    announced: string | undefined,
  ): NodeTls {
    const authority = this.identity.authority;
    if (!authority) throw new Error('in-transit encryption needs the certificate authority of the data dir');
    // A cluster node's clients also reach it on the address it announces (CLUSTER NODES).
    const names = [...(endpoint ? [endpoint.address] : []), ...(announced ? [announced] : [])];
    const group = state.ReplicationGroupId ? findGroup(this.store, scope, state.ReplicationGroupId) : undefined;
    if (group) {
      const roles = isClusterMode(group.state) ? ['cfg'] : ['primary', 'reader'];
      const id = group.state.ReplicationGroupId;
      for (const role of roles) {
        const allocated = this.store.transaction(() =>
          this.store.endpoints.allocate(scope, KIND.replicationGroup, id, role, group.internal.port),
        );
        names.push(allocated.address);
      }
    }
    const mode = state.TransitEncryptionMode === 'preferred' ? 'preferred' : 'required';
    return { mode, ...authority.issue(names) };
  }

  /**
   * Whether a node can hold a group endpoint itself: its runtime lets nodes listen on their endpoints, and the group
   * endpoint has the node endpoint's port on an address of its own (every endpoint gets its own loopback address;
   * in the ports endpoint mode it cannot, and the emulator's listener stays in front).
   */
  canHold(nodeEndpoint: EndpointAllocation, groupEndpoint: EndpointAllocation): boolean {
    return (
      Boolean(this.runtime.servesEndpoints) &&
      groupEndpoint.port === nodeEndpoint.port &&
      groupEndpoint.address !== nodeEndpoint.address
    );
  }

  /**
   * The group endpoints a member's node listens on (cluster mode disabled): those that lead to it alone
   * (replication-groups/endpoint-holders.ts) on its own port. One the emulator's listener stands on now (the node
   * restarts out of TLS preferred mode, say) and, for a node being added, the reader endpoint, which the primary may
   * hold until then, are taken later, from serveGroupEndpoints, once their holder let go: two listeners never want one
   * address.
   */
  private heldAddresses(scope: Scope, state: ClusterState, endpoint: EndpointAllocation): string[] | undefined {
    if (!state.ReplicationGroupId || !this.runtime.servesEndpoints) return undefined;
    const group = findGroup(this.store, scope, state.ReplicationGroupId)?.state;
    if (!group) return undefined;
    const adding = state.CacheNodes[0]?.CacheNodeStatus === 'creating';
    const held = rolesLeadingTo(group, state.CacheClusterId)
      .filter((role) => !(adding && role === 'reader'))
      .map((role) => this.store.endpoints.find(scope, KIND.replicationGroup, group.ReplicationGroupId, role))
      .filter((e): e is EndpointAllocation => e !== undefined && this.canHold(endpoint, e))
      .filter((e) => !this.endpoints.isOpen(e.address, e.port));
    return held.length > 0 ? held.map((e) => e.address) : undefined;
  }

  /**
   * What a cluster node announces: its endpoint; a serverless cache's backing node, where nodes announce their
   * endpoints, the cache's endpoint or reader endpoint by its role (serverless/announce.ts).
   */
  private announced(
    scope: Scope,
    { state, internal }: StoredCluster,
    endpoint: EndpointAllocation,
  ): { announceHost: string; announcePort: number; announcesGroupEndpoint?: boolean } {
    const group =
      internal.serverlessCache !== undefined && state.ReplicationGroupId && announcesServerlessEndpoints(this.runtime)
        ? findGroup(this.store, scope, state.ReplicationGroupId)
        : undefined;
    if (!group) return { announceHost: endpoint.address, announcePort: endpoint.port };
    const { host, port } = serverlessAnnounced(this.store, scope, group, state.CacheClusterId);
    return { announceHost: host, announcePort: port, announcesGroupEndpoint: true };
  }

  /**
   * Where a serverless cache's backing node listens itself (serverlessHeld): only where nodes serve their endpoints and
   * announce the cache's (the process runtime).
   */
  private serverlessHeld(
    scope: Scope,
    { state, internal }: StoredCluster,
  ): { address: string; port: number } | undefined {
    if (internal.serverlessCache === undefined || !state.ReplicationGroupId || !this.runtime.servesEndpoints)
      return undefined;
    if (this.runtime.name !== 'process' || !announcesServerlessEndpoints(this.runtime)) return undefined;
    const group = findGroup(this.store, scope, state.ReplicationGroupId);
    return group && serverlessHeld(this.store, scope, group, state.CacheClusterId);
  }

  /** A serverless cache's member being created may start from a warm spare, in its stored role. */
  private spareRole(scope: Scope, { state, internal }: StoredCluster): 'primary' | 'replica' | undefined {
    if (!internal.serverlessCache || state.CacheClusterStatus !== 'creating' || !state.ReplicationGroupId)
      return undefined;
    const group = findGroup(this.store, scope, state.ReplicationGroupId)?.state;
    // A restored cache's primary starts from its snapshot: its replica takes no spare shard's half either.
    if (group?.MemberClusters.some((m) => findCluster(this.store, scope, m)?.internal.restoreFrom)) return undefined;
    const member = group?.NodeGroups.flatMap((ng) => ng.NodeGroupMembers ?? []).find(
      (m) => m.CacheClusterId === state.CacheClusterId,
    );
    return member?.CurrentRole === 'primary' || member?.CurrentRole === 'replica' ? member.CurrentRole : undefined;
  }
}
