/**
 * A polled Describe is answered from its kept answer while the resources it read are unchanged (ResponseMemo;
 * an answer is kept from the second time the same request finds nothing changed, so every check below polls three
 * times first). Whatever changes what the answer would say must show at the next call: a write through the API,
 * the reconciler's work, a commit by another connection to the data file; and a kept answer never crosses
 * accounts, regions or parameters.
 */
import {
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  DeleteCacheClusterCommand,
  DescribeCacheClustersCommand,
  DescribeCacheParameterGroupsCommand,
  ModifyCacheClusterCommand,
} from '@aws-sdk/client-elasticache';
import Database from 'better-sqlite3';
import t from 'tap';
import { failure, rawCall, sdkClient, startTestEmulator } from '../fixtures/emulator.js';

const withoutRequestId = (body: string) => body.replace(/<RequestId>[^<]*<\/RequestId>/, '<RequestId/>');
const requestId = (body: string) => /<RequestId>([^<]*)<\/RequestId>/.exec(body)?.[1];

/** Calls three times and returns the last answer, the one that comes from the kept answer (unless something changed). */
async function polled<T>(call: () => Promise<T>): Promise<T> {
  await call();
  await call();
  return call();
}

t.test('the same Describe again: the same answer, with its own request id', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'a', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  const params = { Action: 'DescribeCacheClusters', Version: '2015-02-02', ShowCacheNodeInfo: 'true' };
  const first = await rawCall(emulator, params);
  const second = await polled(() => rawCall(emulator, params)); // from the kept answer
  t.equal(first.status, 200);
  t.equal(second.status, 200);
  t.match(first.body, /<CacheClusterId>a<\/CacheClusterId>/);
  t.equal(withoutRequestId(second.body), withoutRequestId(first.body), 'the same document');
  t.not(requestId(second.body), requestId(first.body), 'each answer carries its own request id');
  t.equal(second.headers.get('x-amzn-requestid'), requestId(second.body), 'the one of its header');
  t.equal(second.headers.get('content-length'), String(Buffer.byteLength(second.body)), 'its length, told');
  t.equal(second.headers.get('content-type'), 'text/xml');

  const other = await rawCall(emulator, { ...params, ShowCacheNodeInfo: 'false' });
  t.notMatch(other.body, /<CacheNodes>/, 'other parameters get their own answer');
  t.match(second.body, /<CacheNodes>/);
});

t.test('every change shows at the next call', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const describeOnce = async (id?: string) =>
    (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id }))).CacheClusters ?? [];
  // The third answer comes from the kept one, and so must the next unless something changed.
  const describe = (id?: string) => polled(() => describeOnce(id));
  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'a', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  t.same(
    (await describe()).map((c) => c.CacheClusterId),
    ['a'],
  );
  t.same(
    (await describe()).map((c) => c.CacheClusterId),
    ['a'],
    'again',
  );

  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'b', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  t.same(
    (await describe()).map((c) => c.CacheClusterId),
    ['a', 'b'],
    'a created cluster',
  );

  t.equal((await describe('a'))[0].SnapshotRetentionLimit, 0);
  await client.send(
    new ModifyCacheClusterCommand({ CacheClusterId: 'a', SnapshotRetentionLimit: 3, ApplyImmediately: true }),
  );
  t.equal((await describe('a'))[0].SnapshotRetentionLimit, 3, 'a modification');

  // The reconciler's own writes: the delete answers "deleting", then the cluster goes.
  await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'b' }));
  await emulator.reconciler.idle();
  t.same(
    (await describe()).map((c) => c.CacheClusterId),
    ['a'],
    'a deleted cluster',
  );
  t.equal((await failure(describe('b')))?.name, 'CacheClusterNotFoundFault');

  // Another connection to the data file (a tool repairing it): its commit is seen too.
  t.equal((await describe('a'))[0].CacheClusterStatus, 'available');
  const file = emulator.store.db.name;
  const outside = new Database(file);
  t.teardown(() => outside.close());
  const row = outside.prepare("SELECT state FROM resources WHERE kind = 'cache-cluster' AND id = 'a'").get() as {
    state: string;
  };
  const state = JSON.parse(row.state);
  state.CacheClusterStatus = 'incompatible-parameters';
  outside
    .prepare("UPDATE resources SET state = ? WHERE kind = 'cache-cluster' AND id = 'a'")
    .run(JSON.stringify(state));
  t.equal((await describe('a'))[0].CacheClusterStatus, 'incompatible-parameters', 'a commit by another connection');

  // Another kind: parameter groups are answered apart from clusters.
  const groupsOnce = async () =>
    ((await client.send(new DescribeCacheParameterGroupsCommand({}))).CacheParameterGroups ?? []).map(
      (g) => g.CacheParameterGroupName,
    );
  const groups = () => polled(groupsOnce);
  const before = await groups();
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'mine',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );
  const after = await groups();
  t.ok(after.includes('mine'), 'a created parameter group');
  t.equal(after.length, before.length + 1);
});

t.test('a kept answer never crosses accounts or regions', async (t) => {
  const emulator = await startTestEmulator(t);
  const mine = sdkClient(emulator);
  const otherAccount = sdkClient(emulator, { accessKeyId: '111111111111' });
  const otherRegion = sdkClient(emulator, { region: 'eu-west-1' });
  await mine.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'a', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  const idsOnce = async (client: typeof mine) =>
    ((await client.send(new DescribeCacheClustersCommand({}))).CacheClusters ?? []).map((c) => c.CacheClusterId);
  const ids = (client: typeof mine) => polled(() => idsOnce(client));
  t.same(await ids(mine), ['a']);
  t.same(await ids(mine), ['a']);
  t.same(await ids(otherAccount), []);
  t.same(await ids(otherRegion), []);
  await otherAccount.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'b', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  t.same(await ids(otherAccount), ['b']);
  t.same(await ids(mine), ['a'], 'the first account still sees its own');
});
