// Sessions shared by two instances of an HTTP app through a replication group's primary endpoint: a login on one
// instance is seen by the other, and the session outlives a failover (the replica that takes over has it). The
// SDK takes the API endpoint from AWS_ENDPOINT_URL (unset: AWS, with the same code).
import {
  CreateReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  TestFailoverCommand,
  waitUntilReplicationGroupAvailable,
  waitUntilReplicationGroupDeleted,
} from '@aws-sdk/client-elasticache';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const client = new ElastiCacheClient({});
const id = process.env.GROUP_ID ?? 'session-store-example';
const waitFor = { client, maxWaitTime: 900 };
const describe = async () =>
  (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups[0];

await client.send(
  new CreateReplicationGroupCommand({
    ReplicationGroupId: id,
    ReplicationGroupDescription: 'sessions',
    Engine: 'redis',
    CacheNodeType: 'cache.t3.micro',
    NumCacheClusters: 2,
    AutomaticFailoverEnabled: true,
  }),
);
await waitUntilReplicationGroupAvailable(waitFor, { ReplicationGroupId: id });
const { Address: host, Port: port } = (await describe()).NodeGroups[0].PrimaryEndpoint;
console.log(`replication group ${id}: primary endpoint ${host}:${port}`);

/** One instance of the app: POST /login starts a session, GET /me reads it; sessions live in the cache only. */
function startInstance(name) {
  // Reconnects on its own after a failover cuts the connection; the endpoint then leads to the new primary.
  const sessions = new Redis({ host, port, maxRetriesPerRequest: 20 });
  const server = createServer(async (request, response) => {
    try {
      const sid = /sid=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1];
      if (request.method === 'POST' && request.url.startsWith('/login')) {
        const user = new URL(request.url, 'http://app').searchParams.get('user');
        const newSid = randomUUID();
        await sessions.set(`session:${newSid}`, JSON.stringify({ user, since: Date.now() }), 'EX', 3600);
        response.writeHead(200, { 'set-cookie': `sid=${newSid}`, 'content-type': 'text/plain' });
        response.end(`${name}: logged in as ${user}\n`);
        return;
      }
      const session = sid && (await sessions.get(`session:${sid}`));
      response.writeHead(session ? 200 : 401, { 'content-type': 'text/plain' });
      response.end(session ? `${name}: you are ${JSON.parse(session).user}\n` : `${name}: not logged in\n`);
    } catch (error) {
      response.writeHead(503).end(`${name}: ${error.message}\n`);
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => (server.close(), sessions.disconnect()),
      }),
    ),
  );
}

const [a, b] = await Promise.all([startInstance('app-a'), startInstance('app-b')]);
try {
  const login = await fetch(`${a.url}/login?user=alice`, { method: 'POST' });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  console.log((await login.text()).trim());
  const seen = await fetch(`${b.url}/me`, { headers: { cookie } });
  const seenText = (await seen.text()).trim();
  console.log(seenText);
  if (seen.status !== 200 || !seenText.includes('alice')) throw new Error('app-b does not see the session');

  const before = (await describe()).NodeGroups[0].NodeGroupMembers.find((m) => m.CurrentRole === 'primary');
  await client.send(new TestFailoverCommand({ ReplicationGroupId: id, NodeGroupId: '0001' }));
  await waitUntilReplicationGroupAvailable(waitFor, { ReplicationGroupId: id });
  const after = (await describe()).NodeGroups[0].NodeGroupMembers.find((m) => m.CurrentRole === 'primary');
  console.log(`failover: the primary was ${before.CacheClusterId}, is now ${after.CacheClusterId}`);
  // The first request after the failover may meet the cut connection; the app's client reconnects.
  let kept;
  for (let attempt = 0; attempt < 20 && kept?.status !== 200; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    kept = await fetch(`${b.url}/me`, { headers: { cookie } });
  }
  const keptText = (await kept.text()).trim();
  console.log(`after the failover: ${keptText}`);
  if (kept.status !== 200 || !keptText.includes('alice')) throw new Error('the session did not survive the failover');
  console.log('ok');
} finally {
  a.close();
  b.close();
  if (!process.env.KEEP) {
    await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: id }));
    await waitUntilReplicationGroupDeleted(waitFor, { ReplicationGroupId: id });
  }
}
