/**
 * Automatic snapshots: a cluster or replication group with SnapshotRetentionLimit > 0 gets one `automated`
 * snapshot a day, in its SnapshotWindow (UTC), named `automatic.<id>-YYYY-MM-DD-HH-MM`; snapshots older than the
 * retention limit are deleted, and so are those of a source that is gone or whose limit went back to 0. The local
 * setting --snapshot-window-now (README: "Backup and restore") treats every window as open now, so a test sees
 * the day's automatic snapshot at once instead of waiting for its window.
 */
import type { Logger } from '../../common/logger.js';
import type { Scope, Store } from '../../store/store.js';
import type { JobQueue } from '../../domain/elasticache/jobs.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import {
  findCluster,
  findGroup,
  type ClusterState,
  type GroupState,
  type StoredCluster,
  type StoredGroup,
} from '../../domain/elasticache/records.js';
import {
  insertSnapshot,
  listSnapshots,
  markSourceSnapshotting,
  saveSnapshot,
  snapshotOfCluster,
  snapshotOfGroup,
  type SnapshotInternal,
  type SnapshotState,
} from '../../domain/elasticache/snapshots.js';

const DAY_MS = 86_400_000;

export interface AutomaticSnapshotOptions {
  /** Every snapshot window is open now (local setting): one automatic snapshot per source and day, at once. */
  windowNow: boolean;
  /** How often the windows are checked; a minute unless given (a second with windowNow). */
  intervalMs?: number;
}

/** When the source's daily window last opened (at or before now), and when it closes (ms since the epoch). */
export function lastWindow(window: string, now: number): { start: number; end: number } {
  const [from, to] = window.split('-').map((part) => part.split(':').map(Number));
  const day = new Date(now);
  let start = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), from[0], from[1]);
  if (start > now) start -= DAY_MS;
  const length = ((to[0] * 60 + to[1] - (from[0] * 60 + from[1]) + 1440) % 1440) * 60_000;
  return { start, end: start + length };
}

function automaticName(id: string, now: number): string {
  const stamp = new Date(now).toISOString().slice(0, 16).replace(/[T:]/g, '-');
  return `automatic.${id}-${stamp}`;
}

export class AutomaticSnapshots {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly jobs: JobQueue,
    private readonly log: Logger,
    private readonly options: AutomaticSnapshotOptions,
  ) {}

  start(): void {
    const interval = this.options.intervalMs ?? (this.options.windowNow ? 1000 : 60_000);
    this.timer = setInterval(() => this.check(), interval);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Takes the snapshots that are due and deletes the ones past their retention. */
  check(now = Date.now()): void {
    try {
      this.store.transaction(() => {
        const snapshots = this.store.resources.listEverywhere<SnapshotState>(KIND.snapshot);
        for (const { scope, state } of this.store.resources.listEverywhere<ClusterState>(KIND.cacheCluster)) {
          if (state.ReplicationGroupId) continue;
          const cluster = findCluster(this.store, scope, state.CacheClusterId);
          // Of memcached, only a serverless cache's hidden cluster keeps snapshots (read out over the protocol).
          if (state.Engine === 'memcached' && cluster?.internal.serverlessCache === undefined) continue;
          if (cluster) this.takeIfDue(scope, state.CacheClusterId, cluster, snapshots, now);
        }
        for (const { scope, state } of this.store.resources.listEverywhere<GroupState>(KIND.replicationGroup)) {
          const group = findGroup(this.store, scope, state.ReplicationGroupId);
          if (group) this.takeIfDue(scope, state.ReplicationGroupId, group, snapshots, now);
        }
        this.prune(now);
      });
    } catch (error) {
      this.log.warn({ err: error }, 'automatic snapshots: the check failed; it runs again at the next interval');
    }
  }

  private takeIfDue(
    scope: Scope,
    id: string,
    source: StoredCluster | StoredGroup,
    snapshots: { scope: Scope; state: SnapshotState; internal: unknown }[],
    now: number,
  ): void {
    const state = source.state;
    const status = 'Status' in state ? state.Status : state.CacheClusterStatus;
    if (!state.SnapshotRetentionLimit || !state.SnapshotWindow || status !== 'available') return;
    const window = lastWindow(state.SnapshotWindow, now);
    const since = this.options.windowNow ? now - DAY_MS : window.start;
    if (!this.options.windowNow && now >= window.end) return;
    // A cache created while its window was already open waits for the next one: its first day has no backup yet,
    // and a short-lived cache (a test's) is not made `snapshotting` under its creator's feet.
    const created = 'Status' in state ? state.ReplicationGroupCreateTime : state.CacheClusterCreateTime;
    if (!this.options.windowNow && (created === undefined || new Date(created).getTime() >= window.start)) return;
    const taken = snapshots.some(
      (s) =>
        s.scope.account === scope.account &&
        s.scope.region === scope.region &&
        s.state.SnapshotSource === 'automated' &&
        (s.internal as SnapshotInternal).source?.id === id &&
        (s.internal as SnapshotInternal).requestedAt >= since,
    );
    if (taken) return;
    const origin = { name: automaticName(id, now), source: 'automated' as const };
    const snapshot =
      'Status' in state
        ? snapshotOfGroup(this.store, scope, source as StoredGroup, origin)
        : snapshotOfCluster(this.store, scope, source as StoredCluster, origin);
    insertSnapshot(this.store, scope, snapshot);
    markSourceSnapshotting(this.store, scope, snapshot);
    this.jobs.enqueue(scope, KIND.snapshot, origin.name, 'create');
    this.log.info({ snapshot: origin.name }, 'automatic snapshot started');
  }

  /** Automatic snapshots past their source's retention limit, or of a source gone or no longer kept, are deleted. */
  private prune(now: number): void {
    for (const { scope } of this.scopes()) {
      for (const snapshot of listSnapshots(this.store, scope)) {
        const { state, internal } = snapshot;
        if (state.SnapshotSource !== 'automated' || !['available', 'failed'].includes(state.SnapshotStatus)) continue;
        const source = internal.source;
        const owner =
          source?.kind === KIND.replicationGroup
            ? findGroup(this.store, scope, source.id)?.state
            : source && findCluster(this.store, scope, source.id)?.state;
        const retention = owner?.SnapshotRetentionLimit ?? 0;
        if (retention > 0 && internal.requestedAt >= now - retention * DAY_MS) continue;
        state.SnapshotStatus = 'deleting';
        saveSnapshot(this.store, scope, snapshot);
        this.jobs.enqueue(scope, KIND.snapshot, state.SnapshotName, 'delete');
      }
    }
  }

  private scopes(): { scope: Scope }[] {
    const seen = new Map<string, Scope>();
    for (const { scope } of this.store.resources.listEverywhere(KIND.snapshot)) {
      seen.set(`${scope.account}/${scope.region}`, scope);
    }
    return [...seen.values()].map((scope) => ({ scope }));
  }
}
