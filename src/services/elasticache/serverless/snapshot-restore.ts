/**
 * SnapshotArnsToRestore of CreateServerlessCache: which snapshot a new cache's backing group starts from. Serverless
 * snapshots are not served yet, so any ARN is one this emulator does not hold.
 */
import type { Scope, Store } from '../../../store/store.js';
import { fault } from '../../../domain/elasticache/faults.js';

export function restoreSnapshotName(_store: Store, _scope: Scope, arns: string[] | undefined): string | undefined {
  if (!arns?.length) return undefined;
  throw fault('ServerlessCacheSnapshotNotFoundFault', `Serverless cache snapshot not found: ${arns[0]}`);
}
