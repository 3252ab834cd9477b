/**
 * A job that runs past its time limit is cancelled the way stopping cancels it (its polls end), and retried only
 * once the cancelled attempt has unwound: a retry never runs beside the attempt it replaces, which could still be
 * changing the same nodes.
 */
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { Reconciler, type JobWorker } from '../../src/control/reconciler.js';
import { LoopbackAddressAllocator } from '../../src/dataplane/loopback-addresses.js';
import { pollUntil } from '../../src/dataplane/node-admin.js';
import { currentJobSignal } from '../../src/dataplane/stopping.js';
import { openDatabase } from '../../src/store/database.js';
import { Store, type Scope } from '../../src/store/store.js';

const scope: Scope = { account: '000000000000', region: 'us-east-1' };
const JOB_TIMEOUT_MS = 200;
/** Longer than the first retry's backoff (250 ms): a retry started at the timeout would overlap the unwinding. */
const UNWIND_MS = 400;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Attempts of one job, as its worker saw them: the order they started and ended in, and how many ran at once. */
class AttemptLog {
  readonly events: string[] = [];
  running = 0;
  mostAtOnce = 0;

  /** Wraps `body` (one attempt, given the job's attempt number) so each start and end is counted. */
  worker(body: (attempt: number) => Promise<void>): JobWorker {
    return async (job) => {
      this.running++;
      this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
      this.events.push(`start ${job.attempts}`);
      try {
        await body(job.attempts);
      } finally {
        this.running--;
        this.events.push(`end ${job.attempts}`);
      }
    };
  }
}

/** A real store and reconciler with a short job timeout, running one job of `worker`; the log lines it wrote. */
function setUp(t: Test, worker: JobWorker, jobTimeoutMs = JOB_TIMEOUT_MS) {
  const store = new Store(openDatabase(':memory:'), new LoopbackAddressAllocator('127.1.0.1'));
  const logLines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => logLines.push(line) });
  const reconciler = new Reconciler(store, { 'thing:change': worker }, log, {}, { jobTimeoutMs });
  t.teardown(async () => {
    await reconciler.stop();
    store.close();
  });
  store.jobs.enqueue(scope, 'thing', 'a', 'change');
  const jobId = store.jobs.due()[0].id;
  reconciler.start();
  return { store, reconciler, jobId, logLines };
}

function assertRetriedOnceAfterTheFirstEnded(
  t: Test,
  attempts: AttemptLog,
  outcome: { store: Store; jobId: number; logLines: string[] },
): void {
  t.same(attempts.events, ['start 0', 'end 0', 'start 1', 'end 1'], 'the retry started after the first attempt ended');
  t.equal(attempts.mostAtOnce, 1, 'no two attempts ran at once');
  t.notOk(outcome.store.jobs.isPending(outcome.jobId), 'the job is finished');
  const log = outcome.logLines.join('');
  t.match(log, `the job did not finish within ${JOB_TIMEOUT_MS / 1000} s; cancelled`, 'the timeout is logged');
  t.match(log, 'job failed; will retry', 'the timeout counted as a failed attempt');
  t.notMatch(log, 'failed for good', 'and the retry succeeded');
}

t.test(
  'a job polling a node that never answers is cancelled at the timeout and retried once it has unwound',
  async (t) => {
    const attempts = new AttemptLog();
    let polls = 0;
    let cancelledAfterMs = 0;
    const worker = attempts.worker(async (attempt) => {
      if (attempt > 0) return;
      const started = Date.now();
      try {
        await pollUntil(async () => (polls++, 'the node does not answer'), 60_000, 'a node that never syncs');
      } finally {
        cancelledAfterMs = Date.now() - started;
        await sleep(UNWIND_MS);
      }
    });
    const outcome = setUp(t, worker);
    await outcome.reconciler.settle([outcome.jobId], 10_000);
    t.ok(cancelledAfterMs >= JOB_TIMEOUT_MS && cancelledAfterMs < 5_000, `the poll ended ${cancelledAfterMs} ms in`);
    const pollsAfter = polls;
    await sleep(200);
    t.equal(polls, pollsAfter, 'the cancelled poll polls no more');
    assertRetriedOnceAfterTheFirstEnded(t, attempts, outcome);
  },
);

t.test('a job waiting on its signal is cancelled at the timeout and retried once it has unwound', async (t) => {
  const attempts = new AttemptLog();
  const worker = attempts.worker(async (attempt) => {
    if (attempt > 0) return;
    const signal = currentJobSignal()!;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    // Returning normally once cancelled: the attempt still counts as timed out, since it may only have given up.
    await sleep(UNWIND_MS);
  });
  const outcome = setUp(t, worker);
  await outcome.reconciler.settle([outcome.jobId], 10_000);
  assertRetriedOnceAfterTheFirstEnded(t, attempts, outcome);
});

t.test('a job that ignores cancellation keeps its resource until it ends, and only then is retried', async (t) => {
  const attempts = new AttemptLog();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const worker = attempts.worker(async (attempt) => {
    if (attempt === 0) await released;
  });
  const outcome = setUp(t, worker);
  await sleep(JOB_TIMEOUT_MS + 600);
  t.same(attempts.events, ['start 0'], 'past the timeout and the backoff, no retry has started beside it');
  t.match(outcome.logLines.join(''), 'did not finish within', 'the timeout is logged when it fires');
  t.ok(outcome.store.jobs.isPending(outcome.jobId), 'the job is still pending');
  release();
  await outcome.reconciler.settle([outcome.jobId], 10_000);
  assertRetriedOnceAfterTheFirstEnded(t, attempts, outcome);
});

t.test('stop() does not wait longer than the job timeout for a job that ignores cancellation', async (t) => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const outcome = setUp(
    t,
    async () => {
      started();
      await released;
    },
    1_000,
  );
  await running;
  const before = Date.now();
  await outcome.reconciler.stop();
  const waited = Date.now() - before;
  t.ok(waited >= 900 && waited < 3_000, `stop() returned after ${waited} ms`);
  t.match(outcome.logLines.join(''), 'jobs that ignore cancellation still run');
  release();
  await sleep(50);
});
