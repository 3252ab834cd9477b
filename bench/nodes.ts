/**
 * Benchmark 2 of issue 5: create → available, the time from sending the create call to the first Describe that
 * shows the resource available, for
 *  - a single-node Redis cluster                            target < 0.5 s
 *  - a 3-node Memcached cluster                             target < 1 s
 *  - a 1+2 replication group (cluster mode disabled)        target < 1.5 s
 *  - a 3-shard × (1+2) replication group (cluster mode on)  target < 5 s
 * on the docker and the process runtimes (images present), against the floor: the same nodes started and wired by
 * hand without the emulator (bench/floor.ts), in the same run, alternating with the emulator's runs.
 * Rewrites section 2 of bench/RESULTS.md. Run: `npm run build && npm run bench:nodes` (BENCH_REPEAT=5).
 */
import {
  clusterFloor,
  dockerStarter,
  processStarter,
  replicationFloor,
  type FloorNode,
  type NodeStarter,
} from './floor.js';
import {
  EmulatorProcess,
  Report,
  call,
  checkBuilt,
  cleanUpNodes,
  elements,
  main,
  median,
  ms,
  pings,
  provenance,
  scratchDir,
  sleep,
  tag,
  writeSection,
} from './harness.js';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? 'docker,process').split(',') as Array<'docker' | 'process'>;

interface Timing {
  /** Until the create call answered (it holds its answer while the nodes start, at most 5 s). */
  createMs: number;
  /** Until the first Describe that shows it available. */
  availableMs: number;
  describes: number;
}

interface Scenario {
  name: string;
  targetMs: number;
  /** Creates resource `id`, returns when a Describe shows it available (and checks that its endpoint answers). */
  emulator(url: string, id: string): Promise<Timing>;
  remove(url: string, id: string): Promise<void>;
  floor(starter: NodeStarter): Promise<FloorNode[]>;
  key: string;
  /** Docker only, run while no other cluster exists: the create also makes the emulator's Docker network. */
  alone?: boolean;
}

/** Creates, then describes back to back (10 ms apart) until the status is available. */
async function timeCreate(create: () => Promise<string>, describe: () => Promise<string | undefined>): Promise<Timing> {
  const started = performance.now();
  await create();
  const createMs = performance.now() - started;
  let describes = 0;
  for (;;) {
    describes++;
    const status = await describe();
    if (status === 'available') return { createMs, availableMs: performance.now() - started, describes };
    if (status?.includes('failed')) throw new Error(`status ${status}`);
    if (performance.now() - started > 120_000) throw new Error('not available within 120 s');
    await sleep(10);
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error('timed out');
}

const gone = (describe: () => Promise<unknown>) => async () => {
  try {
    await describe();
    return false;
  } catch (error) {
    if (/NotFound/.test((error as { code?: string }).code ?? '')) return true;
    throw error;
  }
};

function endpointsIn(xml: string, element: string): Array<{ host: string; port: number }> {
  return elements(xml, element).map((e) => ({ host: tag(e, 'Address')!, port: Number(tag(e, 'Port')) }));
}

async function checkAnswers(
  endpoints: Array<{ host: string; port: number }>,
  engine: 'redis' | 'memcached',
): Promise<void> {
  if (endpoints.length === 0) throw new Error('no endpoint shown');
  for (const e of endpoints)
    if (!(await pings(e.host, e.port, engine))) throw new Error(`endpoint ${e.host}:${e.port} does not answer`);
}

function cacheCluster(
  name: string,
  key: string,
  targetMs: number,
  engine: 'redis' | 'memcached',
  nodes: number,
): Scenario {
  const describe = (url: string, id: string) =>
    call(url, 'DescribeCacheClusters', { CacheClusterId: id, ShowCacheNodeInfo: true });
  return {
    name,
    key,
    targetMs,
    async emulator(url, id) {
      const timing = await timeCreate(
        () =>
          call(url, 'CreateCacheCluster', {
            CacheClusterId: id,
            Engine: engine,
            CacheNodeType: 'cache.t3.micro',
            NumCacheNodes: nodes,
          }),
        async () => tag(await describe(url, id), 'CacheClusterStatus'),
      );
      const xml = await describe(url, id);
      await checkAnswers(endpointsIn(xml, 'Endpoint'), engine);
      return timing;
    },
    async remove(url, id) {
      await call(url, 'DeleteCacheCluster', { CacheClusterId: id });
      await until(gone(() => describe(url, id)));
    },
    floor: (starter) => Promise.all(Array.from({ length: nodes }, () => starter.start(engine))),
  };
}

function replicationGroup(
  name: string,
  key: string,
  targetMs: number,
  shape: { shards?: number; replicas: number },
): Scenario {
  const describe = (url: string, id: string) => call(url, 'DescribeReplicationGroups', { ReplicationGroupId: id });
  const clusterMode = shape.shards !== undefined;
  return {
    name,
    key,
    targetMs,
    async emulator(url, id) {
      const params: Record<string, string | number> = {
        ReplicationGroupId: id,
        ReplicationGroupDescription: 'bench',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
      };
      if (clusterMode) {
        Object.assign(params, {
          NumNodeGroups: shape.shards!,
          ReplicasPerNodeGroup: shape.replicas,
          CacheParameterGroupName: 'default.redis7.cluster.on',
        });
      } else {
        Object.assign(params, { NumCacheClusters: shape.replicas + 1 });
      }
      const timing = await timeCreate(
        () => call(url, 'CreateReplicationGroup', params),
        async () => tag(await describe(url, id), 'Status'),
      );
      const xml = await describe(url, id);
      await checkAnswers(endpointsIn(xml, clusterMode ? 'ConfigurationEndpoint' : 'PrimaryEndpoint'), 'redis');
      return timing;
    },
    async remove(url, id) {
      await call(url, 'DeleteReplicationGroup', { ReplicationGroupId: id });
      await until(gone(() => describe(url, id)));
    },
    floor: (starter) =>
      clusterMode ? clusterFloor(starter, shape.shards!, shape.replicas) : replicationFloor(starter, shape.replicas),
  };
}

const SCENARIOS: Scenario[] = [
  {
    ...cacheCluster(
      'single-node Redis cluster, the only cluster (creates the Docker network)',
      'r1-alone',
      500,
      'redis',
      1,
    ),
    alone: true,
  },
  cacheCluster('single-node Redis cluster', 'r1', 500, 'redis', 1),
  cacheCluster('3-node Memcached cluster', 'mc3', 1000, 'memcached', 3),
  replicationGroup('1+2 replication group', 'rg', 1500, { replicas: 2 }),
  replicationGroup('3 shards × (1+2), cluster mode', 'cm', 5000, { shards: 3, replicas: 2 }),
];

interface Cell {
  emulator: Timing[];
  floor: number[];
}

async function main_(): Promise<void> {
  checkBuilt();
  const report = new Report();
  const results = new Map<string, Cell>();
  for (const runtime of RUNTIMES) {
    const dataDir = scratchDir(`nodes-${runtime}`);
    const { emulator } = await EmulatorProcess.start({ runtime, dataDir, logLevel: 'warn' });
    cleanUpNodes({ dataDir, network: runtime === 'docker' ? emulator.options.network : undefined });
    const starter = runtime === 'docker' ? await dockerStarter() : processStarter();
    const scenarios = SCENARIOS.filter((s) => runtime === 'docker' || !s.alone);
    // One untimed round first: the first container on a new network, the image lookups, the JIT warming up.
    for (const scenario of scenarios) {
      await scenario.emulator(emulator.url, `warm-${scenario.key}`);
      await scenario.remove(emulator.url, `warm-${scenario.key}`);
      for (const node of await scenario.floor(starter)) await node.stop();
    }
    let keeper = false;
    for (const scenario of scenarios) {
      if (!scenario.alone && !keeper) {
        // From here on another cluster exists, as in most real use, so its Docker network does too.
        await call(emulator.url, 'CreateCacheCluster', {
          CacheClusterId: 'keeper',
          Engine: 'memcached',
          CacheNodeType: 'cache.t3.micro',
          NumCacheNodes: 1,
        });
        keeper = true;
      }
      const cell: Cell = { emulator: [], floor: [] };
      results.set(`${runtime}/${scenario.key}`, cell);
      for (let i = 0; i < REPEAT; i++) {
        // Alternating which goes first, so a slow spell of the machine hits both alike.
        const order = i % 2 === 0 ? ['emulator', 'floor'] : ['floor', 'emulator'];
        for (const which of order) {
          if (which === 'emulator') {
            const id = `b-${scenario.key}-${i}`;
            const timing = await scenario.emulator(emulator.url, id);
            cell.emulator.push(timing);
            console.log(
              `${runtime} ${scenario.name} #${i}: emulator ${ms(timing.availableMs)} ms (create answered at ${ms(timing.createMs)} ms, ${timing.describes} describe)`,
            );
            await scenario.remove(emulator.url, id);
          } else {
            const started = performance.now();
            const nodes = await scenario.floor(starter);
            const floorMs = performance.now() - started;
            cell.floor.push(floorMs);
            console.log(`${runtime} ${scenario.name} #${i}: floor ${ms(floorMs)} ms`);
            await Promise.all(nodes.map((n) => n.stop()));
          }
          await sleep(200);
        }
      }
    }
    await emulator.stop();
  }

  report.log('## 2. Create → available');
  report.log();
  for (const line of await provenance('npm run bench:nodes')) report.log(line);
  report.log();
  report.log(
    `From sending the create call to the first Describe that shows the resource \`available\` (Describe polled every ` +
      `10 ms after the create answered), images present; median of ${REPEAT} (min–max), after one untimed warm-up round. ` +
      'The create call holds its answer until the nodes answer (at most 5 s), so the first Describe normally shows it. ' +
      'Floor: the same nodes started and wired by hand, without the emulator (processes spawned directly; containers ' +
      'through the Docker Engine API calls dockerode makes; REPLICAOF / CLUSTER ADDSLOTSRANGE, MEET, REPLICATE polled every ' +
      '5 ms; Redis Cluster: every node MEETs every other, before and after the replicas attach), alternating with the emulator ' +
      'runs in the same run. Every emulator run also checks that the endpoint it shows answers. On docker, all but the first ' +
      'row run while another cluster exists (so the Docker network does; the first row pays for creating it, as the first ' +
      'create on a fresh emulator does).',
  );
  report.log();
  report.log(
    '| resource | runtime | create answered ms | available ms (min–max) | target | floor ms (min–max) | emulator / floor |',
  );
  report.log('|---|---|---|---|---|---|---|');
  const verdicts: string[] = [];
  for (const scenario of SCENARIOS) {
    for (const runtime of RUNTIMES) {
      const cell = results.get(`${runtime}/${scenario.key}`);
      if (!cell) continue;
      const available = cell.emulator.map((t) => t.availableMs);
      const m = median(available);
      const f = median(cell.floor);
      const met = m < scenario.targetMs;
      verdicts.push(
        `${scenario.name} on ${runtime}: ${met ? 'met' : '**missed**'} (${ms(m)} ms vs < ${scenario.targetMs} ms)`,
      );
      report.log(
        `| ${scenario.name} | ${runtime} | ${ms(median(cell.emulator.map((t) => t.createMs)))} | ${ms(m)} (${ms(Math.min(...available))}–${ms(Math.max(...available))}) | ` +
          `< ${scenario.targetMs} ${met ? '✓' : '✗'} | ${ms(f)} (${ms(Math.min(...cell.floor))}–${ms(Math.max(...cell.floor))}) | ${(m / f).toFixed(2)} |`,
      );
    }
  }
  report.log();
  for (const verdict of verdicts) report.log(`- ${verdict}`);
  writeSection(2, report.lines);
}

main(main_);
