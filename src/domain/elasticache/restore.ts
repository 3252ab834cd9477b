/**
 * Restoring a snapshot into a new cache cluster or replication group (SnapshotName / SnapshotArns): which snapshot,
 * the settings the new resource takes from it when the request leaves them out, and the checks AWS makes (engine,
 * version, shard count, room for the data). The nodes then start from the shards' RDB files (control/cluster-nodes.ts).
 */
import type { Scope, Store } from '../../store/store.js';
import type { Engine } from '../../common/engines.js';
import { compareVersions, nodeType, versionInfoOf, type EngineVersionInfo } from './catalog.js';
import { resolveVersion } from './cluster-settings.js';
import { fault, invalidCombination, invalidValue } from './faults.js';
import type { RestoreSource } from './records.js';
import { serverlessSnapshotToRestore } from './serverless-snapshots.js';
import { requireSnapshotAvailable, snapshotNameOfArn, type StoredSnapshot } from './snapshots.js';

/**
 * The snapshot a create request restores, or undefined when it names none: a node-based one (SnapshotName /
 * SnapshotArns) or, for a replication group, a serverless cache's (ServerlessCacheSnapshotName), whose data is the
 * hidden node snapshot behind it.
 */
export function snapshotToRestore(
  store: Store,
  scope: Scope,
  input: { SnapshotName?: string; SnapshotArns?: string[]; ServerlessCacheSnapshotName?: string },
): StoredSnapshot | undefined {
  const arns = input.SnapshotArns ?? [];
  const given = [input.SnapshotName !== undefined, arns.length > 0, input.ServerlessCacheSnapshotName !== undefined];
  if (given.filter(Boolean).length > 1) {
    throw invalidCombination(
      input.ServerlessCacheSnapshotName === undefined
        ? 'Only one of SnapshotName or SnapshotArns can be provided.'
        : 'Only one of SnapshotName, SnapshotArns or ServerlessCacheSnapshotName can be provided.',
    );
  }
  if (input.ServerlessCacheSnapshotName !== undefined) {
    return serverlessSnapshotToRestore(store, scope, input.ServerlessCacheSnapshotName);
  }
  if (arns.length > 1) throw invalidValue('Only one snapshot ARN can be provided here.');
  const name = input.SnapshotName ?? (arns.length === 1 ? snapshotNameOfArn(scope, arns[0]) : undefined);
  return name === undefined ? undefined : requireSnapshotAvailable(store, scope, name);
}

/** The engine version of a restored cache: the one asked for, else the snapshot's (when the engine is the same). */
export function restoredVersion(
  engine: Engine,
  requested: string | undefined,
  snapshot: StoredSnapshot | undefined,
): EngineVersionInfo {
  if (requested !== undefined || !snapshot) return resolveVersion(engine, requested);
  return versionInfoOf(engine, snapshot.state.EngineVersion ?? '') ?? resolveVersion(engine, undefined);
}

/** Megabytes of data the snapshot holds (its shards' CacheSize). */
function dataBytes(snapshot: StoredSnapshot): number {
  return (
    snapshot.state.NodeSnapshots.reduce((sum, n) => sum + (Number.parseInt(n.CacheSize ?? '', 10) || 0), 0) * 2 ** 20
  );
}

/** What AWS refuses to restore a snapshot into. */
export function checkRestoreTarget(
  snapshot: StoredSnapshot,
  target: { engine: Engine; fullVersion: string; nodeType: string; shards: number },
): void {
  const { state } = snapshot;
  const name = state.SnapshotName;
  if (state.Engine === 'valkey' && target.engine !== 'valkey') {
    throw invalidCombination(`Snapshot ${name} is of a valkey cache: it can only be restored into valkey.`);
  }
  if (state.Engine === target.engine && compareVersions(target.fullVersion, state.EngineVersion ?? '0') < 0) {
    throw invalidCombination(
      `Snapshot ${name} was taken with engine version ${state.EngineVersion}: it cannot be restored into the older version ${target.fullVersion}.`,
    );
  }
  const shards = state.NumNodeGroups ?? 1;
  if (shards !== target.shards) {
    throw invalidCombination(
      `Snapshot ${name} holds ${shards} node group(s): the new cache must have ${shards} node group(s), not ${target.shards}.`,
    );
  }
  // Every shard's data must fit in its node: the largest shard against the node type's memory.
  const memory = nodeType(target.nodeType)?.memoryBytes;
  const largest = Math.max(
    0,
    ...state.NodeSnapshots.map((n) => (Number.parseInt(n.CacheSize ?? '', 10) || 0) * 2 ** 20),
  );
  if (memory !== undefined && largest > memory) {
    throw fault(
      'InsufficientCacheClusterCapacityFault',
      `The node type ${target.nodeType} has too little memory for the data of snapshot ${name} (${Math.round(dataBytes(snapshot) / 2 ** 20)} MB).`,
    );
  }
}

/** Where the node of the new resource's i-th shard takes its data from. */
export function restoreSourceOf(snapshot: StoredSnapshot, shardIndex: number): RestoreSource {
  return { snapshot: snapshot.state.SnapshotName, nodeGroupId: snapshot.internal.shards[shardIndex].nodeGroupId };
}

/** The slots of each shard of a cluster-mode snapshot (from its node groups' configuration), in order. */
export function snapshotSlots(snapshot: StoredSnapshot): (string | undefined)[] {
  return snapshot.state.NodeSnapshots.map((n) => n.NodeGroupConfiguration?.Slots);
}
