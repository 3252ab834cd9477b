/**
 * The snapshot jobs: take a snapshot's data (each shard's RDB, saved by its primary node and copied out of it by
 * the runtime), copy a snapshot, export one to a bucket's folder, delete one. The source shows `snapshotting`
 * while its data is taken; a final snapshot's source is deleted once it is taken. A job run again after a crash
 * takes the data again from the start; files are written beside their final names and moved in when complete.
 * The shard files of a cache encrypted at rest are sealed (sealed-files.ts).
 */
import type { Logger } from '../../common/logger.js';
import { dumpMemcached } from '../../dataplane/memcached-dump.js';
import { saveRdb } from '../../dataplane/rdb-save.js';
import { RDB_FILE } from '../../runtime/engines.js';
import type { Scope, Store } from '../../store/store.js';
import { arn } from '../../domain/elasticache/arns.js';
import { jobTable, scopeOf, type JobQueue } from '../../domain/elasticache/jobs.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import {
  MEMBER_NODE,
  findCluster,
  findGroup,
  primaryOf,
  recordClusterEvent,
  recordGroupEvent,
  updateCluster,
  updateGroup,
} from '../../domain/elasticache/records.js';
import {
  cacheSize,
  findSnapshot,
  updateSnapshot,
  type SnapshotShard,
  type StoredSnapshot,
} from '../../domain/elasticache/snapshots.js';
import { recordServerlessSnapshotEvent } from '../../domain/elasticache/serverless-events.js';
import { serverlessSnapshotName } from '../../domain/elasticache/serverless-snapshots.js';
import type { ClusterNodes } from '../cluster-nodes.js';
import { failureTable } from '../failure-table.js';
import type { JobFailureHandler, JobWorker } from '../reconciler.js';
import type { SnapshotFiles } from './snapshot-files.js';

export interface SnapshotWorkerDeps {
  store: Store;
  nodes: ClusterNodes;
  files: SnapshotFiles;
  jobs: JobQueue;
  log: Logger;
}

/** The cluster whose node holds a shard's data now: a group's shard may have failed over since the request. */
function shardSource(store: Store, scope: Scope, snapshot: StoredSnapshot, shard: SnapshotShard): string {
  const groupId = snapshot.internal.source?.kind === KIND.replicationGroup ? snapshot.internal.source.id : undefined;
  const nodeGroup =
    groupId && findGroup(store, scope, groupId)?.state.NodeGroups.find((g) => g.NodeGroupId === shard.nodeGroupId);
  return (nodeGroup && primaryOf(nodeGroup)?.CacheClusterId) ?? shard.clusterId;
}

/** Saves one shard's data and copies it into the snapshot; undefined when the runtime keeps no data. */
async function takeShard(
  { store, nodes, files }: SnapshotWorkerDeps,
  scope: Scope,
  snapshot: StoredSnapshot,
  shard: SnapshotShard,
): Promise<number | undefined> {
  const copyOut = nodes.runtime.copyFileOut?.bind(nodes.runtime);
  if (!copyOut) return undefined;
  const clusterId = shardSource(store, scope, snapshot, shard);
  const cluster = findCluster(store, scope, clusterId);
  if (!cluster) throw new Error(`cache cluster ${clusterId} is gone`);
  const nodeId = cluster.state.CacheNodes[0]?.CacheNodeId ?? MEMBER_NODE;
  const live = await nodes.liveNode(scope, clusterId, nodeId);
  const handle = await nodes.inspect(scope, cluster, nodeId);
  if (!live || !handle) throw new Error(`the node ${nodeId} of ${clusterId} does not run`);
  const file = files.shardFile(scope, snapshot.state.SnapshotName, shard.nodeGroupId);
  // A serverless memcached cache's node keeps no file: its items are read out over the protocol.
  if (cluster.state.Engine === 'memcached') await dumpMemcached(live.admin, `${file}.partial`);
  else {
    await saveRdb(live.admin);
    await copyOut(nodes.spec(scope, cluster, nodeId), handle, RDB_FILE, `${file}.partial`);
  }
  // The data of a cache encrypted at rest (or a snapshot given a KMS key) stays encrypted on disk.
  const seal = cluster.state.AtRestEncryptionEnabled === true || snapshot.state.KmsKeyId !== undefined;
  return files.commit(`${file}.partial`, file, { seal });
}

/** The source leaves `snapshotting` (a final snapshot's source stays `deleting`). */
function releaseSource(store: Store, scope: Scope, snapshot: StoredSnapshot, message: string): void {
  const source = snapshot.internal.source;
  if (!source) return;
  const back = (status: string | undefined) => (status === 'snapshotting' ? 'available' : status);
  if (source.kind === KIND.cacheCluster) {
    updateCluster(store, scope, source.id, ({ state }) => {
      state.CacheClusterStatus = back(state.CacheClusterStatus)!;
    });
    recordClusterEvent(store, scope, source.id, message);
    return;
  }
  const group = updateGroup(store, scope, source.id, ({ state }) => {
    state.Status = back(state.Status)!;
  });
  for (const memberId of group?.state.MemberClusters ?? []) {
    updateCluster(store, scope, memberId, ({ state }) => {
      state.CacheClusterStatus = back(state.CacheClusterStatus)!;
    });
  }
  recordGroupEvent(store, scope, source.id, message);
}

function sourceWords(snapshot: StoredSnapshot): string {
  const source = snapshot.internal.source;
  return source?.kind === KIND.replicationGroup
    ? `replication group with ID '${source.id}'`
    : `cache cluster with ID '${source?.id}'`;
}

/** A final snapshot is taken: its source's delete job runs now. */
function deleteSource(jobs: JobQueue, scope: Scope, snapshot: StoredSnapshot): void {
  const source = snapshot.internal.source;
  if (!snapshot.internal.thenDeleteSource || !source) return;
  if (source.kind === KIND.cacheCluster) jobs.enqueue(scope, KIND.cacheCluster, source.id, 'delete');
  else jobs.enqueue(scope, KIND.replicationGroup, source.id, 'delete');
}

export function snapshotWorkers(deps: SnapshotWorkerDeps): Record<string, JobWorker> {
  const { store, files, jobs, log } = deps;
  return jobTable(KIND.snapshot, {
    async create(job) {
      const scope = scopeOf(job);
      const name = job.resourceId;
      const snapshot = findSnapshot(store, scope, name);
      if (!snapshot || snapshot.state.SnapshotStatus !== 'creating') return;
      await files.prepare(scope, name);
      const sizes: (number | undefined)[] = [];
      for (const shard of snapshot.internal.shards) sizes.push(await takeShard(deps, scope, snapshot, shard));
      const taken = new Date();
      store.transaction(() => {
        const done = updateSnapshot(store, scope, name, ({ state, internal }) => {
          state.SnapshotStatus = 'available';
          state.NodeSnapshots.forEach((node, i) => {
            node.CacheSize = cacheSize(sizes[i] ?? 0);
            node.SnapshotCreateTime = taken;
          });
          internal.hasData = sizes.every((size) => size !== undefined);
        });
        if (!done) return;
        releaseSource(store, scope, done, `Snapshot succeeded for snapshot with ID '${name}' of ${sourceWords(done)}`);
        recordServerlessSnapshotEvent(store, scope, name, (shown) => `Serverless cache snapshot ${shown} created`);
        deleteSource(jobs, scope, done);
      });
      log.info({ snapshot: name, shards: sizes.length }, 'snapshot taken');
    },

    async copy(job) {
      const scope = scopeOf(job);
      const name = job.resourceId;
      const snapshot = findSnapshot(store, scope, name);
      if (!snapshot || snapshot.state.SnapshotStatus !== 'creating' || !snapshot.internal.copyOf) return;
      const from = findSnapshot(store, scope, snapshot.internal.copyOf);
      const ids = snapshot.internal.shards.map((s) => s.nodeGroupId);
      const sizes = from?.internal.hasData ? await files.copy(scope, snapshot.internal.copyOf, name, ids) : [];
      store.transaction(() => {
        updateSnapshot(store, scope, name, ({ state, internal }) => {
          state.SnapshotStatus = 'available';
          if (sizes.length > 0) state.NodeSnapshots.forEach((node, i) => (node.CacheSize = cacheSize(sizes[i] ?? 0)));
          internal.hasData = sizes.length === ids.length;
        });
        const from = serverlessSnapshotName(snapshot.internal.copyOf!) ?? snapshot.internal.copyOf;
        recordServerlessSnapshotEvent(
          store,
          scope,
          name,
          (shown) => `Serverless cache snapshot ${shown} copied from ${from}`,
        );
      });
    },

    async export(job) {
      const scope = scopeOf(job);
      const snapshot = findSnapshot(store, scope, job.resourceId);
      if (!snapshot?.internal.hasData) return;
      const ids = snapshot.internal.shards.map((s) => s.nodeGroupId);
      await files.export(scope, job.resourceId, ids, job.payload.bucket, job.payload.name);
      log.info({ snapshot: job.resourceId, bucket: job.payload.bucket }, 'snapshot exported');
    },

    async delete(job) {
      const scope = scopeOf(job);
      const name = job.resourceId;
      await files.remove(scope, name);
      store.transaction(() => {
        store.resources.delete(scope, KIND.snapshot, name);
        store.tags.removeAll(arn(scope, 'snapshot', name));
        recordServerlessSnapshotEvent(store, scope, name, (shown) => `Serverless cache snapshot ${shown} deleted`);
      });
    },
  });
}

/** A snapshot whose data could not be taken shows `failed`; its source is released (and not deleted). */
export function snapshotFailureHandlers({ store }: SnapshotWorkerDeps): Record<string, JobFailureHandler> {
  const failed =
    (status: string): JobFailureHandler =>
    (job, error) => {
      const scope = scopeOf(job);
      const snapshot = updateSnapshot(store, scope, job.resourceId, ({ state }) => {
        state.SnapshotStatus = status;
      });
      if (!snapshot) return;
      releaseSource(
        store,
        scope,
        snapshot,
        `Snapshot failed for snapshot with ID '${job.resourceId}' of ${sourceWords(snapshot)}: ${error.message}`,
      );
      recordServerlessSnapshotEvent(
        store,
        scope,
        job.resourceId,
        (shown) => `Serverless cache snapshot ${shown} failed: ${error.message}`,
      );
      const source = snapshot.internal.source;
      if (snapshot.internal.thenDeleteSource && source) {
        // The data was not kept: the source is not deleted, so nothing is lost.
        if (source.kind === KIND.cacheCluster) {
          updateCluster(store, scope, source.id, ({ state }) => {
            if (state.CacheClusterStatus === 'deleting') state.CacheClusterStatus = 'available';
          });
        } else {
          const group = updateGroup(store, scope, source.id, ({ state }) => {
            if (state.Status === 'deleting') state.Status = 'available';
          });
          for (const memberId of group?.state.MemberClusters ?? []) {
            updateCluster(store, scope, memberId, ({ state }) => {
              if (state.CacheClusterStatus === 'deleting') state.CacheClusterStatus = 'available';
            });
          }
        }
      }
    };
  return failureTable(KIND.snapshot, {
    create: failed('failed'),
    copy: failed('failed'),
    export: () => {},
    delete: () => {},
  });
}
