/**
 * What security-group enforcement costs a new connection (issue 13), for bench/data-path.ts: two emulators on the
 * same runtime, one started `--security-groups enforce` and one `off`, each with a one-member replication group;
 * many sequential connections through an endpoint the emulator itself listens on (the group's reader endpoint on
 * the process runtime, where the node endpoint is the node's own; the node endpoint on docker), each one connect →
 * PING answered → close, the two emulators taking turns round by round.
 */
import { connect } from 'node:net';
import {
  EmulatorProcess,
  call,
  cleanUpNodes,
  elements,
  oneMemberGroup,
  scratchDir,
  tag,
  waitUntilPings,
} from './harness.js';

export type Enforcement = 'enforce' | 'off';
export const ENFORCEMENTS: Enforcement[] = ['enforce', 'off'];

export interface ConnectionTimes {
  /** µs from connect() to +PONG, one per connection. */
  answered: number[];
  /** µs from connect() to the socket closed after the client's end(). */
  closed: number[];
}

export interface ConnectionSetupResult {
  runtime: 'docker' | 'process';
  endpoint: string;
  connections: number;
  rounds: number;
  /** enforcement → every connection of every round */
  times: Map<Enforcement, ConnectionTimes>;
  /** enforcement → each round's p99 of connect → PONG, µs */
  roundP99: Map<Enforcement, number[]>;
}

/** The p-th quantile (0–1) of the values, nearest rank. */
export function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

/** One connection: connect, PING, +PONG, end, closed. */
function oneConnection(host: string, port: number): Promise<{ answered: number; closed: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect({ host, port, noDelay: true });
    let answered: number | undefined;
    let reply = '';
    const micros = () => Number(process.hrtime.bigint() - started) / 1000;
    socket.setTimeout(5000, () => socket.destroy(new Error(`${host}:${port}: no answer within 5 s`)));
    socket.on('error', reject);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (answered === undefined && reply.includes('\r\n')) {
        if (!reply.startsWith('+PONG')) return socket.destroy(new Error(`${host}:${port} answered ${reply.trim()}`));
        answered = micros();
        socket.end();
      }
    });
    socket.on('close', () => {
      if (answered === undefined) return reject(new Error(`${host}:${port} closed without answering`));
      resolve({ answered, closed: micros() });
    });
  });
}

/** An emulator with the given enforcement and a one-member group; the endpoint measured through it. */
async function prepare(
  runtime: 'docker' | 'process',
  enforcement: Enforcement,
): Promise<{ emulator: EmulatorProcess; host: string; port: number }> {
  const dataDir = scratchDir(`connection-setup-${runtime}-${enforcement}`);
  const { emulator } = await EmulatorProcess.start({
    runtime,
    dataDir,
    logLevel: 'warn',
    extraArgs: ['--security-groups', enforcement],
  });
  cleanUpNodes({ dataDir, network: runtime === 'docker' ? emulator.options.network : undefined });
  const id = 'cs';
  const group = await oneMemberGroup(emulator.url, id, 'connection setup');
  let endpoint: string;
  if (runtime === 'process') {
    endpoint = elements(group, 'ReaderEndpoint')[0];
  } else {
    const member = tag(group, 'ClusterId') ?? `${id}-001`;
    const cluster = await call(emulator.url, 'DescribeCacheClusters', {
      CacheClusterId: member,
      ShowCacheNodeInfo: true,
    });
    endpoint = elements(cluster, 'Endpoint')[0];
  }
  const host = tag(endpoint, 'Address')!;
  const port = Number(tag(endpoint, 'Port'));
  await waitUntilPings(host, port);
  return { emulator, host, port };
}

export async function measureConnectionSetup(
  runtime: 'docker' | 'process',
  connections: number,
  rounds: number,
): Promise<ConnectionSetupResult> {
  const targets = new Map<Enforcement, { emulator: EmulatorProcess; host: string; port: number }>();
  for (const enforcement of ENFORCEMENTS) targets.set(enforcement, await prepare(runtime, enforcement));
  const times = new Map<Enforcement, ConnectionTimes>(ENFORCEMENTS.map((e) => [e, { answered: [], closed: [] }]));
  const roundP99 = new Map<Enforcement, number[]>(ENFORCEMENTS.map((e) => [e, []]));
  const series = async (enforcement: Enforcement, count: number, into?: ConnectionTimes) => {
    const { host, port } = targets.get(enforcement)!;
    const answered: number[] = [];
    for (let i = 0; i < count; i++) {
      const one = await oneConnection(host, port);
      answered.push(one.answered);
      into?.answered.push(one.answered);
      into?.closed.push(one.closed);
    }
    return answered;
  };
  // Untimed first connections through each (JIT, the first admission decision).
  for (const enforcement of ENFORCEMENTS) await series(enforcement, Math.min(200, connections));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ENFORCEMENTS : [...ENFORCEMENTS].reverse();
    for (const enforcement of order) {
      const answered = await series(enforcement, connections, times.get(enforcement));
      roundP99.get(enforcement)!.push(quantile(answered, 0.99));
      console.log(
        `${runtime} connection setup round ${round + 1} ${enforcement}: p50 ${quantile(answered, 0.5).toFixed(0)} µs, ` +
          `p99 ${quantile(answered, 0.99).toFixed(0)} µs`,
      );
    }
  }
  for (const { emulator } of targets.values()) await emulator.stop();
  return {
    runtime,
    endpoint: runtime === 'process' ? 'reader endpoint' : 'node endpoint',
    connections,
    rounds,
    times,
    roundP99,
  };
}
