/**
 * What a cluster-mode node container announces, and the forwards behind it. A container's own address is on the node
 * network, which clients must not reach around the security groups; so each cluster node announces an address both
 * the node containers and the clients reach (the node network's gateway, the host's address on that bridge, for an
 * emulator on the host; the emulator's own address on the node network when it runs in a container) with two ports
 * of its own there: a client port, which the emulator serves as it serves the node's endpoint (checked by the
 * security groups: control/cluster-nodes.ts opens it from NodeHandle.announcedEndpoints), and a bus port, a forward
 * kept here (cluster-bus.ts) that admits only the containers of the node's own group, told by their addresses.
 *
 * The node's hostname stays its endpoint's host (CLUSTER SLOTS, SHARDS, MOVED and ASK name it), with the client port:
 * that is the endpoint itself where the endpoint's port is free on the shared address (endpoints a port each:
 * --advertise-host, the ports mode), else the emulator serves the node on the endpoint's host at the client port too.
 * The ports are on the container's labels, so an emulator started again opens the same forwards for running nodes.
 *
 * A serverless cache's node (NodeSpec.cluster.announcesGroupEndpoint) announces the cache's endpoint host and its
 * role's port instead: no client port of its own, since clients reach it at the cache's endpoints, and on the shared
 * address that port is a router's (role-port-router.ts) leading its group's replicas to it. Its role can change (a
 * failover: reannounce), so its label's port is not trusted; its spec's is.
 */
import type Docker from 'dockerode';
import { lookup } from 'node:dns/promises';
import { createServer, isIP, isIPv4 } from 'node:net';
import type { Logger } from '../common/logger.js';
import { ClusterBus, groupKeyOf, type BusForwardTarget } from './cluster-bus.js';
import { RolePortRouter } from './role-port-router.js';
import { busPortOf, type Listen } from './engines.js';
import type { NodeAddress, NodeHandle, NodeSpec } from './runtime.js';
import { spareAdmin as nodeAdmin } from './spare-claims.js';

/** The label holding what a cluster node container announces: `<address> <client port> <bus port>`. */
export const ANNOUNCE_LABEL = 'io.elasticache-local.announce';

export interface Announced {
  address: string;
  /** Where clients (and replicas following it) reach the node: a checked listener of the emulator. */
  port: number;
  /** Where its peers reach its bus: a forward admitting its group's containers alone. */
  busPort: number;
}

/**
 * A serverless cache's endpoint and reader endpoint ports where every endpoint has an address of its own: every
 * cache's role ports on the shared address, which a router may want at any time, so no other node takes them there.
 */
const ROLE_PORTS = [6379, 6380];

const nodeKey = (node: NodeAddress) => `${node.account}/${node.region}/${node.clusterId}/${node.nodeId}`;

export const announceLabel = (announced: Announced) => `${announced.address} ${announced.port} ${announced.busPort}`;

function parseLabel(label: string | undefined): Announced | undefined {
  const [address, port, busPort] = (label ?? '').split(' ');
  return address && Number(port) > 0 && Number(busPort) > 0
    ? { address, port: Number(port), busPort: Number(busPort) }
    : undefined;
}

/** The port of a listener opened on address:port and closed at once (port 0: one the kernel picks), if it opens. */
function tryListen(address: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host: address, port, exclusive: true }, () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Whether a listener on `host` listens on `address`: a name is looked up as a listener's is (its first address). An
 * emulator in a container advertising its own name may find it is its address on the node network.
 */
async function listensOn(host: string, address: string): Promise<boolean> {
  if (isIP(host)) return host === address;
  return (await lookup(host).catch(() => undefined))?.address === address;
}

export class DockerClusterAnnounce {
  private readonly bus = new ClusterBus();
  private readonly announced = new Map<string, Announced>();
  /** Each node's container address now: where its bus forward leads, and the source marking it as a group node. */
  private readonly containers = new Map<string, { address: string; port: number; busPort: number }>();
  /**
   * Nodes announcing a group endpoint by their role (a serverless cache's): their group's key, and whether the router
   * stands on their port (not where the endpoint itself is on the shared address).
   */
  private readonly routed = new Map<string, { group: string; viaRouter: boolean }>();
  private readonly router: RolePortRouter;
  /** Reservations run one at a time: a client port is held only once its listener opens, after the node answers. */
  private reserving: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly docker: Docker,
    private readonly network: string,
    private readonly log: Logger,
  ) {
    this.router = new RolePortRouter((address, port, remote) => this.routeOf(address, port, remote), log);
  }

  /**
   * The shared address, or none where there is no such address (a remote daemon, or a gateway that is not this
   * machine's, as with Docker Desktop or a rootless daemon): nodes then announce as before.
   */
  async address(ownContainer: string | undefined, localDaemon: boolean): Promise<string | undefined> {
    if (ownContainer) {
      const own = await this.docker
        .getContainer(ownContainer)
        .inspect()
        .catch(() => undefined);
      return own?.NetworkSettings.Networks?.[this.network]?.IPAddress || undefined;
    }
    if (!localDaemon) return undefined;
    const network = await this.docker
      .getNetwork(this.network)
      .inspect()
      .catch(() => undefined);
    const configs: { Gateway?: string }[] = network?.IPAM?.Config ?? [];
    const gateway = configs.map((c) => c.Gateway).find((g): g is string => g !== undefined && isIPv4(g));
    // This machine's address when it can be listened on (a bridge without containers yet is down, but holds it).
    return gateway && (await tryListen(gateway, 0)) !== undefined ? gateway : undefined;
  }

  /** The node's ports on `address` (its earlier ones, while its bus forward stays open there), its bus forward open. */
  reserve(spec: NodeSpec, address: string): Promise<Announced> {
    const next = this.reserving.then(async () => {
      const key = nodeKey(spec);
      const kept = this.announced.get(key);
      if (kept?.address === address && this.bus.isOpen(address, kept.busPort)) return this.routeRole(spec, kept);
      if (kept) await this.release(spec);
      const port = this.rolePort(spec) ?? (await this.clientPort(spec, address));
      let busPort = await this.bus.open(spec, address, 0, () => this.busTarget(spec));
      // The kernel may pick a port another node was given and has not opened yet.
      while (busPort === port || this.holds(address, busPort)) {
        const taken = busPort;
        busPort = await this.bus.open(spec, address, 0, () => this.busTarget(spec));
        await this.bus.close(address, taken);
      }
      const announced = { address, port, busPort };
      this.announced.set(key, announced);
      return this.routeRole(spec, announced);
    });
    this.reserving = next.catch(() => undefined);
    return next;
  }

  /**
   * A client port free on the shared address: the endpoint's own when it is free there (redirects then name the
   * endpoint exactly), else one also free on the endpoint's host, where the emulator serves the node at it too.
   */
  private async clientPort(spec: NodeSpec, address: string): Promise<number> {
    const endpoint = spec.endpoint;
    // An endpoint on the shared address itself is where the node is announced: its port is the client port.
    if (endpoint && (await listensOn(endpoint.address, address))) return endpoint.port;
    if (endpoint && !this.holds(address, endpoint.port) && (await tryListen(address, endpoint.port)))
      return endpoint.port;
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await tryListen(address, 0);
      if (port === undefined || this.holds(address, port)) continue;
      if (!endpoint || endpoint.address === address || (await tryListen(endpoint.address, port))) return port;
    }
    throw new Error(`no port free on ${address} and ${endpoint?.address} for ${spec.clusterId}'s node to announce`);
  }

  private holds(address: string, port: number): boolean {
    return (
      ROLE_PORTS.includes(port) ||
      this.router.holds(address, port) ||
      [...this.announced.values()].some((a) => a.address === address && (a.port === port || a.busPort === port))
    );
  }

  /** The port a node announcing a group endpoint by its role announces now (its spec's); undefined for others. */
  private rolePort(spec: NodeSpec): number | undefined {
    return spec.cluster?.announcesGroupEndpoint ? spec.cluster.announcePort : undefined;
  }

  /**
   * A node announcing a group endpoint by its role: marked as routed, at its spec's port (a label's may be from
   * before a failover), with the router listening there unless the endpoint itself is on the shared address (an
   * emulator in a container advertising its own address: its replicas reach the endpoint's own listener).
   */
  private async routeRole(spec: NodeSpec, announced: Announced): Promise<Announced> {
    const port = this.rolePort(spec);
    if (port === undefined || !spec.cluster) return announced;
    const key = nodeKey(spec);
    const routed = { ...announced, port };
    this.announced.set(key, routed);
    const viaRouter = !(await listensOn(spec.cluster.announceHost, announced.address));
    this.routed.set(key, { group: groupKeyOf(spec), viaRouter });
    if (viaRouter) await this.router.open(announced.address, port);
    await this.closeUnusedRoutes();
    return routed;
  }

  /**
   * A routed node of the group `remote`'s connections come from, at address:port: the one announcing that port, else
   * (its role changed a moment ago) another of the group's nodes than the one connecting.
   */
  private routeOf(address: string, port: number, remote: string): BusForwardTarget | undefined {
    const group = this.bus.groupOf(remote);
    if (group === undefined) return undefined;
    const candidates = [...this.routed]
      .filter(([key, r]) => r.group === group && this.announced.get(key)?.address === address)
      .map(([key]) => ({ announced: this.announced.get(key)!, container: this.containers.get(key) }))
      .filter((c) => c.container !== undefined && c.container.address !== remote);
    const chosen = candidates.find((c) => c.announced.port === port) ?? candidates[0];
    return chosen?.container && { host: chosen.container.address, port: chosen.container.port };
  }

  private async closeUnusedRoutes(): Promise<void> {
    await this.router.closeUnused((address, port) =>
      [...this.routed].some(([key, { viaRouter }]) => {
        const announced = this.announced.get(key);
        return viaRouter && announced?.address === address && announced.port === port;
      }),
    );
  }

  /**
   * A routed node started again from its container's command line announces its role port now (its spec's: the role
   * may have changed since the container was created), through the emulator's admin connection.
   */
  async announceRolePort(spec: NodeSpec, handle: NodeHandle): Promise<void> {
    const port = this.rolePort(spec);
    if (port === undefined || !handle.target || spec.access.mode !== 'acl') return;
    const redis = await nodeAdmin(spec, handle.target);
    try {
      // prettier-ignore
      await redis.call('CONFIG', 'SET', 'cluster-announce-port', String(port), 'cluster-announce-tls-port', String(port));
    } finally {
      redis.disconnect();
    }
  }

  /**
   * A routed node was told to announce `port` (its role changed): routing follows. Answers the address it announces
   * as its ip; undefined for a node not routed here (it announces what its spec says).
   */
  async reannounce(node: NodeAddress, port: number): Promise<string | undefined> {
    const key = nodeKey(node);
    const announced = this.announced.get(key);
    const routed = this.routed.get(key);
    if (!announced || !routed) return undefined;
    this.announced.set(key, { ...announced, port });
    if (routed.viaRouter) await this.router.open(announced.address, port);
    await this.closeUnusedRoutes();
    return announced.address;
  }

  private busTarget(node: NodeAddress): { host: string; port: number } | undefined {
    const container = this.containers.get(nodeKey(node));
    return container && { host: container.address, port: container.busPort };
  }

  /**
   * A running node found at `containerAddress`: its bus forward leads there, connections from there are its group's,
   * and a forward that ended with an earlier emulator opens again. Answers what it announces (from its label).
   */
  async follow(spec: NodeSpec, containerAddress: string, label: string | undefined): Promise<Announced | undefined> {
    const labelled = parseLabel(label);
    if (!labelled) return undefined;
    // A routed node's label may name the role it was created in: its spec names the one it has now.
    const announced = { ...labelled, port: this.rolePort(spec) ?? labelled.port };
    const key = nodeKey(spec);
    const before = this.containers.get(key)?.address;
    if (before !== containerAddress) {
      if (before) await this.bus.forget({ source: before });
      this.bus.register(spec, containerAddress);
    }
    this.containers.set(key, { address: containerAddress, port: spec.port, busPort: busPortOf(spec.port) });
    this.announced.set(key, announced);
    if (!this.bus.isOpen(announced.address, announced.busPort)) {
      await this.bus
        .open(spec, announced.address, announced.busPort, () => this.busTarget(spec))
        .catch((error) =>
          this.log.warn(
            {
              err: error,
              cluster: spec.clusterId,
              node: spec.nodeId,
              bus: `${announced.address}:${announced.busPort}`,
            },
            'the cluster bus forward of a running node could not open again; its peers cannot reach its bus',
          ),
        );
    }
    return this.routeRole(spec, announced);
  }

  /**
   * Where the emulator serves the node to clients besides its endpoint: the shared address (unless the endpoint is
   * there), and the endpoint's host at the client port when that is not the endpoint.
   */
  async endpointsOf(spec: NodeSpec, announced: Announced): Promise<{ address: string; port: number }[]> {
    // Clients reach a node announcing a group endpoint there; on the shared address its port is the router's.
    if (this.rolePort(spec) !== undefined) return [];
    const endpoint = spec.endpoint;
    const host = spec.cluster?.announceHost;
    const isEndpoint = endpoint?.address === host && endpoint?.port === announced.port;
    if (isEndpoint && endpoint && (await listensOn(endpoint.address, announced.address))) return [];
    const served = [{ address: announced.address, port: announced.port }];
    if (host && host !== announced.address && !isEndpoint) served.push({ address: host, port: announced.port });
    return served;
  }

  /** The engine's settings for it: announce the shared address and ports, to peers and in replication alike. */
  listen(spec: NodeSpec, announced: Announced): Partial<Listen> {
    return {
      busPort: busPortOf(spec.port),
      announceIp: announced.address,
      announcePort: announced.port,
      announceBusPort: announced.busPort,
      replicaAnnounceIp: announced.address,
      replicaAnnouncePort: announced.port,
    };
  }

  isGroupNode(node: NodeAddress, remote: string): boolean {
    return this.bus.isGroupNode(node, remote);
  }

  /** A node gone: its bus forward closes (its port is free again), its address no longer marks a group node. */
  async release(node: NodeAddress): Promise<void> {
    const key = nodeKey(node);
    const announced = this.announced.get(key);
    this.announced.delete(key);
    if (this.routed.delete(key)) await this.closeUnusedRoutes();
    const source = this.containers.get(key)?.address;
    this.containers.delete(key);
    await this.bus.forget({
      source,
      announcedBus: announced && { address: announced.address, port: announced.busPort },
    });
  }

  async close(): Promise<void> {
    await this.router.close();
    await this.bus.closeAll();
  }
}
