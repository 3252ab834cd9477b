/**
 * Claiming a warm spare (control/serverless/warm-spares.ts) as a docker node: the running spare container becomes
 * the member's node in place. Its engine takes the member's certificate, credentials, memory limit and announced
 * address live (CONFIG SET, ACL SETUSER), with a client port and a bus forward of the member's own
 * (docker-cluster-announce.ts); the container takes the member's name. Its listening port, bus port and address on
 * the node network stay the spare's: a spare is started on the port its members' nodes use.
 *
 * Docker cannot change a running container's labels, and those of a claimed container still name the spare. So the
 * emulator finds a claimed container by the runtimeId recorded for its member, and the container itself holds the
 * member it became and what that member announces (CLAIM_FILE), which an emulator started again reads back: it
 * adopts the node at the member's address, lists it as the member's (not as a spare, nor an orphan), and a reboot
 * replaces the container with an ordinary one.
 */
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { CLAIM_FILE, claimArchive, readFirstFile } from './container-files.js';
import { announceLabel, type DockerClusterAnnounce } from './docker-cluster-announce.js';
import { tlsFiles } from './engines.js';
import { SPARE_ACCOUNT, type NodeAddress, type NodeHandle, type NodeSpec, type RunningNode } from './runtime.js';
import { spareAdmin, takeMemberCredentials } from './spare-claims.js';

/** What docker.ts lends a claim. */
export interface DockerSpareHost {
  docker: Docker;
  network: string;
  announce: DockerClusterAnnounce;
  /** The container labels naming the node a container was created as. */
  labels: { account: string; region: string; cluster: string; node: string };
  containerName(node: NodeAddress): string;
  clusterAnnounceAddress(): Promise<string | undefined>;
  removeNode(node: NodeAddress, handle: NodeHandle | undefined): Promise<void>;
  inspectNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle | undefined>;
  /** The container memory limit a node of this spec gets. */
  memoryLimit(spec: NodeSpec): number;
}

/** The member a claimed container became, and its announce label's value (docker-cluster-announce.ts). */
interface Claim extends NodeAddress {
  announce: string;
}

/** The container summary listContainers gives (the fields read here). */
interface ContainerSummary {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

export class DockerSpares {
  /** Each claimed container's member, by container id: read from the container at most once. */
  private readonly claims = new Map<string, Claim>();

  constructor(private readonly host: DockerSpareHost) {}

  /** Makes the running spare the node `spec` describes; undefined when the spec needs a container of its own. */
  async claim(spare: NodeSpec, handle: NodeHandle, spec: NodeSpec): Promise<NodeHandle | undefined> {
    const { host } = this;
    if (
      !spec.endpoint ||
      !spec.cluster ||
      !spec.tls ||
      spec.sasl ||
      spare.tls?.mode !== spec.tls.mode ||
      // The container listens and publishes the port it was created with.
      spare.port !== spec.port ||
      spare.access.mode !== 'acl' ||
      spec.access.mode !== 'acl' ||
      !handle.target
    )
      return undefined;
    const shared = await host.clusterAnnounceAddress();
    if (!shared) return undefined;
    const container = host.docker.getContainer(handle.runtimeId);
    const info = await container.inspect();
    const address = info.NetworkSettings.Networks?.[host.network]?.IPAddress;
    if (!info.State.Running || !address) return undefined;

    // Whatever an earlier attempt left of the member's node goes first (its container, its announced ports).
    await host.removeNode(spec, undefined);
    // The spare's bus forward closes and its address stops marking it as the spare's; then both are the member's.
    await host.announce.release(spare);
    const announced = await host.announce.reserve(spec, shared);
    const claim: Claim = {
      account: spec.account,
      region: spec.region,
      clusterId: spec.clusterId,
      nodeId: spec.nodeId,
      announce: announceLabel(announced),
    };
    this.claims.set(handle.runtimeId, claim);
    await host.announce.follow(spec, address, claim.announce);
    try {
      const dir = `/etc/elasticache-local/claimed-${randomBytes(4).toString('hex')}`;
      await container.putArchive(await claimArchive(spec, dir, JSON.stringify(claim)), { path: '/' });
      const files = tlsFiles(`${dir}/node.conf`);
      const redis = await spareAdmin(spare, handle.target);
      try {
        // One CONFIG SET: all of it applies, or none (the spare is then removed and a node started as usual).
        // prettier-ignore
        await redis.call(
          'CONFIG', 'SET',
          'tls-cert-file', files.certificate,
          'tls-key-file', files.key,
          'tls-ca-cert-file', files.authority,
          'maxmemory', String(spec.maxMemoryBytes),
          'cluster-announce-hostname', spec.cluster.announceHost,
          'cluster-announce-ip', announced.address,
          'cluster-announce-port', String(announced.port),
          'cluster-announce-tls-port', String(announced.port),
          'cluster-announce-bus-port', String(announced.busPort),
          'replica-announce-ip', announced.address,
          'replica-announce-port', String(announced.port),
          'masterauth', spec.access.replicationPassword,
        );
        await takeMemberCredentials(redis, spec);
      } finally {
        redis.disconnect();
      }
      if (spare.maxMemoryBytes !== spec.maxMemoryBytes) {
        const memory = host.memoryLimit(spec);
        // As at creation, where Docker gives a container as much swap as memory.
        await container.update({ Memory: memory, MemorySwap: memory * 2 });
      }
      // `docker ps` shows the member, and removing the member by name removes this container.
      await container.rename({ name: host.containerName(spec) });
    } catch (error) {
      this.claims.delete(handle.runtimeId);
      await host.announce.release(spec);
      throw error;
    }
    return host.inspectNode(spec, { runtimeId: handle.runtimeId });
  }

  /** Whether a container created as `labels` says serves as the node `node` (a claimed spare asked for as its member). */
  isClaimedAs(labels: Record<string, string> | undefined, node: NodeAddress): boolean {
    return labels?.[this.host.labels.account] === SPARE_ACCOUNT && node.account !== SPARE_ACCOUNT;
  }

  /** What a claimed container announces as its member (its own label names the spare's ports). */
  async announceOf(containerId: string): Promise<string | undefined> {
    return (await this.claimOf(containerId))?.announce;
  }

  /**
   * A container of this instance as listNodes gives it: a claimed spare as its member's node, an unclaimed one only
   * when spares are asked for.
   */
  async listed(container: ContainerSummary, options: { spares?: boolean }): Promise<RunningNode | undefined> {
    const { labels } = this.host;
    const node: RunningNode = {
      runtimeId: container.Id,
      account: container.Labels[labels.account],
      region: container.Labels[labels.region],
      clusterId: container.Labels[labels.cluster],
      nodeId: container.Labels[labels.node],
      running: container.State === 'running',
    };
    if (node.account !== SPARE_ACCOUNT) return node;
    // A spare keeps its own name until a claim gives it its member's.
    const claim = container.Names.includes(`/${this.host.containerName(node)}`)
      ? undefined
      : await this.claimOf(container.Id);
    if (claim) {
      const { account, region, clusterId, nodeId } = claim;
      return { ...node, account, region, clusterId, nodeId };
    }
    return options.spares ? node : undefined;
  }

  /** A container gone: nothing is kept of its claim. */
  forget(containerId: string): void {
    this.claims.delete(containerId);
  }

  private async claimOf(containerId: string): Promise<Claim | undefined> {
    const known = this.claims.get(containerId);
    if (known) return known;
    try {
      const tar = await this.host.docker.getContainer(containerId).getArchive({ path: CLAIM_FILE });
      const claim = JSON.parse((await readFirstFile(tar)).toString('utf8')) as Claim;
      if (!claim.account || !claim.clusterId || !claim.nodeId || !claim.announce) return undefined;
      this.claims.set(containerId, claim);
      return claim;
    } catch {
      // Never claimed (no such file), or gone.
      return undefined;
    }
  }
}
