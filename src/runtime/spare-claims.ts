/**
 * What claiming a warm spare (control/serverless/warm-spares.ts) takes on any runtime: the emulator's admin
 * connection to the running spare, with the spare's own credentials, and handing the node its member's credentials
 * live, as the member's node.conf would have given them at start.
 */
import { Redis } from 'ioredis';
import { ADMIN_USER, REPLICATION_COMMANDS, REPLICATION_USER, passwordHash } from './node-access.js';
import type { NodeSpec } from './runtime.js';

/** The emulator's admin connection to a spare, at `at`, with the spare's own credentials. */
export async function spareAdmin(spare: NodeSpec, at: { host: string; port: number }): Promise<Redis> {
  const redis = new Redis({
    ...at,
    username: ADMIN_USER,
    password: spare.access.adminPassword,
    tls: spare.tls && { ca: spare.tls.authority, checkServerIdentity: () => undefined },
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}

/**
 * The member's credentials. The replication link the spare shard has stays up; the replica's next connection gives
 * the new password, which its primary has by then.
 */
export async function takeMemberCredentials(redis: Redis, spec: NodeSpec): Promise<void> {
  // prettier-ignore
  await redis.call('ACL', 'SETUSER', REPLICATION_USER, 'reset', 'on', `#${passwordHash(spec.access.replicationPassword)}`,
    '~*', ...REPLICATION_COMMANDS.map((c) => `+${c}`));
  // prettier-ignore
  await redis.call('ACL', 'SETUSER', ADMIN_USER, 'reset', 'on', `#${passwordHash(spec.access.adminPassword)}`, '~*', '+@all');
}
