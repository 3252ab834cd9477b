/**
 * Nodes as local processes: redis-server / valkey-server / memcached from PATH, each on a free loopback port,
 * detached so they outlive an emulator crash and can be adopted by the next start. Each process carries its
 * owner in its environment (instance and node), which is how the emulator finds its own processes again.
 */
import type { FastifyBaseLogger } from 'fastify';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { engineBinary, engineCommand, probe, waitUntilReady } from './engines.js';
import type { NodeHandle, NodeRuntime, NodeSpec, RunningNode } from './runtime.js';

const ENV_INSTANCE = 'ELASTICACHE_LOCAL_INSTANCE';
const ENV_NODE = 'ELASTICACHE_LOCAL_NODE';

export interface ProcessRuntimeOptions {
  instanceId: string;
  /** Where node working directories and logs go. */
  workDir: string;
  log: FastifyBaseLogger;
  readinessTimeoutMs?: number;
}

function onPath(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The binaries this machine has for each engine; valkey falls back to redis-server. */
export function availableBinaries(): Record<'redis' | 'valkey' | 'memcached', string | undefined> {
  const redis = onPath('redis-server') ? 'redis-server' : undefined;
  return {
    redis,
    valkey: onPath('valkey-server') ? 'valkey-server' : redis,
    memcached: onPath('memcached') ? 'memcached' : undefined,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const handleOf = (pid: number, port: number): NodeHandle => ({
  runtimeId: `${pid}:${port}`,
  target: { host: '127.0.0.1', port },
});

function parseHandle(runtimeId: string): { pid: number; port: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(runtimeId);
  return match ? { pid: Number(match[1]), port: Number(match[2]) } : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class ProcessRuntime implements NodeRuntime {
  readonly name = 'process' as const;
  private readonly binaries = availableBinaries();
  private warnedValkey = false;

  constructor(private readonly options: ProcessRuntimeOptions) {}

  static available(): boolean {
    const found = availableBinaries();
    return Boolean(found.redis || found.memcached);
  }

  private nodeKey(spec: NodeSpec): string {
    return `${spec.account}/${spec.region}/${spec.clusterId}/${spec.nodeId}`;
  }

  async createNode(spec: NodeSpec): Promise<NodeHandle> {
    const binary = this.binaries[spec.engine];
    if (!binary) {
      throw new Error(`No ${engineBinary(spec.engine)} on PATH: install it (Debian: apt-get install ${spec.engine === 'memcached' ? 'memcached' : 'redis-server'}) or use the docker runtime.`);
    }
    if (spec.engine === 'valkey' && binary === 'redis-server' && !this.warnedValkey) {
      this.warnedValkey = true;
      this.options.log.warn('valkey nodes run redis-server (no valkey-server on PATH)');
    }
    await this.removeNode(spec, undefined);
    const dir = join(this.options.workDir, spec.account, spec.region, spec.clusterId, spec.nodeId);
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const logFile = openSync(join(dir, 'node.log'), 'a');
    const child = spawn(binary, engineCommand({ ...spec, dataDir: dir }, { port, bind: '127.0.0.1' }), {
      cwd: dir,
      detached: true,
      stdio: ['ignore', logFile, logFile],
      env: { ...process.env, [ENV_INSTANCE]: this.options.instanceId, [ENV_NODE]: this.nodeKey(spec) },
    });
    closeSync(logFile);
    child.unref();
    const pid = child.pid;
    if (!pid) throw new Error(`${binary} did not start`);
    try {
      await waitUntilReady(spec.engine, '127.0.0.1', port, this.options.readinessTimeoutMs ?? 15_000);
    } catch (error) {
      this.kill(pid);
      throw error;
    }
    return handleOf(pid, port);
  }

  async restartNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle> {
    const parsed = parseHandle(handle.runtimeId);
    if (parsed) this.kill(parsed.pid);
    return this.createNode(spec);
  }

  async removeNode(spec: NodeSpec, handle: NodeHandle | undefined): Promise<void> {
    const parsed = handle && parseHandle(handle.runtimeId);
    if (parsed) this.kill(parsed.pid);
    for (const node of await this.listNodes()) {
      if (`${node.account}/${node.region}/${node.clusterId}/${node.nodeId}` === this.nodeKey(spec)) {
        this.kill(Number(node.runtimeId.split(':')[0]));
      }
    }
    rmSync(join(this.options.workDir, spec.account, spec.region, spec.clusterId, spec.nodeId), { recursive: true, force: true });
  }

  async inspectNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle | undefined> {
    const parsed = parseHandle(handle.runtimeId);
    if (!parsed || !alive(parsed.pid)) return undefined;
    return (await probe(spec.engine, '127.0.0.1', parsed.port)) ? handleOf(parsed.pid, parsed.port) : undefined;
  }

  /** This instance's processes, found by the owner marks in their environment (Linux /proc). */
  async listNodes(): Promise<RunningNode[]> {
    let pids: string[];
    try {
      pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
    } catch {
      return [];
    }
    const nodes: RunningNode[] = [];
    for (const pid of pids) {
      let environ: string;
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      } catch {
        continue;
      }
      const vars = environ.split('\0');
      if (!vars.includes(`${ENV_INSTANCE}=${this.options.instanceId}`)) continue;
      const node = vars.find((v) => v.startsWith(`${ENV_NODE}=`))?.slice(ENV_NODE.length + 1);
      if (!node) continue;
      const [account, region, clusterId, nodeId] = node.split('/');
      nodes.push({ runtimeId: `${pid}:0`, account, region, clusterId, nodeId, running: true });
    }
    return nodes;
  }

  async close(): Promise<void> {}

  private kill(pid: number): void {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
