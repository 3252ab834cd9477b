/**
 * What a cluster client sees through a serverless cache's endpoint (process runtime): one shard over every slot, its
 * primary at the endpoint (6379) and its replica at the reader endpoint (6380), as AWS shows a serverless cache;
 * CLUSTER SLOTS, SHARDS and NODES, MOVED-following clients (ioredis Cluster, redis-cli -c) and the reader endpoint
 * never name a backing node, before and after the backing shard fails over.
 */
import { CreateServerlessCacheCommand, DeleteServerlessCacheCommand } from '@aws-sdk/client-elasticache';
import { Cluster, type Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { removeAllNodes, sdkClient, startTestEmulator, startedAuthorities } from '../fixtures/emulator.js';
import { connectAs, type Endpoint } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { redisCli, untilGone, untilStatus } from '../fixtures/serverless.js';

/** Every address:port a cluster view names (CLUSTER SLOTS, SHARDS, NODES), hostnames and ips alike. */
async function namedAddresses(redis: Redis): Promise<string[]> {
  const named = new Set<string>();
  const slots = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, ...[string, number, string, string[]][]][];
  for (const [, , ...nodes] of slots)
    for (const [host, port, , meta] of nodes) {
      named.add(`${host}:${port}`);
      const ip = meta?.[meta.indexOf('ip') + 1];
      if (meta?.includes('ip')) named.add(`${ip}:${port}`);
    }
  const shards = (await redis.call('CLUSTER', 'SHARDS')) as unknown[][];
  for (const shard of shards) {
    const nodes = shard[shard.indexOf('nodes') + 1] as unknown[][];
    for (const node of nodes) {
      const field = (name: string) => node[node.indexOf(name) + 1];
      for (const host of ['ip', 'endpoint', 'hostname']) named.add(`${field(host)}:${field('tls-port')}`);
    }
  }
  const lines = String(await redis.call('CLUSTER', 'NODES'))
    .trim()
    .split('\n');
  for (const line of lines) {
    const [ipPort, hostname] = line.split(' ')[1].split(',');
    const [ip, port] = ipPort.split('@')[0].split(':');
    if (!line.includes('fail')) named.add(`${ip}:${port}`);
    if (hostname && !line.includes('fail')) named.add(`${hostname}:${port}`);
  }
  return [...named].sort();
}

/** What the cache's endpoint shows of its shard: the slots and roles, by address. */
async function shardView(endpoint: Endpoint): Promise<{ slots: unknown; named: string[] }> {
  const redis = await connectAs(endpoint);
  try {
    const slots = ((await redis.call('CLUSTER', 'SLOTS')) as unknown[][]).map(([from, to, ...nodes]) => [
      from,
      to,
      ...(nodes as [string, number][]).map(([host, port]) => `${host}:${port}`),
    ]);
    return { slots, named: await namedAddresses(redis) };
  } finally {
    redis.disconnect();
  }
}

async function clusterClientRoundTrip(t: Test, endpoint: Endpoint, prefix: string): Promise<void> {
  const cluster = new Cluster([{ host: endpoint.Address, port: endpoint.Port }], {
    redisOptions: { tls: { ca: [...startedAuthorities] } },
    dnsLookup: (address, callback) => callback(null, address),
    clusterRetryStrategy: () => null,
  });
  cluster.on('error', () => {});
  try {
    for (let i = 0; i < 50; i++) await cluster.set(`${prefix}:${i}`, String(i));
    t.equal(await cluster.get(`${prefix}:49`), '49', 'ioredis Cluster writes and reads');
    const used = cluster.nodes().map((n) => `${n.options.host}:${n.options.port}`);
    t.same(
      [...new Set(used)].filter((a) => a !== `${endpoint.Address}:${endpoint.Port}` && !a.endsWith(':6380')),
      [],
      `ioredis Cluster connects to the serverless endpoints alone (${used.join(', ')})`,
    );
  } finally {
    cluster.disconnect();
  }
}

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
