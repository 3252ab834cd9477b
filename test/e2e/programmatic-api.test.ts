/**
 * The programmatic API a test suite uses (src/index.ts), on real nodes: `start({ ephemeral: true })` on the process
 * and docker runtimes, a cache cluster and a replication group, `reset()` (resources and nodes gone, the emulator
 * still serving), then `stop()`, after which no container, process, listener or network of that instance is left.
 * And a suite killed with SIGKILL: the next ephemeral start removes what it left running.
 */
import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  waitUntilCacheClusterAvailable,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { start, type RunningEmulator } from '../../src/index.js';
import { connectDocker } from '../../src/runtime/docker.js';
import { REPO_ROOT } from '../fixtures/cli-process.js';
import { testDockerNetwork, uniqueEndpointBase } from '../fixtures/emulator.js';
import { runtimeAvailable } from '../fixtures/real-nodes.js';

type Runtime = 'process' | 'docker';
type Endpoint = { Address?: string; Port?: number };

/** Whether anything accepts a connection at an endpoint. */
function answers(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.Address, port: endpoint.Port! });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Pids of the processes whose working directory is under an instance's node dir. */
function nodeProcessesOf(instanceId: string): number[] {
  const workDir = join(tmpdir(), `elasticache-local-${instanceId}`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(workDir)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** What of the instance the runtime still runs: containers (docker) or node processes (process). */
async function leftovers(runtime: Runtime, instanceId: string): Promise<number> {
  if (runtime === 'process') return nodeProcessesOf(instanceId).length;
  const docker = (await connectDocker())!;
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`io.elasticache-local.instance=${instanceId}`] },
  });
  return containers.length;
}

async function networkExists(name: string): Promise<boolean> {
  const docker = (await connectDocker())!;
  return (await docker.listNetworks({ filters: { name: [name] } })).some((n) => n.Name === name);
}

function startFor(t: Test, runtime: Runtime, network: string): Promise<RunningEmulator> {
  return start({
    runtime,
    ephemeral: true,
    endpointBase: uniqueEndpointBase(),
    dockerNetwork: network,
    logLevel: (process.env.ELASTICACHE_LOCAL_TEST_LOG_LEVEL as 'debug' | undefined) ?? 'silent',
  }).then((emulator) => {
    t.teardown(() => emulator.stop());
    return emulator;
  });
}

const waiter = (client: ElastiCacheClient) => ({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 });

for (const runtime of ['process', 'docker'] as const) {
  t.test(`${runtime}: start({ ephemeral: true }), reset() and stop() leave nothing running`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const network = testDockerNetwork();
    const emulator = await startFor(t, runtime, network);
    t.equal(emulator.runtime, runtime);
    t.match(emulator.clientConfig, { endpoint: emulator.url, region: 'us-east-1' }, 'a client config for the SDK');
    const client = new ElastiCacheClient({ ...emulator.clientConfig, maxAttempts: 1 });

    await client.send(
      new CreateCacheClusterCommand({ CacheClusterId: 'solo', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
    );
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'pair',
        ReplicationGroupDescription: 'primary and replica',
        CacheNodeType: 'cache.t3.micro',
        Engine: 'redis',
        NumCacheClusters: 2,
      }),
    );
    await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'solo' });
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'pair' });
    const clusters = (await client.send(new DescribeCacheClustersCommand({ ShowCacheNodeInfo: true }))).CacheClusters!;
    const group = (await client.send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups![0];
    const endpoints: Endpoint[] = [
      ...clusters.map((c) => c.CacheNodes![0].Endpoint!),
      group.NodeGroups![0].PrimaryEndpoint!,
      group.NodeGroups![0].ReaderEndpoint!,
    ];
    t.equal(clusters.length, 3, 'three cache clusters (one alone, two in the group)');
    t.equal(await leftovers(runtime, emulator.instanceId), 3, 'three nodes running');
    for (const endpoint of endpoints) t.ok(await answers(endpoint), `${endpoint.Address}:${endpoint.Port} answers`);

    await emulator.reset();
    t.same((await client.send(new DescribeCacheClustersCommand({}))).CacheClusters, [], 'reset: no cluster left');
    t.same((await client.send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups, [], 'nor group');
    t.equal(await leftovers(runtime, emulator.instanceId), 0, 'nor node');
    for (const endpoint of endpoints)
      t.notOk(await answers(endpoint), `${endpoint.Address}:${endpoint.Port} is closed`);

    // The emulator still serves after a reset: the same ids can be created again.
    await client.send(
      new CreateCacheClusterCommand({ CacheClusterId: 'solo', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
    );
    await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'solo' });
    const again = (await client.send(new DescribeCacheClustersCommand({ ShowCacheNodeInfo: true }))).CacheClusters!;
    t.ok(await answers(again[0].CacheNodes![0].Endpoint!), 'a cluster created after the reset answers');

    const reset = await fetch(`${emulator.url}/_elasticache_local/reset`, { method: 'POST' });
    t.same(await reset.json(), { status: 'reset' }, 'POST /_elasticache_local/reset answers once done');
    t.equal(await leftovers(runtime, emulator.instanceId), 0, 'and its node is gone');

    await client.send(
      new CreateCacheClusterCommand({ CacheClusterId: 'kept', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
    );
    await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'kept' });
    const kept = (await client.send(new DescribeCacheClustersCommand({ ShowCacheNodeInfo: true }))).CacheClusters!;
    await emulator.stop();
    t.equal(await leftovers(runtime, emulator.instanceId), 0, 'stop(): no node left');
    t.notOk(await answers(kept[0].CacheNodes![0].Endpoint!), 'no endpoint listener left');
    await t.rejects(fetch(`${emulator.url}/_elasticache_local/health`), 'the API no longer listens');
    if (runtime === 'docker') t.notOk(await networkExists(network), 'no network left');
    else t.notOk(existsSync(join(tmpdir(), `elasticache-local-${emulator.instanceId}`)), 'no node dir left');
  });

  t.test(`${runtime}: what a killed ephemeral instance left is removed by the next start`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const network = testDockerNetwork();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/ephemeral-child.ts', runtime, uniqueEndpointBase(), network],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    t.teardown(() => child.kill('SIGKILL'));
    const report = await new Promise<{ instanceId: string; endpoint: Endpoint }>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
      });
      void exited.then(() => reject(new Error('the child exited before reporting')));
    });
    child.kill('SIGKILL');
    await exited;
    t.equal(await leftovers(runtime, report.instanceId), 1, 'the killed instance left its node running');
    if (runtime === 'process') t.ok(await answers(report.endpoint), 'still answering');

    const next = await startFor(t, runtime, testDockerNetwork());
    t.not(next.instanceId, report.instanceId, 'a new instance');
    t.equal(await leftovers(runtime, report.instanceId), 0, "the next start removed the dead instance's node");
    if (runtime === 'docker') t.notOk(await networkExists(network), 'and its network');
    else t.notOk(existsSync(join(tmpdir(), `elasticache-local-${report.instanceId}`)), 'and its node dir');
    await next.stop();
  });
}
