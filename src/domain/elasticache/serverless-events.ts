/**
 * Events of serverless caches and their snapshots (SourceType `serverless-cache` / `serverless-cache-snapshot`).
 * The backing group or cluster records its own events under its hidden id (DescribeEvents never shows them); the
 * moments a client can see (the cache created, modified, deleted; a snapshot created, copied, failed, deleted) are
 * recorded here under the names the API shows. AWS names these events Cache Created / Cache Updated / Cache Deleted /
 * Snapshot Created / Snapshot Creation Failed; the messages say the same in the words of the other events here.
 */
import type { Scope, Store } from '../../store/store.js';
import { serverlessSnapshotName } from './serverless-snapshots.js';

const BACKING_PREFIX = 'serverless--';

/** The serverless cache a backing group or cluster serves (its id without the prefix), else undefined. */
export function cacheOfBackingId(id: string): string | undefined {
  return id.startsWith(BACKING_PREFIX) ? id.slice(BACKING_PREFIX.length) : undefined;
}

export function recordServerlessEvent(store: Store, scope: Scope, name: string, message: string): void {
  store.events.record(scope, 'serverless-cache', name, message);
}

/** A backing group or cluster has come up for the first time: its cache is created. */
export function recordBackingCreated(store: Store, scope: Scope, backingId: string): void {
  const name = cacheOfBackingId(backingId);
  if (name !== undefined) recordServerlessEvent(store, scope, name, `Serverless cache ${name} created`);
}

/**
 * An event of a node snapshot that is a serverless one (`serverless--x` / `automatic.serverless--x-stamp`), under
 * the name the API shows; node-based snapshots have none here.
 */
export function recordServerlessSnapshotEvent(
  store: Store,
  scope: Scope,
  nodeSnapshotName: string,
  message: (shown: string) => string,
): void {
  const shown = serverlessSnapshotName(nodeSnapshotName);
  if (shown !== undefined) store.events.record(scope, 'serverless-cache-snapshot', shown, message(shown));
}
