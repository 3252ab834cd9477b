/**
 * The console over plain HTTP: the page and its files are served without any build step, the JSON view shows
 * clusters and groups per account and region, and nothing it serves (view, stream, page) ever holds an AUTH token
 * or the emulator's own credential key.
 */
import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  waitUntilCacheClusterAvailable,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import type { ConsoleView } from '../../src/api/console-view.js';
import { removeAllNodes, sdkClient, startTestEmulator, waiter } from '../fixtures/emulator.js';
import { runtimeAvailable } from '../fixtures/real-nodes.js';

const CLUSTER_TOKEN = 'console-cluster-token-0123456789';
const GROUP_TOKEN = 'console-group-token-9876543210';

/** The first message of the console's stream that carries data: the view as it is when a page opens. */
async function firstStreamEvent(t: Test, url: string): Promise<{ type: string | null; data: string }> {
  const abort = new AbortController();
  const response = await fetch(`${url}/_elasticache_local/console/events`, { signal: abort.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const dataMessage = () => text.split('\n\n').find((message, i, all) => i < all.length - 1 && /^data: /.test(message));
  try {
    while (!dataMessage()) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    abort.abort();
  }
  t.match(text, /^retry: \d+\n\ndata: /, 'the stream sets its retry delay, then sends the view');
  return { type: response.headers.get('content-type'), data: dataMessage()!.slice('data: '.length) };
}

t.test('the console shows clusters and groups per scope and never an AUTH token or credential', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const elsewhere = sdkClient(emulator, { region: 'eu-west-1', accessKeyId: '111122223333' });
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'secret-cluster',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 1,
      TransitEncryptionEnabled: true,
      AuthToken: CLUSTER_TOKEN,
    }),
  );
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'secret-group',
      ReplicationGroupDescription: 'with a token',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
      TransitEncryptionEnabled: true,
      AuthToken: GROUP_TOKEN,
    }),
  );
  await elsewhere.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'memo',
      Engine: 'memcached',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 2,
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'secret-cluster' });
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'secret-group' });
  await waitUntilCacheClusterAvailable(waiter(elsewhere), { CacheClusterId: 'memo' });

  const viewResponse = await fetch(`${emulator.url}/_elasticache_local/console/view`);
  t.equal(viewResponse.status, 200);
  t.match(viewResponse.headers.get('content-type'), /^application\/json/);
  const json = await viewResponse.text();
  const view = JSON.parse(json) as ConsoleView;

  t.equal(view.runtime, 'none');
  t.same(
    view.scopes.map((s) => `${s.account}/${s.region}`),
    ['000000000000/us-east-1', '111122223333/eu-west-1'],
    'one section per account and region',
  );
  const home = view.scopes.find((s) => s.region === 'us-east-1')!;
  t.same(
    home.cacheClusters.map((c) => c.id),
    ['secret-cluster'],
    'group members are shown in their group, not as clusters',
  );
  const cluster = home.cacheClusters[0];
  t.match(cluster, {
    status: 'available',
    engine: 'redis',
    nodeType: 'cache.t3.micro',
    authTokenEnabled: true,
    parameterGroup: { name: 'default.redis7' },
  });
  t.match(cluster.nodes[0].endpoint?.command, /^redis-cli -h \S+ -p 6379 --askpass$/, 'a command without the token');
  t.same(cluster.nodes[0].runner, { kind: 'none' }, 'the none runtime runs nothing');
  const group = home.replicationGroups[0];
  t.match(group, { id: 'secret-group', status: 'available', clusterMode: false, authTokenEnabled: true });
  t.equal(group.shards.length, 1);
  t.equal(group.shards[0].primary, 'secret-group-001', 'the primary is named');
  t.same(
    group.shards[0].members.map((m) => [m.clusterId, m.role]),
    [
      ['secret-group-001', 'primary'],
      ['secret-group-002', 'replica'],
    ],
  );
  t.ok(group.shards[0].primaryEndpoint, 'the primary endpoint is shown');
  t.ok(
    home.events.some((e) => e.sourceId === 'secret-cluster'),
    'the recent events are shown',
  );
  const memcached = view.scopes.find((s) => s.region === 'eu-west-1')!.cacheClusters[0];
  t.equal(memcached.nodes.length, 2);
  t.match(memcached.nodes[0].endpoint?.command, /^nc \S+ 11211$/, 'memcached is reached with nc');
  t.match(memcached.configurationEndpoint?.command, /^nc \S+ 11211$/);

  const stream = await firstStreamEvent(t, emulator.url);
  t.match(stream.type, /^text\/event-stream/);
  t.same(JSON.parse(stream.data), view, 'the stream sends the same view');

  const page = await fetch(`${emulator.url}/_elasticache_local/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.headers.get('content-security-policy'), /default-src 'none'/, 'the page loads nothing from elsewhere');
  const html = await page.text();
  const files = await Promise.all(
    ['console/console.js', 'console/console.css'].map(async (path) => {
      const response = await fetch(`${emulator.url}/_elasticache_local/${path}`);
      t.equal(response.status, 200, `${path} is served`);
      return response.text();
    }),
  );
  const redirect = await fetch(`${emulator.url}/_elasticache_local`, { redirect: 'manual' });
  t.equal(redirect.headers.get('location'), '/_elasticache_local/', 'the path without its slash leads to the page');

  // The secrets are there to leak: the records hold the tokens, the settings the key node credentials come from.
  const stored = emulator.store.resources.get(
    { account: '000000000000', region: 'us-east-1' },
    'cache-cluster',
    'secret-cluster',
  );
  t.equal(stored?.internal.authToken, CLUSTER_TOKEN, 'the cluster record holds its token');
  const credentialKey = emulator.store.settings.getOrCreate('admin-secret', () => 'unset');
  t.not(credentialKey, 'unset');
  const secrets = {
    'the cluster token': CLUSTER_TOKEN,
    'the group token': GROUP_TOKEN,
    'the credential key': credentialKey,
  };
  for (const [what, text] of [
    ['the JSON view', json],
    ['the stream', stream.data],
    ['the page', html],
    ['its files', files.join('\n')],
  ]) {
    for (const [name, secret] of Object.entries(secrets)) t.notOk(text.includes(secret), `${what}: not ${name}`);
    t.notMatch(text, /authToken"\s*:\s*"|previousAuthToken|retiredAuthTokens/, `${what} holds no token field`);
  }
});

t.test('an open console stream does not hold up closing the emulator', async (t) => {
  const emulator = await startTestEmulator(t);
  const response = await fetch(`${emulator.url}/_elasticache_local/console/events`);
  const reader = response.body!.getReader();
  await reader.read();
  await emulator.close();
  const rest = await reader.read().catch(() => ({ done: true }));
  t.ok(rest.done, 'the stream ended with the server');
});

t.test('docker: the console names the container that runs each node', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'docker' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  await client.send(
    new CreateCacheClusterCommand({ CacheClusterId: 'boxed', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
  );
  // A container's first start can take a while on a busy machine: the docker suites' own patience.
  await waitUntilCacheClusterAvailable({ ...waiter(client), maxWaitTime: 120 }, { CacheClusterId: 'boxed' });
  const view = (await (await fetch(`${emulator.url}/_elasticache_local/console/view`)).json()) as ConsoleView;
  const runner = view.scopes[0].cacheClusters[0].nodes[0].runner;
  t.equal(runner?.kind, 'container');
  const { name, id } = runner as { name: string; id: string };
  const listed = execFileSync('docker', ['ps', '--filter', `id=${id}`, '--format', '{{.Names}}'])
    .toString()
    .trim();
  t.equal(listed, name, 'the name and short id docker ps shows');
});

// No API creates them yet: their records are written as their handlers will write them, to see the console take them.
t.test('serverless caches and snapshots are shown once their records exist', async (t) => {
  const emulator = await startTestEmulator(t);
  const scope = { account: '000000000000', region: 'us-east-1' };
  const view = async () =>
    ((await (await fetch(`${emulator.url}/_elasticache_local/console/view`)).json()) as ConsoleView).scopes;
  t.same(await view(), [], 'nothing yet: no section at all');
  emulator.store.resources.insert(
    scope,
    'snapshot',
    'nightly',
    {
      SnapshotName: 'nightly',
      SnapshotStatus: 'available',
      SnapshotSource: 'manual',
      CacheClusterId: 'web',
      Engine: 'redis',
      EngineVersion: '7.1.0',
      CacheNodeType: 'cache.t3.micro',
      NodeSnapshots: [{ CacheNodeId: '0001', SnapshotCreateTime: new Date('2026-01-02T03:04:05Z') }],
    },
    { secret: 'internal-snapshot-secret' },
  );
  emulator.store.resources.insert(
    scope,
    'serverless-cache',
    'sessions',
    {
      ServerlessCacheName: 'sessions',
      Status: 'available',
      Engine: 'valkey',
      FullEngineVersion: '8.0',
      Endpoint: { Address: '127.0.0.9', Port: 6379 },
      SecurityGroupIds: ['sg-1'],
    },
    { authToken: 'internal-serverless-secret' },
  );
  const [home] = await view();
  t.same(home.snapshots, [
    {
      name: 'nightly',
      status: 'available',
      source: 'manual',
      cacheClusterId: 'web',
      engine: 'redis',
      engineVersion: '7.1.0',
      nodeType: 'cache.t3.micro',
      createdAt: '2026-01-02T03:04:05.000Z',
    },
  ]);
  t.match(home.serverlessCaches, [
    {
      name: 'sessions',
      status: 'available',
      engine: 'valkey',
      engineVersion: '8.0',
      endpoint: { command: 'redis-cli -h 127.0.0.9 -p 6379' },
      securityGroups: [{ id: 'sg-1' }],
    },
  ]);
  t.notMatch(JSON.stringify(home), /internal-/, 'no internal part is shown');
});
