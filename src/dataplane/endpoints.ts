/**
 * Keeps the emulator's endpoint listeners in step with the nodes: one listener per node endpoint (forwarding to
 * wherever the node runs now) and one per memcached configuration endpoint; every memcached endpoint answers Auto
 * Discovery itself and forwards the rest.
 * Node locations live here, in memory: they change when a node is restarted or replaced, the endpoints do not.
 */
import type { Logger } from '../common/logger.js';
import type { Engine } from '../common/engines.js';
import { configGetClusterReply, type DiscoveredNode } from './auto-discovery.js';
import { EndpointProxy, type EndpointIamLogin, type Target, type TlsTermination } from './endpoint-proxy.js';
import type { NodeAddress } from '../runtime/runtime.js';
import { plainAddress } from '../common/client-origins.js';

export type { NodeAddress };

const clusterKey = (c: Omit<NodeAddress, 'nodeId'>) => `${c.account}/${c.region}/${c.clusterId}`;
const nodeKey = (n: NodeAddress) => `${clusterKey(n)}/${n.nodeId}`;

/** A replication group, as its endpoints know it. */
export interface GroupAddress {
  account: string;
  region: string;
  groupId: string;
}

/** Who plays which role in a group: the endpoints follow it. */
export interface GroupRoles {
  primary?: NodeAddress;
  replicas: NodeAddress[];
}

const groupKey = (g: GroupAddress) => `${g.account}/${g.region}/${g.groupId}`;

/** What an admission decision is about: a cache cluster's own endpoints, or a replication group's. */
export const clusterOwner = (c: Omit<NodeAddress, 'nodeId'>) => `cluster:${clusterKey(c)}`;
export const groupOwner = (g: GroupAddress) => `group:${groupKey(g)}`;

/** Whether a client is admitted, and (when not) why. */
export interface Verdict {
  admitted: boolean;
  why: string;
}

/** Who an owner's endpoints admit: at once where the client is known, else once it is (a new container). */
export interface EndpointAdmission {
  check(remoteAddress: string): Verdict | Promise<Verdict>;
}

/** A connection an endpoint refused: closed at once, and told to whoever records it. */
export interface RefusedConnection {
  owner: string;
  address: string;
  port: number;
  remote: string;
  why: string;
}

export class EndpointManager {
  private readonly proxy = new EndpointProxy();
  private readonly targets = new Map<string, Target>();
  private readonly groups = new Map<string, { roles: GroupRoles; next: number }>();
  /** Auto Discovery's version counter per memcached cluster: grows when its node list changes. */
  private readonly discovery = new Map<string, { version: number; nodes: DiscoveredNode[] }>();
  private readonly admissions = new Map<string, EndpointAdmission>();
  /** Where each node is served beside its endpoint (NodeHandle.announcedEndpoints), by node. */
  private readonly announced = new Map<string, { address: string; port: number }[]>();
  /** Told of every refused connection (the admission keeper logs it and records an event). */
  onRefused?: (refused: RefusedConnection) => void;
  /** Asked to decide when a connection reaches an owner with no decision yet (a cluster newer than the last one). */
  onUndecided?: () => void;
  /**
   * Whether a redis / valkey endpoint reads its clients' IAM logins now, and how (control/iam-logins.ts): asked
   * per connection, with the cluster or group the endpoint serves and its address.
   */
  iamLoginAt?: (
    owner: { account: string; region: string; clusterId?: string; groupId?: string },
    address: string,
  ) => EndpointIamLogin | undefined;

  /**
   * Whether a connection to a node's endpoint comes from a node of its own group (the runtime tells, by the
   * connection's source address): such a connection is the group's own traffic and no security group judges it.
   */
  isGroupNode?: (node: NodeAddress, remote: string) => boolean;

  /** @param listening false when no node really runs (runtime none): endpoints are kept but nothing listens. */
  constructor(
    private readonly log: Logger,
    private readonly listening = true,
  ) {}

  /** Records where a node runs now (after a start, restart or adoption). */
  setTarget(node: NodeAddress, target: Target | undefined): void {
    if (target) this.targets.set(nodeKey(node), target);
    else this.targets.delete(nodeKey(node));
  }

  targetOf(node: NodeAddress): Target | undefined {
    return this.targets.get(nodeKey(node));
  }

  /**
   * Opens a node's endpoint; connections go to the node's current target. A memcached node's endpoint answers
   * `config get cluster` too, as every node of a memcached cluster does on ElastiCache.
   */
  async openNodeEndpoint(
    node: NodeAddress & { engine: Engine },
    address: string,
    port: number,
    tls?: TlsTermination,
  ): Promise<void> {
    if (!this.listening) return;
    const target = () => this.targets.get(nodeKey(node));
    const cluster = clusterKey(node);
    const checked = this.admitter(clusterOwner(node), address, port);
    const allows = (remote: string) => this.isGroupNode?.(node, plainAddress(remote)) || checked(remote);
    await this.proxy.open(
      address,
      port,
      node.engine === 'memcached'
        ? { target, allows, autoDiscovery: () => this.configuration(cluster), tls }
        : {
            target,
            allows,
            iamLogin: (remote) =>
              this.isGroupNode?.(node, plainAddress(remote)) ? undefined : this.iamLoginAt?.(node, address),
          },
    );
  }

  /**
   * Serves a cluster node where it announces itself to clients beside its endpoint, each listener checked as its
   * endpoint is; listeners it no longer announces close (none: the node is gone).
   */
  async setAnnouncedEndpoints(
    node: NodeAddress & { engine: Engine },
    served: { address: string; port: number }[],
  ): Promise<void> {
    const key = nodeKey(node);
    const before = this.announced.get(key) ?? [];
    const kept = (e: { address: string; port: number }) =>
      served.some((s) => s.address === e.address && s.port === e.port);
    // A port a node let go of may be another node's already (a replaced node's, given out again): that one stays.
    for (const gone of before.filter((e) => !kept(e)))
      if (this.announcers(gone.address, gone.port).every((k) => k === key))
        await this.proxy.close(gone.address, gone.port);
    for (const { address, port } of served) {
      const others = this.announcers(address, port).filter((k) => k !== key);
      if (others.length > 0)
        this.log.warn(
          { node: key, endpoint: `${address}:${port}`, from: others },
          'an announced endpoint changes hands',
        );
    }
    if (served.length > 0) this.announced.set(key, served);
    else this.announced.delete(key);
    for (const { address, port } of served) await this.openNodeEndpoint(node, address, port);
  }

  /** The nodes announcing address:port (more than one only while a port changes hands). */
  private announcers(address: string, port: number): string[] {
    return [...this.announced.entries()]
      .filter(([, served]) => served.some((s) => s.address === address && s.port === port))
      .map(([key]) => key);
  }

  /** What of the emulator stands at address:port, for messages about a link that stays down there. */
  describeListener(address: string, port: number): string {
    const target = this.proxy.targetOf(address, port);
    if (target === undefined) return 'no listener of the emulator there';
    const by = this.announcers(address, port);
    const owner = by.length > 0 ? ` of ${by.join(' and ')}` : '';
    return target === null
      ? `the emulator's listener${owner} there refuses: its node does not run`
      : `the emulator's listener${owner} there leads to ${target.host}:${target.port}`;
  }

  /**
   * Who may connect to what a cluster or group serves (control/admission-keeper.ts decides from its security
   * groups). An owner with no decision is decided at its first connection; without a decider (security groups not
   * enforced) every connection is admitted.
   */
  setAdmission(owner: string, admission: EndpointAdmission | undefined): void {
    if (admission) this.admissions.set(owner, admission);
    else this.admissions.delete(owner);
  }

  /** The check an endpoint runs per connection: a map lookup, off the data path once the connection is admitted. */
  private admitter(owner: string, address: string, port: number): (remote: string) => boolean | Promise<boolean> {
    const settle = (remote: string, verdict: Verdict) => {
      if (!verdict.admitted) this.onRefused?.({ owner, address, port, remote, why: verdict.why });
      return verdict.admitted;
    };
    return (remote) => {
      if (!this.admissions.has(owner)) this.onUndecided?.();
      const admission = this.admissions.get(owner);
      if (!admission) return true;
      const verdict = admission.check(remote);
      return verdict instanceof Promise ? verdict.then((v) => settle(remote, v)) : settle(remote, verdict);
    };
  }

  /** Opens a memcached configuration endpoint: answers `config get cluster`, forwards the rest to a live node. */
  async openConfigurationEndpoint(
    cluster: Omit<NodeAddress, 'nodeId'>,
    address: string,
    port: number,
    tls?: TlsTermination,
  ): Promise<void> {
    if (!this.listening) return;
    const key = clusterKey(cluster);
    await this.proxy.open(address, port, {
      allows: this.admitter(clusterOwner(cluster), address, port),
      target: () => [...this.targets.entries()].find(([k]) => k.startsWith(`${key}/`))?.[1],
      autoDiscovery: () => this.configuration(key),
      tls,
    });
  }

  /** Auto Discovery's answer for a memcached cluster now. */
  private configuration(cluster: string): string {
    const entry = this.discovery.get(cluster) ?? { version: 1, nodes: [] };
    return configGetClusterReply(entry.version, entry.nodes);
  }

  /** Publishes a memcached cluster's node list to Auto Discovery (version bumps only on a real change). */
  setDiscoveredNodes(cluster: Omit<NodeAddress, 'nodeId'>, nodes: DiscoveredNode[]): void {
    const key = clusterKey(cluster);
    const current = this.discovery.get(key);
    if (current && JSON.stringify(current.nodes) === JSON.stringify(nodes)) return;
    this.discovery.set(key, { version: (current?.version ?? 0) + 1, nodes });
  }

  /** Records a group's roles; the primary, reader and configuration endpoints follow at once. */
  setGroupRoles(group: GroupAddress, roles: GroupRoles): void {
    const current = this.groups.get(groupKey(group));
    this.groups.set(groupKey(group), { roles, next: current?.next ?? 0 });
  }

  private roleTarget(group: GroupAddress, role: 'primary' | 'reader' | 'any'): Target | undefined {
    const entry = this.groups.get(groupKey(group));
    if (!entry) return undefined;
    const { primary, replicas } = entry.roles;
    const primaryTarget = primary && this.targets.get(nodeKey(primary));
    if (role === 'primary' || (role === 'any' && primaryTarget)) return primaryTarget;
    // The reader endpoint spreads connections over the replicas that run, or goes to the primary without any.
    const candidates = replicas.map((r) => this.targets.get(nodeKey(r))).filter((t): t is Target => t !== undefined);
    if (candidates.length === 0) return primaryTarget;
    entry.next = (entry.next + 1) % candidates.length;
    return candidates[entry.next];
  }

  /**
   * Opens a group endpoint: `primary` always reaches the current primary, `reader` spreads over the replicas,
   * `configuration` (cluster mode) reaches a live node, from which cluster clients learn the whole topology.
   */
  async openGroupEndpoint(
    group: GroupAddress,
    role: 'primary' | 'reader' | 'configuration',
    address: string,
    port: number,
  ): Promise<void> {
    if (!this.listening) return;
    const pick = role === 'configuration' ? 'any' : role;
    const checked = this.admitter(groupOwner(group), address, port);
    await this.proxy.open(address, port, {
      target: () => this.roleTarget(group, pick),
      // A serverless cache's nodes announce its endpoints, where their replicas reach their primary.
      allows: (remote) => this.isGroupMember(group, plainAddress(remote)) || checked(remote),
      iamLogin: (remote) =>
        this.isGroupMember(group, plainAddress(remote)) ? undefined : this.iamLoginAt?.(group, address),
    });
  }

  /** Whether `remote` is a node of the group's own (the source address of one of its members' nodes). */
  private isGroupMember(group: GroupAddress, remote: string): boolean {
    const roles = this.groups.get(groupKey(group))?.roles;
    const member = roles?.primary ?? roles?.replicas[0];
    return member !== undefined && Boolean(this.isGroupNode?.(member, remote));
  }

  /** Cuts the connections an endpoint carries, so clients reconnect (and reach the new primary after a failover). */
  dropConnections(address: string, port: number): void {
    this.proxy.dropConnections(address, port);
  }

  forgetGroup(group: GroupAddress): void {
    this.groups.delete(groupKey(group));
  }

  async closeEndpoint(address: string, port: number, options?: { keepConnections?: boolean }): Promise<void> {
    await this.proxy.close(address, port, options);
  }

  forgetCluster(cluster: Omit<NodeAddress, 'nodeId'>): void {
    const prefix = `${clusterKey(cluster)}/`;
    for (const key of [...this.targets.keys()]) if (key.startsWith(prefix)) this.targets.delete(key);
    this.discovery.delete(prefix.slice(0, -1));
  }

  isOpen(address: string, port: number): boolean {
    return this.proxy.isOpen(address, port);
  }

  async close(): Promise<void> {
    await this.proxy.closeAll();
    this.log.debug('endpoint listeners closed');
  }
}
