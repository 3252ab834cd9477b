/**
 * Resharding a Redis Cluster: moving slots, with their keys, from one primary to another while clients keep
 * being served (they follow ASK and MOVED meanwhile). Slots go in pipelined batches, so empty ones cost almost
 * nothing.
 */
import type { Redis } from 'ioredis';
import { knows, myselfIn, slotOwners } from './cluster-nodes-parser.js';
import { clusterState, memberIds, nodesOf, readClusterNodes, type ClusterMember } from './cluster-views.js';
import {
  adminCommand,
  connectAdmin,
  migrateAuth,
  describeNode,
  NodeUnreachable,
  pollUntil,
  withAdmin,
} from './node-admin.js';

export interface MoveOptions {
  /** Called with 0-100 after each batch of slots. */
  onProgress?: (percentage: number) => void;
  /** Slots handled per round of pipelined commands. */
  slotsPerBatch?: number;
  /** Keys per MIGRATE. */
  keysPerMigrate?: number;
  /** MIGRATE's own timeout: how long the source waits on the target per transfer. */
  migrateTimeoutMs?: number;
  timeoutMs?: number;
}

export interface MoveResult {
  slots: number;
  keys: number;
}

type PipelineResult = Array<[Error | null, unknown]>;

async function pipelined(
  redis: Redis,
  commands: string[][],
  context: (i: number) => string,
  ignore?: RegExp,
): Promise<unknown[]> {
  if (commands.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const [name, ...args] of commands) pipeline.call(name, ...args);
  const results = ((await pipeline.exec()) ?? []) as PipelineResult;
  return results.map(([error, value], i) => {
    if (error && !ignore?.test(error.message)) throw new Error(`${context(i)}: ${error.message}`);
    return value;
  });
}

/**
 * Moves slots, with their keys, from one primary to another, the way redis-cli does: the target imports and the
 * source migrates each slot, keys go over with MIGRATE until the slot is empty, then every primary is told the
 * new owner (target first). Clients meanwhile follow ASK and MOVED redirections and see every key. Slots are
 * handled in pipelined batches, so empty slots cost almost nothing. Resumable: slots already moved are only
 * announced again, and keys that reached the target before a crash are replaced by the source's copy, the one
 * clients were still served.
 */
export async function moveSlots(
  from: ClusterMember,
  to: ClusterMember,
  slots: number[],
  everyone: ClusterMember[],
  options: MoveOptions = {},
): Promise<MoveResult> {
  const batchSize = options.slotsPerBatch ?? 512;
  const keysPerMigrate = options.keysPerMigrate ?? 200;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const [fromId, toId] = await memberIds([from, to]);
  if (fromId === toId) throw new Error(`cannot move slots from ${describeNode(from.admin)} to itself`);
  const others = everyone.filter(
    (member) => ![from, to].some((end) => describeNode(end.admin) === describeNode(member.admin)),
  );

  // Every primary must know the target by id before it can be told that the target serves a slot.
  await pollUntil(
    async () => {
      const views = await Promise.all(
        [from, to, ...others].map((member) => readClusterNodes(member).catch(() => undefined)),
      );
      const [fromView, toView] = views;
      if (!fromView || !toView) return 'the source or the target does not answer';
      if (myselfIn(toView).role !== 'primary')
        throw new Error(`cannot move slots to ${describeNode(to.admin)}: it is a replica`);
      // A target that still reports the cluster down refuses the keys (CLUSTERDOWN), typically a node just added.
      const state = await withAdmin(to.admin, clusterState);
      if (state !== 'ok') return `${describeNode(to.admin)} reports cluster_state:${state}`;
      const blind = views.findIndex((view) => view && (!knows(view, toId) || !knows(view, fromId)));
      return blind < 0
        ? { value: undefined }
        : `${describeNode([from, to, ...others][blind].admin)} does not know both nodes yet`;
    },
    timeoutMs,
    `cannot move slots from ${describeNode(from.admin)} to ${describeNode(to.admin)}`,
    100,
  );

  const source = await connectAdmin(from.admin, { commandTimeoutMs: 60_000 });
  const target = await connectAdmin(to.admin, { commandTimeoutMs: 60_000 }).catch((error) => {
    source.disconnect();
    throw error;
  });
  try {
    const fromOwners = slotOwners(await nodesOf(source));
    const toOwners = slotOwners(await nodesOf(target));
    const toMove: number[] = [];
    const toAnnounce: number[] = [];
    for (const slot of slots) {
      // The target is told first, so a target that already serves the slot means its keys have all gone over.
      if (toOwners[slot] === toId || fromOwners[slot] === toId) toAnnounce.push(slot);
      else if (fromOwners[slot] === fromId) toMove.push(slot);
      else
        throw new Error(
          `slot ${slot} is served by ${fromOwners[slot] ?? 'no node'}, not by ${describeNode(from.admin)}`,
        );
    }
    const migrate = (slot: number, keys: string[]) => {
      const auth = migrateAuth(to.admin);
      return [
        adminCommand(from.admin, 'MIGRATE'),
        to.peer.host,
        String(to.peer.port),
        '',
        '0',
        String(options.migrateTimeoutMs ?? 10_000),
        'REPLACE',
        ...auth,
        'KEYS',
        ...keys,
      ];
    };
    const done = { slots: 0, keys: 0 };
    const announce = async (batch: number[]) => {
      const setNode = batch.map((slot) => ['CLUSTER', 'SETSLOT', String(slot), 'NODE', toId]);
      const what = (i: number) => `telling the nodes that ${describeNode(to.admin)} serves slot ${batch[i]}`;
      await pipelined(target, setNode, what);
      // A source left without slots turns itself into a replica of the target (Redis 7 does that as soon as it
      // hears the target's claim, or on this SETSLOT): it then already knows.
      await pipelined(source, setNode, what, /only with masters/);
      await Promise.all(
        others.map((member) =>
          withAdmin(member.admin, (redis) => pipelined(redis, setNode, what, /only with masters/)).catch((error) => {
            // A member that is down learns the new owner from gossip when it is back.
            if (!(error instanceof NodeUnreachable)) throw error;
          }),
        ),
      );
    };
    if (toAnnounce.length > 0) await announce(toAnnounce);
    for (let start = 0; start < toMove.length; start += batchSize) {
      const batch = toMove.slice(start, start + batchSize);
      await pipelined(
        target,
        batch.map((slot) => ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId]),
        (i) => `${describeNode(to.admin)} cannot import slot ${batch[i]}`,
      );
      await pipelined(
        source,
        batch.map((slot) => ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId]),
        (i) => `${describeNode(from.admin)} cannot migrate slot ${batch[i]}`,
      );
      let pending = batch;
      while (pending.length > 0) {
        const keys = (await pipelined(
          source,
          pending.map((slot) => ['CLUSTER', 'GETKEYSINSLOT', String(slot), String(keysPerMigrate)]),
          (i) => `reading the keys of slot ${pending[i]}`,
        )) as string[][];
        pending = pending.filter((_, i) => keys[i].length > 0);
        const loaded = keys.filter((list) => list.length > 0);
        await pipelined(
          source,
          pending.map((slot, i) => migrate(slot, loaded[i])),
          (i) => `MIGRATE of slot ${pending[i]} from ${describeNode(from.admin)} to ${describeNode(to.peer)} failed`,
        );
        done.keys += loaded.reduce((sum, list) => sum + list.length, 0);
      }
      await announce(batch);
      done.slots += batch.length;
      options.onProgress?.(Math.floor((done.slots * 100) / toMove.length));
    }
    if (toMove.length === 0) options.onProgress?.(100);
    return { slots: toMove.length + toAnnounce.length, keys: done.keys };
  } finally {
    source.disconnect();
    target.disconnect();
  }
}
