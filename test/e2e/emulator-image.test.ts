/**
 * The emulator's own image (docker/build-emulator-image.sh, built without a registry): run on a bridge network with
 * the Docker socket mounted, its health check turns healthy, and the API answers from the host through a published
 * port and from a sibling container by the container's name. Its nodes run on a network of their own, which it
 * joins before it turns healthy (joining later would move its published port and cut the answer to the first create);
 * an ephemeral one stopped leaves neither nodes nor that network behind. Uses elasticache-local:offline when .ci/run
 * built it.
 */
import {
  CreateCacheClusterCommand,
  DescribeCacheClustersCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { CREDENTIALS } from '../fixtures/emulator.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = 'elasticache-local:offline';
const docker = async (...args: string[]) => (await run('docker', args, { maxBuffer: 16 << 20 })).stdout.trim();

t.test('the emulator image turns healthy and answers from the host and from a sibling container', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  const built = await docker('image', 'ls', '-q', IMAGE);
  if (!built || !process.env.CI) await run(join(ROOT, 'docker', 'build-emulator-image.sh'), [IMAGE], { cwd: ROOT });
  const suffix = Math.random().toString(16).slice(2, 10);
  const network = `elasticache-local-test-${suffix}`;
  const nodes = `${network}-nodes`;
  const name = `elasticache-local-test-emulator-${suffix}`;
  await docker('network', 'create', network);
  t.teardown(async () => {
    await docker('rm', '-f', '-v', name).catch(() => {});
    const left = await docker('ps', '-aq', '--filter', `network=${nodes}`).catch(() => '');
    if (left) await docker('rm', '-f', ...left.split('\n')).catch(() => {});
    await docker('network', 'rm', network).catch(() => {});
    await docker('network', 'rm', nodes).catch(() => {});
  });
  await docker(
    'run',
    '-d',
    '--name',
    name,
    '--network',
    network,
    '-p',
    '127.0.0.1::8379',
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock',
    '-e',
    'ELASTICACHE_LOCAL_LOG_LEVEL=warn',
    IMAGE,
    '--runtime',
    'docker',
    '--data-dir',
    ':memory:',
    '--docker-network',
    nodes,
  );
  const health = await eventually(
    async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', name)) === 'healthy',
    60_000,
    'the container to turn healthy',
  );
  t.ok(health, 'the HEALTHCHECK passes');

  const published = (await docker('port', name, '8379')).split('\n')[0];
  const client = new ElastiCacheClient({
    endpoint: `http://${published}`,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  const answer = await client.send(new DescribeCacheClustersCommand({}));
  t.same(answer.CacheClusters, [], 'the API answers the AWS SDK from the host');
  const state = (await (await fetch(`http://${published}/_elasticache_local/health`)).json()) as { runtime: string };
  t.equal(state.runtime, 'docker', 'the emulator drives the host daemon through the mounted socket');

  const fromSibling = await docker(
    'run',
    '--rm',
    '--network',
    network,
    '--entrypoint',
    'node',
    IMAGE,
    '-e',
    `fetch('http://${name}:8379/_elasticache_local/health').then((r) => r.json()).then((h) => console.log(h.status))`,
  );
  t.equal(fromSibling, 'running', 'a sibling container on the network reaches the API by the container name');

  // maxAttempts 1: an answer lost to a network change would fail the create, not be retried into AlreadyExists.
  const created = await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: `image-${suffix}`,
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 1,
    }),
  );
  t.equal(created.CacheCluster?.CacheClusterStatus, 'creating', 'the first create gets its answer');
  await eventually(
    async () =>
      (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: `image-${suffix}` }))).CacheClusters?.[0]
        .CacheClusterStatus === 'available',
    60_000,
    'the cluster available',
  );
  const nodeContainer = ['--filter', `network=${nodes}`, '--filter', `name=ecl-image-${suffix}-`];
  t.ok(await docker('ps', '-q', ...nodeContainer), 'its node runs on the node network');
  await docker('stop', '-t', '30', name);
  t.equal(await docker('ps', '-aq', ...nodeContainer), '', 'stopped, it leaves no node container');
  t.equal(await docker('network', 'ls', '-q', '--filter', `name=^${nodes}$`), '', 'and no node network');
});
