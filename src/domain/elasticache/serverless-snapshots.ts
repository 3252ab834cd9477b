/**
 * Serverless snapshots: each is a view of a hidden node snapshot of its cache's backing group, so the snapshot
 * workers take, copy, export, restore and delete its data. A manual snapshot `nightly` is node snapshot
 * `serverless--nightly`; an automatic one (taken by control/snapshots/automatic.ts from the backing group's
 * retention and window) is `automatic.serverless--<cache>-<stamp>` and shows as `automatic.<cache>-<stamp>`. Names
 * a client chooses can hold neither two hyphens in a row nor a dot, so the two never meet.
 */
import type { ServerlessCacheSnapshot } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import { arn } from './arns.js';
import { fault, invalidCombination } from './faults.js';
import { findGroup } from './records.js';
import { findSnapshot, listSnapshots, type StoredSnapshot } from './snapshots.js';

const MANUAL = 'serverless--';
const AUTOMATIC = 'automatic.';

/** The node snapshot behind a serverless snapshot's name. */
export function nodeSnapshotName(name: string): string {
  return name.startsWith(AUTOMATIC) ? `${AUTOMATIC}${MANUAL}${name.slice(AUTOMATIC.length)}` : `${MANUAL}${name}`;
}

/** The serverless snapshot a node snapshot is, or undefined for a node snapshot of the node-based API. */
export function serverlessSnapshotName(nodeName: string): string | undefined {
  if (nodeName.startsWith(MANUAL)) return nodeName.slice(MANUAL.length);
  if (nodeName.startsWith(`${AUTOMATIC}${MANUAL}`))
    return `${AUTOMATIC}${nodeName.slice(AUTOMATIC.length + MANUAL.length)}`;
  return undefined;
}

export const serverlessSnapshotNotFound = (name: string) =>
  fault('ServerlessCacheSnapshotNotFoundFault', `Serverless cache snapshot ${name} not found.`);

export function findServerlessSnapshot(store: Store, scope: Scope, name: string): StoredSnapshot | undefined {
  const snapshot = findSnapshot(store, scope, nodeSnapshotName(name.toLowerCase()));
  return snapshot && cacheOfSnapshot(snapshot) !== undefined ? snapshot : undefined;
}

export function getServerlessSnapshot(store: Store, scope: Scope, name: string | undefined): StoredSnapshot {
  const found = name ? findServerlessSnapshot(store, scope, name) : undefined;
  if (!found) throw serverlessSnapshotNotFound(name ?? '');
  return found;
}

/**
 * ServerlessCacheSnapshotName of CreateReplicationGroup: an available snapshot of a valkey / redis serverless cache
 * (AWS restores only those into node-based groups).
 */
export function serverlessSnapshotToRestore(store: Store, scope: Scope, name: string): StoredSnapshot {
  const snapshot = getServerlessSnapshot(store, scope, name);
  const shown = serverlessSnapshotName(snapshot.state.SnapshotName);
  if (snapshot.state.Engine === 'memcached') {
    throw invalidCombination(
      `Serverless cache snapshot ${shown} is of a memcached cache: only valkey and redis snapshots can seed a replication group.`,
    );
  }
  if (snapshot.state.SnapshotStatus !== 'available') {
    throw fault(
      'InvalidServerlessCacheSnapshotStateFault',
      `Serverless cache snapshot ${shown} is not in available state (it is ${snapshot.state.SnapshotStatus}).`,
    );
  }
  return snapshot;
}

/** Every serverless snapshot of the scope, oldest first. */
export function listServerlessSnapshots(store: Store, scope: Scope): StoredSnapshot[] {
  return listSnapshots(store, scope)
    .filter((s) => serverlessSnapshotName(s.state.SnapshotName) !== undefined && cacheOfSnapshot(s) !== undefined)
    .sort((a, b) => a.internal.requestedAt - b.internal.requestedAt);
}

/** The serverless cache a snapshot was taken of: its backing group's (memcached: cluster's) id without the prefix. */
export function cacheOfSnapshot(snapshot: StoredSnapshot): string | undefined {
  const backingId = snapshot.state.ReplicationGroupId ?? snapshot.state.CacheClusterId;
  return backingId?.startsWith(MANUAL) ? backingId.slice(MANUAL.length) : undefined;
}

const DAY_MS = 86_400_000;

/** A serverless snapshot as the API shows it. */
export function presentServerlessSnapshot(
  store: Store,
  scope: Scope,
  snapshot: StoredSnapshot,
): ServerlessCacheSnapshot {
  const { state, internal } = snapshot;
  const name = serverlessSnapshotName(state.SnapshotName)!;
  const created = state.NodeSnapshots[0]?.SnapshotCreateTime ?? new Date(internal.requestedAt);
  const megabytes = state.NodeSnapshots.reduce((sum, n) => sum + (Number.parseInt(n.CacheSize ?? '', 10) || 0), 0);
  const automated = state.SnapshotSource === 'automated';
  const retention = automated
    ? (findGroup(store, scope, state.ReplicationGroupId ?? '')?.state.SnapshotRetentionLimit ?? 0)
    : 0;
  return {
    ServerlessCacheSnapshotName: name,
    ARN: arn(scope, 'serverlesscachesnapshot', name),
    KmsKeyId: state.KmsKeyId,
    SnapshotType: automated ? 'automated' : 'manual',
    Status: state.SnapshotStatus,
    CreateTime: new Date(created),
    ExpiryTime: retention > 0 ? new Date(internal.requestedAt + retention * DAY_MS) : undefined,
    BytesUsedForCache: state.SnapshotStatus === 'available' ? String(megabytes * 2 ** 20) : undefined,
    ServerlessCacheConfiguration: {
      ServerlessCacheName: cacheOfSnapshot(snapshot),
      Engine: state.Engine,
      // The cache's own major: `8` for valkey, `7` for redis, `1.6` for memcached.
      MajorEngineVersion: state.EngineVersion?.split('.')
        .slice(0, state.Engine === 'memcached' ? 2 : 1)
        .join('.'),
    },
  };
}
