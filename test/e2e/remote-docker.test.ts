/**
 * A Docker daemon that is not the local one (DOCKER_HOST=tcp://…): a second dockerd of the test's own, listening on
 * a loopback TCP port with its own data and exec roots and no bridge or iptables rules of its own, holding the node
 * images copied from the main daemon. An emulator pointed at it runs a redis and a memcached cluster there; real
 * clients talk to their endpoints, and the containers are on the second daemon, none on the main one. Everything
 * (nodes, network, daemon, its files) goes at the end.
 *
 * Skipped loudly (failed in CI) only when dockerd is not installed or no main daemon holds the images.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import t, { type Test } from 'tap';
import { defaultVersion } from '../../src/domain/elasticache/catalog.js';
import { LABEL } from '../../src/runtime/docker.js';
import { imageFor } from '../../src/runtime/images.js';
import { createCluster } from '../fixtures/endpoint-suite.js';
import { removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { memcached, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';

/** Where the second daemon keeps its files: scripts/check-leftovers.mjs looks for daemons left with this prefix. */
const DAEMON_DIR_PREFIX = 'elasticache-local-test-dockerd-';

function dockerdInstalled(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface SecondDaemon {
  host: string;
  docker: Docker;
}

/**
 * Starts a dockerd that leaves the main one alone: its own data, exec root (and so its own containerd), pid file
 * and cgroup parent, no default bridge, no iptables or masquerading rules, and an address pool of its own.
 */
async function startSecondDaemon(t: Test): Promise<SecondDaemon> {
  const dir = mkdtempSync(join(tmpdir(), DAEMON_DIR_PREFIX));
  const port = await freeLoopbackPort();
  const host = `tcp://127.0.0.1:${port}`;
  const pool = `base=10.${200 + Math.floor(Math.random() * 50)}.0.0/16,size=24`;
  const log = join(dir, 'dockerd.log');
  const child: ChildProcess = spawn(
    'sh',
    [
      '-c',
      'exec dockerd "$@" >"$LOG" 2>&1',
      'dockerd',
      '-H',
      host,
      '--tls=false',
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--bridge',
      'none',
      '--iptables=false',
      '--ip-masq=false',
      '--default-address-pool',
      pool,
      '--cgroup-parent',
      `/${DAEMON_DIR_PREFIX}${port}`,
    ],
    { env: { ...process.env, LOG: log }, stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  t.teardown(async () => {
    if (alive) {
      child.kill('SIGTERM');
      // dockerd stops its containers and its containerd before it exits; SIGKILL only if it hangs.
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const docker = new Docker({ host: '127.0.0.1', port, protocol: 'http' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!alive) throw new Error(`the second dockerd exited: ${readFileSync(log, 'utf8').slice(-2000)}`);
    try {
      await docker.ping();
      return { host, docker };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Copies an image from the main daemon to the second one (docker save | docker load, without the CLI). */
async function copyImage(from: Docker, to: Docker, image: string): Promise<void> {
  const archive = await from.getImage(image).get();
  const loaded = await to.loadImage(archive);
  await new Promise<void>((resolve, reject) =>
    to.modem.followProgress(loaded, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

t.test('a remote daemon (DOCKER_HOST=tcp://…) runs the nodes; endpoints reach them', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  if (!dockerdInstalled()) {
    const why = 'dockerd is not installed: a second Docker daemon cannot be started';
    if (process.env.CI) t.fail(`the remote-daemon test is required in CI: ${why}`);
    else {
      console.warn(`\n*** SKIPPING the remote Docker daemon test: ${why} ***\n`);
      t.comment(`SKIPPED: ${why}`);
      t.pass(`skipped loudly: ${why}`);
    }
    return;
  }
  const main = new Docker();
  const second = await startSecondDaemon(t);
  const images = [imageFor('redis', defaultVersion('redis').version), imageFor('memcached', '1.6.22')];
  for (const image of images) await copyImage(main, second.docker, image);

  // The emulator finds its daemon as the CLI would: in DOCKER_HOST.
  const before = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = second.host;
  t.teardown(() => {
    if (before === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = before;
  });
  const emulator = await startTestEmulator(t, { runtime: 'docker' });
  // Registered after the emulator's close and before the daemon's stop: tap runs teardowns last first.
  t.teardown(() => removeAllNodes(emulator));
  t.equal(emulator.runtime.name, 'docker');
  const client = sdkClient(emulator);

  const redisCluster = await createCluster(client, { CacheClusterId: 'remote-redis', Engine: 'redis' });
  const redis = redisAt(redisCluster.CacheNodes![0].Endpoint!);
  await redis.connect();
  t.equal(await redis.set('where', 'the second daemon'), 'OK');
  t.equal(await redis.get('where'), 'the second daemon', 'a redis client reads what it wrote');
  redis.disconnect();

  const memcachedCluster = await createCluster(client, {
    CacheClusterId: 'remote-memcached',
    Engine: 'memcached',
    NumCacheNodes: 2,
  });
  for (const node of memcachedCluster.CacheNodes!) {
    t.equal(await memcached(node.Endpoint!, 'set k 0 0 6\r\nremote\r\n'), 'STORED\r\n');
    t.equal(
      await memcached(node.Endpoint!, 'get k\r\n'),
      'VALUE k 0 6\r\nremote\r\nEND\r\n',
      `node ${node.CacheNodeId}`,
    );
  }
  t.match(await memcached(memcachedCluster.ConfigurationEndpoint!, 'version\r\n'), /^VERSION /);

  const ours = { all: true, filters: { label: [`${LABEL.instance}=${emulator.instanceId}`] } };
  const onSecond = await second.docker.listContainers(ours);
  t.same(
    onSecond.map((c) => c.Labels[LABEL.cluster]).sort(),
    ['remote-memcached', 'remote-memcached', 'remote-redis'],
    'every node is a container on the second daemon',
  );
  for (const container of onSecond)
    t.ok(
      container.Ports.every((binding) => !binding.PublicPort || binding.IP === '127.0.0.1'),
      `${container.Names[0]}: a daemon on a loopback address publishes on 127.0.0.1 only`,
    );
  t.same(await main.listContainers(ours), [], 'none on the main daemon');
});
