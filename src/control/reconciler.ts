/**
 * The reconciler: runs the jobs the API calls leave in the jobs table until the world matches the desired state.
 * Jobs of one resource run one at a time, in order; different resources proceed side by side. Unfinished jobs
 * are simply pending rows, so a restarted emulator picks them up where the last one stopped.
 */
import type { FastifyBaseLogger } from 'fastify';
import { runStoppable, Stopping } from '../dataplane/stopping.js';
import { NodeUnavailable } from '../runtime/runtime.js';
import type { Job, Store } from '../store/store.js';
import type { WorkQueue } from '../services/context.js';

/** Does one job's work; throwing means "try again later". Must be safe to run again after a crash. */
export type JobWorker = (job: Job) => Promise<void>;

/** What to record when a job has failed for good (the resource's status, an event). */
export type JobFailureHandler = (job: Job, error: Error) => void;


const MAX_ATTEMPTS = 8;
/** A job that has not finished by then is treated as failed and retried; its runtime calls may have hung. */
const JOB_TIMEOUT_MS = 120_000;

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the job did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export class Reconciler implements WorkQueue {
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Aborted by stop(): running jobs end at their next poll of a node (see dataplane/stopping.ts). */
  private stopSignal = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly workers: Record<string, JobWorker>,
    private readonly log: FastifyBaseLogger,
    private readonly failureHandlers: Record<string, JobFailureHandler> = {},
  ) {}

  start(): void {
    this.stopped = false;
    if (this.stopSignal.signal.aborted) this.stopSignal = new AbortController();
    this.wake();
  }

  /** Asks for a pass soon; cheap to call often. */
  wake(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pass();
    });
  }

  /**
   * Resolves once the given jobs are finished (done or failed), or after `timeoutMs`, whichever comes first.
   * An API call that started work can hold its answer this long, so a client's first poll finds the work done.
   */
  async settle(jobIds: number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let pending = jobIds;
    while (pending.length > 0 && Date.now() < deadline && !this.stopped) {
      // A timer, not just the running jobs: with none running yet, awaiting them alone would never let the
      // event loop reach the pass that starts them.
      const tick = new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.race([tick, ...(this.running.size > 0 ? [Promise.allSettled([...this.running])] : [])]);
      pending = pending.filter((id) => this.store.jobs.isPending(id));
    }
  }

  /** Resolves once no job is running or due (tests and shutdown use it). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.running.size > 0) {
        await Promise.allSettled([...this.running]);
        continue;
      }
      const next = this.store.jobs.nextRunAt();
      if (this.scheduled || (next !== undefined && next <= Date.now())) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopSignal.abort();
    await Promise.allSettled([...this.running]);
  }

  private pass(): void {
    if (this.stopped) return;
    for (const job of this.store.jobs.due()) {
      const key = `${job.account}/${job.region}/${job.kind}/${job.resourceId}`;
      if (this.busy.has(key)) continue;
      this.busy.add(key);
      const run = this.run(job).finally(() => {
        this.busy.delete(key);
        this.running.delete(run);
        this.wake();
      });
      this.running.add(run);
    }
    this.armTimer();
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    const next = this.store.jobs.nextRunAt();
    if (next === undefined || this.stopped) return;
    // Timers beyond ~24 days overflow; re-check daily instead.
    const delay = Math.min(Math.max(next - Date.now(), 0), 86_400_000);
    if (delay === 0 && this.running.size > 0) return; // the running jobs' completion wakes us
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private async run(job: Job): Promise<void> {
    const worker = this.workers[`${job.kind}:${job.action}`];
    const log = this.log.child({ job: job.id, kind: job.kind, resource: job.resourceId, action: job.action });
    if (!worker) {
      log.error('no worker for this job; dropping it');
      this.store.jobs.fail(job.id, 'no worker');
      return;
    }
    try {
      const signal = this.stopSignal.signal;
      await withTimeout(runStoppable(signal, () => worker(job)), JOB_TIMEOUT_MS);
      this.store.jobs.done(job.id);
    } catch (error) {
      if (error instanceof Stopping) {
        log.debug('stopped mid-job; it resumes at the next start');
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      // A node that cannot run here (missing image or binary) will not run on the next try either.
      if (error instanceof NodeUnavailable || job.attempts + 1 >= MAX_ATTEMPTS) {
        log.error({ err: error }, 'job failed for good');
        this.store.jobs.fail(job.id, message);
        try {
          this.failureHandlers[`${job.kind}:${job.action}`]?.(job, error as Error);
        } catch (handlerError) {
          log.error({ err: handlerError }, 'recording the failure failed');
        }
      } else {
        const delay = Math.min(250 * 2 ** job.attempts, 30_000);
        log.warn({ err: error, retryInMs: delay }, 'job failed; will retry');
        this.store.jobs.retry(job.id, message, Date.now() + delay);
      }
    }
  }
}
