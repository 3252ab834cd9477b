/**
 * The emulator's own connection to a redis / valkey node: the only client that can run the restricted commands
 * (as its admin user, or under their renamed names on engines without ACL: runtime/node-access.ts). Used to apply parameter group values (CONFIG SET) and read them back, and by
 * replication.ts and the Redis Cluster modules (redis-cluster.ts and the modules it re-exports), which share its
 * connection, INFO and polling helpers.
 */
import type { Redis } from 'ioredis';
import { createSecureContext, type SecureContext } from 'node:tls';
import {
  ADMIN_USER,
  REPLICATION_USER,
  clientRules,
  passwordHash,
  userRules,
  type ClientUser,
  REPLICATION_COMMANDS,
  restrictedCommandName,
  type NodeAccess,
} from '../runtime/node-access.js';
import type { Target } from './endpoint-proxy.js';
import { throwIfStopping } from './stopping.js';

// replication.ts and redis-cluster.ts take a node's Peer from here, beside its AdminTarget.
export type { Peer } from '../runtime/runtime.js';

/** Parameters that exist only in ElastiCache's parameter groups, or that only a restart can change. */
const NOT_SETTABLE = new Set([
  'cluster-enabled',
  'databases',
  'reserved-memory',
  'reserved-memory-percent',
  'rename-commands',
  'close-on-slave-write',
  'close-on-replica-write',
  'maxmemory',
]);

/**
 * How the emulator on the host reaches a node, as opposed to its Peer, which is how OTHER NODES reach it
 * (REPLICAOF, CLUSTER MEET, MIGRATE): in Docker the admin address is a published 127.0.0.1 port, the peer address
 * is the container's IP and the engine port.
 */
export interface AdminTarget extends Target {
  /** The AUTH token clients give; the way in on engines without ACL, and what MIGRATE gives their targets. */
  authToken?: string;
  /** Engines without ACL: tokens the node may still ask for while a token change reaches it (after authToken). */
  fallbackAuthTokens?: (string | undefined)[];
  access: NodeAccess;
  /** A TLS node: the CA its certificate is checked against (its address may not be in it: a container's is not). */
  tls?: { authority: string };
}

export interface AdminOptions {
  /** How long one command may take before it fails (the node hangs, or a pipeline is very long). */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

const AUTH_REFUSED = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;

/** Whether the node refused the emulator's credentials (as opposed to not answering). */
export const isAccessRefused = (error: unknown): boolean =>
  AUTH_REFUSED.test((error as Error)?.message ?? '') || /NOPERM/.test((error as Error)?.message ?? '');

/** The node did not accept a connection: callers that poll or pick among nodes treat it apart from a refusal. */
export class NodeUnreachable extends Error {}

export const describeNode = (target: Target): string => `${target.host}:${target.port}`;

/** The name a restricted command has on this node. */
export const adminCommand = (target: AdminTarget, command: string): string =>
  restrictedCommandName(target.access, command);

/** An open admin connection; the caller disconnects it. Prefer withAdmin unless several stay open at once. */
export async function connectAdmin(target: AdminTarget, options: AdminOptions = {}): Promise<Redis> {
  if (target.access.mode === 'acl') return connectWith(target, ADMIN_USER, target.access.adminPassword, options);
  const candidates = [target.authToken, ...(target.fallbackAuthTokens ?? [])];
  for (const [i, password] of candidates.entries()) {
    try {
      return await connectWith(target, undefined, password, options);
    } catch (error) {
      // A token the node no longer (or not yet) takes: the next candidate may be the one it has.
      if (i === candidates.length - 1 || !AUTH_REFUSED.test((error as Error).message)) throw error;
    }
  }
  throw new Error('unreachable');
}

/**
 * One TLS context per certificate authority: built per connection, its CA would be parsed again each time, and the
 * emulator opens an admin connection for nearly every step it takes on a node.
 */
const secureContexts = new Map<string, SecureContext>();
function secureContextOf(authority: string): SecureContext {
  let context = secureContexts.get(authority);
  if (!context) {
    context = createSecureContext({ ca: authority });
    secureContexts.set(authority, context);
  }
  return context;
}

async function connectWith(
  target: AdminTarget,
  username: string | undefined,
  password: string | undefined,
  options: AdminOptions,
): Promise<Redis> {
  // Loaded on first use: a start with no redis node to talk to does not pay for it.
  const { Redis } = await import('ioredis');
  const redis = new Redis({
    host: target.host,
    port: target.port,
    username,
    password,
    // Seen in CLIENT LIST by whoever may run it: the emulator's connections say what they are.
    connectionName: 'elasticache-local',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    commandTimeout: options.commandTimeoutMs ?? 15_000,
    retryStrategy: () => null,
    ...(target.tls
      ? { tls: { secureContext: secureContextOf(target.tls.authority), checkServerIdentity: () => undefined } }
      : {}),
  });
  // Failures reach the caller through connect() and each command; without a listener ioredis also prints them.
  // A refused password only shows here: the connection then just closes.
  let refused: Error | undefined;
  redis.on('error', (error: Error) => {
    if (AUTH_REFUSED.test(error.message)) refused = error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    if (refused || AUTH_REFUSED.test((error as Error).message)) throw refused ?? error;
    throw new NodeUnreachable(`the node at ${describeNode(target)} does not answer: ${(error as Error).message}`);
  }
  return redis;
}

/**
 * Opens the node to clients: the default user with the AUTH tokens it accepts (the newest first, plus the previous
 * one during a ROTATE; none means no AUTH) and without the restricted commands. Engines without ACL keep one token,
 * as requirepass, and their replicas authenticate with it.
 */
export async function grantClientAccess(target: AdminTarget, accepted: string[], tokensChanged = true): Promise<void> {
  await withAdmin(target, async (redis) => {
    const version = parseInfo(await redis.info('server')).redis_version ?? '0';
    const acl = Number(version.split('.')[0]) >= 6;
    if (target.access.mode === 'acl') {
      await redis.call('ACL', 'SETUSER', 'default', ...clientRules(version, accepted));
      await dropUsersBut(redis, ['default']);
      return;
    }
    // A 4.x / 5.x cluster on a binary that has ACLs still keeps the commands renaming cannot hide from clients.
    if (acl) await redis.call('ACL', 'SETUSER', 'default', ...clientRules(version, [], 'renamed'));
    if (!tokensChanged) return;
    const config = adminCommand(target, 'CONFIG');
    await redis.call(config, 'SET', 'requirepass', accepted[0] ?? '');
    await redis.call(config, 'SET', 'masterauth', accepted[0] ?? '');
  });
}

/**
 * Opens the node to the users of its group's RBAC user group (runtime/node-access.ts userRules), and deletes every
 * other client user it has: one removed from the group, or deleted, can no longer authenticate (and its open
 * connections are closed by the engine). Without a user named default among them, unauthenticated clients are
 * refused.
 */
export async function grantUserAccess(target: AdminTarget, users: ClientUser[]): Promise<void> {
  await withAdmin(target, async (redis) => {
    const version = parseInfo(await redis.info('server')).redis_version ?? '0';
    for (const user of users) await redis.call('ACL', 'SETUSER', user.name, ...userRules(version, user));
    if (!users.some((u) => u.name === 'default')) await redis.call('ACL', 'SETUSER', 'default', 'reset', 'off');
    await dropUsersBut(redis, [...users.map((u) => u.name), 'default']);
  });
}

/** Deletes the node's client users other than these (never the emulator's own). */
async function dropUsersBut(redis: Redis, keep: string[]): Promise<void> {
  const kept = new Set([...keep, ADMIN_USER, REPLICATION_USER]);
  const extra = ((await redis.call('ACL', 'USERS')) as string[]).filter((name) => !kept.has(name));
  if (extra.length > 0) await redis.call('ACL', 'DELUSER', ...extra);
}

/**
 * How this node authenticates to a primary it replicates: the replication user of its group (or, without ACL, the
 * group's AUTH token). Set again before every change of primary: a cluster that became a group's primary has its
 * group's password from then on.
 */
export async function setReplicationAuth(redis: Redis, target: AdminTarget): Promise<void> {
  const config = adminCommand(target, 'CONFIG');
  if (target.access.mode === 'renamed') {
    await redis.call(config, 'SET', 'masterauth', target.authToken ?? '');
    return;
  }
  const password = target.access.replicationPassword;
  const permissions = REPLICATION_COMMANDS.map((c) => `+${c}`);
  await redis.call(
    'ACL',
    'SETUSER',
    REPLICATION_USER,
    'reset',
    'on',
    `#${passwordHash(password)}`,
    '~*',
    ...permissions,
  );
  await redis.call(config, 'SET', 'masteruser', REPLICATION_USER);
  await redis.call(config, 'SET', 'masterauth', password);
}

/** What MIGRATE gives its target node to authenticate (the target's replication user, or its AUTH token). */
export function migrateAuth(target: AdminTarget): string[] {
  if (target.access.mode === 'acl') return ['AUTH2', REPLICATION_USER, target.access.replicationPassword];
  return target.authToken ? ['AUTH', target.authToken] : [];
}

export async function withAdmin<T>(
  target: AdminTarget,
  work: (redis: Redis) => Promise<T>,
  options?: AdminOptions,
): Promise<T> {
  const redis = await connectAdmin(target, options);
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** INFO's "name:value" lines (section headers and blank lines dropped). */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** A failure that a later attempt may not meet: the node restarts, loads its data, or a connection dropped. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof NodeUnreachable ||
    /Command timed out|Connection is closed|ECONNRESET|ECONNREFUSED|^LOADING/.test((error as Error)?.message ?? '')
  );
}

/**
 * Calls check until it returns { value }; a string it returns is why it is still waiting, and ends up in the
 * timeout error, so a stuck wait says what it was waiting for. Transient failures count as waiting too.
 */
export async function pollUntil<T>(
  check: () => Promise<{ value: T } | string>,
  timeoutMs: number,
  what: string,
  intervalMs: number | ((elapsedMs: number) => number) = 50,
): Promise<T> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const interval = typeof intervalMs === 'number' ? () => intervalMs : () => intervalMs(Date.now() - started);
  let reason = 'not checked yet';
  for (;;) {
    throwIfStopping();
    try {
      const result = await check();
      if (typeof result !== 'string') return result.value;
      reason = result;
    } catch (error) {
      if (!isTransient(error)) throw error;
      reason = (error as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`${what} within ${timeoutMs} ms: ${reason}`);
    await new Promise((resolve) => setTimeout(resolve, interval()));
  }
}

const BUFFER_LIMIT = /^client-output-buffer-limit-(normal|replica|slave|pubsub)-(hard-limit|soft-limit|soft-seconds)$/;

/**
 * ElastiCache splits client-output-buffer-limit into one parameter per class and field; the engine takes one
 * value per class ("normal <hard> <soft> <seconds>"). Classes with all three fields are joined back.
 */
export function toEngineSettings(values: Record<string, string>): Record<string, string> {
  const settings: Record<string, string> = {};
  const limits: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(values)) {
    const match = BUFFER_LIMIT.exec(name);
    if (match) (limits[match[1]] ??= {})[match[2]] = value;
    else if (!NOT_SETTABLE.has(name)) settings[name] = value;
  }
  const classes = Object.entries(limits)
    .filter(
      ([, f]) => f['hard-limit'] !== undefined && f['soft-limit'] !== undefined && f['soft-seconds'] !== undefined,
    )
    .map(
      ([cls, f]) => `${cls === 'slave' ? 'replica' : cls} ${f['hard-limit']} ${f['soft-limit']} ${f['soft-seconds']}`,
    );
  if (classes.length > 0) settings['client-output-buffer-limit'] = classes.join(' ');
  return settings;
}

/** CONFIG SET each value; returns the names the engine refused (unknown to this engine version, or static). */
export async function applyRedisParameters(target: AdminTarget, values: Record<string, string>): Promise<string[]> {
  const command = adminCommand(target, 'CONFIG');
  values = toEngineSettings(values);
  const names = Object.keys(values);
  return withAdmin(target, async (redis) => {
    const pipeline = redis.pipeline();
    for (const name of names) pipeline.call(command, 'SET', name, values[name]);
    const results = (await pipeline.exec()) ?? [];
    return names.filter((_, i) => results[i]?.[0]);
  });
}

export async function readRedisParameter(target: AdminTarget, name: string): Promise<string | undefined> {
  return withAdmin(target, async (redis) => {
    const reply = (await redis.call(adminCommand(target, 'CONFIG'), 'GET', name)) as string[];
    return reply[1];
  });
}

/**
 * Makes a node listen on exactly these addresses (its port stays), plus the address the emulator reaches it on, and
 * cuts the connections it had accepted on an address it leaves: a group's primary endpoint moving to the new primary
 * after a failover, so its clients reconnect and reach that one. A node closing its endpoint to clients its security
 * groups refuse keeps them instead (`keepConnections`), as connection tracking does on AWS. Nothing is done when the
 * node already listens there.
 */
export async function setListenAddresses(
  target: AdminTarget,
  addresses: string[],
  port: number,
  { keepConnections = false } = {},
): Promise<boolean> {
  const wanted = [...new Set([...addresses, target.host])];
  return withAdmin(target, async (redis) => {
    const config = adminCommand(target, 'CONFIG');
    const [, current] = (await redis.call(config, 'GET', 'bind')) as [string, string];
    const had = current.split(' ').filter((a) => a !== '');
    if (had.length === wanted.length && had.every((a) => wanted.includes(a))) return false;
    await redis.call(config, 'SET', 'bind', wanted.join(' '));
    if (!keepConnections)
      for (const left of had.filter((a) => !wanted.includes(a)))
        await redis.call('CLIENT', 'KILL', 'LADDR', `${left}:${port}`);
    return true;
  });
}
