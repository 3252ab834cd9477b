/**
 * Serverless snapshots: Create, Describe, Copy, Export, Delete. Each works on the hidden node snapshot behind the
 * serverless one (domain/elasticache/serverless-snapshots.ts) and hands its data to the snapshot workers as the
 * node-based snapshot API does.
 */
import type {
  CopyServerlessCacheSnapshotRequest,
  CreateServerlessCacheSnapshotRequest,
  DeleteServerlessCacheSnapshotRequest,
  DescribeServerlessCacheSnapshotsRequest,
  ExportServerlessCacheSnapshotRequest,
} from '@aws-sdk/client-elasticache';
import type { Store } from '../../../store/store.js';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import { arn } from '../../../domain/elasticache/arns.js';
import { fault, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import { clusterStyleId } from '../../../domain/elasticache/identifiers.js';
import type { JobQueue } from '../../../domain/elasticache/jobs.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { checkKmsKeyId } from '../../../domain/elasticache/kms-keys.js';
import { getCluster, listClusters } from '../../../domain/elasticache/records.js';
import { findServerless, getServerless } from '../../../domain/elasticache/serverless.js';
import {
  cacheOfSnapshot,
  findServerlessSnapshot,
  getServerlessSnapshot,
  listServerlessSnapshots,
  nodeSnapshotName,
  presentServerlessSnapshot,
} from '../../../domain/elasticache/serverless-snapshots.js';
import {
  insertSnapshot,
  snapshotCopy,
  markSourceSnapshotting,
  saveSnapshot,
  snapshotOfCluster,
  snapshotOfGroup,
  type StoredSnapshot,
} from '../../../domain/elasticache/snapshots.js';
import { applyTags } from '../tags.js';
import { paginateResults, requireBackingAvailable, requireBackingGroup } from './rules.js';

/** S3's bucket naming rules, which also keep the export folder inside the exports directory. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SNAPSHOT_TYPES = new Set(['manual', 'automated']);

/** A new serverless snapshot's name; one in use is ServerlessCacheSnapshotAlreadyExistsFault. */
export function newServerlessSnapshotName(
  store: Store,
  ctx: RequestContext,
  value: string | undefined,
  parameter: string,
): string {
  const name = clusterStyleId(value, parameter, 255);
  if (findServerlessSnapshot(store, ctx, name))
    throw fault('ServerlessCacheSnapshotAlreadyExistsFault', `Serverless cache snapshot ${name} already exists.`);
  return name;
}

function requireSnapshotAvailable(snapshot: StoredSnapshot, name: string, allowed = ['available']): void {
  if (!allowed.includes(snapshot.state.SnapshotStatus)) {
    throw fault(
      'InvalidServerlessCacheSnapshotStateFault',
      `Serverless cache snapshot ${name} is not in available state (it is ${snapshot.state.SnapshotStatus}).`,
    );
  }
}

/** Tags of a serverless snapshot live under its own ARN: a new snapshot of a reused name starts with none. */
export function tagNewSnapshot(
  store: Store,
  ctx: RequestContext,
  name: string,
  tags: { Key?: string; Value?: string }[] | undefined,
) {
  const resourceArn = arn(ctx, 'serverlesscachesnapshot', name);
  store.tags.removeAll(resourceArn);
  applyTags(store, resourceArn, tags);
}

export function serverlessSnapshotHandlers(store: Store, jobs: JobQueue): HandlerTable {
  const answer = (ctx: RequestContext, snapshot: StoredSnapshot) => ({
    ServerlessCacheSnapshot: presentServerlessSnapshot(store, ctx, snapshot),
  });

  const CreateServerlessCacheSnapshot = (input: CreateServerlessCacheSnapshotRequest, ctx: RequestContext) => {
    const name = newServerlessSnapshotName(
      store,
      ctx,
      input.ServerlessCacheSnapshotName,
      'ServerlessCacheSnapshotName',
    );
    const cache = getServerless(store, ctx, input.ServerlessCacheName);
    requireBackingAvailable(store, ctx, cache);
    const origin = { name: nodeSnapshotName(name), source: 'manual' } as const;
    // memcached: the items of its backing cluster's node (control/snapshots/workers.ts reads them out).
    const clusterId = cache.internal.backingClusterId;
    const snapshot =
      clusterId !== undefined
        ? snapshotOfCluster(store, ctx, getCluster(store, ctx, clusterId), origin)
        : snapshotOfGroup(store, ctx, requireBackingGroup(store, ctx, cache), origin);
    if (input.KmsKeyId !== undefined) {
      checkKmsKeyId(input.KmsKeyId, ctx);
      snapshot.state.KmsKeyId = input.KmsKeyId;
    }
    insertSnapshot(store, ctx, snapshot);
    markSourceSnapshotting(store, ctx, snapshot);
    tagNewSnapshot(store, ctx, name, input.Tags);
    jobs.enqueue(ctx, KIND.snapshot, snapshot.state.SnapshotName, 'create');
    return answer(ctx, snapshot);
  };

  const DescribeServerlessCacheSnapshots = (input: DescribeServerlessCacheSnapshotsRequest, ctx: RequestContext) => {
    let found =
      input.ServerlessCacheSnapshotName !== undefined
        ? [getServerlessSnapshot(store, ctx, input.ServerlessCacheSnapshotName)]
        : listServerlessSnapshots(store, ctx);
    if (input.ServerlessCacheName !== undefined) {
      const cacheName = input.ServerlessCacheName.toLowerCase();
      found = found.filter((s) => cacheOfSnapshot(s) === cacheName);
      if (found.length === 0 && !findServerless(store, ctx, cacheName))
        throw fault('ServerlessCacheNotFoundFault', `Serverless cache ${cacheName} not found.`);
    }
    if (input.SnapshotType !== undefined) {
      const type = input.SnapshotType.toLowerCase();
      if (!SNAPSHOT_TYPES.has(type))
        throw invalidValue(`Invalid SnapshotType ${input.SnapshotType}: manual or automated.`);
      found = found.filter((s) => (s.state.SnapshotSource === 'automated' ? 'automated' : 'manual') === type);
    }
    const { page, nextToken } = paginateResults(found, input);
    return {
      NextToken: nextToken,
      ServerlessCacheSnapshots: page.map((s) => presentServerlessSnapshot(store, ctx, s)),
    };
  };

  const CopyServerlessCacheSnapshot = (input: CopyServerlessCacheSnapshotRequest, ctx: RequestContext) => {
    const sourceName = requireValue(input.SourceServerlessCacheSnapshotName, 'SourceServerlessCacheSnapshotName');
    const source = getServerlessSnapshot(store, ctx, sourceName);
    requireSnapshotAvailable(source, sourceName);
    const name = newServerlessSnapshotName(
      store,
      ctx,
      input.TargetServerlessCacheSnapshotName,
      'TargetServerlessCacheSnapshotName',
    );
    if (input.KmsKeyId !== undefined) checkKmsKeyId(input.KmsKeyId, ctx);
    const nodeName = nodeSnapshotName(name);
    const copy = snapshotCopy(ctx, source, nodeName, input.KmsKeyId);
    insertSnapshot(store, ctx, copy);
    tagNewSnapshot(store, ctx, name, input.Tags);
    jobs.enqueue(ctx, KIND.snapshot, nodeName, 'copy');
    return answer(ctx, copy);
  };

  const ExportServerlessCacheSnapshot = (input: ExportServerlessCacheSnapshotRequest, ctx: RequestContext) => {
    const name = requireValue(input.ServerlessCacheSnapshotName, 'ServerlessCacheSnapshotName').toLowerCase();
    const snapshot = getServerlessSnapshot(store, ctx, name);
    requireSnapshotAvailable(snapshot, name);
    const bucket = requireValue(input.S3BucketName, 'S3BucketName');
    if (!BUCKET.test(bucket) || bucket.includes('..'))
      throw invalidValue(`The S3 bucket ${bucket} is not a valid bucket name.`);
    // AWS writes the RDB files into the bucket; locally they go to the bucket's export folder, under the name.
    jobs.enqueue(ctx, KIND.snapshot, snapshot.state.SnapshotName, 'export', { bucket, name });
    return answer(ctx, snapshot);
  };

  const DeleteServerlessCacheSnapshot = (input: DeleteServerlessCacheSnapshotRequest, ctx: RequestContext) => {
    const name = requireValue(input.ServerlessCacheSnapshotName, 'ServerlessCacheSnapshotName').toLowerCase();
    const snapshot = getServerlessSnapshot(store, ctx, name);
    requireSnapshotAvailable(snapshot, name, ['available', 'failed']);
    if (listClusters(store, ctx).some((c) => c.internal.restoreFrom?.snapshot === snapshot.state.SnapshotName)) {
      throw fault(
        'InvalidServerlessCacheSnapshotStateFault',
        `Serverless cache snapshot ${name} is in use by a restore.`,
      );
    }
    snapshot.state.SnapshotStatus = 'deleting';
    saveSnapshot(store, ctx, snapshot);
    store.tags.removeAll(arn(ctx, 'serverlesscachesnapshot', name));
    jobs.enqueue(ctx, KIND.snapshot, snapshot.state.SnapshotName, 'delete');
    return answer(ctx, snapshot);
  };

  return {
    CreateServerlessCacheSnapshot,
    DescribeServerlessCacheSnapshots,
    CopyServerlessCacheSnapshot,
    ExportServerlessCacheSnapshot,
    DeleteServerlessCacheSnapshot,
  };
}
