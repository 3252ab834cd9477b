// A game's leaderboards in sorted sets on a cluster-mode-enabled replication group. The keys of one board share a
// hash tag ({weekly}), so they live on one shard and multi-key commands (ZUNIONSTORE) work across them; different
// boards spread over the shards. The SDK takes the API endpoint from AWS_ENDPOINT_URL (unset: AWS, same code).
import {
  CreateReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  waitUntilReplicationGroupAvailable,
  waitUntilReplicationGroupDeleted,
} from '@aws-sdk/client-elasticache';
import { Cluster } from 'ioredis';

const client = new ElastiCacheClient({});
const id = process.env.GROUP_ID ?? 'leaderboard-example';
const waitFor = { client, maxWaitTime: 900 };

await client.send(
  new CreateReplicationGroupCommand({
    ReplicationGroupId: id,
    ReplicationGroupDescription: 'leaderboards',
    Engine: 'redis',
    CacheNodeType: 'cache.t3.micro',
    CacheParameterGroupName: 'default.redis7.cluster.on',
    NumNodeGroups: 2,
    ReplicasPerNodeGroup: 0,
  }),
);
await waitUntilReplicationGroupAvailable(waitFor, { ReplicationGroupId: id });
const group = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id })))
  .ReplicationGroups[0];
const { Address: host, Port: port } = group.ConfigurationEndpoint;
console.log(`replication group ${id}: ${group.NodeGroups.length} shards, configuration endpoint ${host}:${port}`);
const redis = new Cluster([{ host, port }]);

try {
  // Two days of scores, each day its own board: {weekly} keeps them on one shard.
  const days = { '{weekly}:mon': { ada: 120, bob: 80, cyd: 95 }, '{weekly}:tue': { ada: 30, bob: 90, dee: 140 } };
  for (const [board, scores] of Object.entries(days)) {
    await redis.zadd(board, ...Object.entries(scores).flatMap(([player, score]) => [score, player]));
  }
  await redis.zincrby('{weekly}:tue', 25, 'cyd');
  await redis.zunionstore('{weekly}:total', 2, '{weekly}:mon', '{weekly}:tue');
  const top = await redis.zrevrange('{weekly}:total', 0, 2, 'WITHSCORES');
  const podium = [];
  for (let i = 0; i < top.length; i += 2) podium.push(`${top[i]} ${top[i + 1]}`);
  console.log(`this week's top 3: ${podium.join(', ')}`);
  const rank = await redis.zrevrank('{weekly}:total', 'cyd');
  console.log(`cyd is number ${rank + 1} of ${await redis.zcard('{weekly}:total')}`);
  // Another board, another hash tag: it may land on the other shard.
  await redis.zadd('{monthly}:total', 500, 'ada');
  const shardOf = (key) => redis.cluster('KEYSLOT', key);
  console.log(`slots: {weekly} ${await shardOf('{weekly}:total')}, {monthly} ${await shardOf('{monthly}:total')}`);
  if (podium.join() !== 'bob 170,ada 150,dee 140' || rank !== 3) throw new Error('the leaderboard does not add up');
  console.log('ok');
} finally {
  redis.disconnect();
  if (!process.env.KEEP) {
    await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: id }));
    await waitUntilReplicationGroupDeleted(waitFor, { ReplicationGroupId: id });
  }
}
