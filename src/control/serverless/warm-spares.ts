/**
 * Warm spares for serverless caches: a small pool of shards already formed, each a primary serving every slot and a
 * replica synced with it, both cluster-mode TLS nodes, which a new cache's backing nodes are made from instead of
 * fresh ones. A new cluster-mode primary holds its cluster state back for seconds (Redis's CLUSTER_WRITABLE_DELAY,
 * and the rejoin delay of a master that saw itself without slots), and a new cluster's nodes take a few gossip
 * rounds to meet and settle; a spare shard has done all of that before it is claimed. A claim re-addresses each node
 * as its member's (endpoint, announced address, certificate, credentials: NodeRuntime.claimSpare), after which the
 * group's own cluster creation finds the shard formed and only re-meets its nodes at their new addresses; from then
 * on they are ordinary nodes of their members.
 *
 * A pool exists per engine version from the first serverless cache of that version on (an emulator that never
 * creates one runs no spare: a spare shard costs two idle engine processes), or from start for the engines the
 * --serverless-warm-pool setting names (prewarmPools). Spares live under an address of their
 * own (SPARE_ACCOUNT): stopping the emulator removes them, and a start after a crash removes them as orphans.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../common/logger.js';
import {
  createCluster,
  meetMovedMembers,
  waitSlotMapComplete,
  type ClusterMember,
} from '../../dataplane/redis-cluster.js';
import type { Engine } from '../../common/engines.js';
import { SPARE_ACCOUNT, type NodeHandle, type NodeRuntime, type NodeSpec } from '../../runtime/runtime.js';

const SPARE_REGION = 'pool';

/** A claimed shard's other node not taken by then (its member failed first) is removed. */
const UNCLAIMED_HALF_MS = 30_000;

/**
 * How long after a claim the pool refills: a new shard's two engine starts and its forming compete for the same
 * cores with the claiming cache's own cluster work, which is done by then. A create that finds the pool empty
 * meanwhile starts the refill at once.
 */
const REFILL_DELAY_MS = 1_000;

type Role = 'primary' | 'replica';

interface SpareNode {
  spec: NodeSpec;
  handle: NodeHandle;
}

type Shard = Record<Role, SpareNode>;

/** A shard of the pool: `formed` once its nodes are one cluster. */
interface SpareShard {
  forming: Promise<Shard | undefined>;
  formed?: Shard;
}

/** A shard claimed by a group whose other member has not taken its node yet. */
interface HalfClaimed {
  shard: Promise<Shard | undefined>;
  taken: Set<Role>;
  timer: NodeJS.Timeout;
  /** Each node once claimed, as its member's: the second claim introduces them at their new addresses. */
  claimedAs: Partial<Record<Role, ClusterMember>>;
}

/** Whether a node may be made from a spare: a serverless cache's backing node being created, TLS required, no data. */
export function claimable(spec: NodeSpec): boolean {
  return (
    spec.engine !== 'memcached' &&
    spec.cluster?.spareRole !== undefined &&
    spec.cluster.groupId !== undefined &&
    spec.tls?.mode === 'required' &&
    spec.endpoint !== undefined &&
    spec.seedRdb === undefined
  );
}

export class WarmSpares {
  private readonly pools = new Map<string, SpareShard[]>();
  private readonly claimed = new Map<string, HalfClaimed>();
  private readonly forming = new Set<Promise<Shard | undefined>>();
  /** Refills waiting for REFILL_DELAY_MS, by pool. */
  private readonly refills = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly runtime: NodeRuntime,
    /** The runtime's NodeRuntime.claimSpare. */
    private readonly claim: NonNullable<NodeRuntime['claimSpare']>,
    private readonly log: Logger,
    /** Formed shards kept per engine version. */
    private readonly size = 1,
  ) {}

  /**
   * The node `spec` describes, made from a spare shard's node in its role; undefined when none can be (not a new
   * serverless node, no shard formed yet, or the claim failed), and the caller starts the node as usual. The first
   * node of a version asked for starts its pool (REFILL_DELAY_MS later, as every claim refills it).
   */
  /**
   * A pool per engine version, and per port where a spare's port is its members' (see spareSpec). Where nodes move
   * to their endpoints' ports (processes) the port is no part of it: a serverless primary and its replica ask with
   * different ports (6379, 6380), and whichever asks first names the pool.
   */
  private keyOf(spec: NodeSpec): string {
    const base = `${spec.engine}-${spec.engineVersion}`;
    return this.runtime.servesEndpoints ? base : `${base}-${spec.port}`;
  }

  async take(spec: NodeSpec): Promise<NodeHandle | undefined> {
    if (this.closed || this.size <= 0 || !claimable(spec)) return undefined;
    const role = spec.cluster!.spareRole!;
    const groupKey = `${spec.account}/${spec.region}/${spec.cluster!.groupId}`;
    // The group's members ask side by side: the first takes a shard for both, with no await in between.
    let half = this.claimed.get(groupKey);
    if (!half) {
      const pool = this.pools.get(this.keyOf(spec)) ?? [];
      this.pools.set(this.keyOf(spec), pool);
      // A refill still waiting starts now: a shard forming is ready no later than fresh nodes would be.
      if (pool.length === 0 && this.refills.has(this.keyOf(spec))) this.refillNow(this.keyOf(spec), spec);
      // A formed shard first; else one still forming, which is ready no later than fresh nodes would be.
      const ready = pool.findIndex((s) => s.formed);
      const next = pool.splice(ready >= 0 ? ready : 0, 1)[0];
      this.scheduleRefill(this.keyOf(spec), spec);
      // None: the group's other member starts a node of its own too, even if a shard forms before it asks.
      const shard = next ? (next.formed ? Promise.resolve(next.formed) : next.forming) : Promise.resolve(undefined);
      const timer = setTimeout(() => void this.dropHalf(groupKey), UNCLAIMED_HALF_MS);
      timer.unref();
      half = { shard, taken: new Set(), timer, claimedAs: {} };
      this.claimed.set(groupKey, half);
    }
    if (half.taken.has(role)) return undefined;
    half.taken.add(role);
    if (half.taken.size === 2) {
      clearTimeout(half.timer);
      this.claimed.delete(groupKey);
    }
    const shard = await half.shard;
    if (!shard) return undefined;
    const node = shard[role];
    try {
      const handle = this.closed ? undefined : await this.claim(node.spec, node.handle, spec);
      if (handle) {
        this.log.debug({ cluster: spec.clusterId, spare: node.spec.clusterId, role }, 'warm spare claimed');
        this.introduce(half, role, spec, handle);
        return handle;
      }
    } catch (error) {
      this.log.warn({ err: error, cluster: spec.clusterId }, 'a warm spare could not be claimed; starting a node');
    }
    await this.runtime.removeNode(node.spec, node.handle).catch(() => undefined);
    return undefined;
  }

  /**
   * Once both nodes of a claimed shard are re-addressed, each meets the other at its new address now, rather than
   * when the group's cluster creation gets to it: the handshakes then overlap the rest of the members' start.
   */
  private introduce(half: HalfClaimed, role: Role, spec: NodeSpec, handle: NodeHandle): void {
    if (!handle.target || !handle.peer) return;
    // Reached on its member's address and credentials; met where its member's peers meet it.
    const at = { host: handle.target.host, port: handle.target.port };
    const admin = { ...at, access: spec.access, ...(spec.tls ? { tls: { authority: spec.tls.authority } } : {}) };
    half.claimedAs[role] = { admin, peer: handle.peer };
    const { primary, replica } = half.claimedAs;
    if (!primary || !replica) return;
    // The group's cluster creation meets whatever this did not: a failure here costs time, not correctness.
    meetMovedMembers([primary, replica]).catch((error: unknown) =>
      this.log.debug({ err: error, cluster: spec.clusterId }, 'claimed warm spares not introduced early'),
    );
  }

  /**
   * Fills the pool `template` keys now, as the first claim of its engine version would a second later: the pool of a
   * version no cache has used yet (the warm pool at start).
   */
  prewarm(template: NodeSpec): Promise<boolean> {
    if (this.closed || this.size <= 0) return Promise.resolve(false);
    const key = this.keyOf(template);
    if (!this.pools.has(key)) this.pools.set(key, []);
    this.refill(key, template);
    // Whether the pool's shards formed (none claimed meanwhile): what the start's log line says.
    return Promise.all(this.pools.get(key)!.map((shard) => shard.forming)).then((shards) => shards.every(Boolean));
  }

  private scheduleRefill(key: string, template: NodeSpec): void {
    if (this.refills.has(key)) return;
    const timer = setTimeout(() => this.refillNow(key, template), REFILL_DELAY_MS);
    timer.unref();
    this.refills.set(key, timer);
  }

  private refillNow(key: string, template: NodeSpec): void {
    clearTimeout(this.refills.get(key));
    this.refills.delete(key);
    this.refill(key, template);
  }

  private refill(key: string, template: NodeSpec): void {
    const pool = this.pools.get(key);
    if (this.closed || !pool) return;
    while (pool.length < this.size) {
      const shard: SpareShard = { forming: this.formShard(template) };
      this.forming.add(shard.forming);
      pool.push(shard);
      // A shard that failed to form leaves the pool; the next claim refills it.
      void shard.forming.then((formed) => {
        this.forming.delete(shard.forming);
        if (formed) {
          shard.formed = formed;
          this.log.debug({ pool: key }, 'a warm spare shard is formed');
        } else if (pool.includes(shard)) pool.splice(pool.indexOf(shard), 1);
      });
    }
  }

  /** Two spare nodes made one cluster: the primary serves every slot, the replica has synced with it. */
  private async formShard(template: NodeSpec): Promise<Shard | undefined> {
    const replicationPassword = randomBytes(24).toString('hex');
    // One group: the runtime lets a node's peers reach its cluster bus only from the nodes of its group.
    const shardId = `spare-shard-${randomBytes(6).toString('hex')}`;
    const port = this.runtime.servesEndpoints ? 0 : template.port;
    const specs = {
      primary: spareSpec(template, replicationPassword, shardId, port),
      replica: spareSpec(template, replicationPassword, shardId, port),
    };
    const started: Partial<Record<Role, SpareNode>> = {};
    try {
      await Promise.all(
        (['primary', 'replica'] as const).map(async (role) => {
          started[role] = { spec: specs[role], handle: await this.runtime.createNode(specs[role]) };
        }),
      );
      const shard = started as Shard;
      const primary = memberOf(shard.primary);
      const replica = memberOf(shard.replica);
      await createCluster([{ primary, replicas: [replica], slots: [[0, 16383]] }]);
      await waitSlotMapComplete([primary, replica]);
      if (this.closed) throw new Error('the emulator is stopping');
      return shard;
    } catch (error) {
      if (!this.closed) this.log.warn({ err: error }, 'a warm spare shard could not be formed');
      await Promise.all(
        (['primary', 'replica'] as const).map((role) =>
          this.runtime.removeNode(specs[role], started[role]?.handle).catch(() => undefined),
        ),
      );
      return undefined;
    }
  }

  private async dropHalf(groupKey: string): Promise<void> {
    const half = this.claimed.get(groupKey);
    if (!half) return;
    this.claimed.delete(groupKey);
    clearTimeout(half.timer);
    const shard = await half.shard;
    for (const role of ['primary', 'replica'] as const) {
      if (half.taken.has(role) || !shard) continue;
      const node = shard[role];
      await this.runtime.removeNode(node.spec, node.handle).catch(() => undefined);
    }
  }

  /** Removes every spare (the emulator stops or resets): none is left running. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.refills.values()) clearTimeout(timer);
    this.refills.clear();
    const shards = [...this.pools.values()].flat();
    this.pools.clear();
    await Promise.all([...this.claimed.keys()].map((key) => this.dropHalf(key)));
    // A shard still forming removes its own nodes once it sees the pool closed.
    await Promise.all([...this.forming]);
    for (const { formed } of shards) {
      if (!formed) continue;
      for (const node of [formed.primary, formed.replica])
        await this.runtime.removeNode(node.spec, node.handle).catch(() => undefined);
    }
  }
}

/** How the emulator reaches a spare and its peer meets it: on the spare's own address, with its own credentials. */
function memberOf({ spec, handle }: SpareNode): ClusterMember {
  if (!handle.target || !handle.peer) throw new Error('a warm spare must run');
  const at = { host: handle.target.host, port: handle.target.port };
  return {
    admin: { ...at, access: spec.access, ...(spec.tls ? { tls: { authority: spec.tls.authority } } : {}) },
    peer: { ...at, busPort: handle.peer.busPort },
  };
}

/**
 * A spare's own spec: the serverless node's engine, version, parameters and certificate authority, on a spare
 * address with credentials of its own (the replication password its shard shares) and no endpoint. Its port: a free
 * one where nodes listen on their endpoints (a claim moves it there), else its members' (a container's engine keeps
 * the port it was created with).
 */
function spareSpec(template: NodeSpec, replicationPassword: string, shardId: string, port: number): NodeSpec {
  return {
    account: SPARE_ACCOUNT,
    region: SPARE_REGION,
    clusterId: `spare-${randomBytes(6).toString('hex')}`,
    nodeId: '0001',
    engine: template.engine,
    engineVersion: template.engineVersion,
    cacheNodeType: template.cacheNodeType,
    maxMemoryBytes: template.maxMemoryBytes,
    port,
    parameters: template.parameters,
    access: { mode: template.access.mode, adminPassword: randomBytes(24).toString('hex'), replicationPassword },
    tls: template.tls,
    aliases: [],
    cluster: { announceHost: '127.0.0.1', announcePort: 0, groupId: shardId },
  };
}

/**
 * The warm pool at start (--serverless-warm-pool): each engine's pool of its default serverless version, filled in
 * the background from the template a real create's first backing node would match (NodeSpecs.serverlessTemplate).
 */
export function prewarmPools(
  spares: WarmSpares | undefined,
  template: (engine: Exclude<Engine, 'memcached'>) => NodeSpec,
  engines: readonly Exclude<Engine, 'memcached'>[],
  log: Logger,
): void {
  if (engines.length === 0) return;
  if (!spares) {
    log.warn('--serverless-warm-pool: this runtime runs no node, so no warm spare is formed');
    return;
  }
  for (const engine of engines) {
    try {
      const spec = template(engine);
      const what = `${engine} ${spec.engineVersion}`;
      log.info(
        { engine, engineVersion: spec.engineVersion },
        `serverless warm pool: a spare shard of ${what} is forming`,
      );
      void spares.prewarm(spec).then((formed) => {
        if (formed) log.info({ engine, engineVersion: spec.engineVersion }, `serverless warm pool: ${what} is ready`);
      });
    } catch (error) {
      log.warn({ err: error, engine }, 'serverless warm pool: no spare could be formed');
    }
  }
}
