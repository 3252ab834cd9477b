/**
 * What security-group enforcement costs a new connection (issue 13): two emulators on the same runtime, one started
 * `--security-groups enforce` and one `off`, each with a one-member replication group; many sequential connections
 * through an endpoint the emulator itself listens on (the group's reader endpoint on the process runtime, where the
 * node endpoint is the node's own; the node endpoint on docker), each one connect → PING answered → close. The two
 * emulators take turns connection by connection (the order flips every round), so a burst of other load on this
 * shared machine falls on both alike. Target: the p99 differs by < 100 µs. Writes section 8 of bench/RESULTS.md.
 * Run: `npm run build && npm run bench:connection-setup` (BENCH_CONNECTIONS=2000 per round and emulator,
 * BENCH_CONNECT_ROUNDS=6, BENCH_RUNTIMES=process,docker).
 */
import { connect } from 'node:net';
import { measureAdmissionCheck } from './admission-check.js';
import { loadavg } from 'node:os';
import {
  EmulatorProcess,
  Report,
  call,
  checkBuilt,
  cleanUpNodes,
  elements,
  machineCpu,
  main,
  median,
  oneMemberGroup,
  provenance,
  scratchDir,
  tag,
  waitUntilPings,
  writeSection,
} from './harness.js';

const RUNTIMES = (process.env.BENCH_RUNTIMES ?? 'process,docker').split(',') as Array<'docker' | 'process'>;
/** Sequential connections per round and emulator, and rounds. */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 2000);
const ROUNDS = Number(process.env.BENCH_CONNECT_ROUNDS ?? 6);
const TARGET_US = 100;
/** Calls of the check on its own, per side. */
const CHECK_CALLS = Number(process.env.BENCH_CHECK_CALLS ?? 1_000_000);

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
  const connectOnce = (enforcement: Enforcement) => {
    const { host, port } = targets.get(enforcement)!;
    return oneConnection(host, port);
  };
  // Untimed first connections through each (JIT, the first admission decision).
  for (let i = 0; i < Math.min(200, connections); i++) for (const e of ENFORCEMENTS) await connectOnce(e);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ENFORCEMENTS : [...ENFORCEMENTS].reverse();
    const answered = new Map<Enforcement, number[]>(ENFORCEMENTS.map((e) => [e, []]));
    for (let i = 0; i < connections; i++) {
      for (const enforcement of order) {
        const one = await connectOnce(enforcement);
        answered.get(enforcement)!.push(one.answered);
        times.get(enforcement)!.answered.push(one.answered);
        times.get(enforcement)!.closed.push(one.closed);
      }
    }
    for (const enforcement of ENFORCEMENTS) {
      const values = answered.get(enforcement)!;
      roundP99.get(enforcement)!.push(quantile(values, 0.99));
      console.log(
        `${runtime} connection setup round ${round + 1} ${enforcement}: p50 ${quantile(values, 0.5).toFixed(0)} µs, ` +
          `p99 ${quantile(values, 0.99).toFixed(0)} µs`,
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

async function main_(): Promise<void> {
  checkBuilt();
  const loadBefore = loadavg()[0];
  const machineBefore = machineCpu();
  const setups: ConnectionSetupResult[] = [];
  for (const runtime of RUNTIMES) setups.push(await measureConnectionSetup(runtime, CONNECTIONS, ROUNDS));
  const machineAfter = machineCpu();
  const busy = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
  const report = new Report();
  report.log('## 8. Connection setup: what security-group enforcement costs a new connection');
  report.log();
  for (const line of await provenance('npm run bench:connection-setup')) report.log(line);
  report.log();
  report.log(
    `Two emulators on the same runtime, one started \`--security-groups enforce\`, one \`off\`, each with a one-member ` +
      `replication group (cache.m5.large); ${CONNECTIONS} sequential connections per round and emulator through an ` +
      "endpoint the emulator listens on (the group's reader endpoint on the process runtime, where the node endpoint " +
      `is the node's own; the node endpoint on docker), ${ROUNDS} rounds; the two emulators take turns connection by ` +
      'connection (which goes first flips every round), after 200 untimed connections each. One connection: connect, ' +
      '`PING`, `+PONG`, `end()`, closed; timed from connect() to the answer and to the close. p50 / p99 over every ' +
      "connection of the rounds; p99 difference: enforce − off, and the median of each round's difference. " +
      "Everything shares the machine's cores: the client, both emulators, the node. The machine's load average " +
      `(1 min) was ${loadBefore.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end; its CPU was ` +
      `${(busy * 100).toFixed(0)} % busy meanwhile (all cores, other users' load included).`,
  );
  report.log();
  report.log(
    "| runtime | endpoint | security groups | connect → PONG p50 µs | p99 µs | connect → closed p50 µs | p99 µs | each round's p99 µs |",
  );
  report.log('|---|---|---|---|---|---|---|---|');
  const verdicts: string[] = [];
  const us = (value: number) => value.toFixed(0);
  for (const setup of setups) {
    for (const enforcement of ENFORCEMENTS) {
      const times = setup.times.get(enforcement)!;
      report.log(
        `| ${setup.runtime} | ${setup.endpoint} | ${enforcement} | ${us(quantile(times.answered, 0.5))} | ` +
          `${us(quantile(times.answered, 0.99))} | ${us(quantile(times.closed, 0.5))} | ${us(quantile(times.closed, 0.99))} | ` +
          `${setup.roundP99.get(enforcement)!.map(us).join(', ')} |`,
      );
    }
    const p99 = (e: Enforcement) => quantile(setup.times.get(e)!.answered, 0.99);
    const difference = p99('enforce') - p99('off');
    const perRound = median(setup.roundP99.get('enforce')!.map((value, i) => value - setup.roundP99.get('off')![i]));
    verdicts.push(
      `${setup.runtime}, ${setup.endpoint}: p99 enforce − off ${us(difference)} µs (median of the rounds' ` +
        `differences ${us(perRound)} µs) — ${difference < TARGET_US ? 'met' : '**missed**'}`,
    );
  }
  report.log();
  report.log(`Target: the connection-time check costs < ${TARGET_US} µs at p99:`);
  report.log();
  for (const verdict of verdicts) report.log(`- ${verdict}`);
  reportCheckAlone(report);
  writeSection(8, report.lines);
}

/** The check without the connection around it. */
function reportCheckAlone(report: Report): void {
  // Once untimed (JIT), then measured.
  measureAdmissionCheck(Math.min(CHECK_CALLS, 100_000));
  const times = measureAdmissionCheck(CHECK_CALLS);
  const ns = (values: Float64Array, p: number) => quantile([...values], p).toFixed(0);
  report.log();
  report.log(
    `The check alone: the closure an endpoint calls per connection (src/dataplane/endpoints.ts), ${CHECK_CALLS} calls ` +
      'per side in this process, admitted by a decision (enforce) and with none (off), taking turns call by call; ' +
      'each time includes reading the clock.',
  );
  report.log();
  report.log('| security groups | p50 ns | p99 ns | p99.9 ns | max ns |');
  report.log('|---|---|---|---|---|');
  for (const enforcement of ENFORCEMENTS) {
    const values = times.get(enforcement)!;
    report.log(
      `| ${enforcement} | ${ns(values, 0.5)} | ${ns(values, 0.99)} | ${ns(values, 0.999)} | ${ns(values, 1)} |`,
    );
  }
}

main(main_);
