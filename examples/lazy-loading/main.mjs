// Cache-aside (lazy loading) in front of a database: reads go to the cache first and fill it from the database on
// a miss, with a TTL; a write goes to the database and removes the cached copy, so the next read loads it again.
// The cluster is created with the SDK and its waiter, and the endpoint is the one the API returns. The SDK takes the
// API endpoint from AWS_ENDPOINT_URL: set, it is the emulator; unset, AWS, with the same code.
import {
  CreateCacheClusterCommand,
  DeleteCacheClusterCommand,
  DescribeCacheClustersCommand,
  ElastiCacheClient,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
} from '@aws-sdk/client-elasticache';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';

const client = new ElastiCacheClient({});
const id = process.env.CLUSTER_ID ?? 'lazy-loading-example';
const TTL_SECONDS = 60;

// The database: a products table, and a count of the queries that reach it.
const db = new Database(':memory:');
db.exec('CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price REAL)');
db.prepare('INSERT INTO products VALUES (?, ?, ?)').run(42, 'teapot', 19.5);
let databaseHits = 0;

await client.send(
  new CreateCacheClusterCommand({ CacheClusterId: id, Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
);
await waitUntilCacheClusterAvailable({ client, maxWaitTime: 900 }, { CacheClusterId: id });
const cluster = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id, ShowCacheNodeInfo: true })))
  .CacheClusters[0];
const { Address: host, Port: port } = cluster.CacheNodes[0].Endpoint;
console.log(`cache cluster ${id} is available at ${host}:${port}`);
const cache = new Redis({ host, port });

async function getProduct(productId) {
  const key = `product:${productId}`;
  const cached = await cache.get(key);
  if (cached) return JSON.parse(cached);
  databaseHits++;
  const product = db.prepare('SELECT * FROM products WHERE id = ?').get(productId);
  await cache.set(key, JSON.stringify(product), 'EX', TTL_SECONDS);
  return product;
}

async function updatePrice(productId, price) {
  db.prepare('UPDATE products SET price = ? WHERE id = ?').run(price, productId);
  await cache.del(`product:${productId}`);
}

try {
  for (let i = 0; i < 5; i++) await getProduct(42);
  console.log(`5 reads, database hits: ${databaseHits}`);
  if (databaseHits !== 1) throw new Error('the cache did not serve the repeated reads');
  await updatePrice(42, 24);
  const after = await getProduct(42);
  console.log(
    `after the update: price ${after.price}, database hits: ${databaseHits}, TTL ${await cache.ttl('product:42')} s`,
  );
  if (after.price !== 24 || databaseHits !== 2) throw new Error('the update did not invalidate the cached copy');
  console.log('ok');
} finally {
  cache.disconnect();
  if (!process.env.KEEP) {
    await client.send(new DeleteCacheClusterCommand({ CacheClusterId: id }));
    await waitUntilCacheClusterDeleted({ client, maxWaitTime: 900 }, { CacheClusterId: id });
  }
}
