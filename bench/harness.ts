/**
 * Shared pieces of the node benchmarks (bench/nodes.ts, bench/data-path.ts, bench/scale.ts): the emulator as a
 * real child process started through its CLI (so RSS, CPU and restarts are measured for real), a signed Query API
 * client, a tiny Docker Engine API client for baselines, probes, statistics, clean-up of everything a run starts
 * (even when it fails or is interrupted), and the update of one `## N.` section of bench/RESULTS.md.
 *
 * The emulator is dist/bundle/cli.js, what the package ships (`npm run build` first); BENCH_CLI points at another
 * build. BENCH_CPU_PROF=<dir>
 * runs every emulator child under `node --cpu-prof` and leaves the profiles there.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = process.env.BENCH_CLI ?? join(ROOT, 'dist/bundle/cli.js');
/** tsc's output of the same sources, unbundled (bench §4 shows what the bundle saves). */
export const UNBUNDLED_CLI = join(ROOT, 'dist/src/cli.js');

/** The command line of a metadata-only emulator (runtime none, quiet) on a port, for the API and cold-start benches. */
export function metadataOnlyArgs(cli: string, dataDir: string, port: number): string[] {
  return [cli, '--port', String(port), '--data-dir', dataDir, '--runtime', 'none', '--log-level', 'warn'];
}
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

// ---- clean-up ------------------------------------------------------------------------------------------------

const cleanups: Array<() => Promise<void> | void> = [];
let cleaning: Promise<void> | undefined;

/** Registers clean-up work; it runs (last registered first) at the end of the run, on failure and on Ctrl-C. */
export function onCleanup(work: () => Promise<void> | void): void {
  cleanups.push(work);
}

export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const work = cleanups.pop()!;
      try {
        await work();
      } catch (error) {
        console.error('clean-up step failed:', (error as Error).message);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** Runs a bench's main with clean-up whatever happens. */
export function main(work: () => Promise<void>): void {
  work().then(
    () => cleanUp().then(() => process.exit(0)),
    async (error) => {
      console.error(error);
      await cleanUp();
      process.exit(1);
    },
  );
}

/** The built emulator must not be older than its sources (a stale dist measures old code). */
export function checkBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  if (process.env.BENCH_CLI) return;
  const built = statSync(CLI).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
      const path = join(dir, entry.name);
      return Math.max(
        max,
        entry.isDirectory() ? newest(path) : entry.name.endsWith('.ts') ? statSync(path).mtimeMs : 0,
      );
    }, 0);
  if (newest(join(ROOT, 'src')) > built + 1000)
    console.warn(`warning: src/ is newer than ${CLI}; run \`npm run build\` to measure the current code`);
}

/** A scratch directory, removed at the end. */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ecl-bench-${name}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let emulatorCount = 0;
/** A loopback range and Docker network of this run's own, so that concurrent runs and tests never meet. */
function uniqueNames(): { endpointBase: string; network: string } {
  emulatorCount++;
  const second = 150 + (process.pid % 90);
  const third = (Math.floor(Date.now() / 1000) * 7 + emulatorCount * 3) % 250;
  return { endpointBase: `127.${second}.${third}.1`, network: `ecl-bench-${process.pid}-${emulatorCount}` };
}

// ---- the emulator as a child process -----------------------------------------------------------------------------

export interface EmulatorOptions {
  runtime: 'docker' | 'process' | 'none';
  dataDir: string;
  /** Reuse the loopback range / network of an earlier emulator on the same data dir (a restart). */
  endpointBase?: string;
  network?: string;
  logLevel?: string;
  /** Another build of the CLI than BENCH_CLI / dist (side-by-side comparisons of two builds). */
  cli?: string;
  /** More CLI flags (e.g. `--security-groups off`), after the harness's own. */
  extraArgs?: string[];
}

export interface LogLine {
  at: number;
  msg?: string;
  [field: string]: unknown;
}

export class EmulatorProcess {
  readonly logs: LogLine[] = [];
  private waiters: Array<{ test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly options: Required<EmulatorOptions>,
    readonly spawnedAt: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      let line: LogLine;
      try {
        line = { ...JSON.parse(text), at: performance.now() };
      } catch {
        line = { msg: text, at: performance.now() };
      }
      // Request lines are many and not needed: only their count is kept.
      if (line.msg !== 'request completed' && line.msg !== 'incoming request') this.logs.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    child.stderr!.on('data', (chunk) => process.stderr.write(`[emulator] ${chunk}`));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Starts `node dist/bundle/cli.js` on a free port and resolves once it answers DescribeCacheClusters; `answeredMs`
   * is the time from the spawn to that first answer.
   */
  static async start(options: EmulatorOptions): Promise<{ emulator: EmulatorProcess; answeredMs: number }> {
    const names = uniqueNames();
    const full: Required<EmulatorOptions> = {
      endpointBase: names.endpointBase,
      network: names.network,
      logLevel: 'info',
      cli: CLI,
      extraArgs: [],
      ...options,
    };
    const port = await freePort();
    const nodeArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    const args = [
      ...nodeArgs,
      full.cli,
      '--port',
      String(port),
      '--data-dir',
      full.dataDir,
      '--runtime',
      full.runtime,
      '--log-level',
      full.logLevel,
      '--endpoint-base',
      full.endpointBase,
      '--docker-network',
      full.network,
      '--endpoint-mode',
      'loopback',
      ...full.extraArgs,
    ];
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const emulator = new EmulatorProcess(child, `http://127.0.0.1:${port}`, full, spawnedAt);
    onCleanup(() => emulator.kill());
    await waitUntilAnswers(emulator.url);
    return { emulator, answeredMs: performance.now() - spawnedAt };
  }

  /** Resolves with the first log line (from now on, or already seen) that passes the test. */
  waitForLog(test: (line: LogLine) => boolean, timeoutMs = 120_000): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ test, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }

  /** Resident memory (VmRSS) of the emulator process, in bytes. */
  rss(): number {
    return rssOf(this.pid);
  }

  /** CPU seconds (user + system) the emulator has used so far. */
  /** The emulator's CPU time with its relay workers' (they carry forwarded connections: src/dataplane/relay-pool.ts). */
  cpuSeconds(): number {
    return cpuSecondsOf(this.pid) + relayWorkersOf(this.pid).reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  }

  /** A graceful stop (SIGTERM): the API and endpoints close, the nodes keep running. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timeout = sleep(10_000).then(() => 'timeout');
    if ((await Promise.race([this.exited, timeout])) === 'timeout') this.kill();
    await this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * What an emulator run leaves behind and how to remove it: node containers on its network and the network,
 * node processes recorded under its data dir, the data dir.
 */
export function cleanUpNodes(options: { dataDir: string; network?: string }): void {
  onCleanup(async () => {
    if (options.network) {
      const ids = await dockerIdsOnNetwork(options.network);
      if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]).catch(() => {});
      await run('docker', ['network', 'rm', options.network]).catch(() => {});
    }
    for (const node of processNodes(options.dataDir)) {
      if (isEngineProcess(node.pid)) {
        try {
          process.kill(node.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    rmSync(options.dataDir, { recursive: true, force: true });
  });
}

// ---- node processes and containers -------------------------------------------------------------------------------

export interface ProcessNode {
  clusterId: string;
  nodeId: string;
  pid: number;
  /** The address the node listens on (its endpoint's). */
  host: string;
  port: number;
  /** Where the node also listens for the emulator, its replicas and its cluster bus (a loopback endpoint's node). */
  backstage?: string;
  /** A TLS node taking plain connections too (preferred mode): its plain port. */
  plainPort?: number;
}

/** The process runtime's nodes: <data-dir>/nodes/<account>/<region>/<cluster>/<node>/node.json (pid, addresses, port). */
export function processNodes(dataDir: string): ProcessNode[] {
  const root = join(dataDir, 'nodes');
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  const nodes: ProcessNode[] = [];
  for (const account of list(root)) {
    for (const region of list(join(root, account))) {
      for (const clusterId of list(join(root, account, region))) {
        for (const nodeId of list(join(root, account, region, clusterId))) {
          try {
            const file = JSON.parse(readFileSync(join(root, account, region, clusterId, nodeId, 'node.json'), 'utf8'));
            nodes.push({
              clusterId,
              nodeId,
              pid: file.pid,
              host: file.host ?? '127.0.0.1',
              port: file.port,
              backstage: file.backstage,
              plainPort: file.plainPort,
            });
          } catch {
            // not a node directory (yet)
          }
        }
      }
    }
  }
  return nodes;
}

export function isEngineProcess(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    return /redis|memcached|valkey/.test(cmdline);
  } catch {
    return false;
  }
}

export async function dockerIdsOnNetwork(network: string): Promise<string[]> {
  try {
    const { stdout } = await run('docker', ['ps', '-aq', '--no-trunc', '--filter', `network=${network}`]);
    return stdout.split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export interface ContainerNode {
  id: string;
  clusterId: string;
  nodeId: string;
  pid: number;
  ip: string;
  /** The published 127.0.0.1 port the emulator's endpoint forwards to. */
  hostPort: number;
  startedAt: string;
}

/** The containers on a network, as `docker inspect` sees them (one call for all). */
export async function containerNodes(network: string): Promise<ContainerNode[]> {
  const ids = await dockerIdsOnNetwork(network);
  if (ids.length === 0) return [];
  const { stdout } = await run('docker', ['inspect', ...ids], { maxBuffer: 64 * 2 ** 20 });
  return (JSON.parse(stdout) as any[]).map((c) => {
    const ports = Object.values(c.NetworkSettings.Ports ?? {}).flat() as Array<{ HostPort: string }>;
    return {
      id: c.Id,
      clusterId: c.Config.Labels['io.elasticache-local.cache-cluster'],
      nodeId: c.Config.Labels['io.elasticache-local.cache-node'],
      pid: c.State.Pid,
      ip: c.NetworkSettings.Networks?.[network]?.IPAddress,
      hostPort: Number(ports[0]?.HostPort),
      startedAt: c.State.StartedAt,
    };
  });
}

/** A minimal Docker Engine API client (the same calls dockerode makes), for baselines without the emulator. */
export const dockerApi = {
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        {
          socketPath: '/var/run/docker.sock',
          method,
          path,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c) => chunks.push(c));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json: any;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = text;
            }
            resolve({ status: response.statusCode!, json });
          });
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  },
};

// ---- memory and CPU of processes --------------------------------------------------------------------------------

export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size: resident memory with shared pages divided among the processes sharing them. */
export function pssOf(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The relay worker processes a process started (its children running relay-worker.js). */
function relayWorkersOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === parent && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('relay-worker');
      } catch {
        return false;
      }
    });
}

export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat (index 11 and 12 after the command name).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The machine's CPU time so far, all cores: busy and total jiffies (from /proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Every process whose command line matches, with its RSS. */
export function processesMatching(
  test: (cmdline: string) => boolean,
): Array<{ pid: number; cmdline: string; rss: number; pss: number }> {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replace(/\0/g, ' ');
      if (test(cmdline))
        found.push({ pid: Number(entry), cmdline, rss: rssOf(Number(entry)), pss: pssOf(Number(entry)) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

// ---- the Query API ----------------------------------------------------------------------------------------------

/** Keep-alive connections for every signed request (a bench destroys it when done, so its process can end). */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const signer = new SignatureV4({
  service: 'elasticache',
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  sha256: Hash.bind(null, 'sha256') as any,
});

/** A request signed once, ready to be sent any number of times (bench/api.ts sends each again and again). */
export interface SignedRequest {
  hostname: string;
  port: string;
  headers: Record<string, string>;
  body: string;
}

export async function signedRequest(url: string, body: string): Promise<SignedRequest> {
  const { hostname, port } = new URL(url);
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: '/',
    headers: { host: `${hostname}:${port}`, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  return { hostname, port, headers: signed.headers, body };
}

/** Sends a signed request; `decode` reads the body as text, otherwise only its bytes are counted. */
export function send(request: SignedRequest, decode: true): Promise<{ status: number; body: string }>;
export function send(request: SignedRequest, decode: false): Promise<{ status: number; bytes: number }>;
export function send(
  request: SignedRequest,
  decode: boolean,
): Promise<{ status: number; body?: string; bytes?: number }> {
  return new Promise((resolve, reject) => {
    const { hostname, port, headers, body } = request;
    const outgoing = http.request({ host: hostname, port, method: 'POST', path: '/', headers, agent }, (response) => {
      if (decode) {
        const chunks: Buffer[] = [];
        response.on('data', (c) => chunks.push(c));
        response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString() }));
      } else {
        let bytes = 0;
        response.on('data', (c: Buffer) => (bytes += c.length));
        response.on('end', () => resolve({ status: response.statusCode!, bytes }));
      }
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Signs and sends one request, reading the answer. */
export async function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return send(await signedRequest(url, body), true);
}

/** Calls an ElastiCache action; a non-200 answer is an error carrying the AWS code. */
export async function call(
  url: string,
  action: string,
  params: Record<string, string | number | boolean> = {},
): Promise<string> {
  const form = new URLSearchParams({ Action: action, Version: '2015-02-02' });
  for (const [key, value] of Object.entries(params)) form.set(key, String(value));
  const answer = await post(url, form.toString());
  if (answer.status !== 200) {
    const code = /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1] ?? String(answer.status);
    throw Object.assign(
      new Error(
        `${action}: ${code}: ${/<Message>([^<]*)<\/Message>/.exec(answer.body)?.[1] ?? answer.body.slice(0, 200)}`,
      ),
      { code },
    );
  }
  return answer.body;
}

/** The text of the first <name> element. */
export const tag = (xml: string, name: string): string | undefined =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** The inner XML of every <name> element (not nested in one another). */
export function elements(xml: string, name: string): string[] {
  const found: string[] = [];
  const re = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) found.push(m[1]);
  return found;
}

/** Creates a one-member redis replication group and answers its description once it is `available`. */
export function oneMemberGroup(url: string, id: string, description: string): Promise<string> {
  return availableGroup(url, id, { ReplicationGroupDescription: description, NumCacheClusters: 1 });
}

/**
 * Creates a redis replication group (cache.m5.large unless the parameters say otherwise) and answers its description
 * once it is `available`.
 */
export async function availableGroup(
  url: string,
  id: string,
  params: Record<string, string | number | boolean>,
): Promise<string> {
  await call(url, 'CreateReplicationGroup', {
    ReplicationGroupId: id,
    ReplicationGroupDescription: id,
    Engine: 'redis',
    CacheNodeType: 'cache.m5.large',
    ...params,
  });
  for (;;) {
    const group = await call(url, 'DescribeReplicationGroups', { ReplicationGroupId: id });
    if (tag(group, 'Status') === 'available') return group;
    await sleep(50);
  }
}

/** Creates a cache cluster (cache.m5.large unless the parameters say otherwise); its description with node info once `available`. */
export async function availableCacheCluster(
  url: string,
  id: string,
  params: Record<string, string | number | boolean>,
): Promise<string> {
  await call(url, 'CreateCacheCluster', { CacheClusterId: id, CacheNodeType: 'cache.m5.large', ...params });
  for (;;) {
    const cluster = await call(url, 'DescribeCacheClusters', { CacheClusterId: id, ShowCacheNodeInfo: true });
    if (tag(cluster, 'CacheClusterStatus') === 'available') return cluster;
    await sleep(50);
  }
}

/** Polls a Describe until its status element says `available` (at most 120 s); the time it took, in ms. */
export async function untilAvailable(describe: () => Promise<string>, statusTag: string, pollMs = 50): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (tag(await describe(), statusTag) === 'available') return performance.now() - started;
    if (performance.now() - started > 120_000) throw new Error('not available within 120 s');
    await sleep(pollMs);
  }
}

export async function waitUntilAnswers(url: string, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      const answer = await post(url, 'Action=DescribeCacheClusters&Version=2015-02-02');
      if (answer.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(2);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Every cache cluster, all pages. */
export async function describeAllClusters(url: string, showNodes = false): Promise<string[]> {
  const clusters: string[] = [];
  let marker: string | undefined;
  do {
    const xml = await call(url, 'DescribeCacheClusters', {
      MaxRecords: 100,
      ShowCacheNodeInfo: showNodes,
      ...(marker ? { Marker: marker } : {}),
    });
    clusters.push(...elements(xml, 'CacheCluster'));
    // The result's own Marker, not one inside a cluster.
    marker = tag(xml.replace(/<CacheClusters>[\s\S]*<\/CacheClusters>/, ''), 'Marker');
  } while (marker);
  return clusters;
}

// ---- nodes on the wire ------------------------------------------------------------------------------------------

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One command on a fresh connection; resolves with the raw answer (undefined when none comes). */
export function ask(host: string, port: number, command: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let answer = '';
    const done = (value: string | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(answer || undefined));
    socket.on('connect', () => socket.write(command));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      // A bulk string: $<length>\r\n<payload>\r\n; anything else ends at its first line.
      const bulk = /^\$(\d+)\r\n/.exec(answer);
      if (bulk ? answer.length >= bulk[0].length + Number(bulk[1]) + 2 : answer.includes('\r\n')) done(answer);
    });
  });
}

export async function pings(host: string, port: number, engine: 'redis' | 'memcached' = 'redis'): Promise<boolean> {
  const answer = await ask(host, port, engine === 'memcached' ? 'version\r\n' : 'PING\r\n', 1000);
  return engine === 'memcached' ? Boolean(answer?.startsWith('VERSION')) : Boolean(answer?.startsWith('+PONG'));
}

/** Polls until the node answers (2 ms between attempts: the floor should not wait longer than it must). */
export async function waitUntilPings(
  host: string,
  port: number,
  engine: 'redis' | 'memcached' = 'redis',
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await pings(host, port, engine)) return;
    await sleep(2);
  }
  throw new Error(`${host}:${port} did not answer within ${timeoutMs} ms`);
}

/** INFO server's fields that tell one run of a server from another. */
export async function serverIdentity(
  host: string,
  port: number,
): Promise<{ runId: string; uptime: number; pid: number } | undefined> {
  const answer = await ask(host, port, 'INFO server\r\n');
  if (!answer) return undefined;
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(answer)?.[1]?.trim();
  const runId = field('run_id');
  return runId ? { runId, uptime: Number(field('uptime_in_seconds')), pid: Number(field('process_id')) } : undefined;
}

/** Runs async work over items with at most `limit` at a time. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}

// ---- statistics and reporting -----------------------------------------------------------------------------------

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
export const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model?.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export async function dockerVersion(): Promise<string> {
  try {
    const { stdout } = await run('docker', ['version', '--format', '{{.Server.Version}}']);
    return `Docker ${stdout.trim()}`;
  } catch {
    return 'no Docker';
  }
}

/** The lines every section starts with after its title: how it was made, where, when. */
export async function provenance(command: string): Promise<string[]> {
  return [
    `Command: \`${command}\`. Date: ${new Date().toISOString()}. Machine: ${machine()}, ${await dockerVersion()}.`,
  ];
}

/**
 * Replaces the section `## <number>. …` of bench/RESULTS.md (from its title to the next `## ` title) with `lines`,
 * leaving everything else as it is; a missing section is inserted in numeric order; hand-written notes at the end of
 * the section, from a `### ` heading on, are kept. Other benches (api.ts) do the same with their own sections, so
 * each run rewrites only what it measured.
 */
export function writeSection(number: number, lines: string[], path = join(ROOT, 'bench', 'RESULTS.md')): void {
  const old = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : ['# Benchmark results', ''];
  const isTitle = (line: string) => line.startsWith('## ');
  const numberOf = (line: string) => Number(/^## (\d+)\./.exec(line)?.[1] ?? NaN);
  let start = old.findIndex((line) => isTitle(line) && numberOf(line) === number);
  let end: number;
  if (start >= 0) {
    end = old.findIndex((line, i) => i > start && isTitle(line));
    if (end < 0) end = old.length;
  } else {
    const after = old.findIndex((line) => isTitle(line) && numberOf(line) > number);
    start = end = after >= 0 ? after : old.length;
  }
  const body = [...lines];
  while (body.length > 0 && body[body.length - 1].trim() === '') body.pop();
  // Notes written by hand under a `### ` heading at the end of the section stay (as bench/api.ts keeps them).
  const notes = old.slice(start, end).findIndex((line) => line.startsWith('### '));
  if (notes >= 0) {
    const kept = old.slice(start + notes, end);
    while (kept.length > 0 && kept[kept.length - 1].trim() === '') kept.pop();
    body.push('', ...kept);
  }
  const before = old.slice(0, start);
  while (before.length > 0 && before[before.length - 1].trim() === '') before.pop();
  const rest = old.slice(end);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, [...before, '', ...body, '', ...rest].join('\n').replace(/\n*$/, '\n'));
}

/** Prints and collects the lines of a section. */
export class Report {
  readonly lines: string[] = [];
  log(line = ''): void {
    console.log(line);
    this.lines.push(line);
  }
}
