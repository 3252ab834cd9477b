/**
 * The load generators of bench/data-path.ts, one per engine, each run the same way on every path it compares:
 * redis-benchmark (SET and GET; `--tls --cacert` for encrypted nodes, `--cluster` for cluster mode), and for
 * memcached a small generator over net sockets of this process, shaped like redis-benchmark (N connections, one
 * key, 3-byte values, a SET run then a GET run, an optional pipeline depth), because no memtier_benchmark is
 * installed here.
 */
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TESTS = ['SET', 'GET'] as const;
export type TestName = (typeof TESTS)[number];

export interface Sample {
  rps: number;
  /** ms */
  p50: number;
  p99: number;
}

export type Samples = Record<TestName, Sample>;

export interface Load {
  clients: number;
  /** Per test (SET, then GET). */
  requests: number;
  pipeline: number;
}

/** Where one run goes and how its client speaks there. */
export interface LoadTarget {
  host: string;
  port: number;
  tool: 'redis-benchmark' | 'memcached';
  /** redis-benchmark --tls, verifying with this CA file. */
  caPath?: string;
  /** redis-benchmark --cluster: the target is only where the topology is learnt. */
  cluster?: boolean;
}

export function runLoad(target: LoadTarget, load: Load): Promise<Samples> {
  return target.tool === 'memcached' ? memcachedLoad(target, load) : redisBenchmark(target, load);
}

/** One redis-benchmark run: SET and GET, their throughput and latency percentiles (from its CSV). */
async function redisBenchmark(target: LoadTarget, load: Load): Promise<Samples> {
  const args = ['-h', target.host, '-p', String(target.port), '-t', 'set,get'];
  args.push('-c', String(load.clients), '-n', String(load.requests), '-P', String(load.pipeline), '--csv');
  if (target.caPath) args.push('--tls', '--cacert', target.caPath);
  if (target.cluster) args.push('--cluster');
  const { stdout } = await run('redis-benchmark', args, { timeout: 300_000 });
  const result: Partial<Samples> = {};
  for (const line of stdout.split('\n')) {
    const fields = line.split(',').map((f) => f.replace(/"/g, ''));
    if (!TESTS.includes(fields[0] as TestName)) continue;
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    result[fields[0] as TestName] = { rps: Number(fields[1]), p50: Number(fields[4]), p99: Number(fields[6]) };
  }
  if (!result.SET || !result.GET)
    throw new Error(`redis-benchmark ${args.join(' ')}: no result in ${stdout.slice(0, 300)}`);
  return result as Samples;
}

export async function redisBenchmarkVersion(): Promise<string> {
  return (await run('redis-benchmark', ['--version'])).stdout.trim().split(' ')[1];
}

// ---- memcached --------------------------------------------------------------------------------------------------

const KEY = 'key:000000000000';
const REQUESTS: Record<TestName, { request: string; answered: string }> = {
  SET: { request: `set ${KEY} 0 0 3\r\nxxx\r\n`, answered: 'STORED\r\n' },
  GET: { request: `get ${KEY}\r\n`, answered: 'END\r\n' },
};

async function memcachedLoad(target: LoadTarget, load: Load): Promise<Samples> {
  return { SET: await memcachedTest(target, load, 'SET'), GET: await memcachedTest(target, load, 'GET') };
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/**
 * One test: every connection sends a batch of `pipeline` requests, waits for all their answers, sends the next,
 * until the run's requests are sent. A batch's round trip is each of its requests' latency (as redis-benchmark
 * counts a pipeline's). The clock starts once every connection is open.
 */
async function memcachedTest(target: LoadTarget, load: Load, test: TestName): Promise<Sample> {
  const { request, answered } = REQUESTS[test];
  const batch = Buffer.from(request.repeat(load.pipeline), 'latin1');
  const batches = Math.ceil(load.requests / load.pipeline);
  const latencies = new Float64Array(batches);
  let sent = 0;
  let done = 0;
  const sockets = await Promise.all(Array.from({ length: load.clients }, () => open(target.host, target.port)));
  const started = performance.now();
  try {
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve, reject) => {
            // Answers are counted by their last line; the tail of a chunk is kept, as a line may span two chunks.
            let tail = '';
            let waiting = 0;
            let batchStarted = 0;
            const next = () => {
              if (sent >= batches) return resolve();
              sent++;
              waiting = load.pipeline;
              batchStarted = performance.now();
              socket.write(batch);
            };
            socket.on('error', reject);
            socket.on('close', () => reject(new Error(`${target.host}:${target.port} closed the connection`)));
            socket.on('data', (chunk: Buffer) => {
              const text = tail + chunk.toString('latin1');
              if (text.includes('ERROR')) return reject(new Error(`${target.host}:${target.port}: ${text.trim()}`));
              for (let at = text.indexOf(answered); at >= 0; at = text.indexOf(answered, at + answered.length))
                waiting--;
              tail = text.slice(-(answered.length - 1));
              if (waiting > 0) return;
              if (waiting < 0) return reject(new Error(`${target.host}:${target.port}: more answers than requests`));
              latencies[done++] = performance.now() - batchStarted;
              next();
            });
            next();
          }),
      ),
    );
  } finally {
    for (const socket of sockets) {
      socket.removeAllListeners('close');
      socket.destroy();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies.subarray(0, done)].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  return { rps: (done * load.pipeline) / seconds, p50: at(0.5), p99: at(0.99) };
}
