/**
 * What a cluster client sees through a serverless cache's endpoint (process runtime): one shard over every slot, its
 * primary at the endpoint (6379) and its replica at the reader endpoint (6380), as AWS shows a serverless cache;
 * CLUSTER SLOTS, SHARDS and NODES, MOVED-following clients (ioredis Cluster, redis-cli -c) and the reader endpoint
 * never name a backing node, before and after the backing shard fails over.
 */
import { CreateServerlessCacheCommand, DeleteServerlessCacheCommand } from '@aws-sdk/client-elasticache';
import t from 'tap';
import { removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { connectAs } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { redisCli, untilGone, untilStatus } from '../fixtures/serverless.js';
import { clusterClientRoundTrip, movedFromReader, shardView } from '../fixtures/serverless-views.js';

t.test('process: a cluster client sees the serverless endpoints alone, before and after a failover', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  const caPath = emulator.caCertificatePath;
  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'cache', Engine: 'valkey' }));
  const cache = await untilStatus(client, 'cache', 'available');
  const endpoint = `${cache.Endpoint!.Address}:${cache.Endpoint!.Port}`;
  const reader = `${cache.ReaderEndpoint!.Address}:${cache.ReaderEndpoint!.Port}`;
  const expected = { slots: [[0, 16383, endpoint, reader]], named: [endpoint, reader].sort() };

  const before = await eventually(
    async () => {
      const view = await shardView(cache.Endpoint!);
      return JSON.stringify(view) === JSON.stringify(expected) && view;
    },
    10_000,
    'the shard shown at the serverless endpoints',
  );
  t.same(
    before,
    expected,
    'one shard over every slot: the primary at the endpoint, the replica at the reader endpoint',
  );
  await clusterClientRoundTrip(t, cache.Endpoint!, 'before');
  t.equal(await movedFromReader(cache.ReaderEndpoint!), endpoint, 'a write at the reader is moved to the endpoint');
  const keys = Array.from({ length: 100 }, (_, i) => `key:${i}`);
  const answers = await redisCli(caPath, cache.Endpoint!, ['-c'], keys.map((k) => `SET ${k} ${k}`).join('\n') + '\n');
  t.equal(answers.split('\n').filter((l) => l === 'OK').length, keys.length, 'redis-cli -c writes every key');
  const fromReader = await eventually(
    async () => {
      const answer = await redisCli(caPath, cache.ReaderEndpoint!, ['-c'], 'READONLY\nGET key:99\nROLE\n');
      return answer.includes('key:99\n') && answer;
    },
    10_000,
    'key:99 at the reader endpoint',
  );
  t.match(fromReader, /slave|replica/, 'the reader endpoint reads from the replica');

  // The backing primary dies: its replica takes over, and the endpoints follow the roles.
  const primary = await connectAs(cache.Endpoint!);
  const pid = Number(/process_id:(\d+)/.exec(String(await primary.call('INFO', 'server')))![1]);
  const oldId = String(await primary.call('CLUSTER', 'MYID'));
  primary.disconnect();
  process.kill(pid, 'SIGKILL');
  const after = await eventually(
    async () => {
      const redis = await connectAs(cache.Endpoint!).catch(() => undefined);
      if (!redis) return undefined;
      try {
        if (String(await redis.call('CLUSTER', 'MYID')) === oldId) return undefined;
        const view = await shardView(cache.Endpoint!);
        return JSON.stringify(view) === JSON.stringify(expected) && view;
      } catch {
        return undefined;
      } finally {
        redis.disconnect();
      }
    },
    60_000,
    'the new primary at the serverless endpoint, the shard shown at the serverless endpoints',
  );
  t.same(after, expected, 'after the failover: the new primary at the endpoint, the replica at the reader endpoint');
  await clusterClientRoundTrip(t, cache.Endpoint!, 'after');
  t.equal(await redisCli(caPath, cache.Endpoint!, ['-c', 'GET', 'key:42']), 'key:42', 'the data survived');
  const newReplica = await eventually(
    async () => {
      const answer = await redisCli(caPath, cache.ReaderEndpoint!, ['-c'], 'READONLY\nGET after:7\nROLE\n');
      return /^OK\n7\n(slave|replica)/.test(answer) && answer;
    },
    30_000,
    'the reader endpoint reads from the new replica',
  );
  t.match(newReplica, /^OK\n7\n/, 'the reader endpoint reads from the new replica');

  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'cache' }));
  await untilGone(client, 'cache');
});
