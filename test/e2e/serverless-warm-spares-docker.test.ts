/**
 * Warm spares (control/serverless/warm-spares.ts) on the docker runtime (runtime/docker-spares.ts): after a first
 * serverless cache, the next ones are made from the spare shard's running containers, which take their members'
 * names and serve TLS cluster clients at the caches' endpoints (one shard over every slot, keys across slots, the
 * reader endpoint); deleting a cache removes its claimed containers; an emulator started again adopts a claimed
 * cache and serves it (its containers still carry the spares' labels); stopping the emulator leaves no spare, and a
 * spare a crash left behind is removed by the next start.
 */
import {
  CreateServerlessCacheCommand,
  DeleteServerlessCacheCommand,
  type ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { SPARE_ACCOUNT } from '../../src/runtime/runtime.js';
import type { Emulator } from '../../src/server.js';
import { removeAllNodes, sdkClient, startTestEmulator, tempDir, testDockerNetwork } from '../fixtures/emulator.js';
import { connectAs } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { servesKeysAndReads, straySpareSpec, untilGone, untilStatus } from '../fixtures/serverless.js';

const run = promisify(execFile);

const sparesOf = async (emulator: Emulator) =>
  (await emulator.runtime.listNodes({ spares: true })).filter((n) => n.account === SPARE_ACCOUNT);

/** The containers of a cache's nodes, as the runtime lists them (a claimed spare under its member's name). */
const containersOf = async (emulator: Emulator, name: string) =>
  (await emulator.runtime.listNodes()).filter((n) => n.clusterId.startsWith(`serverless--${name}`));

/** Whether a container still exists, and its name. */
async function containerName(id: string): Promise<string | undefined> {
  try {
    return (await run('docker', ['inspect', '-f', '{{.Name}}', id])).stdout.trim();
  } catch {
    return undefined;
  }
}

/** A spare shard of two containers, formed. */
const untilSpareShard = (emulator: Emulator) =>
  eventually(
    async () => {
      const spares = await sparesOf(emulator);
      return spares.length === 2 && spares.every((s) => s.running) && spares.map((s) => s.runtimeId);
    },
    60_000,
    'a spare shard of two containers',
  );

/** The cache serves a cluster client at its endpoint (every slot, keys across slots) and reads at its reader. */
async function servesClusterClients(t: Test, emulator: Emulator, client: ElastiCacheClient, name: string) {
  const cache = await untilStatus(client, name, 'available');
  const caPath = emulator.caCertificatePath;
  const redis = await connectAs(cache.Endpoint!);
  const slots = JSON.stringify(await redis.call('CLUSTER', 'SLOTS'));
  redis.disconnect();
  t.match(slots, /^\[\[0,16383,\[/, `${name}: one shard covers all 16384 slots`);
  // A primary and a replica, announced at the cache's endpoint and reader endpoint (not as a spare, nor a node).
  const nodes = [...slots.matchAll(/\["(127\.[\d.]+)",(\d+),"[0-9a-f]{40}"/g)].map((m) => `${m[1]}:${m[2]}`);
  t.same(
    nodes,
    [cache.Endpoint, cache.ReaderEndpoint].map((e) => `${e!.Address}:${e!.Port}`),
    `${name}: the primary at the endpoint, the replica at the reader endpoint`,
  );
  await servesKeysAndReads(t, caPath, cache, name);
}

/** A cache made from the spare shard `spares`: its nodes are those very containers, renamed for its members. */
async function madeFromSpares(t: Test, emulator: Emulator, name: string, spares: string[]) {
  const nodes = await containersOf(emulator, name);
  t.same(nodes.map((n) => n.runtimeId).sort(), [...spares].sort(), `${name}: its nodes are the spare containers`);
  for (const node of nodes)
    t.match(
      await containerName(node.runtimeId),
      `-${node.clusterId}-`,
      `${name}: a claimed container has its member's name`,
    );
  t.notOk(
    (await sparesOf(emulator)).some((s) => spares.includes(s.runtimeId)),
    `${name}: the claimed containers are no longer listed as spares`,
  );
}

t.test('docker: caches are made from warm spare containers, survive a restart and go with their cache', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  // A restart keeps its settings, the node network's name among them: the claimed containers stay on it.
  const settings = {
    runtime: 'docker' as const,
    dataDir: tempDir(t),
    dockerNetwork: testDockerNetwork(),
  };
  const first = await startTestEmulator(t, settings);
  t.teardown(() => removeAllNodes(first));
  const client = sdkClient(first);
  t.same(await sparesOf(first), [], 'no spare before the first serverless cache');

  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'one', Engine: 'redis' }));
  await servesClusterClients(t, first, client, 'one');

  const firstShard = await untilSpareShard(first);
  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'two', Engine: 'redis' }));
  await servesClusterClients(t, first, client, 'two');
  await madeFromSpares(t, first, 'two', firstShard);

  // The pool refills after a claim: the next cache claims too.
  const secondShard = await untilSpareShard(first);
  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'three', Engine: 'redis' }));
  await servesClusterClients(t, first, client, 'three');
  await madeFromSpares(t, first, 'three', secondShard);

  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'three' }));
  await untilGone(client, 'three');
  for (const id of secondShard)
    t.equal(await containerName(id), undefined, "a deleted cache's claimed container is gone");

  await untilSpareShard(first);
  await first.close();
  t.same(await sparesOf(first), [], 'stopping the emulator leaves no spare container');

  // As a crash would: a spare container left running, which the next start removes as an orphan.
  const stray = await first.runtime.createNode(straySpareSpec(6379));
  t.same(
    (await sparesOf(first)).map((s) => s.runtimeId),
    [stray.runtimeId],
    'the stray spare container is listed',
  );

  const second = await startTestEmulator(t, settings);
  t.teardown(() => removeAllNodes(second));
  t.same(await sparesOf(second), [], 'the restarted emulator removed the stray spare');
  t.equal(await containerName(stray.runtimeId), undefined, 'its container is gone');
  t.same(
    (await containersOf(second, 'two')).map((n) => n.runtimeId).sort(),
    [...firstShard].sort(),
    'the claimed containers were adopted, not removed as orphans',
  );
  const again = sdkClient(second);
  await servesClusterClients(t, second, again, 'two');
  await again.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'two' }));
  await untilGone(again, 'two');
  for (const id of firstShard) t.equal(await containerName(id), undefined, "the restarted cache's containers are gone");
});
