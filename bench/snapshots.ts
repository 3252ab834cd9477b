/**
 * Benchmark of issue 12: snapshot and restore of a dataset (BENCH_SNAPSHOT_MB, default 1 GiB) on the process
 * runtime, side by side with the floor of doing the same by hand, in one run:
 *  - emulator: CreateSnapshot of a one-node redis cache cluster until the snapshot shows `available`; then
 *    CreateCacheCluster with that SnapshotName until the new cluster shows `available` and holds every key;
 *  - floor, on a plain redis-server started here holding the same data: BGSAVE until the save ends, and dump.rdb
 *    copied to another directory; then a redis-server started on that copy until it has loaded and holds every key.
 * Target: ≤ 1.25× the floor for both. While each snapshot runs, a reader on the source (one GET at a time, about
 * 1 ms apart) counts the answers and the longest gap between two of them: the cache should keep answering.
 * Rounds alternate which of the two goes first. Rewrites section 7 of bench/RESULTS.md.
 * Run: `npm run build && npm run bench:snapshots` (BENCH_SNAPSHOT_MB=1024, BENCH_ROUNDS=3).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import {
  EmulatorProcess,
  Report,
  ask,
  call,
  checkBuilt,
  cleanUpNodes,
  elements,
  freePort,
  main,
  mb,
  median,
  ms,
  onCleanup,
  provenance,
  scratchDir,
  sleep,
  tag,
  waitUntilPings,
  writeSection,
} from './harness.js';

const run = promisify(execFile);
const SIZE_MB = Number(process.env.BENCH_SNAPSHOT_MB ?? 1024);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const VALUE_BYTES = 16 * 1024;
const KEYS = Math.ceil((SIZE_MB * 2 ** 20) / VALUE_BYTES);
/** Roomy enough for any dataset this machine can hold twice (maxmemory only; nothing is reserved). */
const NODE_TYPE = 'cache.r6g.xlarge';
/** How often both sides are polled (Describe calls for the emulator, INFO for the floor). */
const POLL_MS = 10;
const TARGET = 1.25;

// ---- the dataset ------------------------------------------------------------------------------------------------

/** Random bytes values are cut from: the RDB cannot compress them, so the file is as large as the data. */
const pool = randomBytes(8 * 2 ** 20);
const keyOf = (i: number) => `bench:${i}`;
const valueOf = (i: number) => {
  const offset = (i * 7919) % (pool.length - VALUE_BYTES);
  return pool.subarray(offset, offset + VALUE_BYTES);
};

/** Writes every key with pipelined SETs, two batches in flight; returns the time it took. */
async function fill(host: string, port: number): Promise<number> {
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  const started = performance.now();
  const batch = 256;
  let next = 0;
  const writer = async () => {
    while (next < KEYS) {
      const from = next;
      next = Math.min(KEYS, next + batch);
      const pipeline = redis.pipeline();
      for (let i = from; i < next; i++) pipeline.set(keyOf(i), valueOf(i));
      const answers = (await pipeline.exec()) ?? [];
      const failed = answers.find(([error]) => error);
      if (failed) throw failed[0];
    }
  };
  await Promise.all([writer(), writer()]);
  const took = performance.now() - started;
  const size = await redis.dbsize();
  redis.disconnect();
  if (size !== KEYS) throw new Error(`${host}:${port} holds ${size} keys after the fill, not ${KEYS}`);
  return took;
}

/** Every key there, and a sample of values equal to what was written. */
async function verify(host: string, port: number, what: string): Promise<void> {
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  try {
    const size = await redis.dbsize();
    if (size !== KEYS) throw new Error(`${what}: ${size} keys, not ${KEYS}`);
    for (let n = 0; n < 200; n++) {
      const i = Math.floor(Math.random() * KEYS);
      const value = await redis.getBuffer(keyOf(i));
      if (!value || !value.equals(valueOf(i))) throw new Error(`${what}: ${keyOf(i)} differs from what was written`);
    }
  } finally {
    redis.disconnect();
  }
}

/** DBSIZE on a fresh connection; undefined while the server is loading or not answering. */
async function dbsize(host: string, port: number): Promise<number | undefined> {
  const answer = await ask(host, port, 'DBSIZE\r\n', 2000);
  const match = answer && /^:(\d+)\r\n/.exec(answer);
  return match ? Number(match[1]) : undefined;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await sleep(POLL_MS);
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

// ---- reads during a snapshot ----------------------------------------------------------------------------------

interface Reads {
  answered: number;
  failed: number;
  /** The longest time between two answers (or from the start to the first one), ms. */
  longestGapMs: number;
}

/** GETs one random key at a time, about 1 ms apart, on its own connection, until stop() is called. */
function startReader(host: string, port: number): { stop(): Promise<Reads> } {
  const redis = new Redis({ host, port, maxRetriesPerRequest: 1, retryStrategy: () => 20 });
  redis.on('error', () => {});
  let running = true;
  const reads: Reads = { answered: 0, failed: 0, longestGapMs: 0 };
  const loop = (async () => {
    let last = performance.now();
    while (running) {
      const i = Math.floor(Math.random() * KEYS);
      try {
        const value = await redis.getBuffer(keyOf(i));
        if (value?.length === VALUE_BYTES) reads.answered++;
        else reads.failed++;
      } catch {
        reads.failed++;
      }
      const now = performance.now();
      reads.longestGapMs = Math.max(reads.longestGapMs, now - last);
      last = now;
      await sleep(1);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      redis.disconnect();
      return reads;
    },
  };
}

// ---- the emulator ---------------------------------------------------------------------------------------------

interface Endpoint {
  host: string;
  port: number;
}

async function waitClusterAvailable(url: string, id: string): Promise<Endpoint> {
  for (;;) {
    const xml = await call(url, 'DescribeCacheClusters', { CacheClusterId: id, ShowCacheNodeInfo: true });
    const status = tag(xml, 'CacheClusterStatus');
    if (status === 'available') {
      const endpoint = elements(xml, 'Endpoint')[0];
      return { host: tag(endpoint, 'Address')!, port: Number(tag(endpoint, 'Port')) };
    }
    if (status !== 'creating') throw new Error(`cache cluster ${id} is ${status}`);
    await sleep(POLL_MS);
  }
}

/** Polls until a Describe answers with the not-found code (a delete has completed). */
async function waitGone(describe: () => Promise<unknown>, notFound: string): Promise<void> {
  for (;;) {
    try {
      await describe();
    } catch (error) {
      if ((error as { code?: string }).code === notFound) return;
      throw error;
    }
    await sleep(50);
  }
}

/** CreateSnapshot until the snapshot is available; returns ms and the snapshot's CacheSize. */
async function emulatorSnapshot(url: string, source: string, name: string): Promise<{ ms: number; size: string }> {
  const started = performance.now();
  await call(url, 'CreateSnapshot', { CacheClusterId: source, SnapshotName: name });
  for (;;) {
    const xml = await call(url, 'DescribeSnapshots', { SnapshotName: name });
    const status = tag(xml, 'SnapshotStatus');
    if (status === 'available') return { ms: performance.now() - started, size: tag(xml, 'CacheSize') ?? '?' };
    if (status !== 'creating') throw new Error(`snapshot ${name} is ${status}`);
    await sleep(POLL_MS);
  }
}

/**
 * CreateCacheCluster from the snapshot until it is available and every key answers; returns ms (and when the create
 * answered and the cluster showed available, for where the time goes) and its endpoint.
 */
async function emulatorRestore(
  url: string,
  name: string,
  id: string,
): Promise<{ ms: number; answeredMs: number; availableMs: number; endpoint: Endpoint }> {
  const started = performance.now();
  await call(url, 'CreateCacheCluster', {
    CacheClusterId: id,
    Engine: 'redis',
    CacheNodeType: NODE_TYPE,
    NumCacheNodes: 1,
    SnapshotName: name,
  });
  const answeredMs = performance.now() - started;
  const endpoint = await waitClusterAvailable(url, id);
  const availableMs = performance.now() - started;
  await until(async () => (await dbsize(endpoint.host, endpoint.port)) === KEYS, `${id} did not hold every key`);
  return { ms: performance.now() - started, answeredMs, availableMs, endpoint };
}

// ---- the floor ------------------------------------------------------------------------------------------------

/** A plain redis-server in its own directory (the floor's nodes are started as bench/floor.ts starts them). */
async function startRedis(dir: string): Promise<{ endpoint: Endpoint; stop(): void }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--protected-mode',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  onCleanup(stop);
  return { endpoint: { host: '127.0.0.1', port }, stop };
}

const infoField = async (endpoint: Endpoint, section: string, field: string) => {
  const answer = await ask(endpoint.host, endpoint.port, `INFO ${section}\r\n`, 2000);
  return answer && new RegExp(`^${field}:(.*)$`, 'm').exec(answer)?.[1]?.trim();
};

/** BGSAVE until the save has ended, then dump.rdb copied to `copyDir`; returns ms. */
async function floorSnapshot(source: Endpoint, sourceDir: string, copyDir: string): Promise<number> {
  const started = performance.now();
  const answer = await ask(source.host, source.port, 'BGSAVE\r\n', 5000);
  if (!answer?.startsWith('+')) throw new Error(`floor BGSAVE: ${answer}`);
  await until(async () => (await infoField(source, 'persistence', 'rdb_bgsave_in_progress')) === '0', 'floor save');
  if ((await infoField(source, 'persistence', 'rdb_last_bgsave_status')) !== 'ok') throw new Error('floor save failed');
  await mkdir(copyDir, { recursive: true });
  await copyFile(join(sourceDir, 'dump.rdb'), join(copyDir, 'dump.rdb'));
  return performance.now() - started;
}

/** A redis-server started on the copied file until it has loaded and every key answers; returns ms. */
async function floorRestore(copyDir: string): Promise<{ ms: number; server: { endpoint: Endpoint; stop(): void } }> {
  const started = performance.now();
  const server = await startRedis(copyDir);
  await until(
    async () =>
      (await infoField(server.endpoint, 'persistence', 'loading')) === '0' &&
      (await dbsize(server.endpoint.host, server.endpoint.port)) === KEYS,
    'the floor restore did not hold every key',
  );
  return { ms: performance.now() - started, server };
}

// ---- the run --------------------------------------------------------------------------------------------------

interface Round {
  first: 'emulator' | 'floor';
  emulatorSnapshotMs: number;
  emulatorRestoreMs: number;
  /** When the restoring create call answered, and when Describe first showed the cluster available. */
  emulatorRestoreAnsweredMs: number;
  emulatorRestoreAvailableMs: number;
  floorSnapshotMs: number;
  floorRestoreMs: number;
  emulatorReads: Reads;
  floorReads: Reads;
  cacheSize: string;
}

async function main_(): Promise<void> {
  checkBuilt();
  const dataDir = scratchDir('snapshots-data');
  const floorDir = scratchDir('snapshots-floor');
  const { emulator } = await EmulatorProcess.start({ runtime: 'process', dataDir, logLevel: 'warn' });
  cleanUpNodes({ dataDir });
  const url = emulator.url;
  const sourceId = 'snap-source';
  await call(url, 'CreateCacheCluster', {
    CacheClusterId: sourceId,
    Engine: 'redis',
    CacheNodeType: NODE_TYPE,
    NumCacheNodes: 1,
  });
  const source = await waitClusterAvailable(url, sourceId);
  const floorSourceDir = join(floorDir, 'source');
  await mkdir(floorSourceDir, { recursive: true });
  const floorSource = await startRedis(floorSourceDir);
  await waitUntilPings(floorSource.endpoint.host, floorSource.endpoint.port);

  console.log(`filling both with ${KEYS} keys of ${VALUE_BYTES} bytes (${SIZE_MB} MiB)`);
  const fillMs = await fill(source.host, source.port);
  const floorFillMs = await fill(floorSource.endpoint.host, floorSource.endpoint.port);
  console.log(`filled: emulator's cluster ${ms(fillMs)} ms, floor ${ms(floorFillMs)} ms`);

  const rounds: Round[] = [];
  let rdbBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const first = round % 2 === 0 ? 'emulator' : 'floor';
    const result: Partial<Round> = { first };
    const runEmulator = async () => {
      const name = `bench-${round + 1}`;
      const reader = startReader(source.host, source.port);
      await sleep(20);
      const snapshot = await emulatorSnapshot(url, sourceId, name);
      result.emulatorReads = await reader.stop();
      result.emulatorSnapshotMs = snapshot.ms;
      result.cacheSize = snapshot.size;
      const restoredId = `snap-restored-${round + 1}`;
      const restore = await emulatorRestore(url, name, restoredId);
      result.emulatorRestoreMs = restore.ms;
      result.emulatorRestoreAnsweredMs = restore.answeredMs;
      result.emulatorRestoreAvailableMs = restore.availableMs;
      await verify(restore.endpoint.host, restore.endpoint.port, `restored cluster ${restoredId}`);
      // What a round made goes before the next measurement: its memory and disk, and its deletes' work.
      await call(url, 'DeleteCacheCluster', { CacheClusterId: restoredId });
      await call(url, 'DeleteSnapshot', { SnapshotName: name });
      await waitGone(() => call(url, 'DescribeCacheClusters', { CacheClusterId: restoredId }), 'CacheClusterNotFound');
      await waitGone(() => call(url, 'DescribeSnapshots', { SnapshotName: name }), 'SnapshotNotFoundFault');
    };
    const runFloor = async () => {
      const copyDir = join(floorDir, `copy-${round + 1}`);
      const reader = startReader(floorSource.endpoint.host, floorSource.endpoint.port);
      await sleep(20);
      result.floorSnapshotMs = await floorSnapshot(floorSource.endpoint, floorSourceDir, copyDir);
      result.floorReads = await reader.stop();
      rdbBytes = (await stat(join(copyDir, 'dump.rdb'))).size;
      const restore = await floorRestore(copyDir);
      result.floorRestoreMs = restore.ms;
      await verify(restore.server.endpoint.host, restore.server.endpoint.port, 'floor restore');
      restore.server.stop();
      await rm(copyDir, { recursive: true, force: true });
    };
    if (first === 'emulator') {
      await runEmulator();
      await runFloor();
    } else {
      await runFloor();
      await runEmulator();
    }
    const r = result as Round;
    rounds.push(r);
    console.log(
      `round ${round + 1} (${first} first): snapshot emulator ${ms(r.emulatorSnapshotMs)} ms / floor ${ms(r.floorSnapshotMs)} ms, ` +
        `restore emulator ${ms(r.emulatorRestoreMs)} ms / floor ${ms(r.floorRestoreMs)} ms; reads during the snapshot: ` +
        `emulator ${r.emulatorReads.answered} answered, ${r.emulatorReads.failed} failed, longest gap ${ms(r.emulatorReads.longestGapMs)} ms; ` +
        `floor ${r.floorReads.answered} answered, longest gap ${ms(r.floorReads.longestGapMs)} ms`,
    );
  }
  floorSource.stop();
  await emulator.stop();
  await report(rounds, { fillMs, floorFillMs, rdbBytes });
}

async function report(
  rounds: Round[],
  facts: { fillMs: number; floorFillMs: number; rdbBytes: number },
): Promise<void> {
  const out = new Report();
  const ratios = {
    snapshot: median(rounds.map((r) => r.emulatorSnapshotMs / r.floorSnapshotMs)),
    restore: median(rounds.map((r) => r.emulatorRestoreMs / r.floorRestoreMs)),
  };
  const cell = (values: number[]) => `${ms(median(values))} (${values.map(ms).join(', ')})`;
  const redisVersion = /v=(\S+)/.exec((await run('redis-server', ['--version'])).stdout)?.[1] ?? '?';
  out.log('## 7. Snapshot and restore: the emulator against BGSAVE and redis-server by hand');
  out.log();
  for (const line of await provenance(`BENCH_SNAPSHOT_MB=${SIZE_MB} BENCH_ROUNDS=${ROUNDS} npm run bench:snapshots`))
    out.log(line);
  out.log();
  out.log(
    `Process runtime, redis-server ${redisVersion}. Dataset: ${KEYS} keys of ${VALUE_BYTES / 1024} KiB random bytes ` +
      `(${SIZE_MB} MiB; the RDB file is ${mb(facts.rdbBytes)} MiB, snapshot CacheSize ${rounds[0]?.cacheSize ?? '?'}), written ` +
      `with pipelined SETs into a one-node cache cluster (${NODE_TYPE}) made with CreateCacheCluster, through its node ` +
      `endpoint (${ms(facts.fillMs)} ms), and into a plain redis-server started by the bench (${ms(facts.floorFillMs)} ms). ` +
      `Each round, emulator: CreateSnapshot, then DescribeSnapshots every ${POLL_MS} ms until \`available\`; ` +
      `CreateCacheCluster with that SnapshotName, then DescribeCacheClusters every ${POLL_MS} ms until \`available\` and ` +
      'DBSIZE until every key is there. Floor: BGSAVE, INFO persistence every ' +
      `${POLL_MS} ms until the save has ended, dump.rdb copied to another directory on the same disk; redis-server ` +
      'started on the copy, INFO until `loading:0` and DBSIZE holding every key. Every restore is checked (key count, ' +
      '200 sampled values) outside the timings; the restored cluster and the snapshot are deleted before the next ' +
      `measurement. ${rounds.length} rounds, alternating which side goes first; ratio: median of each round's ` +
      "emulator / floor. Everything shares the machine's cores (the emulator, the nodes, the bench).",
  );
  out.log();
  out.log('| | emulator ms, median (each round) | floor ms, median (each round) | emulator / floor |');
  out.log('|---|---|---|---|');
  out.log(
    `| snapshot (CreateSnapshot → available / BGSAVE + copy) | ${cell(rounds.map((r) => r.emulatorSnapshotMs))} | ` +
      `${cell(rounds.map((r) => r.floorSnapshotMs))} | **${ratios.snapshot.toFixed(2)}** |`,
  );
  out.log(
    `| restore (CreateCacheCluster → available, keys present / redis-server loaded) | ` +
      `${cell(rounds.map((r) => r.emulatorRestoreMs))} | ${cell(rounds.map((r) => r.floorRestoreMs))} | ` +
      `**${ratios.restore.toFixed(2)}** |`,
  );
  out.log();
  out.log(
    `Where the emulator's restore goes, median: the create call answered at ` +
      `${ms(median(rounds.map((r) => r.emulatorRestoreAnsweredMs)))} ms, Describe showed \`available\` at ` +
      `${ms(median(rounds.map((r) => r.emulatorRestoreAvailableMs)))} ms, every key answered at ` +
      `${ms(median(rounds.map((r) => r.emulatorRestoreMs)))} ms.`,
  );
  out.log();
  out.log(
    'Reads while the snapshot runs: one GET of a random key at a time on its own connection, about 1 ms apart, from ' +
      'just before the snapshot starts until it is taken.',
  );
  out.log();
  out.log('| source | GETs answered, each round | failed | longest gap between answers, ms, each round |');
  out.log('|---|---|---|---|');
  const readsRow = (what: string, reads: Reads[]) =>
    out.log(
      `| ${what} | ${reads.map((r) => r.answered).join(', ')} | ${reads.reduce((sum, r) => sum + r.failed, 0)} | ` +
        `${reads.map((r) => ms(r.longestGapMs)).join(', ')} |`,
    );
  readsRow(
    "emulator's cluster, during CreateSnapshot",
    rounds.map((r) => r.emulatorReads),
  );
  readsRow(
    'floor redis-server, during BGSAVE + copy',
    rounds.map((r) => r.floorReads),
  );
  out.log();
  const kept = rounds.every((r) => r.emulatorReads.answered > 0 && r.emulatorReads.failed === 0);
  const worstGap = Math.max(...rounds.map((r) => r.emulatorReads.longestGapMs));
  out.log(`Target ≤ ${TARGET}× the floor:`);
  out.log();
  out.log(`- snapshot: ${ratios.snapshot.toFixed(2)}× the floor — ${ratios.snapshot <= TARGET ? 'met' : '**missed**'}`);
  out.log(`- restore: ${ratios.restore.toFixed(2)}× the floor — ${ratios.restore <= TARGET ? 'met' : '**missed**'}`);
  out.log(
    `- the cluster answered reads during every snapshot: ${kept ? 'yes' : '**no**'} (longest gap ${ms(worstGap)} ms)`,
  );
  writeSection(7, out.lines);
}

main(main_);
