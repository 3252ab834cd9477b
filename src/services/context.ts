/**
 * What the services share about a call: the request context and handler types (defined with the API contract in
 * src/api/query-api.ts, re-exported here for the handler modules), and the queue they hand work to.
 */
export { isReadOnly, partitionOf, type Handler, type HandlerTable, type RequestContext } from '../api/query-api.js';

/** Lets services hand work to the reconciler once their transaction has committed. */
export interface WorkQueue {
  wake(): void;
  /** Waits (at most timeoutMs) for the given jobs to finish. */
  settle(jobIds: number[], timeoutMs: number): Promise<void>;
}
