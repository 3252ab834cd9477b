/**
 * The warm pool at start (--serverless-warm-pool, control/serverless/warm-spares.ts: prewarmPools): an emulator
 * started with it forms a spare shard of each named engine's default serverless version without any cache, and the
 * very first CreateServerlessCache of that engine is made from that shard (its nodes are the spares' very processes or
 * containers) and serves SET / GET over TLS; a reset fills the pool again; stopping the emulator leaves no spare, and a start after a crash removes
 * the spare left behind before it fills its pool. A
 * bad value is refused at start (cli-output.test.ts runs the CLI with one).
 */
import { CreateServerlessCacheCommand } from '@aws-sdk/client-elasticache';
import t from 'tap';
import { ConfigError, readConfig } from '../../src/config.js';
import { SPARE_ACCOUNT } from '../../src/runtime/runtime.js';
import type { Emulator } from '../../src/server.js';
import { removeAllNodes, sdkClient, startTestEmulator, tempDir, testDockerNetwork } from '../fixtures/emulator.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { servesKeysAndReads, straySpareSpec, untilStatus } from '../fixtures/serverless.js';

/** What a node is across a claim: its container, or its process (a claim moves it to its member's port: pid:port). */
const identityOf = (runtimeId: string) => runtimeId.split(':')[0];

const sparesOf = async (emulator: Emulator) =>
  (await emulator.runtime.listNodes({ spares: true })).filter((n) => n.account === SPARE_ACCOUNT);

/** A spare shard of two running nodes: their identities. */
const untilShard = (emulator: Emulator, what: string) =>
  eventually(
    async () => {
      const spares = await sparesOf(emulator);
      return spares.length === 2 && spares.every((s) => s.running) && spares.map((s) => identityOf(s.runtimeId));
    },
    60_000,
    what,
  );

t.test('the setting: engines, comma-separated, from the flag or the environment; a bad one is a config error', (t) => {
  const read = (argv: string[], env: Record<string, string> = {}) => {
    const config = readConfig(argv, env);
    return config === 'help' ? undefined : config.serverlessWarmPool;
  };
  t.same(read([]), [], 'off by default');
  t.same(read(['--serverless-warm-pool', 'valkey,redis']), ['valkey', 'redis'], 'both engines');
  t.same(read([], { ELASTICACHE_LOCAL_SERVERLESS_WARM_POOL: ' Redis ' }), ['redis'], 'from the environment');
  t.same(
    read(['--serverless-warm-pool', 'valkey'], { ELASTICACHE_LOCAL_SERVERLESS_WARM_POOL: 'redis' }),
    ['valkey'],
    'the flag wins over the environment',
  );
  t.same(read(['--serverless-warm-pool', 'none']), [], 'none turns it off');
  t.throws(
    () => read(['--serverless-warm-pool', 'redis,mongodb']),
    new ConfigError(
      '--serverless-warm-pool takes engines among valkey, redis (comma-separated), or none; got "mongodb"',
    ),
    'an unknown engine',
  );
  t.throws(
    () => read([], { ELASTICACHE_LOCAL_SERVERLESS_WARM_POOL: 'memcached' }),
    { name: 'Error', message: /got "memcached" \(a memcached serverless cache is made from no warm spare\)/ },
    'memcached, which takes no spare',
  );
  t.end();
});

for (const runtime of ['process', 'docker'] as const) {
  t.test(`${runtime}: the first serverless cache is made from the pool formed at start`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    // A restart keeps its settings (the node network's name among them), as a real one would.
    const settings = {
      runtime,
      dataDir: tempDir(t),
      dockerNetwork: testDockerNetwork(),
      serverlessWarmPool: ['redis' as const],
    };
    const emulator = await startTestEmulator(t, settings);
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);

    const shard = await untilShard(emulator, 'a spare shard of two running nodes, with no cache created');

    await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'first', Engine: 'redis' }));
    const cache = await untilStatus(client, 'first', 'available');
    const nodes = (await emulator.runtime.listNodes()).filter((n) => n.clusterId.startsWith('serverless--first'));
    t.same(
      nodes.map((n) => identityOf(n.runtimeId)).sort(),
      [...shard].sort(),
      "the first cache's nodes are the spare shard formed at start",
    );
    t.notOk(
      (await sparesOf(emulator)).some((s) => shard.includes(identityOf(s.runtimeId))),
      'the claimed nodes are no longer spares',
    );
    await servesKeysAndReads(t, emulator.caCertificatePath, cache, 'first');

    // The pool refills after the claim, as after any create; a reset removes it and fills it again, as a start does.
    const refilled = await untilShard(emulator, 'the pool refilled');
    await emulator.reset();
    const afterReset = await untilShard(emulator, 'the pool filled again after a reset');
    t.notOk(
      afterReset.some((id) => refilled.includes(id)),
      'a reset replaced the spare shard with a new one',
    );
    // Stopping the emulator removes it.
    await emulator.close();
    t.same(await sparesOf(emulator), [], 'stopping the emulator leaves no spare');

    // As a crash would: a spare left running, which the next start removes as an orphan before it fills its pool.
    await emulator.runtime.createNode(straySpareSpec(runtime === 'docker' ? 6379 : 0));
    t.same(
      (await sparesOf(emulator)).map((s) => s.clusterId),
      ['spare-left-behind'],
      'a stray spare runs',
    );
    const again = await startTestEmulator(t, settings);
    t.teardown(() => removeAllNodes(again));
    await untilShard(again, 'the restarted emulator filled its pool');
    t.notOk(
      (await sparesOf(again)).some((s) => s.clusterId === 'spare-left-behind'),
      'the stray spare was removed, and the pool formed anew',
    );
  });
}
