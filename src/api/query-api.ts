/**
 * The contract between the HTTP layer and the services: what an API served on the endpoint declares (QueryApi,
 * plain data: no behaviour of its own around a call), what its handlers are given (RequestContext) and the
 * rules every call shares (the partition of a region, which calls only read). The policy around a call lives in
 * call-runner.ts, in one place for every API.
 */
import type { ServiceModel } from '../protocol/model.js';
import type { Scope } from '../store/store.js';

/** What a service handler knows of the request: who asks, where, and the id the response will carry. */
export interface RequestContext extends Scope {
  partition: string;
  requestId: string;
}

/** A synchronous handler: it runs inside the API call's single SQLite transaction. */
export type Handler = (input: any, ctx: RequestContext) => unknown;
export type HandlerTable = Record<string, Handler>;

/** One API served on the endpoint (ElastiCache, EC2, STS, IAM). */
export interface QueryApi {
  /** The SigV4 signing name requests for it carry in their credential scope. */
  signingName: string;
  title: string;
  model: ServiceModel;
  handlers: HandlerTable;
  /**
   * Whether its handlers read and write the store: each call then runs as one transaction (a read-only call as
   * Store.read, without one until it writes), and waits for the jobs it started. An API answered from the
   * request alone (STS, IAM) has its handlers called as they are.
   */
  usesStore: boolean;
  /**
   * Operations whose answer is a function of their input and of the resources they read, nothing else (no clock):
   * their answers are kept and sent again while those resources are unchanged (ResponseMemo). Only an API that
   * uses the store can have them: the store's read stamps say what is unchanged.
   */
  reusableOperations?: ReadonlySet<string>;
}

/** The partition of a region (ARNs): a domain fact, named here for HTTP, which builds the request context. */
export { partitionOf } from '../domain/regions.js';

/**
 * Calls of the Query APIs that only read (Describe*, List*): they run without a transaction until they write, if
 * they ever do (Store.read).
 */
export function isReadOnly(action: string): boolean {
  return action.startsWith('Describe') || action.startsWith('List');
}
