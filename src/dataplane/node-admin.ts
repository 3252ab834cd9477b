/**
 * The emulator's own connection to a redis / valkey node: the only client that can run the restricted commands,
 * under their renamed names. Used to apply parameter group values (CONFIG SET) and read them back.
 */
import type { Redis } from 'ioredis';
import { renamedCommand } from '../runtime/engines.js';
import type { Target } from './endpoint-proxy.js';

/** Parameters that exist only in ElastiCache's parameter groups, or that only a restart can change. */
const NOT_SETTABLE = new Set(['cluster-enabled', 'databases', 'reserved-memory', 'reserved-memory-percent', 'rename-commands', 'close-on-slave-write', 'close-on-replica-write', 'maxmemory']);

export interface AdminTarget extends Target {
  authToken?: string;
  adminSecret: string;
}

async function withAdmin<T>(target: AdminTarget, work: (redis: Redis) => Promise<T>): Promise<T> {
  // Loaded on first use: a start with no redis node to talk to does not pay for it.
  const { Redis } = await import('ioredis');
  const redis = new Redis({
    host: target.host,
    port: target.port,
    password: target.authToken,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
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
    .filter(([, f]) => f['hard-limit'] !== undefined && f['soft-limit'] !== undefined && f['soft-seconds'] !== undefined)
    .map(([cls, f]) => `${cls === 'slave' ? 'replica' : cls} ${f['hard-limit']} ${f['soft-limit']} ${f['soft-seconds']}`);
  if (classes.length > 0) settings['client-output-buffer-limit'] = classes.join(' ');
  return settings;
}

/** CONFIG SET each value; returns the names the engine refused (unknown to this engine version, or static). */
export async function applyRedisParameters(target: AdminTarget, values: Record<string, string>): Promise<string[]> {
  const command = renamedCommand('CONFIG', target.adminSecret);
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
    const reply = (await redis.call(renamedCommand('CONFIG', target.adminSecret), 'GET', name)) as string[];
    return reply[1];
  });
}
