/**
 * The call pipeline: the policy around every call of every API, in one place below HTTP. A call is parsed against
 * its API's model, run (a read-only call through Store.read, any other as one Store.transaction, a call of an API
 * without a store as it is), answered from a kept answer when it is a polled Describe whose resources are
 * unchanged (ResponseMemo, with the store's read stamps), held while the jobs it started finish (when the server
 * says so: see settleJobs), and serialized. HTTP hands a routed call in and sends the bytes that come out.
 */
import type { Operation } from '../protocol/model.js';
import { QueryParser, type QueryParams } from '../protocol/query-parser.js';
import { OutputBuffers, XmlSerializer, type XmlBytes, type XmlParts } from '../protocol/xml-serializer.js';
import type { Store } from '../store/store.js';
import { isReadOnly, type Handler, type QueryApi, type RequestContext } from './query-api.js';
import { ResponseMemo } from './response-memo.js';

/**
 * How long a call that started work (a create, a delete, ...) may hold its answer while that work finishes. The
 * answer still shows the resource as the call left it (`creating`), as AWS does; but the client's first poll,
 * right after, finds it `available`, so an SDK or CLI waiter returns without sleeping.
 */
export const SETTLE_MS = 5000;

/** What waits for jobs to finish (the reconciler). */
export interface JobWaiter {
  /** Resolves once the given jobs are finished, or after timeoutMs. */
  settle(jobIds: number[], timeoutMs: number): Promise<void>;
}

export interface CallRunnerOptions {
  /** The store of the APIs that use one (QueryApi.usesStore). */
  store?: Store;
  /** What a call that started jobs waits on, when settleJobs is on. */
  jobs?: JobWaiter;
  /** See CallRunner.settleJobs. Off unless given. */
  settleJobs?: boolean;
}

/** An API ready to answer: its contract, with the parser and serializer built once from its model. */
export interface ServedApi extends QueryApi {
  parser: QueryParser;
  serializer: XmlSerializer;
}

/** One call, as HTTP routed it. */
export interface Call {
  api: ServedApi;
  action: string;
  operation: Operation;
  handler: Handler;
  /** The request's parameters (query string and form body), parsed into `input` only when the handler runs. */
  params: QueryParams;
  ctx: RequestContext;
  /** The request's URL and body as sent: with the API, account and region, what its kept answer is keyed by. */
  url: string;
  body: string;
}

export class CallRunner {
  /** The APIs served, in the order given (the first answers what names no API). */
  readonly apis: readonly ServedApi[];
  /**
   * Whether a call that started jobs waits for them (SETTLE_MS at most) before answering. The server decides it
   * when it chooses its runtime: real nodes take a few hundred ms, worth holding the answer for; the metadata-only
   * runtime is instant unless a delay was asked for on purpose, and then that delay is what a client should see.
   */
  settleJobs: boolean;
  private readonly store: Store | undefined;
  private readonly jobs: JobWaiter | undefined;
  /** Kept answers: there is a store (their stamps are its read stamps) exactly when there is a memo. */
  private readonly memo: ResponseMemo | undefined;
  private readonly buffers = new OutputBuffers();

  constructor(apis: readonly QueryApi[], options: CallRunnerOptions = {}) {
    const { store } = options;
    for (const api of apis) {
      if (api.usesStore && !store) throw new Error(`${api.title} uses the store: the call runner needs one`);
    }
    this.apis = apis.map((api) => ({
      ...api,
      parser: new QueryParser(api.model),
      serializer: new XmlSerializer(api.model),
    }));
    this.store = store;
    this.jobs = options.jobs;
    this.settleJobs = options.settleJobs ?? false;
    this.memo = store && new ResponseMemo((stamp) => store.unchanged(stamp));
  }

  /**
   * The answer to a call: its bytes (a kept answer's in parts), at once unless the call waits for the jobs it
   * started. Throws what the call threw (an AwsError, a ServiceFault, ...), for HTTP to send as an error.
   */
  answer(call: Call): XmlBytes | XmlParts | Promise<XmlBytes> {
    const { api, action, ctx } = call;
    const { store, memo } = this;
    if (!api.usesStore || !store || !memo) return this.respond(call, call.handler(this.input(call), ctx));
    if (api.reusableOperations?.has(action)) return this.answerReusable(call, store, memo);

    const input = this.input(call);
    const run = () => call.handler(input, ctx);
    store.jobs.takeEnqueuedDue(); // work the reconciler enqueued meanwhile is not this call's
    const output = isReadOnly(action) ? store.read(run) : store.transaction(run);
    const started = store.jobs.takeEnqueuedDue();
    if (started.length > 0 && this.settleJobs && this.jobs) {
      return this.jobs.settle(started, SETTLE_MS).then(() => this.respond(call, output));
    }
    return this.respond(call, output);
  }

  /**
   * A call whose answer may be kept: the kept answer while what it read is unchanged, otherwise the call, read
   * only and recorded, its answer kept once the same request is seen polled (ResponseMemo).
   */
  private answerReusable(call: Call, store: Store, memo: ResponseMemo): XmlBytes | XmlParts {
    const { api, operation, ctx } = call;
    const key = `${api.signingName}\u0000${ctx.account}\u0000${ctx.region}\u0000${call.url}\u0000${call.body}`;
    const kept = memo.lookup(key);
    if (kept) return api.serializer.responseWithResult(operation, kept, ctx.requestId);

    const input = this.input(call);
    const { result: output, stamp } = store.readRecorded(() => call.handler(input, ctx));
    const keep = stamp !== undefined && memo.polled(key);
    const bytes = api.serializer.responseBytes(operation, output, ctx.requestId, this.buffers, keep);
    if (stamp === undefined) memo.forget(key);
    else memo.record(key, stamp, bytes.result);
    return bytes;
  }

  private input(call: Call): unknown {
    return call.api.parser.parse(call.operation.input?.shape, call.params);
  }

  private respond(call: Call, output: unknown): XmlBytes {
    return call.api.serializer.responseBytes(call.operation, output, call.ctx.requestId, this.buffers);
  }
}
