/**
 * Nodes as Docker containers (dockerode): one container per node on the emulator's own network, labelled so the
 * emulator can find, adopt and clean what it owns, with the node type's memory as its limit. The engine listens on
 * the cluster's port inside the container, published on an ephemeral port of the daemon's machine (127.0.0.1 for a
 * local daemon, every interface of a remote one: docker-placement.ts). The emulator's endpoint listener forwards to
 * the container's own address where the host reaches it (Linux with a local daemon), else to the published port.
 * Cluster-mode nodes announce an address and ports clients reach through the emulator (docker-cluster-announce.ts).
 */
import Docker from 'dockerode';
import type { Logger } from '../common/logger.js';
import { createHash } from 'node:crypto';
import { busPortOf, engineBinary, engineCommand, probe, readinessBudgetMs, waitUntilReady } from './engines.js';
import { daemonPlacement, ownContainerId, type DaemonAddress, type DaemonPlacement } from './docker-placement.js';
import { pullImage } from './image-pull.js';
import { ANNOUNCE_LABEL, DockerClusterAnnounce, announceLabel } from './docker-cluster-announce.js';
import {
  CONFIG_FILE,
  DATA_DIR,
  configArchive,
  emptyRdbArchive,
  extractFirstFile,
  rdbArchive,
} from './container-files.js';
import { DockerClientDirectory } from './docker-clients.js';
import { DockerSpares } from './docker-spares.js';
import { imageFor, type ImageOverrides } from './images.js';
import {
  NodeUnavailable,
  SPARE_ACCOUNT,
  type NodeAddress,
  type NodeHandle,
  type NodeRuntime,
  type NodeSpec,
  type RunningNode,
} from './runtime.js';

export { connectDocker } from './docker-placement.js';

export const LABEL = {
  managed: 'io.elasticache-local.managed',
  instance: 'io.elasticache-local.instance',
  account: 'io.elasticache-local.account',
  region: 'io.elasticache-local.region',
  cluster: 'io.elasticache-local.cache-cluster',
  node: 'io.elasticache-local.cache-node',
  engine: 'io.elasticache-local.engine',
  /** A memcached node started with SASL: a reboot recreates a container whose SASL setting has changed. */
  sasl: 'io.elasticache-local.sasl',
} as const;

export interface DockerRuntimeOptions {
  /** Tells this emulator's containers from another's (its data dir's identity). */
  instanceId: string;
  /** The network node containers join (created when missing). */
  network: string;
  images?: ImageOverrides;
  log: Logger;
  readinessTimeoutMs?: number;
  /**
   * Records an event on the clusters whose nodes wait for an image being pulled (its progress, at most once a
   * second, and its outcome), so DescribeEvents tells why a cluster is still creating.
   */
  pullEvents?: (waiting: NodeAddress[], message: string) => void;
}

/**
 * ElastiCache allows 65000 connections; a container inherits the daemon's file descriptor limit (often far
 * lower, and not raisable without privileges), so nodes take this many.
 */
const MAX_CONNECTIONS = 4096;
/** How long releaseUnused keeps asking Docker to remove the network while it still counts a removed node. */
const RELEASE_BUDGET_MS = 10_000;

/** A TLS node in preferred mode takes plain connections on the port after its own (its TLS port). */
const plainPortOf = (spec: NodeSpec): number | undefined =>
  spec.tls?.mode === 'preferred' ? spec.port + 1 : undefined;

/** A node's container memory limit: its engine's maxmemory and room for the engine's own use. */
const memoryLimitOf = (spec: NodeSpec): number => Math.round(spec.maxMemoryBytes * 1.25) + 64 * 2 ** 20;

function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 6);
}

export class DockerRuntime implements NodeRuntime {
  readonly name = 'docker' as const;
  private readonly network: string;
  private networkReady: Promise<void> | undefined;
  private readonly imagesChecked = new Map<string, Promise<void>>();
  /** The clusters waiting for each image still being looked for or pulled, one node address per cluster. */
  private readonly imageWaiters = new Map<string, Map<string, NodeAddress>>();
  /**
   * Whether this host reaches containers on their addresses on the network: true on Linux with a local daemon, not
   * with Docker Desktop or a rootless or remote daemon. Where it does, endpoints forward straight to the container:
   * its published port is served by docker-proxy, a second user-space forwarder in the path of every request (what
   * that costs: bench/RESULTS.md, section 3). Undecided until a node answers on its published port.
   */
  private containersReachable: boolean | undefined;
  /** Where ports are published and connected to: the daemon's machine, which DOCKER_HOST names. */
  private readonly placement: DaemonPlacement;
  /** The emulator's own container, when it runs in one (a compose service). */
  private readonly ownContainer = ownContainerId();
  private readonly announce: DockerClusterAnnounce;
  /** Warm spares claimed in place (docker-spares.ts). */
  private readonly spares: DockerSpares;

  constructor(
    private readonly docker: Docker,
    private readonly options: DockerRuntimeOptions,
  ) {
    this.network = options.network;
    // The modem holds what it resolved from DOCKER_HOST (its typings leave these fields out).
    this.placement = daemonPlacement(docker.modem as DaemonAddress);
    this.announce = new DockerClusterAnnounce(docker, this.network, options.log);
    this.spares = new DockerSpares({
      docker,
      network: this.network,
      announce: this.announce,
      labels: LABEL,
      containerName: (node) => this.containerName(node),
      clusterAnnounceAddress: () => this.clusterAnnounceAddress(),
      removeNode: (node, handle) => this.removeNode(node, handle),
      inspectNode: (spec, handle) => this.inspectNode(spec, handle),
      memoryLimit: memoryLimitOf,
    });
  }

  /** Makes a running warm spare the node `spec` describes (docker-spares.ts). */
  claimSpare(spare: NodeSpec, handle: NodeHandle, spec: NodeSpec): Promise<NodeHandle | undefined> {
    return this.spares.claim(spare, handle, spec);
  }

  /**
   * An emulator in a container joins the node network before it answers: joining later can move its published
   * ports to the new network (Docker 20.10 follows the default gateway) and cut its clients' open connections.
   */
  async prepare(): Promise<void> {
    if (this.ownContainer) await this.ensureNetwork();
  }

  clients(): DockerClientDirectory {
    return new DockerClientDirectory(this.docker);
  }

  /** The container name `docker ps` shows: cluster and node first, then what makes it unique. */
  containerName(node: NodeAddress): string {
    return `ecl-${node.clusterId}-${node.nodeId}-${shortHash(this.options.instanceId, node.account, node.region)}`;
  }

  async createNode(spec: NodeSpec): Promise<NodeHandle> {
    const image = imageFor(spec.engine, spec.engineVersion, this.options.images);
    // Both settle before a failure is thrown: a network still being created must not outlive a failed create.
    const [network, imageReady] = await Promise.allSettled([this.ensureNetwork(), this.ensureImage(image, spec)]);
    if (imageReady.status === 'rejected') throw imageReady.reason;
    if (network.status === 'rejected') throw network.reason;
    const name = this.containerName(spec);
    await this.removeByName(name);
    // A warm spare serves no client until claimed: its shard meets and replicates on the node network alone, and a
    // claim gives it its member's announced address and ports (docker-spares.ts).
    const shared = spec.cluster && spec.account !== SPARE_ACCOUNT && (await this.clusterAnnounceAddress());
    const announced = shared ? await this.announce.reserve(spec, shared) : undefined;
    const portKey = `${spec.port}/tcp`;
    const plainPort = plainPortOf(spec);
    const ports = [portKey, ...(plainPort ? [`${plainPort}/tcp`] : [])];
    const memory = memoryLimitOf(spec);
    const container = await this.docker.createContainer({
      name,
      Image: image,
      // The binary by name: official images' entrypoints and the offline images both find it on PATH.
      Cmd: [
        engineBinary(spec.engine),
        ...engineCommand(
          spec,
          {
            port: spec.port,
            plainPort,
            bind: '0.0.0.0',
            maxConnections: MAX_CONNECTIONS,
            ...(announced && this.announce.listen(spec, announced)),
          },
          CONFIG_FILE,
        ),
      ],
      Labels: {
        [LABEL.managed]: 'true',
        [LABEL.instance]: this.options.instanceId,
        [LABEL.account]: spec.account,
        [LABEL.region]: spec.region,
        [LABEL.cluster]: spec.clusterId,
        [LABEL.node]: spec.nodeId,
        [LABEL.engine]: spec.engine,
        [LABEL.sasl]: spec.sasl ? 'on' : 'off',
        ...(announced && { [ANNOUNCE_LABEL]: announceLabel(announced) }),
      },
      // A SASL node reads its Cyrus settings from a host directory, mounted at the same path (control/memcached-sasl.ts).
      Env: spec.sasl ? [`SASL_CONF_PATH=${spec.sasl.confDir}`] : undefined,
      ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])),
      HostConfig: {
        PortBindings: Object.fromEntries(
          ports.map((p) => [p, [{ HostIp: this.placement.publishAddress, HostPort: '' }]]),
        ),
        Memory: memory,
        NetworkMode: this.network,
        Binds: spec.sasl ? [`${spec.sasl.confDir}:${spec.sasl.confDir}:ro`] : undefined,
      },
      NetworkingConfig: { EndpointsConfig: { [this.network]: { Aliases: spec.aliases } } },
    });
    try {
      if (spec.engine !== 'memcached' || spec.tls) await container.putArchive(await configArchive(spec), { path: '/' });
      // Where the engine loads its data at start: a node restored from a snapshot holds its data.
      if (spec.engine !== 'memcached' && spec.seedRdb)
        await container.putArchive(rdbArchive(spec.seedRdb), { path: '/' });
      await container.start();
      return await this.ready(container.id, spec);
    } catch (error) {
      await container.remove({ force: true }).catch(() => {});
      throw error;
    }
  }

  async restartNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle> {
    try {
      const container = this.docker.getContainer(handle.runtimeId);
      // SASL turned on or off since the container was made: its command line and mounts change, so a new one.
      const { Config } = await container.inspect();
      if ((Config.Labels?.[LABEL.sasl] ?? 'off') !== (spec.sasl ? 'on' : 'off')) return await this.createNode(spec);
      // A claimed spare would start again as the spare its command line describes: a container of its own instead.
      if (this.spares.isClaimedAs(Config.Labels, spec)) return await this.createNode(spec);
      // The container keeps its files: an RDB left by a snapshot (or a restore) must not be loaded again.
      if (spec.engine !== 'memcached') await container.putArchive(await emptyRdbArchive(), { path: '/' });
      await container.restart({ t: 0 });
      const restarted = await this.ready(handle.runtimeId, spec);
      // Its command line announces the role it was created in; its role may have changed since (a failover).
      await this.announce.announceRolePort(spec, restarted);
      return restarted;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      return this.createNode(spec);
    }
  }

  async removeNode(node: NodeAddress, handle: NodeHandle | undefined): Promise<void> {
    await this.announce.release(node);
    if (handle?.runtimeId) {
      this.spares.forget(handle.runtimeId);
      await this.docker
        .getContainer(handle.runtimeId)
        .remove({ force: true })
        .catch((error) => {
          if (error.statusCode !== 404) throw error;
        });
    }
    await this.removeByName(this.containerName(node));
  }

  /** Every container of this emulator instance, running or not; a claimed spare as its member's node. */
  async listNodes(options: { spares?: boolean } = {}): Promise<RunningNode[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.instance}=${this.options.instanceId}`] },
    });
    const nodes = await Promise.all(containers.map((c) => this.spares.listed(c, options)));
    return nodes.filter((n): n is RunningNode => n !== undefined);
  }

  async inspectNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle | undefined> {
    try {
      const info = await this.docker.getContainer(handle.runtimeId).inspect();
      if (!info.State.Running) return undefined;
      const binding = info.NetworkSettings.Ports[`${spec.port}/tcp`]?.[0];
      if (!binding) return undefined;
      // Other nodes reach it on the emulator's network, on the engine's own port.
      const ip = info.NetworkSettings.Networks?.[this.network]?.IPAddress;
      const plainPort = plainPortOf(spec);
      const plainBinding = plainPort ? info.NetworkSettings.Ports[`${plainPort}/tcp`]?.[0] : undefined;
      const published = {
        host: this.placement.connectHost,
        port: Number(binding.HostPort),
        ...(plainBinding ? { plainPort: Number(plainBinding.HostPort) } : {}),
      };
      const direct = ip ? { host: ip, port: spec.port, ...(plainPort ? { plainPort } : {}) } : undefined;
      const label = this.spares.isClaimedAs(info.Config.Labels, spec)
        ? await this.spares.announceOf(handle.runtimeId)
        : info.Config.Labels?.[ANNOUNCE_LABEL];
      const announced = spec.cluster && ip && (await this.announce.follow(spec, ip, label));
      return {
        runtimeId: handle.runtimeId,
        target: direct && (await this.reachesContainers(spec, published, direct)) ? direct : published,
        // Peers meet on the node network itself; what they learn from each other then is the announced address.
        peer: direct && {
          ...direct,
          ...(spec.tls ? { tls: true } : {}),
          ...(spec.cluster ? { busPort: busPortOf(spec.port) } : {}),
        },
        ...(announced ? { announcedEndpoints: await this.announce.endpointsOf(spec, announced) } : {}),
      };
    } catch {
      return undefined;
    }
  }

  async copyFileOut(_spec: NodeSpec, handle: NodeHandle, name: string, destination: string): Promise<void> {
    const tar = await this.docker.getContainer(handle.runtimeId).getArchive({ path: `/${DATA_DIR}/${name}` });
    await extractFirstFile(tar, destination);
  }

  async close(): Promise<void> {
    await this.announce.close();
  }

  isGroupNode(node: NodeAddress, remote: string): boolean {
    return this.announce.isGroupNode(node, remote);
  }

  reannounce(node: NodeAddress, port: number): Promise<string | undefined> {
    return this.announce.reannounce(node, port);
  }

  /** The node network's address cluster nodes announce (docker-cluster-announce.ts); none where there is none. */
  async clusterAnnounceAddress(): Promise<string | undefined> {
    await this.ensureNetwork();
    return this.announce.address(this.ownContainer, this.placement.local);
  }

  /**
   * Removes the network once this instance has no node left (Docker refuses while any container uses it). An
   * emulator in a container keeps it until it stops (see prepare), and then leaves it first.
   */
  async releaseUnused({ leaving = false }: { leaving?: boolean } = {}): Promise<void> {
    if (this.ownContainer && !leaving) return;
    if ((await this.listNodes({ spares: true })).length > 0) return;
    if (this.ownContainer)
      await this.docker
        .getNetwork(this.network)
        .disconnect({ Container: this.ownContainer, Force: true })
        .catch(() => undefined);
    // Docker may still count a just-removed container's endpoint for a while ("has active endpoints"): seconds on a
    // busy daemon, so a fixed handful of quick retries left networks behind.
    const deadline = Date.now() + RELEASE_BUDGET_MS;
    for (;;) {
      try {
        await this.docker.getNetwork(this.network).remove();
        return;
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 404 || (await this.listNodes({ spares: true })).length > 0) return;
        if (Date.now() >= deadline) {
          this.options.log.warn({ err: error, network: this.network }, 'could not remove the node network');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private async ready(containerId: string, spec: NodeSpec): Promise<NodeHandle> {
    const deadline = Date.now() + readinessBudgetMs(this.options.readinessTimeoutMs ?? 30_000, spec.seedRdb);
    let handle: NodeHandle | undefined;
    // The first node also waits until the way to it is known (from a container, only its address answers).
    while ((!handle || this.containersReachable === undefined) && Date.now() < deadline) {
      handle = await this.inspectNode(spec, { runtimeId: containerId });
      if (!handle || this.containersReachable === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!handle?.target) throw new Error(`container ${containerId.slice(0, 12)} did not start`);
    const { host, port } = handle.target;
    await waitUntilReady(spec.engine, host, port, Math.max(deadline - Date.now(), 1000), undefined, spec.tls);
    // Now that it answers, whether the host reaches it directly can be told (the first time only).
    return this.containersReachable === undefined ? ((await this.inspectNode(spec, handle)) ?? handle) : handle;
  }

  /**
   * Decided once, on a node that answers on its address or its published port (one still starting would tell
   * nothing). An emulator in a container on the node network reaches only the address.
   */
  private async reachesContainers(
    spec: NodeSpec,
    published: { host: string; port: number },
    direct: { host: string; port: number },
  ): Promise<boolean> {
    if (this.containersReachable !== undefined) return this.containersReachable;
    // A remote daemon's container addresses may be ones this machine routes elsewhere: never tried.
    if (!this.placement.local) return (this.containersReachable = false);
    let reachable = await probe(spec.engine, direct.host, direct.port, 1000, spec.tls);
    if (!reachable) {
      if (!(await probe(spec.engine, published.host, published.port, 1000, spec.tls))) return false;
      // It answers now: its address tells, where a probe a moment ago may have come too early.
      reachable = await probe(spec.engine, direct.host, direct.port, 1000, spec.tls);
    }
    if (this.containersReachable === undefined) {
      this.containersReachable = reachable;
      this.options.log.info(
        reachable
          ? 'endpoints forward straight to the containers (the host reaches their addresses)'
          : "endpoints forward to the containers' published ports (the host does not reach their addresses)",
      );
    }
    return this.containersReachable;
  }

  /** Creates the network when missing. Checked on every create: a delete may have removed it meanwhile. */
  private ensureNetwork(): Promise<void> {
    this.networkReady ??= (async () => {
      const existing = await this.docker.listNetworks({ filters: { name: [this.network] } });
      if (!existing.some((n) => n.Name === this.network))
        await this.docker.createNetwork({ Name: this.network, Labels: { [LABEL.managed]: 'true' } }).catch((error) => {
          if (error.statusCode !== 409) throw error;
        });
      await this.joinFromOwnContainer();
    })().finally(() => {
      this.networkReady = undefined;
    });
    return this.networkReady;
  }

  /**
   * An emulator running in a container (a compose service) joins the node network itself, to reach its nodes by
   * their addresses; its clients stay on their own network, where only its endpoints reach the nodes.
   */
  private async joinFromOwnContainer(): Promise<void> {
    const id = this.ownContainer;
    if (!id) return;
    const info = await this.docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined);
    if (!info || info.NetworkSettings.Networks?.[this.network]) return;
    await this.docker
      .getNetwork(this.network)
      .connect({ Container: id })
      .then(() =>
        this.options.log.info({ network: this.network }, "joined the node network from the emulator's container"),
      )
      .catch((error) =>
        this.options.log.warn({ err: error, network: this.network }, 'could not join the node network'),
      );
  }

  private ensureImage(image: string, spec: NodeSpec): Promise<void> {
    let check = this.imagesChecked.get(image);
    if (!check) {
      this.imageWaiters.set(image, new Map());
      check = this.findOrPull(image, spec)
        .catch((error) => {
          this.imagesChecked.delete(image);
          throw error;
        })
        .finally(() => this.imageWaiters.delete(image));
      this.imagesChecked.set(image, check);
    }
    this.imageWaiters.get(image)?.set(`${spec.account}/${spec.region}/${spec.clusterId}`, spec);
    return check;
  }

  /** Tells the log, and the clusters waiting for the image, how its pull goes. */
  private pullReport(image: string, message: string): void {
    this.options.log.info({ image }, message);
    const waiting = [...(this.imageWaiters.get(image)?.values() ?? [])];
    if (waiting.length > 0) this.options.pullEvents?.(waiting, message);
  }

  private async findOrPull(image: string, spec: NodeSpec): Promise<void> {
    const log = this.options.log;
    try {
      const info = await this.docker.getImage(image).inspect();
      if (spec.engine === 'valkey' && info.Config?.Labels?.['io.elasticache-local.image'] === 'offline') {
        log.warn({ image }, 'valkey nodes run redis-server from the offline image (Debian has no valkey package)');
      }
      return;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
    try {
      await pullImage(this.docker, image, (summary) => this.pullReport(image, `Pulling image ${image}: ${summary}`));
    } catch (error) {
      throw new NodeUnavailable(
        `The image ${image} is not available and could not be pulled (${(error as Error).message}). ` +
          `Provide it with \`docker pull ${image}\`, \`elasticache-local pull\` or \`docker/build-node-images.sh\`, ` +
          'or map the engine version to another image with ELASTICACHE_LOCAL_IMAGES.',
      );
    }
    this.pullReport(image, `Pulled image ${image}`);
  }

  private async removeByName(name: string): Promise<void> {
    await this.docker
      .getContainer(name)
      .remove({ force: true })
      .catch((error) => {
        if (error.statusCode !== 404) throw error;
      });
  }
}
