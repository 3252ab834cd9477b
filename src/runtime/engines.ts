/**
 * How each engine is started and asked whether it is up: the command line for a node spec, and the readiness
 * probe (redis/valkey: PING, memcached: a binary-protocol VERSION, which a SASL node answers before authentication). A redis / valkey node's credentials and restricted commands are
 * not on its command line: they are in its private config file (node-access.ts), whose path comes first.
 */
import { statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { dirname, join } from 'node:path';
import type { NodeSpec } from './runtime.js';

/** The file a redis / valkey node saves its data to and loads it from at start (the engine's own default name). */
export const RDB_FILE = 'dump.rdb';

/** Memcached settings that map to command-line flags (AWS parameter name → flag). */
const MEMCACHED_FLAGS: Record<string, (value: string) => string[]> = {
  max_simultaneous_connections: (v) => ['-c', v],
  max_item_size: (v) => ['-I', v],
  chunk_size_growth_factor: (v) => ['-f', v],
  chunk_size: (v) => ['-n', v],
  cas_disabled: (v) => (v === '1' || v === 'true' ? ['-C'] : []),
  disable_flush_all: (v) => (v === '1' || v === 'true' ? ['-F'] : []),
  backlog_queue_limit: (v) => ['-b', v],
  binding_protocol: (v) => ['-B', v],
  num_threads: (v) => ['-t', v],
};

/** A TLS node's certificate, key and CA files: beside its config file, as private as it. */
export function tlsFiles(configFile: string): { certificate: string; key: string; authority: string } {
  const dir = dirname(configFile);
  return { certificate: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), authority: join(dir, 'ca.crt') };
}

/** Where the engine listens: the cluster's port on all interfaces in a container, a free loopback port as a process. */
export interface Listen {
  /** A TLS node's TLS port. */
  port: number;
  /** A TLS node that also takes plain connections (preferred mode): where it does. */
  plainPort?: number;
  /** One address, or several separated by spaces. */
  bind: string;
  /** Cluster nodes: the bus port, when it cannot be port + 10000. */
  busPort?: number;
  /** Cluster nodes: the address other nodes use, when it is not the one they see (a process behind its endpoint). */
  announceIp?: string;
  /** Cluster nodes: the bus port other nodes use, when it is not busPort (a forward the emulator owns). */
  announceBusPort?: number;
  /**
   * Cluster nodes: the client port they announce, when it is not their endpoint's (a container announces a forward
   * of the emulator's on an address the node network and the clients share: docker-cluster-announce.ts).
   */
  announcePort?: number;
  /**
   * The address the node's own connections (cluster bus, replication) come from, when the kernel would pick another
   * (127.0.0.1 for any loopback destination): endpoints then tell a node of the group from a client on the host.
   */
  sourceAddress?: string;
  /**
   * The address a replica gives its primary, when the one its connections come from is not where it listens (a
   * process on its own loopback address connects from 127.0.0.1): FAILOVER and INFO then name the right node.
   */
  replicaAnnounceIp?: string;
  /** The port a replica gives its primary, when clients do not reach it on the one it listens on. */
  replicaAnnouncePort?: number;
  /** The most connections the process may take (its file descriptor limit allows no more). */
  maxConnections?: number;
}

/** A cluster node's bus port: its port + 10000, as Redis takes by default, or - 10000 where that would not fit. */
export const busPortOf = (port: number): number => (port + 10000 > 65535 ? port - 10000 : port + 10000);

const capped = (value: string, max: number | undefined) =>
  max !== undefined && Number(value) > max ? String(max) : value;

export function memcachedCommand(spec: NodeSpec, listen: Listen, configFile: string): string[] {
  const memoryMb = spec.parameters.max_cache_memory ?? String(Math.max(16, Math.floor(spec.maxMemoryBytes / 2 ** 20)));
  const args = ['-p', String(listen.port), '-l', listen.bind, '-U', '0', '-m', memoryMb];
  // memcached refuses to run as root without a user to switch to.
  if (process.getuid?.() === 0 || listen.bind === '0.0.0.0') args.push('-u', 'nobody');
  // SASL takes the binary protocol alone (memcached refuses to start with -S and ASCII allowed).
  if (spec.sasl) args.push('-S');
  for (const [name, value] of Object.entries(spec.parameters)) {
    const flag = MEMCACHED_FLAGS[name];
    if (flag && !(spec.sasl && name === 'binding_protocol'))
      args.push(...flag(name === 'max_simultaneous_connections' ? capped(value, listen.maxConnections) : value));
  }
  if (spec.tls) {
    const files = tlsFiles(configFile);
    args.push('-Z', '-o', `ssl_chain_cert=${files.certificate},ssl_key=${files.key}`);
  }
  return args;
}

export function redisCommand(spec: NodeSpec, listen: Listen, configFile: string): string[] {
  // Flags and their values side by side, as on a command line.
  // prettier-ignore
  const args = [
    configFile,
    ...(spec.tls ? tlsArguments(spec, listen, configFile) : ['--port', String(listen.port)]),
    '--bind', ...listen.bind.split(' '),
    '--protected-mode', 'no',
    '--save', '',
    '--appendonly', 'no',
    '--dir', spec.dataDir ?? '/data',
    '--maxmemory', String(spec.maxMemoryBytes),
    // A new replica syncs at once: Redis would otherwise wait 5 s for more replicas to share the transfer.
    '--repl-diskless-sync-delay', '0',
  ];
  if (listen.maxConnections !== undefined) args.push('--maxclients', String(listen.maxConnections));
  if (listen.replicaAnnounceIp) args.push('--replica-announce-ip', listen.replicaAnnounceIp);
  if (listen.replicaAnnouncePort) args.push('--replica-announce-port', String(listen.replicaAnnouncePort));
  if (listen.sourceAddress) args.push('--bind-source-addr', listen.sourceAddress);
  if (spec.cluster) {
    // prettier-ignore
    args.push(
      '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf',
      // As on ElastiCache, the service fails shards over, not the nodes among themselves: the emulator promotes a
      // replica of a dead primary itself within seconds. Nodes keep a short timeout, since a new primary refuses
      // writes for that long (at most 5 s) after it joins.
      '--cluster-node-timeout', '2000',
      '--cluster-replica-no-failover', 'yes',
      '--cluster-require-full-coverage', 'no',
      // Clients on the host follow CLUSTER SLOTS and MOVED to the node's endpoint, not to its internal address.
      '--cluster-announce-hostname', spec.cluster.announceHost,
      '--cluster-preferred-endpoint-type', 'hostname',
    );
    if (listen.announceIp) {
      args.push('--cluster-announce-ip', listen.announceIp);
      if (!spec.tls) args.push('--cluster-announce-port', String(listen.announcePort ?? spec.cluster.announcePort));
    }
    const busPort = listen.busPort ?? (listen.port + 10000 > 65535 ? busPortOf(listen.port) : undefined);
    if (busPort !== undefined)
      args.push(
        '--cluster-port',
        String(busPort),
        '--cluster-announce-bus-port',
        String(listen.announceBusPort ?? busPort),
      );
  }
  return args;
}

/**
 * A TLS node: TLS on the main port, plain connections on plainPort or none; replicas, MIGRATE and the cluster bus
 * speak TLS too, verified against the emulator's CA. Clients present no certificate, as on ElastiCache.
 */
function tlsArguments(spec: NodeSpec, listen: Listen, configFile: string): string[] {
  const files = tlsFiles(configFile);
  // prettier-ignore
  const args = [
    '--port', String(listen.plainPort ?? 0),
    '--tls-port', String(listen.port),
    '--tls-cert-file', files.certificate,
    '--tls-key-file', files.key,
    '--tls-ca-cert-file', files.authority,
    '--tls-auth-clients', 'no',
    '--tls-replication', 'yes',
  ];
  if (spec.cluster) {
    // Redirects name the endpoint whichever way a client came: it takes TLS and (preferred) plain on one port.
    const port = String(listen.announcePort ?? spec.cluster.announcePort);
    args.push('--tls-cluster', 'yes', '--cluster-announce-tls-port', port, '--cluster-announce-port', port);
  }
  return args;
}

export function engineBinary(engine: NodeSpec['engine']): string {
  return engine === 'memcached' ? 'memcached' : engine === 'valkey' ? 'valkey-server' : 'redis-server';
}

/** The engine's arguments; a redis / valkey node's begin with the path of its config file (nodeConfigFile). */
export function engineCommand(spec: NodeSpec, listen: Listen, configFile: string): string[] {
  return spec.engine === 'memcached'
    ? memcachedCommand(spec, listen, configFile)
    : redisCommand(spec, listen, configFile);
}

/** What a TLS probe trusts: the emulator's CA (a node's address is not always in its certificate). */
export interface ProbeTls {
  authority: string;
}

/** memcached's binary VERSION request: a header with the request magic and opcode 0x0b, no body. */
const BINARY_VERSION_REQUEST = Buffer.from([0x80, 0x0b, ...new Array<number>(22).fill(0)]);
const BINARY_RESPONSE_MAGIC = 0x81;

/**
 * One request/answer on a fresh connection: true when the engine answers like a live server. A memcached node is
 * asked in the binary protocol, which a SASL node answers before authentication; one that takes ASCII alone
 * (binding_protocol ascii) hangs up on it, and is asked again in ASCII.
 */
export async function probe(
  engine: NodeSpec['engine'],
  host: string,
  port: number,
  timeoutMs = 1000,
  tls?: ProbeTls,
): Promise<boolean> {
  if (engine !== 'memcached') return (await probeOnce('PING', host, port, timeoutMs, tls)) === 'yes';
  const binary = await probeOnce('binary-version', host, port, timeoutMs, tls);
  return (
    binary === 'yes' || (binary === 'hung-up' && (await probeOnce('version', host, port, timeoutMs, tls)) === 'yes')
  );
}

type ProbeRequest = 'PING' | 'version' | 'binary-version';

/** `hung-up`: connected, then closed without a word (a memcached node that takes ASCII alone, or a proxy). */
function probeOnce(
  request: ProbeRequest,
  host: string,
  port: number,
  timeoutMs: number,
  tls: ProbeTls | undefined,
): Promise<'yes' | 'no' | 'hung-up'> {
  return new Promise((resolve) => {
    const socket: Socket = tls
      ? connectTls({ host, port, ca: tls.authority, checkServerIdentity: () => undefined })
      : connect({ host, port });
    const connected = tls ? 'secureConnect' : 'connect';
    let answer = Buffer.alloc(0);
    let wasConnected = false;
    const done = (outcome: 'yes' | 'no' | 'hung-up') => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done('no'));
    socket.on('error', () => done('no'));
    // A proxy in front of a node that is not up yet accepts and then hangs up: no error, no answer.
    socket.on('close', () => done(wasConnected && answer.length === 0 ? 'hung-up' : 'no'));
    socket.on(connected, () => {
      wasConnected = true;
      socket.write(request === 'binary-version' ? BINARY_VERSION_REQUEST : `${request}\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      if (request === 'binary-version') {
        // A whole header: the response magic, the VERSION opcode, status 0 (bytes 6-7).
        if (answer.length < 24) return;
        return done(
          answer[0] === BINARY_RESPONSE_MAGIC && answer[1] === 0x0b && answer.readUInt16BE(6) === 0 ? 'yes' : 'no',
        );
      }
      const text = answer.toString('latin1');
      if (!text.includes('\r\n')) return;
      // A server that wants AUTH is up all the same.
      done(
        (request === 'version' ? text.startsWith('VERSION') : text.startsWith('+PONG') || text.startsWith('-NOAUTH'))
          ? 'yes'
          : 'no',
      );
    });
  });
}

/** Polls the probe until the node answers or the deadline passes. */
/**
 * How long a node may take to answer: the runtime's base, plus loading time for a node that starts from a snapshot's
 * RDB (redis loads some tens of MB a second on a slow machine, and answers PING with LOADING until it is done).
 */
export function readinessBudgetMs(baseMs: number, seedRdb: string | undefined): number {
  if (!seedRdb) return baseMs;
  try {
    return baseMs + Math.ceil(statSync(seedRdb).size / 20_000); // 20 MB/s: a 1 GiB RDB gets 54 s more
  } catch {
    return baseMs;
  }
}

export async function waitUntilReady(
  engine: NodeSpec['engine'],
  host: string,
  port: number,
  timeoutMs = 30_000,
  stop?: AbortSignal,
  tls?: ProbeTls,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  while (Date.now() < deadline) {
    if (stop?.aborted) return;
    if (await probe(engine, host, port, 500, tls)) return;
    await new Promise((resolve) => setTimeout(resolve, delay));
    // A probe costs a connection and a PING: polling often keeps a restored node's wait close to its load time.
    delay = Math.min(delay * 2, 40);
  }
  throw new Error(`the ${engine} node on ${host}:${port} did not answer within ${timeoutMs} ms`);
}
