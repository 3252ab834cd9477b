/**
 * The reconciler: runs the jobs the API calls leave in the jobs table until the world matches the desired state.
 * Jobs of one resource run one at a time, in order; different resources proceed side by side. Unfinished jobs
 * are simply pending rows, so a restarted emulator picks them up where the last one stopped.
 */
import type { Logger } from '../common/logger.js';
import { runStoppable, Stopping } from '../dataplane/stopping.js';
import { NodeUnavailable } from '../runtime/runtime.js';
import type { Job, Store } from '../store/store.js';
import { jobKey, type WorkQueue } from '../domain/elasticache/jobs.js';

/** Does one job's work; throwing means "try again later". Must be safe to run again after a crash. */
export type JobWorker = (job: Job) => Promise<void>;

/** What to record when a job has failed for good (the resource's status, an event). */
export type JobFailureHandler = (job: Job, error: Error) => void;

const MAX_ATTEMPTS = 8;

export interface ReconcilerOptions {
  /**
   * How long one attempt at a job may run before it is cancelled and counted as a failed attempt (its runtime
   * calls may have hung). Two minutes unless given; tests use a short one.
   */
  jobTimeoutMs?: number;
}

const DEFAULT_JOB_TIMEOUT_MS = 120_000;

/** How one attempt at a job ended, once its worker has unwound. */
type AttemptOutcome = { ok: true } | { ok: false; error: unknown };

export class Reconciler implements WorkQueue {
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Aborted by stop(): running jobs end at their next poll of a node (see dataplane/stopping.ts). */
  private stopSignal = new AbortController();
  private readonly jobTimeoutMs: number;

  constructor(
    private readonly store: Store,
    private readonly workers: Record<string, JobWorker>,
    private readonly log: Logger,
    private readonly failureHandlers: Record<string, JobFailureHandler> = {},
    options: ReconcilerOptions = {},
  ) {
    this.jobTimeoutMs = options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  }

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
    // Jobs end at their next poll. One stuck in a call that never looks at the signal is waited on no longer than
    // an attempt may run, so a shutdown cannot hang on it; it keeps its resource busy until it does end.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'gave up'>(
      (resolve) => (timer = setTimeout(() => resolve('gave up'), this.jobTimeoutMs)),
    );
    const waited = await Promise.race([Promise.allSettled([...this.running]), gaveUp]);
    clearTimeout(timer);
    if (waited === 'gave up') {
      this.log.warn({ jobs: this.running.size }, 'stopping while jobs that ignore cancellation still run');
    }
  }

  private pass(): void {
    if (this.stopped) return;
    for (const job of this.store.jobs.due()) {
      const key = `${job.account}/${job.region}/${job.kind}/${job.resourceId}`;
      if (this.busy.has(key)) continue;
      this.busy.add(key);
      // Only run() settling frees the key, and it settles only once the worker has unwound: a retry of a
      // timed-out job never runs beside the attempt it replaces.
      const run = this.run(job)
        // Recording an outcome fails when the store was closed under an attempt stop() gave up waiting for.
        .catch((error) => this.log.error({ err: error, job: job.id }, "recording the job's outcome failed"))
        .finally(() => {
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
    const worker = this.workers[jobKey(job.kind, job.action)];
    const log = this.log.child({ job: job.id, kind: job.kind, resource: job.resourceId, action: job.action });
    if (!worker) {
      log.error('no worker for this job; dropping it');
      this.store.jobs.fail(job.id, 'no worker');
      return;
    }
    const outcome = await this.attempt(job, worker, log);
    if (outcome.ok) {
      this.store.jobs.done(job.id);
      return;
    }
    const { error } = outcome;
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
        this.failureHandlers[jobKey(job.kind, job.action)]?.(job, error as Error);
      } catch (handlerError) {
        log.error({ err: handlerError }, 'recording the failure failed');
      }
    } else {
      const delay = Math.min(250 * 2 ** job.attempts, 30_000);
      log.warn({ err: error, retryInMs: delay }, 'job failed; will retry');
      this.store.jobs.retry(job.id, message, Date.now() + delay);
    }
  }

  /**
   * One attempt at a job, cancelled (through the signal its polls see, dataplane/stopping.ts) when the emulator
   * stops or when it runs past the time limit. Resolves only once the worker has unwound. A worker that never
   * looks at the signal keeps its attempt, and so its resource's busy key, until it does end: nothing else runs
   * for that resource meanwhile, which is safer than a retry racing it over the same nodes.
   */
  private async attempt(job: Job, worker: JobWorker, log: Logger): Promise<AttemptOutcome> {
    const timeout = AbortSignal.timeout(this.jobTimeoutMs);
    const signal = AbortSignal.any([this.stopSignal.signal, timeout]);
    // The combined signal keeps the reason of whichever aborted first, so a stop is never taken for a timeout.
    const timedOut = () => signal.aborted && signal.reason === timeout.reason;
    const timeoutMessage = `the job did not finish within ${this.jobTimeoutMs / 1000} s; cancelled`;
    const logTimeout = () => {
      if (timedOut()) log.warn(timeoutMessage);
    };
    signal.addEventListener('abort', logTimeout, { once: true });
    let outcome: AttemptOutcome;
    try {
      await runStoppable(signal, () => worker(job));
      outcome = { ok: true };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      signal.removeEventListener('abort', logTimeout);
    }
    // A cancelled worker may return normally having only given up early, so a timed-out attempt failed whatever
    // it ended with; jobs are safe to run again.
    if (timedOut()) return { ok: false, error: new Error(timeoutMessage) };
    return outcome;
  }
}
