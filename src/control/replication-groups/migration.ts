/**
 * TestMigration's check, as the worker runs it: whether the group could replicate from the customer's node. AWS
 * answers TestMigration at once and reports the outcome later; here the outcome is an event on the group. The
 * check is made from the emulator, which reaches what a process-runtime node reaches; a node in a container does
 * not reach the host's loopback, which the check says instead of letting a migration hang.
 */
import { Redis } from 'ioredis';
import { parseInfo } from '../../dataplane/node-admin.js';
import type { Scope } from '../../store/store.js';
import type { GroupContext } from './group-context.js';

const isLoopback = (address: string) =>
  address.startsWith('127.') || address === '::1' || address.toLowerCase() === 'localhost';

/** What stands in the way of replicating from the node at address:port; undefined when nothing does. */
export async function migrationSourceProblem(
  ctx: GroupContext,
  address: string,
  port: number,
  targetVersion: string | undefined,
): Promise<string | undefined> {
  if (ctx.nodes.runtime.name === 'docker' && isLoopback(address)) {
    return `${address}:${port} is the host's loopback, which the nodes' containers cannot reach; give an address of the host they can reach`;
  }
  const redis = new Redis({
    host: address,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
    commandTimeout: 5000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    const info = parseInfo(await redis.info());
    if (info.cluster_enabled === '1') return `${address}:${port} runs in cluster mode; the target group does not`;
    const source = info.valkey_version ?? info.redis_version;
    if (source && targetVersion && compareVersions(source, targetVersion) > 0) {
      return `the source runs version ${source}, newer than the target's ${targetVersion}`;
    }
    return undefined;
  } catch (error) {
    const message = (error as Error).message;
    if (/NOAUTH|WRONGPASS/.test(message))
      return `${address}:${port} requires AUTH; the source must accept connections without it`;
    return `cannot connect to ${address}:${port}: ${message}`;
  } finally {
    redis.disconnect();
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 2; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The test-migration job: the outcome is an event on the group (a failure too, without retries). */
export async function checkMigrationSource(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  { address, port }: { address: string; port: number },
): Promise<void> {
  const group = ctx.find(scope, id);
  if (!group) return;
  const version = ctx.member(scope, group.state.MemberClusters[0])?.state.EngineVersion;
  const problem = ctx.real ? await migrationSourceProblem(ctx, address, port, version) : undefined;
  ctx.groupEvent(
    scope,
    id,
    problem
      ? `Test migration from ${address}:${port} to replication group ${id} failed: ${problem}`
      : `Test migration from ${address}:${port} to replication group ${id} succeeded`,
  );
}
