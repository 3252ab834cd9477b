/**
 * Benchmark of issue 15, serverless caches: CreateServerlessCache until DescribeServerlessCaches shows `available`,
 * on the process and docker runtimes (targets: ≤ 0.3 s on processes, ≤ 1 s on docker), each round a new cache,
 * deleted after; beside it, a one-member TLS replication group's create → available on the same emulator, the
 * machinery a serverless cache stands on. The first serverless cache of an engine version starts the emulator's warm
 * spares (control/serverless/warm-spares.ts): it is timed apart (cold), untimed seconds let the pool form, and each
 * timed create is followed by a pause in which the pool refills, as for a user creating one cache at a time. Then
 * fresh emulators per runtime, one plain and one with --serverless-warm-pool redis each round: their time to the first
 * answer side by side (the pool must not slow a start), the time until the log says the pool is ready, and the first
 * create (pre-warmed). The endpoint's throughput against TLS straight to its node is measured by bench/data-path.ts
 * (BENCH_KINDS=serverless). Rewrites section 9 of bench/RESULTS.md, with the machine's load (it is shared).
 * Run: `npm run build && npm run bench:serverless` (BENCH_ROUNDS=5, BENCH_PREWARM_ROUNDS=5,
 * BENCH_RUNTIMES=process,docker).
 */
import { availableParallelism, loadavg } from 'node:os';
import {
  EmulatorProcess,
  Report,
  call,
  checkBuilt,
  cleanUpNodes,
  main,
  median,
  ms,
  provenance,
  scratchDir,
  untilAvailable,
  writeSection,
} from './harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? 'process,docker').split(',') as Array<'docker' | 'process'>;
const TARGET_MS = { process: 300, docker: 1000 };
const POLL_MS = 10;
/** Fresh emulators per runtime for the warm pool at start (each a cold start of its own). */
const PREWARM_ROUNDS = Number(process.env.BENCH_PREWARM_ROUNDS ?? 5);
/** After a serverless create (the cold one and each timed one): time for the warm-spare pool to form again. */
const REFILL_MS = 6000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function serverlessRound(url: string, name: string, refillMs = REFILL_MS): Promise<number> {
  const started = performance.now();
  await call(url, 'CreateServerlessCache', { ServerlessCacheName: name, Engine: 'redis' });
  await untilAvailable(() => call(url, 'DescribeServerlessCaches', { ServerlessCacheName: name }), 'Status', POLL_MS);
  const took = performance.now() - started;
  await call(url, 'DeleteServerlessCache', { ServerlessCacheName: name });
  await pause(refillMs);
  return took;
}

/** A TLS group: one member, or (like a serverless cache's) cluster mode with one shard of a primary and a replica. */
async function groupRound(url: string, id: string, shape: 'one member' | 'cluster mode'): Promise<number> {
  const started = performance.now();
  await call(url, 'CreateReplicationGroup', {
    ReplicationGroupId: id,
    ReplicationGroupDescription: 'bench',
    CacheNodeType: 'cache.t3.micro',
    Engine: 'redis',
    TransitEncryptionEnabled: true,
    ...(shape === 'one member'
      ? { NumCacheClusters: 1 }
      : { NumNodeGroups: 1, ReplicasPerNodeGroup: 1, CacheParameterGroupName: 'default.redis7.cluster.on' }),
  });
  await untilAvailable(() => call(url, 'DescribeReplicationGroups', { ReplicationGroupId: id }), 'Status', POLL_MS);
  const took = performance.now() - started;
  await call(url, 'DeleteReplicationGroup', { ReplicationGroupId: id });
  return took;
}

main(async () => {
  checkBuilt();
  const out = new Report();
  out.log('## 9. Serverless caches: create → available');
  out.log();
  for (const line of await provenance(`npx tsx bench/serverless.ts (BENCH_ROUNDS=${ROUNDS})`)) out.log(line);
  // The machine is shared: its load beside the figures says how much of them is contention.
  const loadAtStart = loadavg()[0];
  out.log();
  out.log(
    'From the CreateServerlessCache call to the first DescribeServerlessCaches saying `available` (polled every ' +
      `${POLL_MS} ms), a new cache each round (redis: a primary and a replica behind a TLS endpoint and a reader ` +
      'endpoint), deleted after; beside it, TLS replication groups on the same emulator: one member, and cluster mode ' +
      'with one shard of two as a serverless cache has. Rounds rotate which goes first; each cell is the median round (all rounds in brackets). ' +
      'The first serverless create of the run (cold: no warm spare exists yet) is timed apart; after it and after ' +
      `each timed one the bench waits ${REFILL_MS / 1000} s (untimed), so each create finds the warm-spare pool formed, as one created at a time would.`,
  );
  out.log();
  out.log(
    '| runtime | serverless cache | target | met | first serverless cache (cold) | TLS group, one member | TLS group, cluster mode, 1 shard of 2 |',
  );
  out.log('|---|---|---|---|---|---|---|');
  for (const runtime of RUNTIMES) {
    const dataDir = scratchDir(`serverless-${runtime}`);
    const { emulator } = await EmulatorProcess.start({ runtime, dataDir, logLevel: 'warn' });
    const serverless: number[] = [];
    const groups: number[] = [];
    const clusterGroups: number[] = [];
    let cold = 0;
    try {
      cold = await serverlessRound(emulator.url, 'bench-sls-cold');
      for (let round = 0; round < ROUNDS; round++) {
        const measure = [
          async () => serverless.push(await serverlessRound(emulator.url, `bench-sls-${round}`)),
          async () => groups.push(await groupRound(emulator.url, `bench-tls-${round}`, 'one member')),
          async () => clusterGroups.push(await groupRound(emulator.url, `bench-cm-${round}`, 'cluster mode')),
        ];
        for (const step of [...measure.slice(round % 3), ...measure.slice(0, round % 3)]) await step();
      }
    } finally {
      emulator.kill();
      cleanUpNodes({ dataDir, network: emulator.options.network });
    }
    const cell = (values: number[]) => `${ms(median(values))} ms (${values.map(ms).join(', ')})`;
    const met = median(serverless) <= TARGET_MS[runtime];
    out.log(
      `| ${runtime} | ${cell(serverless)} | ≤ ${TARGET_MS[runtime]} ms | ${met ? 'yes' : 'no'} | ${ms(cold)} ms | ${cell(groups)} | ${cell(clusterGroups)} |`,
    );
  }
  out.log();
  out.log(
    'With the warm pool at start (`--serverless-warm-pool redis`, a fresh emulator per runtime and round): its start to ' +
      "the first answer beside the plain emulator's above, the time from its spawn until its log says the pool is " +
      'ready, and its first CreateServerlessCache after that (the cold column above is the same create without it).',
  );
  out.log();
  out.log(
    '| runtime | start → first answer, pool off | with the pool | start → pool ready | first serverless cache, pre-warmed | target | met |',
  );
  out.log('|---|---|---|---|---|---|---|');
  for (const runtime of RUNTIMES) {
    const row = { off: [] as number[], on: [] as number[], ready: [] as number[], first: [] as number[] };
    for (let round = 0; round < PREWARM_ROUNDS; round++) {
      for (const prewarm of [false, true]) {
        const dataDir = scratchDir(`serverless-prewarm-${runtime}-${round}-${prewarm}`);
        const { emulator, answeredMs } = await EmulatorProcess.start({
          runtime,
          dataDir,
          logLevel: 'info',
          extraArgs: prewarm ? ['--serverless-warm-pool', 'redis'] : [],
        });
        try {
          if (!prewarm) {
            row.off.push(answeredMs);
            continue;
          }
          row.on.push(answeredMs);
          const ready = await emulator.waitForLog((line) => /^serverless warm pool: .* is ready$/.test(line.msg ?? ''));
          row.ready.push(ready.at - emulator.spawnedAt);
          row.first.push(await serverlessRound(emulator.url, `bench-sls-prewarmed-${round}`, 0));
        } finally {
          emulator.kill();
          cleanUpNodes({ dataDir, network: emulator.options.network });
        }
      }
    }
    const cell = (values: number[]) => `${ms(median(values))} ms (${values.map(ms).join(', ')})`;
    const met = median(row.first) <= TARGET_MS[runtime];
    out.log(
      `| ${runtime} | ${cell(row.off)} | ${cell(row.on)} | ${cell(row.ready)} | ${cell(row.first)} | ≤ ${TARGET_MS[runtime]} ms | ${met ? 'yes' : 'no'} |`,
    );
  }
  out.log();
  out.log(
    `Load average (1 min) on the ${availableParallelism()} cores: ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end.`,
  );
  writeSection(9, out.lines, process.env.BENCH_RESULTS);
});
