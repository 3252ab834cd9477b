/**
 * Typed jobs: every kind of job the API hands to the reconciler, its actions and their payloads, in one table.
 * Handlers enqueue through a JobQueue (which also wakes the reconciler); workers register per kind with their
 * payloads typed. The kind and action strings are the ones stored in the jobs table of existing databases, so an
 * old database's pending jobs are still understood: change a string here only with a migration.
 */
import type { Job, Scope, Store } from '../../store/store.js';
import { KIND } from './kinds.js';

/** The payload of every action, by job kind. */
export interface JobPayloads {
  [KIND.cacheCluster]: {
    create: Record<string, never>;
    /** `maintenance`: a change that waited for the maintenance window. */
    modify: { maintenance?: boolean };
    reboot: { nodeIds: string[] };
    delete: Record<string, never>;
    /** A parameter group in use changed: running nodes take its immediate parameters. */
    'apply-parameters': Record<string, never>;
    /** A node was found dead. */
    heal: Record<string, never>;
  };
  [KIND.replicationGroup]: {
    /** Make the nodes match the group's desired topology and settings. */
    converge: { maintenance?: boolean };
    heal: Record<string, never>;
    'reboot-member': { clusterId: string };
    delete: Record<string, never>;
    /** The primary follows the group's upstream (or stops following one): a migration, a global datastore. */
    'follow-upstream': Record<string, never>;
    /** TestMigration: whether the customer's node can be replicated from; the answer is an event. */
    'test-migration': { address: string; port: number };
  };
  [KIND.user]: {
    /** A user's access string or passwords changed: the nodes of the groups it is in take them. */
    apply: Record<string, never>;
    /** The user has left its groups: their nodes drop it, then its row goes. */
    delete: Record<string, never>;
  };
  [KIND.userGroup]: {
    /** A new group, or one whose users changed: the nodes of the replication groups using it follow. */
    apply: Record<string, never>;
    delete: Record<string, never>;
  };
  [KIND.serverlessCache]: {
    /** The backing group's work has ended: the cache takes its status and endpoints (and usage limits). */
    sync: Record<string, never>;
    /** The backing group is being deleted: the cache's record goes once it is gone. */
    delete: Record<string, never>;
  };
  [KIND.snapshot]: {
    /** Take each shard's RDB from its source (then delete the source, for a final snapshot). */
    create: Record<string, never>;
    /** CopySnapshot: copy the files of the snapshot named in the record. */
    copy: Record<string, never>;
    /** CopySnapshot with TargetBucket: write the snapshot's files to the bucket's export folder. */
    export: { bucket: string; name: string };
    delete: Record<string, never>;
  };
}

export type JobKind = keyof JobPayloads;
export type JobAction<K extends JobKind> = keyof JobPayloads[K] & string;
export type JobPayload<K extends JobKind, A extends JobAction<K>> = JobPayloads[K][A];

/** A job as a worker of its kind and action receives it. */
export type TypedJob<K extends JobKind, A extends JobAction<K>> = Omit<Job, 'kind' | 'action' | 'payload'> & {
  kind: K;
  action: A;
  payload: JobPayload<K, A>;
};

/** The key a worker is registered under: `kind:action`, as the jobs table names them. */
export function jobKey(kind: string, action: string): string {
  return `${kind}:${action}`;
}

/** One function per action of a kind, each receiving its job typed. */
export type JobHandlers<K extends JobKind, R> = { [A in JobAction<K>]: (job: TypedJob<K, A>) => R };

/** A kind's handlers as the reconciler looks them up: by `kind:action`. */
export function jobTable<K extends JobKind, R>(
  kind: K,
  handlers: Partial<JobHandlers<K, R>>,
): Record<string, (job: Job) => R> {
  const table: Record<string, (job: Job) => R> = {};
  for (const [action, handler] of Object.entries(handlers)) {
    if (handler) table[jobKey(kind, action)] = handler as (job: Job) => R;
  }
  return table;
}

export function scopeOf(job: Job | TypedJob<JobKind, never>): Scope {
  return { account: job.account, region: job.region };
}

/** Lets the API hand work to the reconciler once its transaction has committed. */
export interface WorkQueue {
  wake(): void;
  /** Waits (at most timeoutMs) for the given jobs to finish. */
  settle(jobIds: number[], timeoutMs: number): Promise<void>;
}

type PayloadArgs<K extends JobKind, A extends JobAction<K>> =
  Record<string, never> extends JobPayload<K, A>
    ? [payload?: JobPayload<K, A>, options?: EnqueueOptions]
    : [payload: JobPayload<K, A>, options?: EnqueueOptions];

export interface EnqueueOptions {
  /** Not before this time (ms since the epoch): a change that waits for the maintenance window. */
  runAfter?: number;
  /** Drop the resource's pending jobs of the same action first: this one supersedes them. */
  replacing?: boolean;
}

/** Where handlers and the supervisor put jobs: written in the caller's transaction, the reconciler woken. */
export class JobQueue {
  constructor(
    private readonly store: Store,
    private readonly work: Pick<WorkQueue, 'wake'>,
  ) {}

  enqueue<K extends JobKind, A extends JobAction<K>>(
    scope: Scope,
    kind: K,
    resourceId: string,
    action: A,
    ...[payload, options]: PayloadArgs<K, A>
  ): void {
    if (options?.replacing) this.store.jobs.cancel(scope, kind, resourceId, action);
    this.store.jobs.enqueue(scope, kind, resourceId, action, payload ?? {}, options?.runAfter ?? 0);
    this.work.wake();
  }

  /** Drops the resource's pending jobs of one action (a pending change superseded or abandoned). */
  cancel<K extends JobKind>(scope: Scope, kind: K, resourceId: string, action: JobAction<K>): void {
    this.store.jobs.cancel(scope, kind, resourceId, action);
  }
}
