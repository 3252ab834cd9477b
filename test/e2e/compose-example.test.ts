/**
 * examples/compose as a user runs it, with `docker-compose` (1.29; `docker compose` where that is what the machine
 * has): the emulator's image on a bridge network with the Docker socket mounted and `--advertise-host
 * elasticache-local`; clusters created from the host through the published API port; the `app` container asks the API
 * for the endpoints and reaches a redis node endpoint, a replication group's primary endpoint (a write, before and
 * after TestFailover), its reader endpoint and a memcached configuration endpoint. `down -v` then leaves nothing of
 * the project: no container, no network, no node container of the emulator.
 */
import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  TestFailoverCommand,
  waitUntilCacheClusterAvailable,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { CREDENTIALS } from '../fixtures/emulator.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { freePort } from '../fixtures/free-port.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'compose');
const IMAGE = 'elasticache-local:offline';
const docker = async (...args: string[]) => (await run('docker', args, { maxBuffer: 16 << 20 })).stdout.trim();

/** `docker-compose`, or the `docker compose` plugin where only that is installed; undefined when neither runs. */
async function composeCommand(): Promise<string[] | undefined> {
  for (const command of [['docker-compose'], ['docker', 'compose']]) {
    const answered = await run(command[0], [...command.slice(1), 'version']).then(
      () => true,
      () => false,
    );
    if (answered) return command;
  }
  return undefined;
}

t.test('the compose example: the app container reaches every endpoint kind the API returns', async (t) => {
  const compose = await composeCommand();
  if (!compose) {
    const why = 'neither docker-compose nor `docker compose` is installed (apt-get install docker-compose)';
    if (process.env.CI) t.fail(`the compose example is required in CI: ${why}`);
    else {
      console.warn(`\n*** SKIPPING the compose example: ${why} ***\n`);
      t.pass(`skipped loudly: ${why}`);
    }
    return;
  }
  if (!(await runtimeAvailable(t, 'docker'))) return;
  const built = await docker('image', 'ls', '-q', IMAGE);
  if (!built || !process.env.CI) await run(join(ROOT, 'docker', 'build-emulator-image.sh'), [IMAGE], { cwd: ROOT });

  const suffix = Math.random().toString(16).slice(2, 10);
  // elasticache-local-test-*: what .ci/run clears before a run, should one be cut short.
  const project = `elasticache-local-test-compose-${suffix}`;
  const nodeNetwork = `${project}-nodes`;
  const apiPort = await freePort();
  const env = {
    ...process.env,
    ELASTICACHE_LOCAL_IMAGE: IMAGE,
    APP_IMAGE: IMAGE,
    ELASTICACHE_LOCAL_API_PORT: String(apiPort),
    ELASTICACHE_LOCAL_NODE_NETWORK: nodeNetwork,
  };
  const composeRun = async (...args: string[]) =>
    (
      await run(compose[0], [...compose.slice(1), '-p', project, ...args], {
        cwd: EXAMPLE,
        env,
        maxBuffer: 16 << 20,
        timeout: 180_000,
      })
    ).stdout.trim();
  let down = false;
  t.teardown(async () => {
    if (!down) await composeRun('down', '-v').catch(() => {});
  });

  await composeRun('up', '-d', 'emulator');
  const emulatorId = await composeRun('ps', '-q', 'emulator');
  await eventually(
    async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', emulatorId)) === 'healthy',
    60_000,
    'the emulator service to turn healthy',
  );

  const client = new ElastiCacheClient({
    endpoint: `http://127.0.0.1:${apiPort}`,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  const waitFor = { client, maxWaitTime: 120, minDelay: 1, maxDelay: 1 };
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'solo',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 1,
    }),
  );
  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'sessions',
      Engine: 'memcached',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 2,
    }),
  );
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'orders',
      ReplicationGroupDescription: 'compose example',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
    }),
  );
  await waitUntilCacheClusterAvailable(waitFor, { CacheClusterId: 'solo' });
  await waitUntilCacheClusterAvailable(waitFor, { CacheClusterId: 'sessions' });
  await waitUntilReplicationGroupAvailable(waitFor, { ReplicationGroupId: 'orders' });
  const group = async () =>
    (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'orders' }))).ReplicationGroups![0];
  const primaryOf = async () =>
    (await group()).NodeGroups![0].NodeGroupMembers!.find((member) => member.CurrentRole === 'primary')?.CacheClusterId;
  const primaryEndpoint = (await group()).NodeGroups![0].PrimaryEndpoint!;
  t.equal(primaryEndpoint.Address, 'elasticache-local', 'the API advertises the name the app resolves');

  const app = async () => {
    const output = await composeRun('run', '--rm', 'app').catch((error: { stdout?: string; message: string }) => {
      t.comment(`the app failed: ${error.message}`);
      return error.stdout ?? '';
    });
    t.comment(`app:\n${output}`);
    return output;
  };
  const before = await app();
  t.match(before, /^redis solo node 0001 at elasticache-local:\d+: PONG$/m, 'a redis node endpoint answers PING');
  t.match(
    before,
    /^memcached sessions configuration endpoint at elasticache-local:\d+: config get cluster lists elasticache-local\|\|\d+ elasticache-local\|\|\d+; each answers VERSION/m,
    'the memcached configuration endpoint lists both nodes by their advertised name (no ip: clients resolve it), and each answers',
  );
  const primaryLine = `replication group orders primary endpoint at ${primaryEndpoint.Address}:${primaryEndpoint.Port}`;
  t.ok(before.includes(`${primaryLine}: SET and GET`), 'the primary endpoint the API returned takes a write');
  t.match(before, /^replication group orders reader endpoint at elasticache-local:\d+: PONG$/m, 'the reader too');
  t.match(before, /\nok$/, 'every endpoint answered the app');

  const primary = await primaryOf();
  await client.send(new TestFailoverCommand({ ReplicationGroupId: 'orders', NodeGroupId: '0001' }));
  const promoted = await eventually(
    async () => {
      const now = await primaryOf();
      return now !== primary && (await group()).Status === 'available' && now;
    },
    120_000,
    'the failover to promote the replica',
  );
  t.not(promoted, primary, `the failover promoted ${promoted}`);
  t.same((await group()).NodeGroups![0].PrimaryEndpoint, primaryEndpoint, 'the primary endpoint keeps its address');
  const after = await app();
  t.ok(after.includes(`${primaryLine}: SET and GET`), 'after the failover, the primary endpoint takes a write again');
  t.match(after, /\nok$/, 'every endpoint answered the app after the failover');

  // What `down` must remove: the project's containers and network, the emulator's node containers and network.
  const nodeContainers = (await docker('ps', '-aq', '--no-trunc', '--filter', `network=${nodeNetwork}`))
    .split('\n')
    .filter((id) => id && !id.startsWith(emulatorId));
  t.equal(nodeContainers.length, 5, 'five node containers ran on the node network');
  await composeRun('down', '-v');
  down = true;
  const containersLeft = await docker('ps', '-aq', '--no-trunc');
  t.same(
    nodeContainers.filter((id) => containersLeft.includes(id)),
    [],
    'down stopped the ephemeral emulator, which removed its node containers',
  );
  t.equal(
    await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`),
    '',
    'no container of the project is left',
  );
  const networksLeft = (await docker('network', 'ls', '--format', '{{.Name}}')).split('\n');
  t.same(
    networksLeft.filter((name) => name.startsWith(project)),
    [],
    'neither the bridge network nor the node network is left',
  );
});
