/**
 * Benchmark 3 of issue 5: the endpoint data path. redis-benchmark (SET and GET, 50 clients; then pipelined, -P 16)
 * against one Redis node three ways: straight to the node (the process's port, or the container's published port),
 * through its node endpoint, and through its replication group's primary endpoint, on the process and docker
 * runtimes. Target: endpoint throughput ≥ 0.9 of direct; the added p50 / p99 latency is reported.
 *
 * The three paths reach the same node of a one-member replication group, in rounds, the order rotating every round;
 * the ratio is the median of each round's endpoint / direct ratio. The emulator's CPU time during each run shows
 * what the forwarding costs it. The emulator runs with security groups enforced (the default), as users run it.
 *
 * Then what enforcement costs a new connection (issue 13, bench/connection-setup.ts): p50 / p99 of connect → PING
 * answered → close through an emulator endpoint, with `--security-groups enforce` and `off` side by side; target:
 * the p99 differs by < 100 µs. Rewrites section 3 of bench/RESULTS.md.
 * Run: `npm run build && npm run bench:data-path` (BENCH_ROUNDS=3, BENCH_CONNECTIONS=2000, BENCH_CONNECT_ROUNDS=6).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ENFORCEMENTS, measureConnectionSetup, quantile, type ConnectionSetupResult } from './connection-setup.js';
import {
  EmulatorProcess,
  Report,
  call,
  checkBuilt,
  cleanUpNodes,
  containerNodes,
  cpuSecondsOf,
  machineCpu,
  elements,
  main,
  median,
  processNodes,
  provenance,
  scratchDir,
  tag,
  waitUntilPings,
  writeSection,
  oneMemberGroup,
} from './harness.js';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? 'process,docker').split(',') as Array<'docker' | 'process'>;
const CLIENTS = 50;
const MODES = [
  { name: 'no pipeline', pipeline: 1, requests: Number(process.env.BENCH_REQUESTS ?? 100_000) },
  { name: '-P 16', pipeline: 16, requests: Number(process.env.BENCH_PIPELINED_REQUESTS ?? 1_000_000) },
];
const TESTS = ['SET', 'GET'] as const;
/** Sequential connections per round and emulator, and rounds, of the connection-setup measurement. */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 2000);
const CONNECT_ROUNDS = Number(process.env.BENCH_CONNECT_ROUNDS ?? 6);
const CONNECT_TARGET_US = 100;

interface Target {
  path: string;
  host: string;
  port: number;
  /** Runs through the emulator (its CPU time is counted). */
  viaEmulator: boolean;
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
}

/** One redis-benchmark run: SET and GET, their throughput and latency percentiles (from its CSV). */
async function benchmark(
  target: Target,
  pipeline: number,
  requests: number,
): Promise<Record<(typeof TESTS)[number], Sample>> {
  const args = [
    '-h',
    target.host,
    '-p',
    String(target.port),
    '-t',
    'set,get',
    '-c',
    String(CLIENTS),
    '-n',
    String(requests),
    '-P',
    String(pipeline),
    '--csv',
  ];
  const { stdout } = await run('redis-benchmark', args, { timeout: 300_000 });
  const result: Partial<Record<(typeof TESTS)[number], Sample>> = {};
  for (const line of stdout.split('\n')) {
    const fields = line.split(',').map((f) => f.replace(/"/g, ''));
    if (!TESTS.includes(fields[0] as (typeof TESTS)[number])) continue;
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    result[fields[0] as (typeof TESTS)[number]] = {
      rps: Number(fields[1]),
      p50: Number(fields[4]),
      p99: Number(fields[6]),
    };
  }
  if (!result.SET || !result.GET)
    throw new Error(`redis-benchmark against ${target.path}: no result in ${stdout.slice(0, 300)}`);
  return result as Record<(typeof TESTS)[number], Sample>;
}

interface RuntimeResult {
  runtime: string;
  targets: Target[];
  /** mode → path → round samples */
  samples: Map<string, Map<string, Array<Record<(typeof TESTS)[number], Sample>>>>;
  /** mode → path → emulator CPU seconds per run */
  cpu: Map<string, Map<string, number[]>>;
  /** mode → path → redis-server CPU seconds per run */
  nodeCpu: Map<string, Map<string, number[]>>;
  /** mode → path → share of the machine's CPU busy during the run (all cores; other users' load included) */
  busy: Map<string, Map<string, number[]>>;
}

async function measure(runtime: 'docker' | 'process'): Promise<RuntimeResult> {
  const dataDir = scratchDir(`data-path-${runtime}`);
  const { emulator } = await EmulatorProcess.start({
    runtime,
    dataDir,
    logLevel: 'warn',
    extraArgs: ['--security-groups', 'enforce'],
  });
  cleanUpNodes({ dataDir, network: runtime === 'docker' ? emulator.options.network : undefined });
  const id = 'dp';
  const group = await oneMemberGroup(emulator.url, id, 'data path');
  const primaryEndpoint = elements(group, 'PrimaryEndpoint')[0];
  const member = tag(group, 'ClusterId') ?? `${id}-001`;
  const cluster = await call(emulator.url, 'DescribeCacheClusters', {
    CacheClusterId: member,
    ShowCacheNodeInfo: true,
  });
  const nodeEndpoint = elements(cluster, 'Endpoint')[0];
  const targets: Target[] = [];
  let nodePid: number;
  if (runtime === 'process') {
    const node = processNodes(dataDir).find((n) => n.clusterId === member)!;
    nodePid = node.pid;
    // The node listens on its endpoint itself: straight to the node and through the node endpoint are one path.
    const own = node.host === tag(nodeEndpoint, 'Address') && node.port === Number(tag(nodeEndpoint, 'Port'));
    targets.push({
      path: own ? 'direct = node endpoint (the node listens on it)' : 'direct (process port)',
      host: node.host,
      port: node.port,
      viaEmulator: false,
    });
  } else {
    const node = (await containerNodes(emulator.options.network)).find((c) => c.clusterId === member)!;
    nodePid = node.pid;
    targets.push({ path: 'direct (published port)', host: '127.0.0.1', port: node.hostPort, viaEmulator: false });
    targets.push({
      path: 'direct (container IP)',
      host: node.ip,
      port: Number(tag(nodeEndpoint, 'Port')),
      viaEmulator: false,
    });
  }
  if (!targets.some((t) => t.host === tag(nodeEndpoint, 'Address') && t.port === Number(tag(nodeEndpoint, 'Port')))) {
    targets.push({
      path: 'node endpoint',
      host: tag(nodeEndpoint, 'Address')!,
      port: Number(tag(nodeEndpoint, 'Port')),
      viaEmulator: true,
    });
  }
  targets.push({
    path: 'primary endpoint',
    host: tag(primaryEndpoint, 'Address')!,
    port: Number(tag(primaryEndpoint, 'Port')),
    viaEmulator: true,
  });
  for (const t of targets) await waitUntilPings(t.host, t.port);

  const samples: RuntimeResult['samples'] = new Map();
  const cpu: RuntimeResult['cpu'] = new Map();
  const nodeCpu: RuntimeResult['nodeCpu'] = new Map();
  const busy: RuntimeResult['busy'] = new Map();
  // A warm-up run through each path (JIT, first connections), not counted.
  for (const t of targets) await benchmark(t, 1, 20_000);
  for (const mode of MODES) {
    samples.set(mode.name, new Map(targets.map((t) => [t.path, []])));
    cpu.set(mode.name, new Map(targets.map((t) => [t.path, []])));
    nodeCpu.set(mode.name, new Map(targets.map((t) => [t.path, []])));
    busy.set(mode.name, new Map(targets.map((t) => [t.path, []])));
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const target of order) {
        const cpuBefore = emulator.cpuSeconds();
        const nodeCpuBefore = cpuSecondsOf(nodePid);
        const machineBefore = machineCpu();
        const result = await benchmark(target, mode.pipeline, mode.requests);
        cpu
          .get(mode.name)!
          .get(target.path)!
          .push(emulator.cpuSeconds() - cpuBefore);
        nodeCpu
          .get(mode.name)!
          .get(target.path)!
          .push(cpuSecondsOf(nodePid) - nodeCpuBefore);
        const machineAfter = machineCpu();
        busy
          .get(mode.name)!
          .get(target.path)!
          .push((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total));
        samples.get(mode.name)!.get(target.path)!.push(result);
        console.log(
          `${runtime} ${mode.name} round ${round + 1} ${target.path}: ` +
            TESTS.map((t) => `${t} ${result[t].rps.toFixed(0)}/s p50 ${result[t].p50} p99 ${result[t].p99}`).join(', '),
        );
      }
    }
  }
  await emulator.stop();
  return { runtime, targets, samples, cpu, nodeCpu, busy };
}

async function main_(): Promise<void> {
  checkBuilt();
  const results: RuntimeResult[] = [];
  for (const runtime of RUNTIMES) results.push(await measure(runtime));
  const setups: ConnectionSetupResult[] = [];
  for (const runtime of RUNTIMES) setups.push(await measureConnectionSetup(runtime, CONNECTIONS, CONNECT_ROUNDS));

  const report = new Report();
  report.log('## 3. Endpoint data path: redis-benchmark through the endpoints vs straight to the node');
  report.log();
  for (const line of await provenance('npm run bench:data-path')) report.log(line);
  report.log();
  report.log(
    `redis-benchmark ${(await run('redis-benchmark', ['--version'])).stdout.trim().split(' ')[1]}, \`-t set,get -c ${CLIENTS}\`, ` +
      `${MODES.map((m) => `${m.name}: -n ${m.requests}`).join('; ')}; against one node (a one-member replication group, cache.m5.large) ` +
      `three ways, in ${ROUNDS} rounds whose order rotates. req/s and latency: median over the rounds; ratio: the median ` +
      "of each round's path / direct; added latency: median of each round's path − direct. CPU per request: the emulator's " +
      "and the node's CPU time during the run / the run's requests; machine CPU busy: all cores, during the run (other " +
      "users' load included). Everything shares the machine's cores: redis-benchmark, redis-server, and for the endpoints the emulator. " +
      'The emulator runs with security groups enforced (`--security-groups enforce`, the default): every connection to ' +
      "an endpoint it listens on is admitted by the host's membership of the default VPC's default group.",
  );
  const verdicts: string[] = [];
  for (const result of results) {
    const direct = result.targets[0].path;
    report.log();
    report.log(`**${result.runtime} runtime** (baseline: ${direct})`);
    report.log();
    report.log(
      '| mode | test | path | req/s | p50 ms | p99 ms | / direct | added p50 ms | added p99 ms | CPU µs / req: emulator, redis-server | machine CPU busy |',
    );
    report.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const mode of MODES) {
      const byPath = result.samples.get(mode.name)!;
      for (const test of TESTS) {
        for (const target of result.targets) {
          const rounds = byPath.get(target.path)!;
          const baseline = byPath.get(direct)!;
          const rps = median(rounds.map((r) => r[test].rps));
          const p50 = median(rounds.map((r) => r[test].p50));
          const p99 = median(rounds.map((r) => r[test].p99));
          const isDirect = target.path === direct;
          const ratio = median(rounds.map((r, i) => r[test].rps / baseline[i][test].rps));
          const addedP50 = median(rounds.map((r, i) => r[test].p50 - baseline[i][test].p50));
          const addedP99 = median(rounds.map((r, i) => r[test].p99 - baseline[i][test].p99));
          // Per request of the run (its SET and GET tests together).
          const perRequest = (seconds: number[]) => ((median(seconds) / (2 * mode.requests)) * 1e6).toFixed(1);
          const emulatorCpu = target.viaEmulator ? perRequest(result.cpu.get(mode.name)!.get(target.path)!) : '–';
          const nodeCpuText = perRequest(result.nodeCpu.get(mode.name)!.get(target.path)!);
          const busyText = `${(median(result.busy.get(mode.name)!.get(target.path)!) * 100).toFixed(0)} %`;
          report.log(
            `| ${mode.name} | ${test} | ${target.path} | ${rps.toFixed(0)} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ` +
              `${isDirect ? '1' : `**${ratio.toFixed(2)}**`} | ${isDirect ? '' : addedP50.toFixed(3)} | ${isDirect ? '' : addedP99.toFixed(3)} | ` +
              `${emulatorCpu}, ${nodeCpuText} | ${busyText} |`,
          );
          if (target.viaEmulator) {
            verdicts.push(
              `${result.runtime}, ${mode.name}, ${test}, ${target.path}: ${ratio.toFixed(2)} of direct — ${ratio >= 0.9 ? 'met' : '**missed**'}`,
            );
          }
        }
      }
    }
  }
  report.log();
  report.log('Target ≥ 0.9 of direct throughput:');
  report.log();
  for (const verdict of verdicts) report.log(`- ${verdict}`);
  reportConnectionSetup(report, setups);
  writeSection(3, report.lines);
}

/** The connection-setup table and its verdicts. */
function reportConnectionSetup(report: Report, setups: ConnectionSetupResult[]): void {
  if (setups.length === 0) return;
  const { connections, rounds } = setups[0];
  report.log();
  report.log('**Connection setup: what security-group enforcement costs a new connection**');
  report.log();
  report.log(
    `Two emulators on the same runtime, one started \`--security-groups enforce\`, one \`off\`, each with a one-member ` +
      `replication group (cache.m5.large); ${connections} sequential connections per round through an endpoint the ` +
      "emulator listens on (the group's reader endpoint on the process runtime, where the node endpoint is the node's " +
      `own; the node endpoint on docker), ${rounds} rounds with the two emulators taking turns (the order alternates), ` +
      'after 200 untimed connections each. One connection: connect, `PING`, `+PONG`, `end()`, closed; timed from ' +
      'connect() to the answer and to the close. p50 / p99 over every connection of the rounds; p99 difference: ' +
      "enforce − off, and the median of each round's difference.",
  );
  report.log();
  report.log(
    "| runtime | endpoint | security groups | connect → PONG p50 µs | p99 µs | connect → closed p50 µs | p99 µs | each round's p99 µs |",
  );
  report.log('|---|---|---|---|---|---|---|---|');
  const verdicts: string[] = [];
  for (const setup of setups) {
    for (const enforcement of ENFORCEMENTS) {
      const times = setup.times.get(enforcement)!;
      const us = (value: number) => value.toFixed(0);
      report.log(
        `| ${setup.runtime} | ${setup.endpoint} | ${enforcement} | ${us(quantile(times.answered, 0.5))} | ` +
          `${us(quantile(times.answered, 0.99))} | ${us(quantile(times.closed, 0.5))} | ${us(quantile(times.closed, 0.99))} | ` +
          `${setup.roundP99.get(enforcement)!.map(us).join(', ')} |`,
      );
    }
    const p99 = (e: (typeof ENFORCEMENTS)[number]) => quantile(setup.times.get(e)!.answered, 0.99);
    const difference = p99('enforce') - p99('off');
    const perRound = median(setup.roundP99.get('enforce')!.map((value, i) => value - setup.roundP99.get('off')![i]));
    verdicts.push(
      `${setup.runtime}, ${setup.endpoint}: p99 enforce − off ${difference.toFixed(0)} µs (median of the rounds' ` +
        `differences ${perRound.toFixed(0)} µs) — ${difference < CONNECT_TARGET_US ? 'met' : '**missed**'}`,
    );
  }
  report.log();
  report.log(`Target: the connection-time check costs < ${CONNECT_TARGET_US} µs at p99:`);
  report.log();
  for (const verdict of verdicts) report.log(`- ${verdict}`);
}

main(main_);
