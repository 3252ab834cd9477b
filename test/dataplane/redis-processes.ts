/**
 * Real redis-server processes for the topology tests, started the way the process runtime starts nodes (a private
 * config file with the emulator's users, then the default user opened with the optional AUTH token) plus the cluster flags the emulator adds in cluster mode, each in
 * its own temp dir on 127.0.0.1 with an explicit bus port. Every process is killed by stopAll().
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { ClusterMember } from '../../src/dataplane/redis-cluster.js';
import { grantClientAccess } from '../../src/dataplane/node-admin.js';
import { waitUntilReady } from '../../src/runtime/engines.js';
import { nodeConfigFile, type NodeAccess } from '../../src/runtime/node-access.js';
import { freePort } from '../fixtures/free-port.js';

/** One group's credentials for every test node: replicas and MIGRATE authenticate across nodes with them. */
const ACCESS: NodeAccess = {
  mode: 'acl',
  adminPassword: 'topology-test-admin',
  replicationPassword: 'topology-test-replication',
};

export interface TestNode extends ClusterMember {
  process: ChildProcess;
  dir: string;
  kill(): void;
}

const started: TestNode[] = [];
// A test process that crashes or is ended by tap's timeout still takes its nodes with it where it can.
process.once('exit', () => stopAll());

/** True when redis-server runs here; otherwise fails (CI) or skips loudly, and returns false. */
export function redisAvailable(t: Test): boolean {
  if (spawnSync('redis-server', ['--version']).status === 0) return true;
  const why = 'redis-server is not on PATH (apt-get install redis-server)';
  if (process.env.CI === 'true') t.fail(`redis-server is required in CI: ${why}`);
  else {
    console.warn(`\n*** SKIPPING the redis topology tests: ${why} ***\n`);
    t.comment(`SKIPPED: redis topology tests: ${why}`);
    t.pass(`skipped loudly: ${why}`);
  }
  return false;
}

/** Starts a node; a port taken between choosing and binding it makes the node exit, and it starts again. */
export async function startRedis(options: { cluster?: boolean; authToken?: string } = {}): Promise<TestNode> {
  for (let attempt = 1; ; attempt++) {
    const node = await spawnRedis(options);
    const exited = new Promise<'exited'>((resolve) => node.process.once('exit', () => resolve('exited')));
    const stop = new AbortController();
    const outcome = await Promise.race([
      waitUntilReady('redis', '127.0.0.1', node.admin.port, 20_000, stop.signal).then(() => 'ready' as const),
      exited,
    ]);
    stop.abort();
    if (outcome === 'ready') {
      await grantClientAccess(node.admin, options.authToken ? [options.authToken] : []);
      return node;
    }
    if (attempt >= 3)
      throw new Error(`redis-server exited before answering, ${attempt} times (see ${node.dir}/node.log)`);
  }
}

async function spawnRedis(options: { cluster?: boolean; authToken?: string }): Promise<TestNode> {
  const port = await freePort();
  let busPort = await freePort();
  while (busPort === port) busPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-topology-'));
  const configFile = join(dir, 'node.conf');
  writeFileSync(configFile, nodeConfigFile(ACCESS, '7.1', options.authToken), { mode: 0o600 });
  const args = [
    configFile,
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'no',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--logfile',
    join(dir, 'node.log'),
  ];
  // As the runtimes start nodes: a replica's first sync starts at once instead of after Redis's 5 s default.
  args.push('--repl-diskless-sync-delay', '0');
  if (options.cluster) {
    args.push(
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      '5000',
      '--cluster-require-full-coverage',
      'no',
      '--cluster-announce-hostname',
      '127.0.0.1',
      '--cluster-preferred-endpoint-type',
      'hostname',
      '--cluster-port',
      String(busPort),
      '--cluster-announce-ip',
      '127.0.0.1',
      '--cluster-announce-port',
      String(port),
      '--cluster-announce-bus-port',
      String(busPort),
    );
  }
  const child = spawn('redis-server', args, { cwd: dir, stdio: 'ignore' });
  const node: TestNode = {
    admin: { host: '127.0.0.1', port, authToken: options.authToken, access: ACCESS },
    peer: { host: '127.0.0.1', port, busPort: options.cluster ? busPort : undefined },
    process: child,
    dir,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  started.push(node);
  return node;
}

export function startMany(count: number, options: { cluster?: boolean; authToken?: string } = {}): Promise<TestNode[]> {
  return Promise.all(Array.from({ length: count }, () => startRedis(options)));
}

export function stopAll(): void {
  for (const node of started.splice(0)) {
    node.kill();
    rmSync(node.dir, { recursive: true, force: true });
  }
}
