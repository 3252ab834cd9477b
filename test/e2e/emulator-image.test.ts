/**
 * The emulator's own image (docker/build-emulator-image.sh, built without a registry): run on a bridge network with
 * the Docker socket mounted, its health check turns healthy, and the API answers from the host through a published
 * port and from a sibling container by the container's name. Uses elasticache-local:offline when .ci/run built it.
 */
import { DescribeCacheClustersCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
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
  const name = `elasticache-local-test-emulator-${suffix}`;
  await docker('network', 'create', network);
  t.teardown(async () => {
    await docker('rm', '-f', '-v', name).catch(() => {});
    await docker('network', 'rm', network).catch(() => {});
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
    '--docker-network',
    network,
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
});
