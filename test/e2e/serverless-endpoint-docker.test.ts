/**
 * What a cluster client sees through a serverless cache's endpoint on the docker runtime: one shard over every slot,
 * its primary at the endpoint and its replica at the reader endpoint (the containers announce them as their
 * hostnames, with the node network's shared address as their ip, whose role ports the emulator routes to each cache's
 * own nodes: runtime/role-port-router.ts). CLUSTER SLOTS, SHARDS and NODES, MOVED and redis-cli -c never name a
 * backing container; two caches at once both replicate through the shared role ports; a failover (the primary's
 * container killed) and an emulator restart keep all of it so.
 */
import {
  CreateServerlessCacheCommand,
  DeleteServerlessCacheCommand,
  type ServerlessCache,
} from '@aws-sdk/client-elasticache';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { findGroup, primaryOf } from '../../src/domain/elasticache/records.js';
import { SPARE_ACCOUNT } from '../../src/runtime/runtime.js';
import type { Emulator } from '../../src/server.js';
import { removeAllNodes, sdkClient, startTestEmulator, tempDir, testDockerNetwork } from '../fixtures/emulator.js';
import { connectAs } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { redisCli, untilGone, untilStatus } from '../fixtures/serverless.js';
import { clusterClientRoundTrip, movedFromReader, shardView } from '../fixtures/serverless-views.js';

const run = promisify(execFile);
const SCOPE = { account: '000000000000', region: 'us-east-1' };

const at = (endpoint: { Address?: string; Port?: number }) => `${endpoint.Address}:${endpoint.Port}`;

/**
 * The cache's shard as its endpoint shows it: every slot, the primary at the endpoint and the replica at the reader
 * endpoint, by hostname; their ips are the shared address at those same ports, never a container's.
 */
async function showsItsEndpoints(t: Test, shared: string | undefined, cache: ServerlessCache, when: string) {
  const endpoint = at(cache.Endpoint!);
  const reader = at(cache.ReaderEndpoint!);
  const expected = {
    slots: [[0, 16383, endpoint, reader]],
    named: [endpoint, reader, `${shared}:${cache.Endpoint!.Port}`, `${shared}:${cache.ReaderEndpoint!.Port}`].sort(),
  };
  const view = await eventually(
    async () => {
      const shown = await shardView(cache.Endpoint!).catch(() => undefined);
      return JSON.stringify(shown) === JSON.stringify(expected) && shown;
    },
    30_000,
    `${cache.ServerlessCacheName} ${when}: the shard shown at its endpoints`,
  ).catch(async () => shardView(cache.Endpoint!));
  t.same(view, expected, `${cache.ServerlessCacheName} ${when}: SLOTS, SHARDS and NODES name its endpoints alone`);
  t.equal(
    await movedFromReader(cache.ReaderEndpoint!),
    endpoint,
    `${cache.ServerlessCacheName} ${when}: a write at the reader endpoint is moved to the endpoint`,
  );
}

/** Its replica's link to its primary is up (through the shared role port), and what is written reaches the reader. */
async function replicates(t: Test, emulator: Emulator, cache: ServerlessCache, when: string): Promise<void> {
  const name = cache.ServerlessCacheName!;
  const link = await eventually(
    async () => {
      const answer = await redisCli(emulator.caCertificatePath, cache.ReaderEndpoint!, ['INFO', 'replication']);
      return /master_link_status:up/.test(answer) && answer;
    },
    60_000,
    `${name} ${when}: the replica's link to its primary up`,
  ).catch(() => 'down');
  t.match(link, /master_link_status:up/, `${name} ${when}: its replica follows its primary`);
  const keys = Array.from({ length: 100 }, (_, i) => `${name}:${when}:${i}`);
  const caPath = emulator.caCertificatePath;
  const sets = await redisCli(caPath, cache.Endpoint!, ['-c'], keys.map((k) => `SET ${k} v-${k}`).join('\n') + '\n');
  t.equal(
    sets.split('\n').filter((l) => l === 'OK').length,
    keys.length,
    `${name} ${when}: redis-cli -c sets every key`,
  );
  const gets = await redisCli(caPath, cache.Endpoint!, ['-c'], keys.map((k) => `GET ${k}`).join('\n') + '\n');
  t.same(
    gets.split('\n'),
    keys.map((k) => `v-${k}`),
    `${name} ${when}: redis-cli -c reads every key back`,
  );
  const last = keys.at(-1)!;
  const fromReader = await eventually(
    async () => {
      const answer = await redisCli(caPath, cache.ReaderEndpoint!, ['-c'], `READONLY\nGET ${last}\nROLE\n`);
      return answer.includes(`v-${last}`) && answer;
    },
    15_000,
    `${last} at the reader endpoint`,
  );
  t.match(fromReader, /slave|replica/, `${name} ${when}: the reader endpoint reads from the replica`);
}

/** Kills the container of the cache's backing primary, as a crash would. */
async function killPrimary(emulator: Emulator, name: string): Promise<void> {
  const group = findGroup(emulator.store, SCOPE, `serverless--${name}`)!;
  const primary = primaryOf(group.state.NodeGroups[0])!.CacheClusterId!;
  const node = (await emulator.runtime.listNodes()).find((n) => n.clusterId === primary)!;
  await run('docker', ['kill', node.runtimeId]);
}

/** A spare shard of two running containers (warm-spares.ts refills it after a serverless cache is made). */
const untilSpareShard = (emulator: Emulator) =>
  eventually(
    async () => {
      const spares = (await emulator.runtime.listNodes({ spares: true })).filter((n) => n.account === SPARE_ACCOUNT);
      return spares.length === 2 && spares.every((s) => s.running) && spares.map((s) => s.runtimeId).sort();
    },
    60_000,
    'a spare shard of two containers',
  );

/** The cache's new primary answers at its endpoint: not the node `oldId`. */
const untilNewPrimary = (cache: ServerlessCache, oldId: string) =>
  eventually(
    async () => {
      const redis = await connectAs(cache.Endpoint!).catch(() => undefined);
      try {
        return redis !== undefined && String(await redis.call('CLUSTER', 'MYID')) !== oldId;
      } catch {
        return false;
      } finally {
        redis?.disconnect();
      }
    },
    90_000,
    `a new primary at ${cache.ServerlessCacheName}'s endpoint`,
  );

t.test('docker: cluster views name the serverless endpoints alone, through failover and restart', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  // A restart keeps its settings, the node network's name among them.
  const settings = {
    runtime: 'docker' as const,
    dataDir: tempDir(t),
    dockerNetwork: testDockerNetwork(),
  };
  const first = await startTestEmulator(t, settings);
  t.teardown(() => removeAllNodes(first));
  // The node network's shared address, told once: it stays the same across the restart below.
  const shared = await first.runtime.clusterAnnounceAddress!();
  const client = sdkClient(first);
  const names = ['cache', 'other'];
  // The first cache's nodes are started for it; the second is made from the warm spares that follow (claimed live).
  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'cache', Engine: 'redis' }));
  const caches = [await untilStatus(client, 'cache', 'available')];
  const spares = await untilSpareShard(first);
  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'other', Engine: 'redis' }));
  caches.push(await untilStatus(client, 'other', 'available'));
  const claimed = (await first.runtime.listNodes()).filter((n) => n.clusterId.startsWith('serverless--other'));
  t.same(claimed.map((n) => n.runtimeId).sort(), spares, 'the second cache is made from the spare containers');
  for (const cache of caches) {
    await showsItsEndpoints(t, shared, cache, 'at first');
    await replicates(t, first, cache, 'first');
  }
  for (const cache of caches) await clusterClientRoundTrip(t, cache.Endpoint!, `${cache.ServerlessCacheName}:ioredis`);

  // Both primaries die: each replica takes over, and each node announces its new role's endpoint (a container
  // started for its node restarts in place; a claimed spare's is replaced by a container of the member's own).
  const oldIds = await Promise.all(
    caches.map(async (cache) => {
      const redis = await connectAs(cache.Endpoint!);
      try {
        return String(await redis.call('CLUSTER', 'MYID'));
      } finally {
        redis.disconnect();
      }
    }),
  );
  for (const name of names) await killPrimary(first, name);
  await Promise.all(caches.map((cache, i) => untilNewPrimary(cache, oldIds[i])));
  for (const cache of caches) {
    const name = cache.ServerlessCacheName!;
    await showsItsEndpoints(t, shared, cache, 'after a failover');
    await replicates(t, first, cache, 'failover');
    t.equal(
      await redisCli(first.caCertificatePath, cache.Endpoint!, ['-c', 'GET', `${name}:first:42`]),
      `v-${name}:first:42`,
      `${name}: the data survived the failover`,
    );
  }

  // Started again over the same data dir: the containers are adopted, routed by their current roles.
  await first.close();
  const second = await startTestEmulator(t, settings);
  t.teardown(() => removeAllNodes(second));
  const again = sdkClient(second);
  for (const name of names) {
    const cache = await untilStatus(again, name, 'available');
    await showsItsEndpoints(t, shared, cache, 'after a restart');
    await replicates(t, second, cache, 'restart');
  }
  for (const name of names) await again.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: name }));
  for (const name of names) await untilGone(again, name);
  t.same(await second.runtime.listNodes(), [], 'no node is left');
});

t.test('docker, the ports endpoint mode: the views name the endpoints at the ports they were given', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'docker', endpointMode: 'ports' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'ported', Engine: 'redis' }));
  const cache = await untilStatus(client, 'ported', 'available');
  t.not(cache.Endpoint!.Port, 6379, 'the endpoint has a port of its own');
  await showsItsEndpoints(t, await emulator.runtime.clusterAnnounceAddress!(), cache, 'in the ports mode');
  await replicates(t, emulator, cache, 'ports');
  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'ported' }));
  await untilGone(client, 'ported');
});
