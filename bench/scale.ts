/**
 * Benchmark 5 of issue 5: scale. 200 single-node Redis clusters on the process runtime and 100 on docker, created
 * through the API (BENCH_SCALE_CONCURRENCY calls at a time): the time until all are available, the emulator's RSS
 * (target < 200 MB) against its own RSS with no cluster, its CPU while idle with them all, the memory each node
 * costs the host; then a restart of the emulator (SIGTERM, start again on the same data dir) with them all running:
 * the time until it answers, until it has reconciled (its log line) and until every endpoint answers again, and
 * that no node was restarted (same pid / container id, same redis run_id, uptime grown).
 * Rewrites section 5 of bench/RESULTS.md. Run: `npm run build && npm run bench:scale`.
 */
import { execFile } from 'node:child_process';
import { dockerStarter, processStarter } from './floor.js';
import { promisify } from 'node:util';
import {
  EmulatorProcess,
  Report,
  call,
  checkBuilt,
  cleanUpNodes,
  containerNodes,
  cpuSecondsOf,
  describeAllClusters,
  elements,
  main,
  mapLimit,
  mb,
  ms,
  pings,
  processNodes,
  processesMatching,
  pssOf,
  provenance,
  rssOf,
  scratchDir,
  serverIdentity,
  sleep,
  tag,
  writeSection,
} from './harness.js';

const run = promisify(execFile);
const CONCURRENCY = Number(process.env.BENCH_SCALE_CONCURRENCY ?? 16);
const PLAN = (process.env.BENCH_SCALE ?? 'process:200,docker:100').split(',').map((entry) => {
  const [runtime, count] = entry.split(':');
  return { runtime: runtime as 'process' | 'docker', count: Number(count) };
});
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);

interface NodeFacts {
  clusterId: string;
  /** pid (process) or container id (docker). */
  runtimeId: string;
  host: string;
  port: number;
  runId?: string;
  uptime?: number;
}

interface ScaleResult {
  runtime: string;
  count: number;
  emptyRss: number;
  createsAnsweredMs: number;
  allAvailableMs: number;
  /** The same number of nodes started directly (no emulator), as many at a time. */
  floorMs: number;
  rssWithNodes: number;
  idleCpuPercent: number;
  dockerdCpuPercent?: number;
  /** Per node: RSS, and PSS (shared pages divided among their sharers) where known; `found` processes of that kind. */
  nodeMemory: Array<{ what: string; bytesPerNode: number; pss?: number; found?: number }>;
  endpointsAnswering: number;
  stopMs: number;
  restart: {
    answeredMs: number;
    reconciledMs: number;
    endpointsMs: number;
    reconcileLog: Record<string, unknown>;
    rss: number;
    sameRuntimeId: number;
    sameRunId: number;
    uptimeGrew: number;
    restarted: string[];
    nodesAfter: number;
  };
}

async function nodeFacts(runtime: 'process' | 'docker', dataDir: string, network: string): Promise<NodeFacts[]> {
  const nodes: NodeFacts[] =
    runtime === 'process'
      ? processNodes(dataDir).map((n) => ({
          clusterId: n.clusterId,
          runtimeId: String(n.pid),
          host: n.host,
          port: n.port,
        }))
      : (await containerNodes(network)).map((c) => ({
          clusterId: c.clusterId,
          runtimeId: c.id,
          host: '127.0.0.1',
          port: c.hostPort,
        }));
  await mapLimit(nodes, 32, async (node) => {
    const identity = await serverIdentity(node.host, node.port);
    node.runId = identity?.runId;
    node.uptime = identity?.uptime;
  });
  return nodes.sort((a, b) => a.clusterId.localeCompare(b.clusterId));
}

/** How many of the clusters' node endpoints answer PING. */
async function endpointsAnswering(endpoints: Array<{ host: string; port: number }>): Promise<number> {
  const answers = await mapLimit(endpoints, 32, (e) => pings(e.host, e.port));
  return answers.filter(Boolean).length;
}

function dockerdPid(): number | undefined {
  return processesMatching((cmdline) => /^\/usr\/s?bin\/dockerd( |$)|^dockerd( |$)/.test(cmdline))[0]?.pid;
}

/** The floor: the same nodes started directly, CONCURRENCY at a time, each until it answers PING; then removed. */
async function floor(runtime: 'process' | 'docker', count: number): Promise<number> {
  const starter = runtime === 'docker' ? await dockerStarter() : processStarter();
  const started = performance.now();
  const nodes = await mapLimit(Array.from({ length: count }), CONCURRENCY, () => starter.start('redis'));
  const elapsed = performance.now() - started;
  await mapLimit(nodes, 16, (node) => node.stop());
  console.log(`${runtime}: floor, ${count} nodes started directly in ${ms(elapsed)} ms`);
  return elapsed;
}

async function measure(runtime: 'process' | 'docker', count: number): Promise<ScaleResult> {
  const floorMs = await floor(runtime, count);
  await sleep(2000);
  const dataDir = scratchDir(`scale-${runtime}`);
  const first = await EmulatorProcess.start({ runtime, dataDir, logLevel: 'info' });
  const emulator = first.emulator;
  const network = emulator.options.network;
  cleanUpNodes({ dataDir, network: runtime === 'docker' ? network : undefined });
  await sleep(1000);
  const emptyRss = emulator.rss();

  // ---- create them all
  const ids = Array.from({ length: count }, (_, i) => `scale-${String(i).padStart(3, '0')}`);
  const started = performance.now();
  await mapLimit(ids, CONCURRENCY, (id) =>
    call(emulator.url, 'CreateCacheCluster', {
      CacheClusterId: id,
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 1,
    }),
  );
  const createsAnsweredMs = performance.now() - started;
  let clusters: string[] = [];
  for (;;) {
    clusters = await describeAllClusters(emulator.url, true);
    const available = clusters.filter((c) => tag(c, 'CacheClusterStatus') === 'available').length;
    if (available === count) break;
    if (clusters.some((c) => /failed/.test(tag(c, 'CacheClusterStatus') ?? '')))
      throw new Error('a cluster failed to create');
    if (performance.now() - started > 600_000) throw new Error(`only ${available} of ${count} available after 600 s`);
    await sleep(100);
  }
  const allAvailableMs = performance.now() - started;
  console.log(
    `${runtime}: ${count} clusters available in ${ms(allAvailableMs)} ms (creates answered in ${ms(createsAnsweredMs)} ms)`,
  );
  const endpoints = clusters.map((c) => {
    const e = elements(c, 'Endpoint')[0];
    return { host: tag(e, 'Address')!, port: Number(tag(e, 'Port')) };
  });
  const answering = await endpointsAnswering(endpoints);

  // ---- steady state: memory and idle CPU
  await sleep(3000);
  const dockerd = runtime === 'docker' ? dockerdPid() : undefined;
  const cpu0 = emulator.cpuSeconds();
  const dockerdCpu0 = dockerd ? cpuSecondsOf(dockerd) : 0;
  await sleep(IDLE_SECONDS * 1000);
  const idleCpuPercent = ((emulator.cpuSeconds() - cpu0) / IDLE_SECONDS) * 100;
  const dockerdCpuPercent = dockerd ? ((cpuSecondsOf(dockerd) - dockerdCpu0) / IDLE_SECONDS) * 100 : undefined;
  const rssWithNodes = emulator.rss();
  const nodeMemory: ScaleResult['nodeMemory'] = [];
  if (runtime === 'process') {
    const pids = processNodes(dataDir).map((n) => n.pid);
    nodeMemory.push({
      what: 'redis-server RSS / PSS',
      bytesPerNode: pids.reduce((sum, pid) => sum + rssOf(pid), 0) / pids.length,
      pss: pids.reduce((sum, pid) => sum + pssOf(pid), 0) / pids.length,
    });
  } else {
    const containers = await containerNodes(network);
    const ips = new Set(containers.map((c) => c.ip));
    const containerIds = new Set(containers.map((c) => c.id));
    const redis = containers.reduce((sum, c) => sum + rssOf(c.pid), 0);
    const redisPss = containers.reduce((sum, c) => sum + pssOf(c.pid), 0);
    const shims = processesMatching(
      (cmdline) => /containerd-shim/.test(cmdline) && containerIds.has(/-id ([0-9a-f]{64})/.exec(cmdline)?.[1] ?? ''),
    );
    const proxies = processesMatching(
      (cmdline) => /docker-proxy/.test(cmdline) && ips.has(/-container-ip (\S+)/.exec(cmdline)?.[1] ?? ''),
    );
    const usage = await mapLimit(containers, 16, async (c) => {
      try {
        const { stdout } = await run('cat', [`/sys/fs/cgroup/memory/docker/${c.id}/memory.usage_in_bytes`]);
        return Number(stdout.trim());
      } catch {
        return NaN;
      }
    });
    nodeMemory.push({
      what: 'redis-server RSS / PSS',
      bytesPerNode: redis / containers.length,
      pss: redisPss / containers.length,
    });
    nodeMemory.push({
      what: 'containerd-shim RSS / PSS',
      bytesPerNode: shims.reduce((s, p) => s + p.rss, 0) / containers.length,
      pss: shims.reduce((s, p) => s + p.pss, 0) / containers.length,
      found: shims.length,
    });
    nodeMemory.push({
      what: 'docker-proxy RSS / PSS',
      bytesPerNode: proxies.reduce((s, p) => s + p.rss, 0) / containers.length,
      pss: proxies.reduce((s, p) => s + p.pss, 0) / containers.length,
      found: proxies.length,
    });
    if (usage.every(Number.isFinite))
      nodeMemory.push({
        what: 'container cgroup memory.usage (incl. page cache)',
        bytesPerNode: usage.reduce((s, u) => s + u, 0) / usage.length,
      });
  }
  nodeMemory.push({ what: 'emulator RSS growth per node', bytesPerNode: (rssWithNodes - emptyRss) / count });

  // ---- restart with every node running
  const before = await nodeFacts(runtime, dataDir, network);
  const stopStarted = performance.now();
  await emulator.stop();
  const stopMs = performance.now() - stopStarted;
  await sleep(1000);
  const second = await EmulatorProcess.start({
    runtime,
    dataDir,
    logLevel: 'info',
    endpointBase: emulator.options.endpointBase,
    network,
  });
  const again = second.emulator;
  const reconciled = await again.waitForLog((line) => line.msg === 'nodes reconciled with the runtime');
  const reconciledMs = reconciled.at - again.spawnedAt;
  let endpointsMs = NaN;
  for (;;) {
    if ((await endpointsAnswering(endpoints)) === count) {
      endpointsMs = performance.now() - again.spawnedAt;
      break;
    }
    if (performance.now() - again.spawnedAt > 120_000) break;
    await sleep(20);
  }
  await sleep(1500);
  const after = await nodeFacts(runtime, dataDir, network);
  const afterById = new Map(after.map((n) => [n.clusterId, n]));
  let sameRuntimeId = 0;
  let sameRunId = 0;
  let uptimeGrew = 0;
  const restarted: string[] = [];
  for (const node of before) {
    const now = afterById.get(node.clusterId);
    const same = now?.runtimeId === node.runtimeId;
    const sameRun = Boolean(now?.runId && now.runId === node.runId);
    if (same) sameRuntimeId++;
    if (sameRun) sameRunId++;
    if (now?.uptime !== undefined && node.uptime !== undefined && now.uptime >= node.uptime) uptimeGrew++;
    if (!same || !sameRun) restarted.push(node.clusterId);
  }
  const restart = {
    answeredMs: second.answeredMs,
    reconciledMs,
    endpointsMs,
    reconcileLog: Object.fromEntries(
      Object.entries(reconciled).filter(([k]) => ['adopted', 'missing', 'orphansRemoved'].includes(k)),
    ),
    rss: again.rss(),
    sameRuntimeId,
    sameRunId,
    uptimeGrew,
    restarted,
    nodesAfter: after.length,
  };
  console.log(
    `${runtime}: restart answered ${ms(restart.answeredMs)} ms, reconciled ${ms(reconciledMs)} ms, endpoints ${ms(endpointsMs)} ms, restarted ${restarted.length}`,
  );
  await again.stop();
  return {
    runtime,
    count,
    emptyRss,
    createsAnsweredMs,
    allAvailableMs,
    floorMs,
    rssWithNodes,
    idleCpuPercent,
    dockerdCpuPercent,
    nodeMemory,
    endpointsAnswering: answering,
    stopMs,
    restart,
  };
}

async function main_(): Promise<void> {
  checkBuilt();
  const results: ScaleResult[] = [];
  for (const { runtime, count } of PLAN) results.push(await measure(runtime, count));

  const report = new Report();
  report.log('## 5. Scale: hundreds of single-node clusters, and a restart with them all running');
  report.log();
  for (const line of await provenance('npm run bench:scale')) report.log(line);
  report.log();
  report.log(
    `CreateCacheCluster (redis, cache.t3.micro, 1 node) ${CONCURRENCY} calls at a time, then DescribeCacheClusters (all pages) ` +
      'every 100 ms until all are available. Floor: the same number of redis-server nodes started directly (processes ' +
      'spawned / containers through the Docker Engine API, published on 127.0.0.1), as many at a time, just before. RSS: VmRSS of the emulator process (`node dist/src/cli.js`, log level info); ' +
      `"empty" is the same process before the first create. Idle CPU: over ${IDLE_SECONDS} s with every node running (the ` +
      'supervisor checks every node every 2 s). Restart: SIGTERM, then the CLI again on the same data dir; times from the ' +
      'new process\'s spawn. "Restarted" compares each node\'s pid / container id and redis `INFO server` run_id before and after.',
  );
  report.log();
  report.log(`| | ${results.map((r) => `${r.runtime}, ${r.count} clusters`).join(' | ')} |`);
  report.log(`|---|${results.map(() => '---').join('|')}|`);
  const row = (label: string, cell: (r: ScaleResult) => string) =>
    report.log(`| ${label} | ${results.map(cell).join(' | ')} |`);
  row('all create calls answered', (r) => `${(r.createsAnsweredMs / 1000).toFixed(1)} s`);
  row(
    'all available (Describe)',
    (r) => `**${(r.allAvailableMs / 1000).toFixed(1)} s** (${ms(r.allAvailableMs / r.count)} ms per cluster)`,
  );
  row(
    `floor: the same nodes started directly, ${CONCURRENCY} at a time`,
    (r) => `${(r.floorMs / 1000).toFixed(1)} s → emulator / floor **${(r.allAvailableMs / r.floorMs).toFixed(2)}**`,
  );
  row('node endpoints answering PING', (r) => `${r.endpointsAnswering} / ${r.count}`);
  row('emulator RSS, empty', (r) => `${mb(r.emptyRss)} MB`);
  row(
    'emulator RSS with every cluster (target < 200 MB)',
    (r) =>
      `**${mb(r.rssWithNodes)} MB** ${r.rssWithNodes < 200 * 2 ** 20 ? '✓' : '✗'} (${(r.rssWithNodes / r.emptyRss).toFixed(2)}× empty)`,
  );
  row('emulator CPU while idle', (r) => `${r.idleCpuPercent.toFixed(1)} % of a core`);
  if (results.some((r) => r.dockerdCpuPercent !== undefined))
    row('dockerd CPU meanwhile', (r) =>
      r.dockerdCpuPercent === undefined ? '' : `${r.dockerdCpuPercent.toFixed(1)} % of a core`,
    );
  const memoryLabels = [...new Set(results.flatMap((r) => r.nodeMemory.map((m) => m.what)))];
  for (const label of memoryLabels) {
    row(`memory per node: ${label}`, (r) => {
      const found = r.nodeMemory.find((m) => m.what === label);
      if (!found) return '';
      return `${mb(found.bytesPerNode)}${found.pss === undefined ? '' : ` / ${mb(found.pss)}`} MB${found.found === undefined ? '' : ` (${found.found} processes)`}`;
    });
  }
  row('graceful stop (SIGTERM → exit)', (r) => `${ms(r.stopMs)} ms`);
  row('restart: until it answers', (r) => `**${ms(r.restart.answeredMs)} ms**`);
  row(
    'restart: until reconciled (log line)',
    (r) => `**${ms(r.restart.reconciledMs)} ms** (${JSON.stringify(r.restart.reconcileLog).replace(/"/g, '')})`,
  );
  row('restart: until every endpoint answers', (r) => `${ms(r.restart.endpointsMs)} ms`);
  row(
    'restart: nodes restarted',
    (r) =>
      `**${r.restart.restarted.length}** (same ${r.runtime === 'docker' ? 'container id' : 'pid'}: ${r.restart.sameRuntimeId}, same run_id: ${r.restart.sameRunId}, uptime grew: ${r.restart.uptimeGrew}, of ${r.count}; nodes after: ${r.restart.nodesAfter})`,
  );
  row('emulator RSS after the restart', (r) => `${mb(r.restart.rss)} MB`);
  report.log();
  for (const r of results) {
    report.log(
      `- ${r.runtime}: RSS < 200 MB ${r.rssWithNodes < 200 * 2 ** 20 ? 'met' : '**missed**'}; ` +
        `zero nodes restarted ${r.restart.restarted.length === 0 ? 'met' : `**missed** (${r.restart.restarted.slice(0, 5).join(', ')}…)`}; ` +
        `all ${r.count} available ${r.endpointsAnswering === r.count ? 'and answering' : `but only ${r.endpointsAnswering} answering`}.`,
    );
  }
  writeSection(5, report.lines);
}

main(main_);
