/**
 * API benchmarks, side by side in one run (issue 5, benchmarks 1 and 4):
 *  1. DescribeCacheClusters over 100 clusters (runtime none) at concurrency 1 and 16, with one client, against
 *     elasticache-local, moto_server, Fastify returning elasticache-local's own answer (the framework floor), and
 *     a bare Node HTTP server returning it (the ceiling on this machine).
 * Updates section 1 of bench/RESULTS.md (or of $BENCH_RESULTS); other sections there are kept. Run: `npm run bench:api` (`npm run bench` runs every bench)
 * ($BENCH_CLI runs another build of the emulator, e.g. an older commit's dist/bundle/cli.js, for a before/after).
 *
 * Each cell also records the server's CPU time per request (user + system, all its threads, from /proc): on a
 * machine other work keeps busy, req/s swings with that work from one cell to the next, and once the client and
 * the server no longer each have a core of their own, throughput follows the sum of their CPU per request; the
 * server's CPU per request is the part a server controls, and it changes little with the machine's load.
 *
 * The load client is as cheap as a client can be, and the same for every server: it signs each distinct
 * request once (SigV4, valid for 15 minutes) and sends it again and again, and it counts the response's bytes
 * instead of decoding them. Signing every request and decoding every 150 KB answer cost the client more than
 * the bare server costs to answer, so the ceiling measured the client (the bench shows that old client against
 * the ceiling too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI,
  ROOT,
  agent,
  freePort,
  metadataOnlyArgs,
  post as signedPost,
  provenance,
  send,
  signedRequest as sign,
  waitUntilAnswers,
  writeSection,
} from './harness.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Rounds of every cell of section 1, servers taking turns; each cell shows its median round. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
interface Target {
  name: string;
  url: string;
  /** The server's process, whose CPU time is read from /proc. */
  pid?: number;
  stop(): void;
}

/** CPU time (user + system, every thread) a process has used so far, in ms; undefined where /proc cannot tell. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks
    // (USER_HZ, 100 on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function startEmulator(dataDir: string): Promise<Target> {
  const port = await freePort();
  const child = spawn(process.execPath, metadataOnlyArgs(CLI, dataDir, port), { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswers(url);
  return { name: 'elasticache-local', url, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

async function startMoto(): Promise<Target> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswers(url, 60_000);
  return { name: 'moto_server', url, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

/**
 * A server answering every request with the same bytes, read once, in its own process (bench/fixed-answer-server.mjs):
 * `bare` is the ceiling (Node's http module alone), `fastify` the framework floor (Fastify set up as the emulator's
 * app is). Each runs as a process of its own, as the emulator and moto do: in the load client's process a server
 * would skip the wake-ups between processes every request otherwise pays, and look twice as fast as it is.
 */
async function startFixedAnswer(mode: 'bare' | 'fastify', text: string, dir: string): Promise<Target> {
  const file = join(dir, `answer-${mode}.xml`);
  writeFileSync(file, text);
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'fixed-answer-server.mjs'), mode, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fixed-answer server (${mode}) exited with ${code}`)));
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  const name = mode === 'bare' ? 'bare node http (ceiling)' : 'fastify, same bytes (framework floor)';
  return { name, url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

async function createClusters(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const answer = await signedPost(
      url,
      `Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId=bench-${i}&Engine=redis&CacheNodeType=cache.t3.micro&NumCacheNodes=1`,
    );
    if (answer.status !== 200) throw new Error(`create failed on ${url}: ${answer.body.slice(0, 200)}`);
  }
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** The server's CPU time per request, in µs (when /proc tells it). */
  cpuUs?: number;
}

const DESCRIBE = 'Action=DescribeCacheClusters&Version=2015-02-02&MaxRecords=100';

/** Distinct requests the `distinct` client cycles through: more than the emulator keeps answers for. */
const DISTINCT_REQUESTS = 1000;

/**
 * `concurrency` workers send DescribeCacheClusters back to back for `seconds`. The `prepared` client signs once
 * and counts bytes; `distinct` does the same with 1000 requests made distinct by a parameter the API ignores, sent
 * in turn, so the emulator never finds a kept answer for one (ResponseMemo) and does the whole work every time;
 * `signing` is the client of the first figures (signs every request, decodes every answer), kept to show what the
 * client itself costs. Given the server's `pid`, its CPU time over the run is counted per request.
 */
async function load(
  url: string,
  concurrency: number,
  seconds: number,
  client: 'prepared' | 'distinct' | 'signing' = 'prepared',
  pid?: number,
): Promise<Load> {
  const prepared =
    client === 'distinct'
      ? await Promise.all(
          Array.from({ length: DISTINCT_REQUESTS }, (_, i) => sign(url, `${DESCRIBE}&BenchRequest=${i}`)),
        )
      : [await sign(url, DESCRIBE)];
  const expected = (await send(prepared[0], false)).bytes;
  let next = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      if (client !== 'signing') {
        const answer = await send(prepared[next++ % prepared.length], false);
        if (answer.status !== 200 || answer.bytes < expected * 0.9)
          throw new Error(`${url}: ${answer.status}, ${answer.bytes} bytes`);
      } else {
        const answer = await signedPost(url, DESCRIBE);
        if (answer.status !== 200) throw new Error(`${url}: ${answer.status}`);
      }
      latencies.push(performance.now() - started);
    }
  };
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuMs(pid);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const cpuUs =
    cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1000) / latencies.length : undefined;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), cpuUs };
}

async function main(): Promise<void> {
  const sections = new Map<number, string[]>();
  let lines: string[] = [];
  const log = (line = '') => {
    console.log(line);
    lines.push(line);
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'elasticache-local-bench-'));
  try {
    const emulator = await startEmulator(join(dataDir, 'api'));
    const moto = await startMoto();
    await createClusters(emulator.url, 100);
    await createClusters(moto.url, 100);
    const sample = await signedPost(emulator.url, DESCRIBE);
    const ceiling = await startFixedAnswer('bare', sample.body, dataDir);
    const floor = await startFixedAnswer('fastify', sample.body, dataDir);

    log('## 1. DescribeCacheClusters over 100 clusters (runtime none)');
    log();
    for (const line of await provenance(`npm run bench:api (BENCH_SECONDS=${SECONDS}, BENCH_ROUNDS=${ROUNDS})`))
      log(line);
    log();
    log(
      `${SECONDS} s per cell, after an untimed second of each server, ${ROUNDS} rounds with the servers taking turns, in one run; the answer is ${(sample.body.length / 1024).toFixed(0)} KB. One client for all ` +
        'the servers (keep-alive; each distinct request SigV4-signed once, then sent again and again; the ' +
        "answer's bytes counted, not decoded). Every server runs in a process of its own. The ceiling is a bare Node " +
        "HTTP server sending the emulator's answer, pre-encoded; the framework floor is Fastify doing the same. " +
        'The emulator is measured twice: polled with the same request, as a waiter or a refresh does (its kept ' +
        `answer is sent again while the clusters are unchanged), and with ${DISTINCT_REQUESTS} requests made distinct by a ` +
        'parameter the API ignores, sent in turn, so no kept answer is ever found and every call does the whole work. ' +
        "A server's CPU per request is the user and system time of its process over the cell (every thread, from " +
        '/proc) divided by the requests answered: unlike req/s it hardly moves with what else the machine runs, and ' +
        'once the client and the server share the CPUs (a busy or smaller machine) throughput follows the sum of ' +
        "the client's and the server's CPU per request.",
    );
    log();
    log(
      `| server | concurrency | req/s, median of ${ROUNDS} (min–max) | p50 ms, median | p99 ms, median (each round) | server CPU µs per request, median |`,
    );
    log('|---|---|---|---|---|---|');
    // The servers take turns, round after round, so a noisy moment on this shared machine hits one round of
    // every server rather than every round of one; each cell shows its median round (by req/s).
    const DISTINCT = 'elasticache-local, every request distinct';
    const rows: { name: string; url: string; pid?: number; client: 'prepared' | 'distinct' }[] = [
      { name: emulator.name, url: emulator.url, pid: emulator.pid, client: 'prepared' },
      { name: DISTINCT, url: emulator.url, pid: emulator.pid, client: 'distinct' },
      ...[moto, floor, ceiling].map((target) => ({
        name: target.name,
        url: target.url,
        pid: target.pid,
        client: 'prepared' as const,
      })),
    ];
    // One untimed second of each, first: JIT and connections warm, the first round measures what the others do.
    for (const row of rows) await load(row.url, 1, 1, row.client);
    const rounds = new Map<string, Load[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const concurrency of [1, 16]) {
        for (const row of rows) {
          const key = `${row.name}|${concurrency}`;
          rounds.set(key, [...(rounds.get(key) ?? []), await load(row.url, concurrency, SECONDS, row.client, row.pid)]);
        }
      }
    }
    const results: Record<string, Record<number, Load>> = {};
    for (const row of rows) {
      results[row.name] = {};
      for (const concurrency of [1, 16]) {
        const measured = rounds.get(`${row.name}|${concurrency}`)!;
        // Each figure is its own median over the rounds: one slow moment on the machine moves one round's p99 a lot.
        const median = (pick: (load: Load) => number) =>
          measured.map(pick).sort((a, b) => a - b)[Math.floor(measured.length / 2)];
        const cpuKnown = measured.every((l) => l.cpuUs !== undefined);
        const result: Load = {
          rps: median((l) => l.rps),
          p50: median((l) => l.p50),
          p99: median((l) => l.p99),
          cpuUs: cpuKnown ? median((l) => l.cpuUs!) : undefined,
        };
        results[row.name][concurrency] = result;
        const byRps = measured.map((l) => l.rps).sort((a, b) => a - b);
        const spread = byRps.length > 1 ? ` (${byRps[0].toFixed(0)}–${byRps[byRps.length - 1].toFixed(0)})` : '';
        const p99s = measured.map((l) => l.p99.toFixed(2)).join(', ');
        const cpu = result.cpuUs === undefined ? '–' : result.cpuUs.toFixed(0);
        log(
          `| ${row.name} | ${concurrency} | ${result.rps.toFixed(0)}${spread} | ${result.p50.toFixed(2)} | ${result.p99.toFixed(2)} (${p99s}) | ${cpu} |`,
        );
      }
    }
    log();
    const motoRps = results.moto_server;
    const top = results[ceiling.name];
    const framework = results[floor.name];
    for (const concurrency of [1, 16]) {
      const ratio = (a: Load, b: Load, digits: number) => (a.rps / b.rps).toFixed(digits);
      for (const name of [emulator.name, DISTINCT]) {
        const ours = results[name];
        log(
          `- concurrency ${concurrency}, ${name === DISTINCT ? 'every request distinct' : 'polled'}: elasticache-local / moto = **${ratio(ours[concurrency], motoRps[concurrency], 0)}×**, ` +
            `/ ceiling = **${ratio(ours[concurrency], top[concurrency], 2)}**, ` +
            `/ framework floor = **${ratio(ours[concurrency], framework[concurrency], 2)}**`,
        );
      }
      log(
        `- concurrency ${concurrency}: ceiling / moto = ${ratio(top[concurrency], motoRps[concurrency], 0)}×, ` +
          `framework floor / moto = ${ratio(framework[concurrency], motoRps[concurrency], 0)}× (the most a bare or a Fastify server can show against moto here)`,
      );
      const cpuOf = (name: string) => results[name][concurrency].cpuUs;
      const ceilingCpu = cpuOf(ceiling.name);
      if (
        ceilingCpu !== undefined &&
        [emulator.name, DISTINCT, floor.name].every((name) => cpuOf(name) !== undefined)
      ) {
        const share = (name: string) => (ceilingCpu / cpuOf(name)!).toFixed(2);
        log(
          `- concurrency ${concurrency}, server CPU per request, the ceiling's / the server's (1: as cheap as a bare server): ` +
            `elasticache-local polled **${share(emulator.name)}**, every request distinct **${share(DISTINCT)}**, framework floor ${share(floor.name)}`,
        );
      }
    }
    log();
    log(
      "What the client costs: the first figures' client (SigV4 signing of every request, every answer decoded to text) against the same ceiling.",
    );
    log();
    log('| client | concurrency | ceiling req/s | p50 ms | p99 ms |');
    log('|---|---|---|---|---|');
    for (const concurrency of [1, 16]) {
      const slow = await load(ceiling.url, concurrency, SECONDS, 'signing');
      log(
        `| signing + decoding | ${concurrency} | ${slow.rps.toFixed(0)} | ${slow.p50.toFixed(2)} | ${slow.p99.toFixed(2)} |`,
      );
      const fast = top[concurrency];
      log(
        `| signed once, bytes counted | ${concurrency} | ${fast.rps.toFixed(0)} | ${fast.p50.toFixed(2)} | ${fast.p99.toFixed(2)} |`,
      );
    }
    sections.set(1, lines);
    lines = [];
    emulator.stop();
    moto.stop();
    floor.stop();
    ceiling.stop();

    // Section 4 (cold start) is bench/cold-start.ts's: it measures the Fastify floor and the installed package too.
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    agent.destroy();
  }

  const results = process.env.BENCH_RESULTS ?? join(ROOT, 'bench', 'RESULTS.md');
  for (const [number, lines] of sections) writeSection(number, lines, results);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
