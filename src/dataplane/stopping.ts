/**
 * Lets the emulator stop while a job waits on a node. The reconciler runs each job with its stop signal in the
 * job's async context; the polling helpers (pollUntil) end at their next turn once it is aborted, instead of
 * waiting out a timeout of up to a minute against a node that may be gone. The job stays pending and resumes at
 * the next start, as after a crash.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const stopSignal = new AsyncLocalStorage<AbortSignal>();

/** Thrown where a job notices the emulator stopping. */
export class Stopping extends Error {
  constructor() {
    super('the emulator is stopping');
  }
}

/** Runs `work` (a job) so that the polling helpers it reaches see `signal`. */
export function runStoppable<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  return stopSignal.run(signal, work);
}

/** Throws Stopping when the job running here has been told to stop. */
export function throwIfStopping(): void {
  if (stopSignal.getStore()?.aborted) throw new Stopping();
}
