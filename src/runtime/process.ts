/**
 * Nodes as local processes: redis-server / valkey-server / memcached from PATH, detached so they outlive an
 * emulator crash and can be adopted by the next start. Each node has a working directory under the emulator's
 * data dir with a node.json (pid, address, port), which is how the emulator finds its own processes again (redis
 * rewrites its environment and title, so neither can mark it).
 *
 * A node listens on its endpoint itself (the address and port clients are given), not behind a forwarding
 * listener of the emulator: a forwarder doubles the kernel's work per request on loopback (what that costs a
 * client: bench/RESULTS.md §3). A group's primary also listens on the group's primary endpoint, and the one node
 * a reader endpoint leads to (the only replica, or the primary without one) on the reader endpoint
 * (NodeSpec.heldAddresses; the replication group worker moves them as roles and members change). A reader endpoint
 * over several replicas and a configuration endpoint, which spread or follow connections, stay with the emulator;
 * but a serverless cache's backing primary holds the cache's endpoint and its replica the reader endpoint, each on
 * its role's port (control/serverless/held-endpoints.ts), which nodePortChanged records when the roles swap.
 * A node given no endpoint gets a free loopback port, behind the emulator. So does a memcached node: every memcached endpoint answers Auto Discovery's
 * `config get cluster`, which memcached itself does not know, so the emulator's listener stays in front of it.
 * A cluster node announces its endpoint, with a bus port the emulator forwards to it (cluster-bus.ts).
 */
import type { Logger } from '../common/logger.js';
import { spawn, execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { copyFile, chmod, link } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  RDB_FILE,
  engineBinary,
  engineCommand,
  probe,
  readinessBudgetMs,
  tlsFiles,
  waitUntilReady,
  type Listen,
} from './engines.js';
import { nodeConfigFile } from './node-access.js';
import { ClusterBus } from './cluster-bus.js';
import { claimProcessSpare, type SpareHost } from './process-spares.js';
import {
  NodeUnavailable,
  SPARE_ACCOUNT,
  type NodeAddress,
  type NodeHandle,
  type NodeRuntime,
  type NodeSpec,
  type RunningNode,
} from './runtime.js';

const NODE_FILE = 'node.json';
/** The node's credentials (node-access.ts), readable by the emulator's user alone. */
const CONFIG_FILE = 'node.conf';

interface NodeFile {
  pid: number;
  /** Where the node listens (127.0.0.1 for nodes started before nodes listened on their endpoints). */
  host?: string;
  port: number;
  /** A TLS node in preferred mode: its plain port (port is its TLS port). */
  plainPort?: number;
  binary: string;
  /** Cluster nodes: their bus port. */
  busPort?: number;
  /** Where the emulator and other nodes reach a node that serves its endpoint (none for nodes of older builds). */
  backstage?: string;
  /** Cluster nodes: the address their own connections come from (bind-source-addr), which marks them as nodes. */
  source?: string;
  /** Cluster nodes: the bus forward on their endpoint address that they announce (cluster-bus.ts). */
  announcedBus?: { address: string; port: number };
  /** Where the bus listens when not on the backstage address: a claimed warm spare's own (process-spares.ts). */
  busHost?: string;
}

export interface ProcessRuntimeOptions {
  instanceId: string;
  /** Where node working directories and logs go. */
  workDir: string;
  log: Logger;
  readinessTimeoutMs?: number;
  /**
   * A node serving its endpoint gets a second loopback address (null: no such address exists here, as in the
   * ports endpoint mode), so the emulator and its peers still reach it when its endpoint must close.
   */
  backstageOf?: (endpointAddress: string) => string | undefined;
  /** Security groups are enforced: a node that could not close its endpoint stays behind the emulator's listener. */
  enforce?: boolean;
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

/**
 * Puts a snapshot's RDB where a new node loads it. A hard link where both are on one filesystem (the data dir): no
 * copy of a GiB to wait for, and the snapshot's file is safe, since redis never writes into the file it loaded (a
 * save writes a new file and renames it over). Elsewhere, a copy that does not block the event loop.
 */
async function placeSeed(seed: string, destination: string): Promise<void> {
  try {
    await link(seed, destination);
  } catch {
    await copyFile(seed, destination, fsConstants.COPYFILE_FICLONE);
  }
  await chmod(destination, 0o600);
}

/** The pid and port a process node's runtime id (`pid:port`) holds. */
export function parseHandle(runtimeId: string): { pid: number; port: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(runtimeId);
  return match ? { pid: Number(match[1]), port: Number(match[2]) } : undefined;
}

/** Whether the pid is still the node's process (not gone, not reused by another program). */
function alive(pid: number, binary?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (!binary) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(binary.replace(/-server$/, ''));
  } catch {
    return true; // no /proc (macOS): the signal check is all there is
  }
}

/** The processes whose working directory is dir (Linux; none where there is no /proc). */
function processesIn(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  let target: string;
  try {
    target = realpathSync(dir);
  } catch {
    return []; // no directory, so no process in it
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === target) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Whether a process has ended: gone, or a zombie not yet reaped (whose sockets are closed already). */
function ended(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false; // no /proc (macOS): the signal check is all there is
  }
}

export class ProcessRuntime implements NodeRuntime {
  readonly name = 'process' as const;
  readonly servesEndpoints = true;
  private readonly binaries = availableBinaries();
  private warnedValkey = false;
  private readonly bus = new ClusterBus();
  private readonly starting = new Map<string, Promise<NodeHandle>>();

  /**
   * Makes a running warm spare the node `spec` describes (process-spares.ts). Only where every endpoint has an
   * address of its own (a backstage beside it): a claimed node listens on its endpoint and is reached behind it.
   */
  readonly claimSpare?: (spare: NodeSpec, handle: NodeHandle, spec: NodeSpec) => Promise<NodeHandle | undefined>;

  constructor(private readonly options: ProcessRuntimeOptions) {
    if (options.backstageOf)
      this.claimSpare = (spare, _handle, spec) => claimProcessSpare(this.spareHost(), spare, spec);
  }

  private spareHost(): SpareHost {
    return {
      bus: this.bus,
      nodeDir: (node) => this.nodeDir(node),
      backstageOf: this.options.backstageOf,
      recorded: (spare) => this.readNodeFile(this.nodeDir(spare)),
      removeNode: (node, handle) => this.removeNode(node, handle),
      writeNodeFile: (dir, node) => writeFileSync(join(dir, NODE_FILE), JSON.stringify(node)),
      handleOf: (spec, node) => this.handleOf(spec, node),
    };
  }

  static available(): boolean {
    const found = availableBinaries();
    return Boolean(found.redis || found.memcached);
  }

  private nodeDir(node: NodeAddress): string {
    return join(this.options.workDir, node.account, node.region, node.clusterId, node.nodeId);
  }

  /**
   * One start at a time per node: a second start of the same node (a job resumed after a crash beside a new one)
   * waits, then replaces the first's process, instead of both spawning and one holding the other's port unrecorded.
   */
  async createNode(spec: NodeSpec): Promise<NodeHandle> {
    const key = this.nodeDir(spec);
    const start = (this.starting.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => this.startNode(spec));
    this.starting.set(key, start);
    try {
      return await start;
    } finally {
      if (this.starting.get(key) === start) this.starting.delete(key);
    }
  }

  private async startNode(spec: NodeSpec): Promise<NodeHandle> {
    const binary = this.binaries[spec.engine];
    if (!binary) {
      throw new NodeUnavailable(
        `No ${engineBinary(spec.engine)} on PATH: install it (Debian: apt-get install ${spec.engine === 'memcached' ? 'memcached' : 'redis-server'}) or use the docker runtime.`,
      );
    }
    if (spec.engine === 'valkey' && binary === 'redis-server' && !this.warnedValkey) {
      this.warnedValkey = true;
      this.options.log.warn('valkey nodes run redis-server (no valkey-server on PATH)');
    }
    await this.removeNode(spec, undefined);
    const dir = this.nodeDir(spec);
    // The nodes' data and credentials are the user's alone.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(this.options.workDir, 0o700);
    chmodSync(dir, 0o700);
    if (spec.tls) {
      const files = tlsFiles(join(dir, CONFIG_FILE));
      writeFileSync(files.certificate, spec.tls.certificate, { mode: 0o600 });
      writeFileSync(files.key, spec.tls.key, { mode: 0o600 });
      writeFileSync(files.authority, spec.tls.authority, { mode: 0o600 });
    }
    if (spec.engine !== 'memcached') {
      writeFileSync(join(dir, CONFIG_FILE), nodeConfigFile(spec.access, spec.engineVersion, spec.authToken), {
        mode: 0o600,
      });
      // The engine loads the RDB in its working directory at start: a node restored from a snapshot holds its data.
      if (spec.seedRdb) {
        await placeSeed(spec.seedRdb, join(dir, RDB_FILE));
      }
    }
    // A port chosen free can be taken by another socket before the node binds it: the node then exits, and
    // starts again on other ports.
    for (let attempt = 1; ; attempt++) {
      const started = await this.spawnNode(spec, binary, dir);
      if (started.handle) return started.handle;
      if (attempt >= 3)
        throw new Error(`${binary} exited before answering, ${attempt} times (see ${join(dir, 'node.log')})`);
      this.options.log.debug(
        { cluster: spec.clusterId, node: spec.nodeId, attempt },
        'node exited before answering; starting it again',
      );
    }
  }

  /** One start: the handle once the node answers, or none when the process ended first. */
  private async spawnNode(spec: NodeSpec, binary: string, dir: string): Promise<{ handle?: NodeHandle }> {
    // memcached nodes stay behind the emulator's listener (see the top of this file); so does a node that could not
    // let go of its endpoint when security groups are enforced or its group logs iam users in (endpointClosed), and
    // one that takes TLS and plain connections (preferred mode): one port cannot, so the listener sends each to the
    // node's port for it.
    const preferred = spec.tls?.mode === 'preferred';
    const wanted = spec.engine === 'memcached' || preferred ? undefined : spec.endpoint;
    const backstage = wanted && this.options.backstageOf?.(wanted.address);
    const endpoint = backstage || !(this.options.enforce || spec.endpointClosed) ? wanted : undefined;
    const host = endpoint?.address ?? '127.0.0.1';
    const inside = backstage ?? host;
    const port = endpoint?.port ?? (await freePort());
    const logFile = openSync(join(dir, 'node.log'), 'a');
    const open = endpoint && !(spec.endpointClosed && backstage) ? [host, ...(spec.heldAddresses ?? [])] : [];
    // A process shares the emulator's file descriptor limit: ElastiCache's 65000 connections do not fit in it.
    const listen: Listen = {
      port,
      bind: [...new Set([...open, inside])].join(' '),
      maxConnections: 1000,
      replicaAnnounceIp: inside,
    };
    if (preferred) listen.plainPort = await freePort();
    let source: string | undefined;
    let announcedBus: NodeFile['announcedBus'];
    if (spec.cluster) {
      // The bus listens on the node's addresses; the emulator meets it on its backstage, when it has one.
      listen.busPort = await freePort();
      const announced = spec.cluster.announceHost;
      // Every address a client learns from the node (CLUSTER NODES, REPLICAS, SHARDS, INFO) is its endpoint, where
      // security groups are checked. Its peers reach it there too: its data port is the endpoint itself, its bus a
      // forward the emulator owns, and their connections come from their own addresses, which mark them as nodes.
      listen.announceIp = announced;
      if (!endpoint && announced !== host) {
        listen.bind = `${host} ${announced}`;
        source = announced;
      }
      if (backstage) {
        source = backstage;
        listen.replicaAnnounceIp = announced;
        const bus = { host: backstage, port: listen.busPort };
        const forward = await this.bus.open(spec, announced, 0, bus);
        // The node's own bus listens on its endpoint address too while it serves it: the forward needs another port.
        if (forward === bus.port) bus.port = listen.busPort = await freePort();
        announcedBus = { address: announced, port: forward };
        listen.announceBusPort = forward;
      }
      if (source) {
        listen.sourceAddress = source;
        this.bus.register(spec, source);
      }
    }
    const child = spawn(binary, engineCommand({ ...spec, dataDir: dir }, listen, join(dir, CONFIG_FILE)), {
      cwd: dir,
      // A SASL node's Cyrus settings (control/memcached-sasl.ts).
      env: spec.sasl ? { ...process.env, SASL_CONF_PATH: spec.sasl.confDir } : undefined,
      detached: true,
      stdio: ['ignore', logFile, logFile],
    });
    closeSync(logFile);
    const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
    child.unref();
    const pid = child.pid;
    if (!pid) throw new Error(`${binary} did not start`);
    const recorded: NodeFile = {
      pid,
      host,
      port,
      plainPort: listen.plainPort,
      binary,
      busPort: listen.busPort,
      backstage,
      source,
      announcedBus,
    };
    writeFileSync(join(dir, NODE_FILE), JSON.stringify(recorded));
    const deadline = new AbortController();
    try {
      const outcome = await Promise.race([
        waitUntilReady(
          spec.engine,
          inside,
          port,
          readinessBudgetMs(this.options.readinessTimeoutMs ?? 15_000, spec.seedRdb),
          deadline.signal,
          spec.tls,
        ).then(() => 'ready' as const),
        exited,
      ]);
      if (outcome === 'ready') return { handle: this.handleOf(spec, recorded) };
      await this.bus.forget(recorded);
      return {};
    } catch (error) {
      await this.kill(pid);
      await this.bus.forget(recorded);
      throw error;
    } finally {
      deadline.abort();
    }
  }

  private handleOf(spec: NodeSpec, node: NodeFile): NodeHandle {
    const host = node.host ?? '127.0.0.1';
    const inside = node.backstage ?? host;
    const plain = node.plainPort ? { plainPort: node.plainPort } : {};
    // A claimed spare's bus listens where the spare's did: its peers meet it through its announced bus forward.
    const bus = node.busHost && node.announcedBus;
    const peer = spec.cluster
      ? bus
        ? { host: bus.address, port: spec.cluster.announcePort, busPort: bus.port }
        : node.backstage
          ? { host: node.backstage, port: node.port, busPort: node.busPort }
          : { host: spec.cluster.announceHost, port: spec.cluster.announcePort, busPort: node.busPort }
      : { host: inside, port: node.port, ...(spec.tls ? { tls: true } : {}), ...plain };
    const servesEndpoint =
      spec.endpoint !== undefined && spec.endpoint.address === host && spec.endpoint.port === node.port;
    return {
      runtimeId: `${node.pid}:${node.port}`,
      target: { host: inside, port: node.port, ...plain },
      peer,
      servesEndpoint,
      closable: servesEndpoint && node.backstage !== undefined,
    };
  }

  nodePortChanged(spec: NodeSpec, port: number): NodeHandle | undefined {
    const dir = this.nodeDir(spec);
    const recorded = this.readNodeFile(dir);
    if (!recorded) return undefined;
    const node = { ...recorded, port };
    writeFileSync(join(dir, NODE_FILE), JSON.stringify(node));
    return this.handleOf(spec, node);
  }

  async restartNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle> {
    const parsed = parseHandle(handle.runtimeId);
    if (parsed) await this.kill(parsed.pid);
    return this.createNode(spec);
  }

  async removeNode(node: NodeAddress, handle: NodeHandle | undefined): Promise<void> {
    const parsed = handle && parseHandle(handle.runtimeId);
    if (parsed) await this.kill(parsed.pid);
    const recorded = this.readNodeFile(this.nodeDir(node));
    if (recorded && alive(recorded.pid, recorded.binary)) await this.kill(recorded.pid);
    if (recorded) await this.bus.forget(recorded);
    // A process of this node that node.json does not name (an emulator killed between its spawn and the record)
    // would keep the node's port, and outlive its directory: it goes too.
    for (const pid of processesIn(this.nodeDir(node))) await this.kill(pid);
    rmSync(this.nodeDir(node), { recursive: true, force: true });
  }

  private readNodeFile(dir: string): NodeFile | undefined {
    try {
      return JSON.parse(readFileSync(join(dir, NODE_FILE), 'utf8')) as NodeFile;
    } catch {
      return undefined;
    }
  }

  async inspectNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle | undefined> {
    const parsed = parseHandle(handle.runtimeId);
    if (!parsed || !alive(parsed.pid, this.binaries[spec.engine])) return undefined;
    const recorded = this.readNodeFile(this.nodeDir(spec));
    const node: NodeFile =
      recorded?.pid === parsed.pid ? recorded : { ...parsed, binary: this.binaries[spec.engine] ?? '' };
    const host = node.backstage ?? node.host ?? '127.0.0.1';
    if (!(await probe(spec.engine, host, node.port, 1000, spec.tls))) return undefined;
    await this.adoptClusterNode(spec, node);
    return this.handleOf(spec, node);
  }

  /** This instance's nodes: the node directories under its work dir, with whether their process still runs. */
  async listNodes(options: { spares?: boolean } = {}): Promise<RunningNode[]> {
    const nodes: RunningNode[] = [];
    const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
    const root = this.options.workDir;
    for (const account of list(root)) {
      if (account === SPARE_ACCOUNT && !options.spares) continue;
      for (const region of list(join(root, account))) {
        for (const clusterId of list(join(root, account, region))) {
          for (const nodeId of list(join(root, account, region, clusterId))) {
            const recorded = this.readNodeFile(join(root, account, region, clusterId, nodeId));
            if (!recorded) continue;
            const running = alive(recorded.pid, recorded.binary);
            nodes.push({ runtimeId: `${recorded.pid}:${recorded.port}`, account, region, clusterId, nodeId, running });
          }
        }
      }
    }
    return nodes;
  }

  async copyFileOut(spec: NodeSpec, _handle: NodeHandle, name: string, destination: string): Promise<void> {
    await copyFile(join(this.nodeDir(spec), name), destination);
    await chmod(destination, 0o600);
  }

  async close(): Promise<void> {
    await this.bus.closeAll();
  }

  isGroupNode(node: NodeAddress, remote: string): boolean {
    return this.bus.isGroupNode(node, remote);
  }

  /**
   * A node found running after the emulator started again: its group's bookkeeping, and its bus forward (which
   * ended with the emulator that opened it; its peers reconnect once it is back).
   */
  private async adoptClusterNode(spec: NodeSpec, node: NodeFile): Promise<void> {
    if (!spec.cluster || !node.source) return;
    this.bus.register(spec, node.source);
    const bus = node.announcedBus;
    if (!bus || !node.backstage || node.busPort === undefined || this.bus.isOpen(bus.address, bus.port)) return;
    try {
      await this.bus.open(spec, bus.address, bus.port, { host: node.busHost ?? node.backstage, port: node.busPort });
    } catch (error) {
      this.options.log.warn(
        { err: error, cluster: spec.clusterId, node: spec.nodeId, bus: `${bus.address}:${bus.port}` },
        'the cluster bus forward of a running node could not open again; its peers cannot reach its bus',
      );
    }
  }

  /** Kills a node and waits (at most 2 s) until it has exited, so its endpoint is free for the next one. */
  private async kill(pid: number): Promise<void> {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return; // already gone
    }
    for (let waited = 0; waited < 2000 && !ended(pid); waited += 5)
      await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
