// Autocomplete with one sorted set: every word has score 0, so the set is ordered lexicographically and
// ZRANGEBYLEX returns the words that start with a prefix, in order, without any search module. The SDK takes the API
// endpoint from AWS_ENDPOINT_URL (unset: AWS, same code).
import {
  CreateCacheClusterCommand,
  DeleteCacheClusterCommand,
  DescribeCacheClustersCommand,
  ElastiCacheClient,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
} from '@aws-sdk/client-elasticache';
import { Redis } from 'ioredis';

const client = new ElastiCacheClient({});
const id = process.env.CLUSTER_ID ?? 'autocomplete-example';
const waitFor = { client, maxWaitTime: 900 };

// A few thousand made-up words: every pairing of these syllables, and again with a third.
const syllables = ['ca', 'che', 'ro', 'mi', 'lan', 'to', 'ver', 'sa', 'nu', 'pel', 'dor', 'ki', 'ble', 'zu', 'fa'];
const words = new Set();
for (const a of syllables)
  for (const b of syllables) {
    words.add(a + b);
    for (const c of syllables.slice(0, 12)) words.add(a + b + c);
  }

await client.send(
  new CreateCacheClusterCommand({ CacheClusterId: id, Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
);
await waitUntilCacheClusterAvailable(waitFor, { CacheClusterId: id });
const node = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id, ShowCacheNodeInfo: true })))
  .CacheClusters[0].CacheNodes[0];
const redis = new Redis({ host: node.Endpoint.Address, port: node.Endpoint.Port });

/** Up to `limit` words starting with `prefix`, in order: from "[prefix" to "[prefix" followed by the last byte. */
const complete = (prefix, limit = 5) => redis.zrangebylex('words', `[${prefix}`, `[${prefix}\xff`, 'LIMIT', 0, limit);

try {
  const batch = redis.pipeline();
  for (const word of words) batch.zadd('words', 0, word);
  await batch.exec();
  console.log(`${await redis.zcard('words')} words loaded`);
  for (const prefix of ['ca', 'verd', 'zuf', 'xy']) {
    const found = await complete(prefix);
    console.log(`${prefix.padEnd(5)} → ${found.join(', ') || '(nothing)'}`);
    if (!found.every((w) => w.startsWith(prefix)) || [...found].sort().join() !== found.join())
      throw new Error(`wrong completions for ${prefix}`);
  }
  if ((await complete('xy')).length !== 0 || (await complete('ca')).length !== 5) throw new Error('wrong counts');
  console.log('ok');
} finally {
  redis.disconnect();
  if (!process.env.KEEP) {
    await client.send(new DeleteCacheClusterCommand({ CacheClusterId: id }));
    await waitUntilCacheClusterDeleted(waitFor, { CacheClusterId: id });
  }
}
