/**
 * SnapshotArnsToRestore of CreateServerlessCache: the node snapshot a new cache's backing group starts from. A
 * serverless snapshot's ARN names the hidden node snapshot behind it (domain/elasticache/serverless-snapshots.ts);
 * a node-based snapshot's ARN (one shard's data) is taken as it is, as AWS restores those too.
 */
import type { Scope, Store } from '../../../store/store.js';
import { parseArn } from '../../../domain/elasticache/arns.js';
import type { Engine } from '../../../common/engines.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import { getServerlessSnapshot } from '../../../domain/elasticache/serverless-snapshots.js';
import { snapshotNameOfArn } from '../../../domain/elasticache/snapshots.js';

export function restoreSnapshotName(
  store: Store,
  scope: Scope,
  arns: string[] | undefined,
  engine: Engine,
): string | undefined {
  if (!arns?.length) return undefined;
  if (arns.length > 1) throw invalidValue('Only one snapshot ARN can be restored into a serverless cache here.');
  const parsed = parseArn(arns[0]);
  if (parsed.type === 'snapshot') {
    if (engine === 'memcached')
      throw invalidCombination('A memcached serverless cache restores only snapshots of memcached serverless caches.');
    return snapshotNameOfArn(scope, arns[0]);
  }
  if (parsed.type !== 'serverlesscachesnapshot' || parsed.account !== scope.account || parsed.region !== scope.region)
    throw invalidValue(`The snapshot ARN ${arns[0]} is not a snapshot of this account and region.`);
  const snapshot = getServerlessSnapshot(store, scope, parsed.name);
  if (snapshot.state.SnapshotStatus !== 'available') {
    throw fault(
      'InvalidServerlessCacheSnapshotStateFault',
      `Serverless cache snapshot ${parsed.name} is not available (it is ${snapshot.state.SnapshotStatus}).`,
    );
  }
  // A memcached snapshot holds items, a valkey / redis one an RDB file: neither goes into the other engine.
  if ((snapshot.state.Engine === 'memcached') !== (engine === 'memcached')) {
    throw invalidCombination(
      `Serverless cache snapshot ${parsed.name} is of a ${snapshot.state.Engine} cache: it cannot be restored into a ${engine} cache.`,
    );
  }
  return snapshot.state.SnapshotName;
}
