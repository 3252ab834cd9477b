/** What a service handler knows of the request: who asks, where, and the id the response will carry. */
import type { Scope } from '../store/store.js';

export interface RequestContext extends Scope {
  partition: string;
  requestId: string;
}

/** A synchronous handler: it runs inside the API call's single SQLite transaction. */
export type Handler = (input: any, ctx: RequestContext) => unknown;
export type HandlerTable = Record<string, Handler>;

/** Lets services hand work to the reconciler once their transaction has committed. */
export interface WorkQueue {
  wake(): void;
  /** Waits (at most timeoutMs) for the given jobs to finish. */
  settle(jobIds: number[], timeoutMs: number): Promise<void>;
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * Calls of the Query APIs that only read (Describe*, List*): they run without a transaction until they write, if
 * they ever do (Store.read).
 */
export function isReadOnly(action: string): boolean {
  return action.startsWith('Describe') || action.startsWith('List');
}
