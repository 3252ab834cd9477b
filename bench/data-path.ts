/**
 * Benchmark 3 of issue 5, and issues 13 and 14: the endpoint data path with security groups enforced (the default),
 * on the process and docker runtimes. For every endpoint kind — node, primary and reader endpoints of a replication
 * group, cluster mode's configuration endpoint, memcached's node and configuration endpoints, and the same group
 * with in-transit encryption — a load generator (bench/load-tools.ts) against the same node(s) straight and through
 * the endpoints (bench/data-path-cases.ts), SET and GET, 50 clients, without a pipeline and with -P 16.
 * Targets: ≥ 0.9 of direct throughput (issue 13; the published port is docker's direct path), ≥ 0.8 with TLS
 * (issue 14). The added p50 / p99 latency is reported.
 *
 * The paths of a kind are measured in rounds, the order rotating every round; the ratio is the median of each
 * round's endpoint / direct ratio. The emulator's and the nodes' CPU time during each run show what forwarding
 * costs. Rewrites section 3 of bench/RESULTS.md.
 * Run: `npm run build && npm run bench:data-path` (BENCH_ROUNDS=3, BENCH_RUNTIMES=process,docker,
 * BENCH_KINDS=redis,tls,cluster,memcached; BENCH_REQUESTS / BENCH_PIPELINED_REQUESTS per test and run).
 */
import { loadavg } from 'node:os';
import { KINDS, prepareCases, type Case, type Kind } from './data-path-cases.js';
import { TESTS, redisBenchmarkVersion, runLoad, type Load, type Samples } from './load-tools.js';
import {
  EmulatorProcess,
  Report,
  checkBuilt,
  cleanUpNodes,
  cpuSecondsOf,
  machineCpu,
  main,
  median,
  provenance,
  scratchDir,
  waitUntilPings,
  writeSection,
} from './harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? 'process,docker').split(',') as Array<'docker' | 'process'>;
const WANTED = (process.env.BENCH_KINDS ?? KINDS.join(',')).split(',') as Kind[];
const CLIENTS = 50;
const MODES = [
  { name: 'no pipeline', pipeline: 1, requests: Number(process.env.BENCH_REQUESTS ?? 100_000) },
  { name: '-P 16', pipeline: 16, requests: Number(process.env.BENCH_PIPELINED_REQUESTS ?? 1_000_000) },
];

/** One run of one path: what the load generator saw, and the CPU spent meanwhile. */
interface Run {
  samples: Samples;
  /** Emulator and node CPU seconds during the run. */
  emulatorCpu: number;
  nodeCpu: number;
  /** Share of the machine's CPU busy during the run (all cores; other users' load included). */
  busy: number;
}

interface CaseResult {
  runtime: string;
  case: Case;
  /** mode → path label → one run per round */
  runs: Map<string, Map<string, Run[]>>;
}

async function measureCase(runtime: string, emulator: EmulatorProcess, item: Case): Promise<CaseResult> {
  const runs: CaseResult['runs'] = new Map();
  const nodeCpu = () => item.nodePids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  // A warm-up run through each path (JIT, first connections, TLS sessions), not counted.
  const warmUp = Math.min(20_000, MODES[0].requests);
  for (const path of item.paths) await runLoad(path, { clients: CLIENTS, requests: warmUp, pipeline: 1 });
  for (const mode of MODES) {
    const load: Load = { clients: CLIENTS, requests: mode.requests, pipeline: mode.pipeline };
    const byPath = new Map<string, Run[]>(item.paths.map((p) => [p.label, []]));
    runs.set(mode.name, byPath);
    for (let round = 0; round < ROUNDS; round++) {
      const order = item.paths.map((_, i) => item.paths[(i + round) % item.paths.length]);
      for (const path of order) {
        const emulatorBefore = emulator.cpuSeconds();
        const nodeBefore = nodeCpu();
        const machineBefore = machineCpu();
        const samples = await runLoad(path, load);
        const machineAfter = machineCpu();
        byPath.get(path.label)!.push({
          samples,
          emulatorCpu: emulator.cpuSeconds() - emulatorBefore,
          nodeCpu: nodeCpu() - nodeBefore,
          busy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
        });
        console.log(
          `${runtime} ${item.kind} ${mode.name} round ${round + 1} ${path.label}: ` +
            TESTS.map((t) => `${t} ${samples[t].rps.toFixed(0)}/s p50 ${samples[t].p50} p99 ${samples[t].p99}`).join(
              ', ',
            ),
        );
      }
    }
  }
  return { runtime, case: item, runs };
}

async function measure(runtime: 'docker' | 'process'): Promise<CaseResult[]> {
  const dataDir = scratchDir(`data-path-${runtime}`);
  const { emulator } = await EmulatorProcess.start({
    runtime,
    dataDir,
    logLevel: 'warn',
    extraArgs: ['--security-groups', 'enforce'],
  });
  cleanUpNodes({ dataDir, network: runtime === 'docker' ? emulator.options.network : undefined });
  const cases = await prepareCases(emulator, runtime, WANTED);
  for (const item of cases) {
    for (const path of item.paths) {
      if (path.tool === 'memcached') await waitUntilPings(path.host, path.port, 'memcached');
      else if (!path.caPath) await waitUntilPings(path.host, path.port);
    }
  }
  const results: CaseResult[] = [];
  for (const item of cases) results.push(await measureCase(runtime, emulator, item));
  await emulator.stop();
  return results;
}

async function main_(): Promise<void> {
  checkBuilt();
  const started = performance.now();
  const loadBefore = loadavg()[0];
  const results: CaseResult[] = [];
  for (const runtime of RUNTIMES) results.push(...(await measure(runtime)));
  const minutes = (performance.now() - started) / 60_000;

  const report = new Report();
  report.log('## 3. Endpoint data path: load through the endpoints vs straight to the node, security groups enforced');
  report.log();
  const settings = ['BENCH_ROUNDS', 'BENCH_RUNTIMES', 'BENCH_KINDS', 'BENCH_REQUESTS', 'BENCH_PIPELINED_REQUESTS']
    .filter((name) => process.env[name] !== undefined)
    .map((name) => `${name}=${process.env[name]} `)
    .join('');
  for (const line of await provenance(`${settings}npm run bench:data-path`)) report.log(line);
  report.log();
  report.log(
    `redis-benchmark ${await redisBenchmarkVersion()}, \`-t set,get -c ${CLIENTS}\`, ` +
      `${MODES.map((m) => `${m.name}: -n ${m.requests}`).join('; ')}; memcached: the bench's own generator ` +
      "(bench/load-tools.ts: the same clients, requests and pipeline depth, one key, 3-byte values, a batch's round " +
      "trip as each of its requests' latency). Each kind's paths reach the same node(s), in " +
      `${ROUNDS} rounds whose order rotates. req/s and latency: median over the rounds; ratio: the median of each ` +
      "round's path / direct; added latency: median of each round's path − direct. CPU per request: the emulator's " +
      "(with its relay workers) and the nodes' CPU time during the run / the run's requests; machine CPU busy: all cores, during the run " +
      "(other users' load included). Everything shares the machine's cores: the load generator, the nodes, and for " +
      'the endpoints the emulator. The emulator runs with security groups enforced (`--security-groups enforce`, ' +
      "the default): every connection to an endpoint it listens on is admitted by the host's membership of the " +
      `default VPC's default group. The whole run took ${minutes.toFixed(1)} min; the machine's load average ` +
      `(1 min) was ${loadBefore.toFixed(1)} at its start and ${loadavg()[0].toFixed(1)} at its end.`,
  );
  const verdicts: string[] = [];
  for (const result of results) verdicts.push(...reportCase(report, result));
  report.log();
  report.log('Targets: ≥ 0.9 of direct throughput (issue 13), ≥ 0.8 with TLS (issue 14):');
  report.log();
  for (const verdict of verdicts) report.log(`- ${verdict}`);
  writeSection(3, report.lines, process.env.BENCH_RESULTS);
}

/** One kind's table on one runtime; its verdicts. */
function reportCase(report: Report, { runtime, case: item, runs }: CaseResult): string[] {
  const direct = item.paths[0].label;
  const verdicts: string[] = [];
  report.log();
  report.log(`**${runtime} runtime: ${item.title}** (baseline: ${direct})`);
  report.log();
  report.log(
    '| mode | test | path | req/s | p50 ms | p99 ms | / direct | added p50 ms | added p99 ms | CPU µs / req: emulator, nodes | machine CPU busy |',
  );
  report.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const mode of MODES) {
    const byPath = runs.get(mode.name)!;
    const baseline = byPath.get(direct)!;
    // Per request of the run (its SET and GET tests together).
    const perRequest = (seconds: number[]) => ((median(seconds) / (2 * mode.requests)) * 1e6).toFixed(1);
    for (const test of TESTS) {
      for (const path of item.paths) {
        const rounds = byPath.get(path.label)!;
        const of = (pick: (run: (typeof rounds)[number]) => number) => median(rounds.map(pick));
        const isDirect = path.label === direct;
        const ratio = median(rounds.map((r, i) => r.samples[test].rps / baseline[i].samples[test].rps));
        const added = (p: 'p50' | 'p99') =>
          isDirect ? '' : median(rounds.map((r, i) => r.samples[test][p] - baseline[i].samples[test][p])).toFixed(3);
        const cpu = `${path.viaEmulator ? perRequest(rounds.map((r) => r.emulatorCpu)) : '–'}, ${perRequest(rounds.map((r) => r.nodeCpu))}`;
        report.log(
          `| ${mode.name} | ${test} | ${path.label} | ${of((r) => r.samples[test].rps).toFixed(0)} | ` +
            `${of((r) => r.samples[test].p50).toFixed(3)} | ${of((r) => r.samples[test].p99).toFixed(3)} | ` +
            `${isDirect ? '1' : `**${ratio.toFixed(2)}**`} | ${added('p50')} | ${added('p99')} | ${cpu} | ` +
            `${(of((r) => r.busy) * 100).toFixed(0)} % |`,
        );
        if (path.viaEmulator) {
          verdicts.push(
            `${runtime}, ${item.kind}, ${mode.name}, ${test}, ${path.label}: ${ratio.toFixed(2)} of direct — ` +
              `${ratio >= item.target ? 'met' : '**missed**'} (≥ ${item.target})`,
          );
        }
      }
    }
  }
  return verdicts;
}

main(main_);
