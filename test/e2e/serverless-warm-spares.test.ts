/**
 * Warm spares (control/serverless/warm-spares.ts) on the process runtime: two serverless caches created in a row
 * both serve TLS cluster clients (one shard over every slot, keys across slots, the reader endpoint), the second made
 * from the spare shard the first left behind; a claimed node is an ordinary node afterwards (a snapshot, a delete);
 * stopping the emulator leaves no spare running, and a spare a crash left behind is removed by the next start.
 */
import {
  CreateServerlessCacheCommand,
  CreateServerlessCacheSnapshotCommand,
  DeleteServerlessCacheCommand,
  type ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import t, { type Test } from 'tap';
import { SPARE_ACCOUNT } from '../../src/runtime/runtime.js';
import type { Emulator } from '../../src/server.js';
import { removeAllNodes, sdkClient, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import { connectAs } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { servesKeysAndReads, straySpareSpec, untilGone, untilSnapshot, untilStatus } from '../fixtures/serverless.js';

const spareIds = async (emulator: Emulator) =>
  (await emulator.runtime.listNodes({ spares: true }))
    .filter((n) => n.account === SPARE_ACCOUNT)
    .map((n) => n.clusterId);

/** The cache serves a cluster client at its endpoint (every slot, keys across slots) and reads at its reader. */
async function servesClusterClients(t: Test, emulator: Emulator, client: ElastiCacheClient, name: string) {
  const cache = await untilStatus(client, name, 'available');
  const caPath = emulator.caCertificatePath;
  const redis = await connectAs(cache.Endpoint!);
  const slots = JSON.stringify(await redis.call('CLUSTER', 'SLOTS'));
  redis.disconnect();
  t.match(slots, /^\[\[0,16383,\[/, `${name}: one shard covers all 16384 slots`);
  // A primary and a replica, announced at the cache's endpoint and reader endpoint (not where they ran as spares).
  const [[, , primary, replica]] = JSON.parse(slots) as [number, number, ...[string, number][]][];
  t.same(
    [primary.slice(0, 2), replica?.slice(0, 2)],
    [
      [cache.Endpoint!.Address, cache.Endpoint!.Port],
      [cache.ReaderEndpoint!.Address, cache.ReaderEndpoint!.Port],
    ],
    `${name}: the primary at the endpoint, the replica at the reader endpoint`,
  );
  t.notMatch(slots, /"127\.0\.0\.1"/, `${name}: no node is announced at a spare's address`);
  await servesKeysAndReads(t, caPath, cache, name, 10_000);
}

t.test('process: caches created in a row are made from warm spares and serve cluster clients', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const dataDir = tempDir(t);
  const first = await startTestEmulator(t, { runtime: 'process', dataDir });
  t.teardown(() => removeAllNodes(first));
  const client = sdkClient(first);
  t.same(await spareIds(first), [], 'no spare before the first serverless cache');

  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'one', Engine: 'redis' }));
  await servesClusterClients(t, first, client, 'one');
  const spares = await eventually(
    async () => {
      const ids = await spareIds(first);
      return ids.length === 2 && ids;
    },
    30_000,
    'a spare shard of two nodes',
  );

  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'two', Engine: 'redis' }));
  await servesClusterClients(t, first, client, 'two');
  const after = await spareIds(first);
  t.same(
    after.filter((id) => spares.includes(id)),
    [],
    'the spare shard became the second cache',
  );

  // One pool per engine version: a cache's primary and replica ask with different ports, whichever asks first.
  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'three', Engine: 'redis' }));
  await untilStatus(client, 'three', 'available');
  await eventually(async () => (await spareIds(first)).length === 2, 30_000, 'the pool refilled after the third cache');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.equal((await spareIds(first)).length, 2, 'one spare shard kept, not one per port');
  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'three' }));
  await untilGone(client, 'three');

  // A claimed node is an ordinary one: its data is snapshotted, it is adopted after a restart, it goes with its cache.
  await client.send(
    new CreateServerlessCacheSnapshotCommand({ ServerlessCacheName: 'two', ServerlessCacheSnapshotName: 'two-snap' }),
  );
  await untilSnapshot(client, 'two-snap', 'available');

  await first.close();
  t.same(await spareIds(first), [], 'stopping the emulator leaves no spare');

  // As a crash would: a spare node left running, which the next start removes as an orphan.
  const stray = await first.runtime.createNode(straySpareSpec(0));
  t.ok(stray.runtimeId, 'a stray spare runs');
  t.same(await spareIds(first), ['spare-left-behind'], 'the stray spare is listed');

  const second = await startTestEmulator(t, { runtime: 'process', dataDir });
  t.teardown(() => removeAllNodes(second));
  t.same(await spareIds(second), [], 'the restarted emulator removed the stray spare');
  const again = sdkClient(second);
  await servesClusterClients(t, second, again, 'two');
  await again.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'two' }));
  await untilGone(again, 'two');
  t.notOk(
    (await second.runtime.listNodes()).some((n) => n.clusterId.startsWith('serverless--two')),
    "the second cache's nodes are gone",
  );
});
