/**
 * Replication for cluster mode disabled: one primary, its replicas, and failover between them. These are the
 * primitives the replication-group worker calls; each one is safe to call again after a crash midway, because the
 * worker resumes unfinished jobs. Nodes are told about each other by their Peer address (how one node reaches
 * another), while the emulator talks to them by their AdminTarget.
 */
import type { Redis } from 'ioredis';
import {
  adminCommand,
  describeNode,
  isTransient,
  parseInfo,
  pollUntil,
  setReplicationAuth,
  withAdmin,
  type AdminTarget,
  type Peer,
} from './node-admin.js';

export type { AdminTarget, Peer } from './node-admin.js';

export interface ConnectedReplica {
  /** The address the primary sees the replica connect from (or its replica-announce-ip). */
  ip: string;
  port: number;
  state: string;
  offset: number;
  lag: number;
}

export interface ReplicationState {
  /** AWS's words (NodeGroupMember.CurrentRole), not the engine's master/slave. */
  role: 'primary' | 'replica';
  /** Replicas only: the primary as it was given to REPLICAOF (or, in cluster mode, as the cluster announced it). */
  masterHost?: string;
  masterPort?: number;
  /** Replicas only: the link to the primary is up, which Redis reports only once the initial sync is loaded. */
  linkUp: boolean;
  syncInProgress: boolean;
  replicationId: string;
  masterReplOffset: number;
  /** Replicas only: how far into the primary's stream this replica has processed. */
  replicaReplOffset?: number;
  /** replica-priority; 0 means the replica must never be promoted. */
  replicaPriority?: number;
  connectedReplicas: ConnectedReplica[];
  /** A FAILOVER under way on this node (the engine's own hand-over): its role is about to change. */
  failingOver: boolean;
}

export function parseReplicationInfo(text: string): ReplicationState {
  const info = parseInfo(text);
  const number = (name: string) => (info[name] === undefined ? undefined : Number(info[name]));
  const connectedReplicas: ConnectedReplica[] = [];
  for (const [name, value] of Object.entries(info)) {
    if (!/^slave\d+$/.test(name)) continue;
    const fields = Object.fromEntries(value.split(',').map((pair) => pair.split('=') as [string, string]));
    connectedReplicas.push({
      ip: fields.ip,
      port: Number(fields.port),
      state: fields.state,
      offset: Number(fields.offset),
      lag: Number(fields.lag),
    });
  }
  const replica = info.role === 'slave';
  return {
    role: replica ? 'replica' : 'primary',
    masterHost: replica ? info.master_host : undefined,
    masterPort: replica ? number('master_port') : undefined,
    linkUp: replica && info.master_link_status === 'up',
    syncInProgress: info.master_sync_in_progress === '1',
    replicationId: info.master_replid ?? '',
    masterReplOffset: number('master_repl_offset') ?? 0,
    replicaReplOffset: replica ? number('slave_repl_offset') : undefined,
    replicaPriority: replica ? number('slave_priority') : undefined,
    connectedReplicas,
    failingOver: (info.master_failover_state ?? 'no-failover') !== 'no-failover',
  };
}

export async function readReplication(redis: Redis): Promise<ReplicationState> {
  return parseReplicationInfo(await redis.info('replication'));
}

export async function replicationState(node: AdminTarget): Promise<ReplicationState> {
  return withAdmin(node, readReplication);
}

/**
 * Makes node replicate primary (REPLICAOF host port), or stand alone as a primary when primary is undefined
 * (REPLICAOF NO ONE). Nothing is re-issued when the node already is what was asked: a second REPLICAOF to another
 * address would force a full resync. The node's replication credentials are set first (setReplicationAuth).
 * Resolves true when it changed something.
 */
/**
 * How a replica reaches its primary: over TLS when both speak it, else on the primary's plain port. A group moving
 * to or from in-transit encryption has nodes of both kinds for a while; the ones in preferred mode take both.
 */
function replicationLink(node: AdminTarget, primary: Peer): { port: number; tls: boolean } {
  if (primary.tls && (node.tls || primary.plainPort === undefined)) return { port: primary.port, tls: true };
  return { port: primary.tls ? primary.plainPort! : primary.port, tls: false };
}

export async function replicaOf(node: AdminTarget, primary: Peer | undefined): Promise<boolean> {
  return withAdmin(node, async (redis) => {
    const state = await readReplication(redis);
    // A primary too: a cluster that became a group's primary takes its group's replication password.
    await setReplicationAuth(redis, node);
    if (!primary) {
      if (state.role === 'primary') return false;
      await redis.call(adminCommand(node, 'REPLICAOF'), 'NO', 'ONE');
      return true;
    }
    const link = replicationLink(node, primary);
    if (state.role === 'replica' && state.masterHost === primary.host && state.masterPort === link.port) return false;
    if (node.tls) await redis.call(adminCommand(node, 'CONFIG'), 'SET', 'tls-replication', link.tls ? 'yes' : 'no');
    await redis.call(adminCommand(node, 'REPLICAOF'), primary.host, String(link.port));
    return true;
  }).catch((error: Error) => {
    throw new Error(
      `cannot make ${describeNode(node)} ${primary ? `a replica of ${describeNode(primary)}` : 'a primary'}: ${error.message}`,
    );
  });
}

/** Resolves once the replica's link to its primary is up and its initial sync is loaded. */
/**
 * What stands at an address a replica follows, said beside a link that stays down (the emulator's listener there
 * and where it leads, when the address is one of the emulator's forwards).
 */
export type LinkExplainer = (host: string, port: number) => string | undefined;

export async function waitForSync(
  replica: AdminTarget,
  timeoutMs = 60_000,
  explainLink?: LinkExplainer,
): Promise<ReplicationState> {
  return pollUntil(
    async () => {
      const state = await replicationState(replica);
      if (state.role !== 'replica')
        throw new Error(`${describeNode(replica)} is not a replica, it has nothing to sync`);
      if (state.linkUp && !state.syncInProgress) return { value: state };
      const there =
        !state.linkUp && state.masterHost ? explainLink?.(state.masterHost, state.masterPort ?? 0) : undefined;
      return `link to ${state.masterHost}:${state.masterPort} is ${state.linkUp ? 'up' : 'down'}${state.syncInProgress ? ', initial sync in progress' : ''}${there ? ` (${there})` : ''}`;
    },
    timeoutMs,
    `replica ${describeNode(replica)} did not finish its sync`,
    100,
  );
}

export interface FailoverRequest {
  /** The replica to promote. */
  candidate: AdminTarget;
  /** How the other nodes reach the candidate. */
  candidatePeer: Peer;
  /** The current primary when it still answers; it becomes a replica of the candidate. Absent when it is dead. */
  oldPrimary?: AdminTarget;
  /** Every other replica: they follow the candidate. */
  others: AdminTarget[];
  /** How long the candidate may take to catch up with the paused primary (writes wait that long at most). */
  catchUpTimeoutMs?: number;
}

export interface FailoverResult {
  /** Others that did not answer and still follow the old primary (or nothing). */
  unreachable: AdminTarget[];
}

/**
 * Promotes candidate. With a live old primary no acknowledged write is lost: its writes are paused (CLIENT PAUSE
 * WRITE, so reads go on), the candidate catches up to the primary's offset, is promoted, and the old primary and
 * the others follow it; the writes that waited are then refused with READONLY by what is now a replica, never
 * silently dropped. The pause is given an expiry, so a crash here cannot leave the primary paused for good.
 * Called again after a crash, it resumes: a candidate that already is a primary is not promoted twice. An old
 * primary that does not answer is an error (NodeUnreachable): call again without it.
 */
export async function failover(request: FailoverRequest): Promise<FailoverResult> {
  const { candidate, candidatePeer, oldPrimary, others } = request;
  const catchUpMs = request.catchUpTimeoutMs ?? 10_000;
  const promote = () => replicaOf(candidate, undefined);
  // A replica that is down cannot be told now; the worker points it at the new primary when it heals it.
  const unreachable: AdminTarget[] = [];
  const repointOthers = () =>
    Promise.all(
      others.map((other) =>
        replicaOf(other, candidatePeer).catch((error) => {
          if (!isTransient(error)) throw error;
          unreachable.push(other);
        }),
      ),
    );
  if (!oldPrimary) {
    await promote();
    await repointOthers();
    return { unreachable };
  }
  const before = await replicationState(candidate);
  if (before.role === 'replica' && !before.linkUp) {
    throw new Error(
      `cannot fail over to ${describeNode(candidate)}: its link to the primary is down, it could not catch up`,
    );
  }
  await withAdmin(oldPrimary, async (primary) => {
    await primary.call('CLIENT', 'PAUSE', String(catchUpMs + 10_000), 'WRITE');
    try {
      if (before.role === 'replica') {
        // Paused, the primary's offset no longer moves (its replication pings pause too).
        const target = (await readReplication(primary)).masterReplOffset;
        await pollUntil(
          async () => {
            const offset = (await replicationState(candidate)).replicaReplOffset ?? 0;
            return offset >= target ? { value: offset } : `at offset ${offset} of ${target}`;
          },
          catchUpMs,
          `candidate ${describeNode(candidate)} did not catch up with the primary ${describeNode(oldPrimary)}`,
          10,
        );
        await promote();
      }
      await replicaOf(oldPrimary, candidatePeer);
      await repointOthers();
    } finally {
      await primary.call('CLIENT', 'UNPAUSE').catch(() => undefined);
    }
  });
  return { unreachable };
}

/**
 * The replica to promote when the primary is lost: the reachable one that has processed most of the primary's
 * stream (others resync partially from it; a replica ahead of the new primary would need a full sync and lose
 * what it had beyond it). Replicas with replica-priority 0 are never chosen; ties keep the caller's order.
 * A node that is already a primary (a failover that stopped midway) counts with its own offset.
 */
export async function bestCandidate<T extends AdminTarget>(replicas: T[]): Promise<T | undefined> {
  const states = await Promise.all(
    replicas.map((replica) =>
      withAdmin(replica, readReplication, { connectTimeoutMs: 1000, commandTimeoutMs: 2000 }).catch((error) => {
        if (isTransient(error)) return undefined;
        throw error;
      }),
    ),
  );
  let best: { replica: T; offset: number } | undefined;
  replicas.forEach((replica, i) => {
    const state = states[i];
    if (!state || state.replicaPriority === 0) return;
    const offset = state.replicaReplOffset ?? state.masterReplOffset;
    if (!best || offset > best.offset) best = { replica, offset };
  });
  return best?.replica;
}
