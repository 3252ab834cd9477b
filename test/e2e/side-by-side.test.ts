/**
 * Emulators side by side on one host: started at once with the same settings, they claim different endpoint ranges,
 * so their clusters get distinct endpoints, each answering for its own node; a durable emulator restarted on its
 * data dir claims its range again and keeps its endpoints.
 */
import {
  CreateCacheClusterCommand,
  DescribeCacheClustersCommand,
  waitUntilCacheClusterAvailable,
  type Endpoint,
} from '@aws-sdk/client-elasticache';
import t, { type Test } from 'tap';
import type { Config } from '../../src/config.js';
import type { Emulator } from '../../src/server.js';
import { removeAllNodes, sdkClient, startTestEmulator, tempDir, uniqueEndpointBase } from '../fixtures/emulator.js';
import { redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';

async function start(t: Test, overrides: Partial<Config>): Promise<Emulator> {
  const emulator = await startTestEmulator(t, { runtime: 'process', ...overrides });
  t.teardown(() => removeAllNodes(emulator));
  return emulator;
}

async function createRedis(emulator: Emulator, id: string): Promise<Endpoint> {
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: id, Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  await waitUntilCacheClusterAvailable({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { CacheClusterId: id });
  const [cluster] = (
    await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id, ShowCacheNodeInfo: true }))
  ).CacheClusters!;
  return cluster.CacheNodes![0].Endpoint!;
}

/** Writes through an endpoint what it should read back, then reads every endpoint's own value back. */
async function eachAnswersForItsOwn(t: Test, endpoints: Endpoint[]): Promise<void> {
  const clients = endpoints.map((endpoint) => redisAt(endpoint));
  t.teardown(() => clients.forEach((c) => c.disconnect()));
  for (const [i, client] of clients.entries()) {
    await client.connect();
    await client.set('owner', `emulator-${i}`);
  }
  for (const [i, client] of clients.entries()) t.equal(await client.get('owner'), `emulator-${i}`);
}

const key = (e: Endpoint) => `${e.Address}:${e.Port}`;

for (const mode of ['loopback', 'ports'] as const) {
  t.test(`${mode}: two emulators started at once with the same settings hand out distinct endpoints`, async (t) => {
    if (!(await runtimeAvailable(t, 'process'))) return;
    const endpointBase = uniqueEndpointBase();
    const [one, two] = await Promise.all([
      start(t, { endpointBase, endpointMode: mode }),
      start(t, { endpointBase, endpointMode: mode }),
    ]);
    const endpoints = await Promise.all([createRedis(one, 'same-name'), createRedis(two, 'same-name')]);
    t.not(key(endpoints[0]), key(endpoints[1]), `distinct endpoints: ${endpoints.map(key).join(', ')}`);
    if (mode === 'loopback') t.equal(endpoints[1].Port, 6379, "both keep the cluster's port");
    await eachAnswersForItsOwn(t, endpoints);
  });
}

t.test('a restarted durable emulator claims its range again and keeps its endpoints', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const endpointBase = uniqueEndpointBase();
  const holder = await start(t, { endpointBase });
  const dataDir = tempDir(t);
  const first = await startTestEmulator(t, { runtime: 'process', dataDir, endpointBase });
  const before = await createRedis(first, 'kept');
  t.not(before.Address!.split('.')[1], endpointBase.split('.')[1], 'the range held by the other emulator was skipped');
  await first.close();
  // The range it skipped is free now: the restart must still take the one its endpoints live in.
  await holder.close();
  const second = await start(t, { dataDir, endpointBase });
  const client = sdkClient(second);
  const [kept] = (
    await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'kept', ShowCacheNodeInfo: true }))
  ).CacheClusters!;
  t.same(kept.CacheNodes![0].Endpoint, before, 'the same endpoint');
  const after = await createRedis(second, 'new-one');
  t.equal(
    after.Address!.split('.').slice(0, 2).join('.'),
    before.Address!.split('.').slice(0, 2).join('.'),
    'new endpoints come from the same range',
  );
  await eachAnswersForItsOwn(t, [before, after]);
});
