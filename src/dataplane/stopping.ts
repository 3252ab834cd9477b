/**
 * Lets a job be cancelled while it waits on a node: when the emulator stops, or when the job has run past its
 * time limit. The reconciler runs each attempt with one signal for both in the attempt's async context; the
 * polling helpers (pollUntil) end at their next turn once it is aborted, instead of waiting out a timeout of up
 * to a minute against a node that may be gone. A stopped job stays pending and resumes at the next start, as
 * after a crash; a timed-out one is retried.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const stopSignal = new AsyncLocalStorage<AbortSignal>();

/** Thrown where a job notices it has been cancelled (the emulator stopping, or the job out of time). */
export class Stopping extends Error {
  constructor(message = 'the emulator is stopping') {
    super(message);
  }
}

/** Runs `work` (a job) so that the polling helpers it reaches see `signal`. */
export function runStoppable<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  return stopSignal.run(signal, work);
}

/**
 * The cancel signal of the job running here, for a job that waits on something other than a poll; undefined
 * outside a job.
 */
export function currentJobSignal(): AbortSignal | undefined {
  return stopSignal.getStore();
}

/** Throws Stopping when the job running here has been told to stop. */
export function throwIfStopping(): void {
  const signal = stopSignal.getStore();
  if (!signal?.aborted) return;
  // AbortSignal.timeout aborts with a TimeoutError; saying so keeps a worker's own logs from blaming a shutdown.
  const timedOut = signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError';
  throw timedOut ? new Stopping('the job ran out of time and was cancelled') : new Stopping();
}
