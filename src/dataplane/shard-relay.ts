/**
 * Replicates one shard of a cluster-mode group into another cluster (a global datastore's secondary). Redis refuses
 * REPLICAOF on a cluster-mode node, so the emulator stands in as the replica: it takes the source shard primary's
 * replication stream (dataplane/replication-stream.ts) and, for every key a propagated command touches, copies
 * the key's current value from the source (DUMP, PTTL) into the primary of the target shard owning its slot
 * (RESTORE REPLACE), or deletes it there when the source no longer has it. Copying state rather than replaying
 * commands makes every copy idempotent: after a full resynchronisation (the first, a reconnect, a FLUSHALL) every
 * key of the source and every key of the target in the source's slots is copied once more, and the target ends
 * equal to the source. What carries no key (FUNCTION LOAD, SCRIPT LOAD) is not copied.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../common/logger.js';
import type { SlotRanges } from '../common/slot-ranges.js';
import { denyClientWrites } from './client-write-denial.js';
import { inSlotRanges, keySlot } from './key-slots.js';
import { connectAdmin, describeNode, type AdminTarget } from './node-admin.js';
import { ReplicationStream } from './replication-stream.js';

export interface RelayTarget {
  admin: AdminTarget;
  slots: SlotRanges;
}

/** Where the shard's data comes from and goes to, as the store says now. */
export interface RelayRoute {
  source: AdminTarget;
  sourceSlots: SlotRanges;
  targets: RelayTarget[];
}

export interface ShardRelayOptions {
  /** The route now; undefined when the relay has no reason to run any more (it then stops). */
  resolve(): Promise<RelayRoute | undefined>;
  log: Logger;
}

/** Commands in the stream that change no key of the shard's keyspace, or that are handled by name below. */
const KEYLESS = new Set(['ping', 'select', 'multi', 'exec', 'publish', 'spublish', 'function', 'script']);
/** Commands after which the whole keyspace is compared again. */
const WHOLESALE = new Set(['flushall', 'flushdb', 'swapdb']);

const RETRY_MS = 1000;
const BATCH = 500;

export class ShardRelay {
  private route: RelayRoute | undefined;
  private stream: ReplicationStream | undefined;
  private source: Redis | undefined;
  private readonly targets = new Map<string, Redis>();
  /** Keys to copy, by their bytes (latin1 keeps them one to one). */
  private readonly dirty = new Map<string, Buffer>();
  private commands: Buffer[][] = [];
  private working = false;
  private generation = 0;
  private stoppedFlag = false;
  private synced = false;
  private fullSyncPending = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly tick: NodeJS.Timeout;
  private waiters: (() => void)[] = [];
  private lastError: Error | undefined;

  constructor(private readonly options: ShardRelayOptions) {
    this.tick = setInterval(() => void this.guardTargets(), RETRY_MS);
    this.tick.unref();
    void this.connect();
  }

  /** Resolves once the target holds what the source held when the relay (re)connected. */
  whenSynced(timeoutMs: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`the shard relay has not synced: ${this.lastError?.message ?? 'still copying'}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  /** Reads the route again: a new source means a new replication connection; new targets take effect at once. */
  async refresh(): Promise<void> {
    const route = await this.options.resolve();
    if (!route) return this.stop();
    const sourceMoved = !this.route || describeNode(route.source) !== describeNode(this.route.source);
    this.route = route;
    if (sourceMoved) this.restart(new Error('the source shard has a new primary'));
  }

  /** Stopped for good (asked to, or its route said it has no reason to run). */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  stop(): void {
    this.stoppedFlag = true;
    clearInterval(this.tick);
    clearTimeout(this.retryTimer);
    this.disconnect();
  }

  private disconnect(): void {
    this.generation++;
    this.stream?.close();
    this.stream = undefined;
    this.source?.disconnect();
    this.source = undefined;
    for (const target of this.targets.values()) target.disconnect();
    this.targets.clear();
    this.commands = [];
  }

  private restart(error: Error): void {
    if (this.stoppedFlag) return;
    this.lastError = error;
    this.disconnect();
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), RETRY_MS);
    this.retryTimer.unref();
  }

  private async connect(): Promise<void> {
    if (this.stoppedFlag) return;
    const generation = ++this.generation;
    try {
      const route = await this.options.resolve();
      if (!route) return this.stop();
      if (generation !== this.generation) return;
      this.route = route;
      const source = await connectAdmin(route.source);
      if (generation !== this.generation) return source.disconnect();
      this.source = source;
      // Reads of a key the source serves as a replica (after a failover in its group) would be redirected without.
      await source.call('READONLY').catch(() => undefined);
      this.stream = new ReplicationStream(route.source, {
        onFullSync: () => {
          if (generation !== this.generation) return;
          this.fullSyncPending = true;
          this.kick();
        },
        onCommand: (args) => {
          if (generation !== this.generation) return;
          this.commands.push(args);
          this.kick();
        },
        onEnd: (error) => {
          if (generation === this.generation) this.restart(error);
        },
      });
    } catch (error) {
      if (generation === this.generation) this.restart(error as Error);
    }
  }

  private kick(): void {
    if (this.working || this.stoppedFlag) return;
    this.working = true;
    const generation = this.generation;
    void this.work(generation)
      .catch((error: Error) => {
        if (generation !== this.generation) return;
        this.options.log.warn({ err: error }, 'shard relay copy failed; it starts over');
        this.restart(error);
      })
      .finally(() => {
        this.working = false;
        if (generation === this.generation && (this.commands.length > 0 || this.dirty.size > 0)) this.kick();
      });
  }

  /** Copies until nothing is left to copy: a pending full comparison, the streamed commands' keys, dirty keys. */
  private async work(generation: number): Promise<void> {
    while (generation === this.generation) {
      if (this.fullSyncPending) {
        this.fullSyncPending = false;
        await this.markEverything();
      } else if (this.commands.length > 0) {
        const commands = this.commands;
        this.commands = [];
        await this.markKeysOf(commands);
      } else if (this.dirty.size > 0) {
        await this.copyBatch();
      } else {
        if (!this.synced && this.stream) {
          this.synced = true;
          this.lastError = undefined;
          for (const waiter of this.waiters.splice(0)) waiter();
        }
        return;
      }
    }
  }

  private mark(key: Buffer): void {
    this.dirty.set(key.toString('latin1'), key);
  }

  /** Every key of the source, and every key of a target in the source's slots (which the source may lack). */
  private async markEverything(): Promise<void> {
    const route = this.route!;
    await scanKeys(this.source!, (key) => this.mark(key));
    for (const target of route.targets) {
      await scanKeys(await this.target(target.admin), (key) => {
        if (inSlotRanges(keySlot(key), route.sourceSlots)) this.mark(key);
      });
    }
  }

  private async markKeysOf(commands: Buffer[][]): Promise<void> {
    const asked: Buffer[][] = [];
    for (const args of commands) {
      const name = args[0].toString('latin1').toLowerCase();
      if (WHOLESALE.has(name)) this.fullSyncPending = true;
      else if (!KEYLESS.has(name)) asked.push(args);
    }
    if (asked.length === 0) return;
    const pipeline = this.source!.pipeline();
    for (const args of asked) pipeline.callBuffer('COMMAND', 'GETKEYS', ...args);
    for (const [error, keys] of (await pipeline.exec()) ?? []) {
      // A command with no key arguments is refused by GETKEYS: it has nothing to copy.
      if (!error) for (const key of keys as Buffer[]) this.mark(key);
    }
  }

  private async copyBatch(): Promise<void> {
    const batch = [...this.dirty.entries()].slice(0, BATCH);
    for (const [name] of batch) this.dirty.delete(name);
    const keys = batch.map(([, key]) => key);
    const read = this.source!.pipeline();
    for (const key of keys) read.pttl(key).dumpBuffer(key);
    const answers = (await read.exec()) ?? [];
    const writes = new Map<RelayTarget, Buffer[]>();
    const route = this.route!;
    const pipelines = new Map<RelayTarget, ReturnType<Redis['pipeline']>>();
    for (const [i, key] of keys.entries()) {
      const [ttlError, ttl] = answers[2 * i];
      const [dumpError, dump] = answers[2 * i + 1];
      // A key of a slot the source no longer serves (resharding): the shard that took the slot copies it.
      if (ttlError || dumpError) continue;
      const slot = keySlot(key);
      const target = route.targets.find((t) => inSlotRanges(slot, t.slots));
      if (!target) continue;
      let pipeline = pipelines.get(target);
      if (!pipeline) {
        const redis = await this.target(target.admin);
        pipeline = redis.pipeline();
        pipelines.set(target, pipeline);
        writes.set(target, []);
      }
      writes.get(target)!.push(key);
      if (dump === null) pipeline.del(key);
      else pipeline.restore(key, Math.max(0, Number(ttl)), dump as Buffer, 'REPLACE');
    }
    for (const [target, pipeline] of pipelines) {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.findIndex(([error]) => error);
      if (failed >= 0) {
        // The target moved (a failover or resharding in its group): these keys wait for the route to be read again.
        for (const key of writes.get(target)!) this.mark(key);
        throw new Error(`copying into ${describeNode(target.admin)} failed: ${results[failed][0]!.message}`);
      }
    }
  }

  private async target(admin: AdminTarget): Promise<Redis> {
    const name = describeNode(admin);
    let redis = this.targets.get(name);
    // A connection that closed (the node restarted) is not reopened by itself: a new one is made.
    if (redis && redis.status !== 'ready') {
      redis.disconnect();
      redis = undefined;
    }
    if (!redis) {
      redis = await connectAdmin(admin);
      this.targets.set(name, redis);
      await denyClientWrites(redis);
    }
    return redis;
  }

  /** Every second: the targets' clients stay kept from writing (a user change there resets their rules). */
  private async guardTargets(): Promise<void> {
    if (this.stoppedFlag || !this.route) return;
    for (const target of this.route.targets) {
      try {
        await denyClientWrites(await this.target(target.admin));
      } catch (error) {
        this.lastError = error as Error;
      }
    }
  }
}

async function scanKeys(redis: Redis, each: (key: Buffer) => void): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'COUNT', 1000);
    for (const key of keys) each(key);
    cursor = next.toString();
  } while (cursor !== '0');
}
