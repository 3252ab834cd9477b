/**
 * API benchmarks, side by side in one run (issue 5, benchmarks 1 and 4):
 *  1. DescribeCacheClusters over 100 clusters (runtime none) at concurrency 1 and 16, with one signing client,
 *     against elasticache-local, moto_server, and a bare Node HTTP server that returns elasticache-local's own
 *     response body (the ceiling on this machine).
 *  4. Cold start: process start to the first answered API request, with an empty data dir and with 200 clusters.
 * Writes bench/RESULTS.md. Run: `npm run bench`.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const signer = new SignatureV4({
  service: 'elasticache',
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  sha256: Hash.bind(null, 'sha256') as any,
});

interface Target {
  name: string;
  url: string;
  stop(): void;
}

async function signedPost(url: string, body: string): Promise<{ status: number; body: string }> {
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
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, method: 'POST', path: '/', headers: signed.headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswers(url: string, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      const answer = await signedPost(url, 'Action=DescribeCacheClusters&Version=2015-02-02');
      if (answer.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

async function startEmulator(dataDir: string): Promise<Target & { startMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), '--port', String(port), '--data-dir', dataDir, '--runtime', 'none', '--log-level', 'warn'], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswers(url);
  return { name: 'elasticache-local', url, startMs: performance.now() - started, stop: () => child.kill('SIGKILL') };
}

async function startMoto(): Promise<Target> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswers(url, 60_000);
  return { name: 'moto_server', url, stop: () => child.kill('SIGKILL') };
}

async function startCeiling(body: string): Promise<Target> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': 'x' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return { name: 'bare node http (ceiling)', url: `http://127.0.0.1:${port}`, stop: () => server.close() };
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
}

async function load(url: string, concurrency: number, seconds: number): Promise<Load> {
  const body = 'Action=DescribeCacheClusters&Version=2015-02-02&MaxRecords=100';
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const answer = await signedPost(url, body);
      if (answer.status !== 200) throw new Error(`${url}: ${answer.status}`);
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  const lines: string[] = [];
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
    const sample = await signedPost(emulator.url, 'Action=DescribeCacheClusters&Version=2015-02-02&MaxRecords=100');
    const ceiling = await startCeiling(sample.body);

    log('## 1. DescribeCacheClusters over 100 clusters (runtime none)');
    log();
    log(`${SECONDS} s per cell, one SigV4-signing client (keep-alive), side by side in one run.`);
    log();
    log('| server | concurrency | req/s | p50 ms | p99 ms |');
    log('|---|---|---|---|---|');
    const results: Record<string, Record<number, Load>> = {};
    for (const target of [emulator, moto, ceiling]) {
      results[target.name] = {};
      for (const concurrency of [1, 16]) {
        const result = await load(target.url, concurrency, SECONDS);
        results[target.name][concurrency] = result;
        log(`| ${target.name} | ${concurrency} | ${result.rps.toFixed(0)} | ${result.p50.toFixed(2)} | ${result.p99.toFixed(2)} |`);
      }
    }
    log();
    for (const concurrency of [1, 16]) {
      const ours = results['elasticache-local'][concurrency].rps;
      log(
        `- concurrency ${concurrency}: elasticache-local / moto = **${(ours / results.moto_server[concurrency].rps).toFixed(0)}×**, ` +
          `elasticache-local / ceiling = **${(ours / results['bare node http (ceiling)'][concurrency].rps).toFixed(2)}**`,
      );
    }
    emulator.stop();
    moto.stop();
    ceiling.stop();

    log();
    log('## 4. Cold start: process start to the first answered DescribeCacheClusters');
    log();
    const empty = await startEmulator(join(dataDir, 'cold-empty'));
    empty.stop();
    const seeded = await startEmulator(join(dataDir, 'cold-200'));
    await createClusters(seeded.url, 200);
    seeded.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const restarted = await startEmulator(join(dataDir, 'cold-200'));
    restarted.stop();
    log('| data dir | ms |');
    log('|---|---|');
    log(`| empty | ${empty.startMs.toFixed(0)} |`);
    log(`| 200 clusters | ${restarted.startMs.toFixed(0)} |`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    agent.destroy();
  }

  const header = [
    '# Benchmark results',
    '',
    `Command: \`npm run bench\` (BENCH_SECONDS=${SECONDS}). Date: ${new Date().toISOString()}.`,
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    'Absolute figures vary between runs on this shared machine; the ratios, measured side by side, much less.',
    '',
  ];
  writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), [...header, ...lines, ''].join('\n'));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
