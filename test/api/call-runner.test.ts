/**
 * The call runner owns the policy around a call: a read-only call runs outside a transaction until it writes, any
 * other as one transaction rolled back when it throws; a polled Describe is answered from its kept answer while
 * what it read is unchanged; a call that started jobs waits for them only when settleJobs says so, and only for
 * its own; an API without a store has its handlers called as they are.
 */
import t, { type Test } from 'tap';
import { CallRunner, SETTLE_MS, type Call, type JobWaiter, type ServedApi } from '../../src/api/call-runner.js';
import type { HandlerTable, QueryApi, RequestContext } from '../../src/api/query-api.js';
import { LoopbackAddressAllocator } from '../../src/dataplane/loopback-addresses.js';
import type { XmlBytes, XmlParts } from '../../src/protocol/xml-serializer.js';
import { elastiCacheModel } from '../../src/services/elasticache/index.js';
import { openDatabase } from '../../src/store/database.js';
import { Store } from '../../src/store/store.js';

const KIND = 'thing';

function context(account = '000000000000'): RequestContext {
  return { account, region: 'us-east-1', partition: 'aws', requestId: `request-${Math.random()}` };
}

/** ElastiCache's model with handlers of the test's own, over a store of its own. */
function setUp(t: Test, options: { settleJobs?: boolean; usesStore?: boolean } = {}) {
  const store = new Store(openDatabase(':memory:'), new LoopbackAddressAllocator('127.1.0.1'));
  t.teardown(() => store.close());
  const seen = { describes: 0, inTransaction: [] as boolean[] };
  const handlers: HandlerTable = {
    CreateCacheCluster: (input: { CacheClusterId: string }, ctx: RequestContext) => {
      seen.inTransaction.push(store.db.inTransaction);
      store.resources.insert(ctx, KIND, input.CacheClusterId, {});
      store.jobs.enqueue(ctx, KIND, input.CacheClusterId, 'create');
      if (input.CacheClusterId === 'fails') throw new Error('the handler failed');
      return { CacheCluster: { CacheClusterId: input.CacheClusterId } };
    },
    DescribeCacheClusters: (_input: unknown, ctx: RequestContext) => {
      seen.describes++;
      seen.inTransaction.push(store.db.inTransaction);
      return { CacheClusters: store.resources.list(ctx, KIND).map((r) => ({ CacheClusterId: r.id })) };
    },
  };
  const waited: number[][] = [];
  const jobs: JobWaiter = {
    settle: async (ids, timeoutMs) => {
      t.equal(timeoutMs, SETTLE_MS);
      waited.push(ids);
    },
  };
  const api: QueryApi = {
    signingName: 'elasticache',
    title: 'test',
    model: elastiCacheModel(),
    handlers,
    usesStore: options.usesStore ?? true,
    reusableOperations: new Set(['DescribeCacheClusters']),
  };
  const runner = new CallRunner([api], { store, jobs, settleJobs: options.settleJobs });
  return { store, runner, api: runner.apis[0], seen, waited };
}

function call(api: ServedApi, action: string, params: Record<string, string> = {}, ctx = context()): Call {
  const sent = { Action: action, Version: '2015-02-02', ...params };
  return {
    api,
    action,
    operation: api.model.operations[action],
    handler: api.handlers[action],
    params: new Map(Object.entries(sent)),
    ctx,
    url: '/',
    body: new URLSearchParams(sent).toString(),
  };
}

async function text(answer: XmlBytes | XmlParts | Promise<XmlBytes>): Promise<string> {
  const bytes = await answer;
  if ('parts' in bytes) {
    const document = Buffer.concat(bytes.parts);
    if (document.length !== bytes.length) throw new Error('the length of the parts is not their length');
    return document.toString();
  }
  const document = bytes.bytes.toString();
  bytes.release();
  return document;
}

t.test('a write runs as one transaction, a Describe outside one; a call that throws leaves nothing', async (t) => {
  const { store, runner, api, seen } = setUp(t);
  t.match(
    await text(runner.answer(call(api, 'CreateCacheCluster', { CacheClusterId: 'a' }))),
    /<CacheClusterId>a<\/CacheClusterId>/,
  );
  t.match(await text(runner.answer(call(api, 'DescribeCacheClusters'))), /<CacheClusterId>a<\/CacheClusterId>/);
  t.same(seen.inTransaction, [true, false]);
  t.throws(() => runner.answer(call(api, 'CreateCacheCluster', { CacheClusterId: 'fails' })), /the handler failed/);
  t.equal(store.resources.get(context(), KIND, 'fails'), undefined, 'rolled back');
  t.throws(
    () => runner.answer(call(api, 'CreateCacheCluster')),
    { code: 'InvalidParameterValue', message: /CacheClusterId/ },
    'parsed against the model',
  );
});

t.test('a polled Describe is answered from its kept answer until what it read changes', async (t) => {
  const { runner, api, seen } = setUp(t);
  const describe = (ctx?: RequestContext) => text(runner.answer(call(api, 'DescribeCacheClusters', {}, ctx)));
  await text(runner.answer(call(api, 'CreateCacheCluster', { CacheClusterId: 'a' })));
  const first = await describe();
  await describe();
  const kept = await describe();
  t.equal(seen.describes, 2, 'kept from the second time nothing changed, sent from the third');
  t.equal(kept.replace(/<RequestId>.*<\/RequestId>/, ''), first.replace(/<RequestId>.*<\/RequestId>/, ''));

  await describe(context('111111111111'));
  t.equal(seen.describes, 3, 'another account has answers of its own');

  await text(runner.answer(call(api, 'CreateCacheCluster', { CacheClusterId: 'b' })));
  t.match(await describe(), /<CacheClusterId>b<\/CacheClusterId>/);
  t.equal(seen.describes, 4, 'a write to what it read: run again');
});

t.test('a call waits for the jobs it started only when settleJobs is on', async (t) => {
  const off = setUp(t);
  const answer = off.runner.answer(call(off.api, 'CreateCacheCluster', { CacheClusterId: 'a' }));
  t.notOk(answer instanceof Promise, 'answered at once');
  t.same(off.waited, []);

  const on = setUp(t, { settleJobs: true });
  // Work enqueued outside any call (the reconciler's) is not the next call's to wait for.
  on.store.transaction(() => on.store.jobs.enqueue(context(), KIND, 'other', 'create'));
  await text(on.runner.answer(call(on.api, 'CreateCacheCluster', { CacheClusterId: 'a' })));
  await text(on.runner.answer(call(on.api, 'DescribeCacheClusters')));
  t.equal(on.waited.length, 1, 'the create waited, the Describe did not');
  t.same(on.waited[0], [2], 'for its own job alone');

  on.runner.settleJobs = false;
  await text(on.runner.answer(call(on.api, 'CreateCacheCluster', { CacheClusterId: 'b' })));
  t.equal(on.waited.length, 1, 'the flag is read at each call');
});

t.test('an API without a store: its handlers are called as they are', async (t) => {
  const { api, seen } = setUp(t, { usesStore: false });
  const runner = new CallRunner([api]);
  t.match(await text(runner.answer(call(api, 'DescribeCacheClusters'))), /<DescribeCacheClustersResult>/);
  t.match(await text(runner.answer(call(api, 'DescribeCacheClusters'))), /<DescribeCacheClustersResult>/);
  t.equal(seen.describes, 2, 'never a kept answer');
  t.throws(() => new CallRunner([{ ...api, usesStore: true }]), /needs one/, 'an API that uses the store needs one');
});
