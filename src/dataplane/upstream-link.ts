/**
 * A group's primary replicating from a node outside its group (a customer's redis being migrated, or another
 * group's primary in a global datastore), while its own replicas keep following it: chained replication, so the
 * whole group carries the upstream's data. The node's replication credentials for its own replicas stay; only the
 * ones it gives its upstream change.
 */
import { REPLICATION_USER } from '../runtime/node-access.js';
import { adminCommand, describeNode, setReplicationAuth, withAdmin, type AdminTarget } from './node-admin.js';
import { readReplication } from './replication.js';

export interface UpstreamLink {
  host: string;
  port: number;
  /** The upstream takes TLS on port (the node then replicates over TLS). */
  tls?: boolean;
  /** What the node authenticates with; none for a redis without AUTH (a customer's, for a migration). */
  user?: string;
  password?: string;
}

/** The credentials another group's node takes from a replica: its group's replication user, or its AUTH token. */
export function replicationCredentials(upstream: AdminTarget): Pick<UpstreamLink, 'user' | 'password'> {
  if (upstream.access.mode === 'acl') return { user: REPLICATION_USER, password: upstream.access.replicationPassword };
  return { password: upstream.authToken };
}

/**
 * Makes node a replica of the upstream. REPLICAOF is not re-issued when the node already follows it (that would
 * force a full resync); its credentials are set every time, since a node restarted from its config file has its
 * group's own. Resolves true when the node was pointed anew.
 */
export async function followUpstream(node: AdminTarget, link: UpstreamLink): Promise<boolean> {
  return withAdmin(node, async (redis) => {
    const state = await readReplication(redis);
    await setReplicationAuth(redis, node);
    const config = adminCommand(node, 'CONFIG');
    if (node.access.mode === 'acl') await redis.call(config, 'SET', 'masteruser', link.user ?? '');
    await redis.call(config, 'SET', 'masterauth', link.password ?? '');
    if (state.role === 'replica' && state.masterHost === link.host && state.masterPort === link.port) return false;
    if (node.tls || link.tls) await redis.call(config, 'SET', 'tls-replication', link.tls ? 'yes' : 'no');
    await redis.call(adminCommand(node, 'REPLICAOF'), link.host, String(link.port));
    return true;
  }).catch((error: Error) => {
    throw new Error(`cannot make ${describeNode(node)} a replica of ${link.host}:${link.port}: ${error.message}`);
  });
}
