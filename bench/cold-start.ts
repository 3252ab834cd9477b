/**
 * Cold start (issue 16, bench §4): process spawn to the first answered DescribeCacheClusters, in one run with
 * rotating rounds, for a bare Fastify server (bench/fixed-answer-server.mjs, the floor), `node dist/bundle/cli.js`
 * (runtime none, an empty data dir and one holding 200 clusters), tsc's unbundled output of the same sources and the packed tarball installed in a temp folder
 * (`npm pack`, then `npm install` of the tarball; BENCH_INSTALLED=<dir> reuses such a folder). Each cell is its
 * median round; ratios are against the Fastify floor. Updates section 4 of bench/RESULTS.md.
 * Run: `npx tsx bench/cold-start.ts` (BENCH_ROUNDS, default 7).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import {
  CLI,
  ROOT,
  UNBUNDLED_CLI,
  checkBuilt,
  freePort,
  main,
  median,
  metadataOnlyArgs,
  provenance,
  scratchDir,
  sleep,
  writeSection,
} from './harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

/** One unsigned POST: lenient auth answers it, and the Fastify floor answers anything. */
function answered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode === 200));
      },
    );
    request.on('error', () => resolve(false));
    request.end('Action=DescribeCacheClusters&Version=2015-02-02');
  });
}

/** Spawns a server and times it to its first answer; `portOf` reads the port from its stdout when it picks one. */
async function timeToAnswer(
  args: (port: number) => string[],
  readsPort = false,
): Promise<{ ms: number; port: number; stop: () => void }> {
  let port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args(port), { stdio: ['ignore', 'pipe', 'inherit'] });
  if (readsPort)
    port = await new Promise<number>((resolve) =>
      child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
  else child.stdout!.resume();
  for (const deadline = started + 30_000; !(await answered(port)); await sleep(2))
    if (performance.now() > deadline) throw new Error(`${args(port).join(' ')} did not answer`);
  return { ms: performance.now() - started, port, stop: () => child.kill('SIGKILL') };
}

/** The packed tarball installed in a temp folder, as a user would install it; returns its CLI. */
function installedCli(): string {
  const reuse = process.env.BENCH_INSTALLED;
  const dir = reuse ?? scratchDir('installed');
  const cli = join(dir, 'node_modules', 'elasticache-local', 'dist', 'bundle', 'cli.js');
  if (reuse && existsSync(cli)) return cli;
  const packed = execFileSync('npm', ['pack', '--pack-destination', dir, '--ignore-scripts'], { cwd: ROOT })
    .toString()
    .trim()
    .split('\n')
    .pop()!;
  writeFileSync(join(dir, 'package.json'), '{"name":"cold-start-bench","private":true}');
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${packed}`], {
    cwd: dir,
    stdio: 'inherit',
  });
  return cli;
}

const emulatorArgs = (cli: string, dataDir: string) => (port: number) => metadataOnlyArgs(cli, dataDir, port);

main(async () => {
  checkBuilt();
  const scratch = scratchDir('cold-start');
  const answer = join(scratch, 'answer.xml');
  writeFileSync(answer, '<DescribeCacheClustersResponse/>');
  const installed = installedCli();
  // The seeded data dir: 200 clusters made once, then every round restarts on it.
  const seeded = join(scratch, 'seeded');
  const seeding = await timeToAnswer(emulatorArgs(CLI, seeded));
  for (let i = 0; i < 200; i++) {
    await fetch(`http://127.0.0.1:${seeding.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId=c-${i}&Engine=redis&CacheNodeType=cache.t3.micro`,
    });
  }
  seeding.stop();

  const cells: Record<string, () => Promise<{ ms: number; stop: () => void }>> = {
    'fastify, fixed answer (floor)': () =>
      timeToAnswer(() => [join(ROOT, 'bench', 'fixed-answer-server.mjs'), 'fastify', answer], true),
    'node dist/bundle/cli.js, empty data dir': () =>
      timeToAnswer(emulatorArgs(CLI, mkdtempSync(join(scratch, 'empty-')))),
    'node dist/bundle/cli.js, 200 clusters': () => timeToAnswer(emulatorArgs(CLI, seeded)),
    'node dist/src/cli.js (unbundled), empty data dir': () =>
      timeToAnswer(emulatorArgs(UNBUNDLED_CLI, mkdtempSync(join(scratch, 'unbundled-')))),
    'installed package, empty data dir': () =>
      timeToAnswer(emulatorArgs(installed, mkdtempSync(join(scratch, 'inst-')))),
  };
  const times = new Map<string, number[]>(Object.keys(cells).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotating order: no cell always runs first (or right after the same neighbour) on a busy machine.
    const names = Object.keys(cells);
    for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
      const run = await cells[name]();
      run.stop();
      times.get(name)!.push(run.ms);
      await sleep(100);
    }
  }
  const floor = median(times.get('fastify, fixed answer (floor)')!);
  const lines = [
    '## 4. Cold start: process start to the first answered DescribeCacheClusters',
    '',
    ...(await provenance(`npx tsx bench/cold-start.ts (BENCH_ROUNDS=${ROUNDS})`)),
    '',
    "Spawn to the first answered request, runtime none, median of rotating rounds (all rounds in brackets). The floor is a bare Fastify server set up as the emulator's app is, answering fixed bytes; the installed package is `npm pack` installed in a temp folder.",
    '',
    '| server | ms | / floor | rounds |',
    '|---|---|---|---|',
    ...[...times].map(
      ([name, values]) =>
        `| ${name} | ${median(values).toFixed(0)} | ${(median(values) / floor).toFixed(2)} | ${values.map((v) => v.toFixed(0)).join(', ')} |`,
    ),
  ];
  console.log(lines.join('\n'));
  writeSection(4, lines, process.env.BENCH_RESULTS ?? join(ROOT, 'bench', 'RESULTS.md'));
});
