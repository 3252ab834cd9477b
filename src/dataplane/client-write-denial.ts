/**
 * Keeps a node's clients from writing while it is fed by the emulator rather than by replication (a cluster-mode
 * global datastore secondary's shard primaries: dataplane/shard-relay.ts). A replica refuses writes by itself; a
 * cluster-mode primary cannot be made one of another cluster's node, so its client users (the default user and
 * any RBAC users) are denied the @write category instead. The emulator's own users keep their rights. Granting
 * client access again (ClusterNodes.refreshClientAccess) resets the users, which lifts the denial.
 */
import type { Redis } from 'ioredis';
import { ADMIN_USER, REPLICATION_USER } from '../runtime/node-access.js';

const INTERNAL_USERS = new Set([ADMIN_USER, REPLICATION_USER]);

/** Adds `-@write` to every client user that lacks it; engines without ACL are left as they are. */
export async function denyClientWrites(redis: Redis): Promise<void> {
  let users: string[];
  try {
    users = (await redis.call('ACL', 'USERS')) as string[];
  } catch {
    return;
  }
  for (const user of users) {
    if (INTERNAL_USERS.has(user)) continue;
    const fields = (await redis.call('ACL', 'GETUSER', user)) as unknown[] | null;
    if (!fields) continue;
    const at = fields.indexOf('commands');
    const commands = at >= 0 ? String(fields[at + 1]) : '';
    if (!commands.split(' ').includes('-@write')) await redis.call('ACL', 'SETUSER', user, '-@write');
  }
}
