/**
 * ModifyServerlessCache: description, usage limits and snapshot settings on the record; security groups, user group
 * and an engine move (redis → valkey) through one ModifyReplicationGroup of the backing group (or, memcached, one
 * ModifyCacheCluster of the backing cluster), whose worker rolls them through the nodes. Fields sent with their
 * current values change nothing (Terraform sends the whole plan).
 */
import type {
  CacheUsageLimits,
  ModifyReplicationGroupMessage,
  ModifyServerlessCacheRequest,
} from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { checkSnapshotRetention, engineOf } from '../../../domain/elasticache/cluster-settings.js';
import { invalidCombination } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { saveGroup, updateCluster, type StoredGroup } from '../../../domain/elasticache/records.js';
import {
  backingGroup,
  checkDailySnapshotTime,
  checkUsageLimits,
  getServerless,
  maxMemoryBytesOf,
  saveServerless,
  serverlessVersion,
  snapshotWindowOf,
  type ServerlessState,
  type StoredServerless,
} from '../../../domain/elasticache/serverless.js';
import { modifyCacheCluster } from '../cache-clusters/modify.js';
import { modifyReplicationGroup } from '../replication-groups/modify.js';
import type { GroupHandlerDeps } from '../replication-groups/group-rules.js';
import { recordServerlessEvent } from '../../../domain/elasticache/serverless-events.js';
import { requireBackingAvailable } from './rules.js';

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Changes for the backing resource: what its own Modify call is to be given. */
type BackingChange = Pick<
  ModifyReplicationGroupMessage,
  'SecurityGroupIds' | 'UserGroupIdsToAdd' | 'UserGroupIdsToRemove' | 'Engine' | 'EngineVersion'
>;

export function modifyServerlessCache(deps: GroupHandlerDeps) {
  const { store } = deps;
  const modifyGroup = modifyReplicationGroup(deps);
  const modifyCluster = modifyCacheCluster(deps);
  return (input: ModifyServerlessCacheRequest, ctx: RequestContext): StoredServerless => {
    const cache = getServerless(store, ctx, input.ServerlessCacheName);
    const { state, internal } = cache;
    requireBackingAvailable(store, ctx, cache);
    const group = backingGroup(store, ctx, cache);

    if (input.Description !== undefined) state.Description = input.Description;
    if (input.SnapshotRetentionLimit !== undefined) {
      checkSnapshotRetention(input.SnapshotRetentionLimit);
      state.SnapshotRetentionLimit = input.SnapshotRetentionLimit;
    }
    if (input.DailySnapshotTime !== undefined)
      state.DailySnapshotTime = checkDailySnapshotTime(input.DailySnapshotTime);
    if (input.CacheUsageLimits !== undefined) {
      // Zeros remove a limit (Terraform sends them): what is left is checked, and shown as it was given.
      const limits = checkUsageLimits(withoutZeros(input.CacheUsageLimits));
      const bytes = maxMemoryBytesOf(limits);
      if (bytes !== maxMemoryBytesOf(state.CacheUsageLimits)) newMaxMemory(deps, ctx, cache, group, bytes);
      state.CacheUsageLimits = limits;
    }
    if (group) {
      // The backing group takes the cache's automatic snapshots (control/snapshots/automatic.ts).
      group.state.SnapshotRetentionLimit = state.SnapshotRetentionLimit;
      group.state.SnapshotWindow = snapshotWindowOf(state.DailySnapshotTime ?? '00:00');
      saveGroup(store, ctx, group);
    } else if (internal.backingClusterId !== undefined) {
      // A memcached cache's hidden cluster takes them alike.
      updateCluster(store, ctx, internal.backingClusterId, (c) => {
        c.state.SnapshotRetentionLimit = state.SnapshotRetentionLimit;
        c.state.SnapshotWindow = snapshotWindowOf(state.DailySnapshotTime ?? '00:00');
      });
    }

    const change = backingChange(input, state);
    if (Object.keys(change).length > 0) {
      if (internal.backingClusterId !== undefined) {
        modifyCluster({ CacheClusterId: internal.backingClusterId, ApplyImmediately: true, ...change }, ctx);
      } else if (group) {
        modifyGroup({ ReplicationGroupId: group.state.ReplicationGroupId, ApplyImmediately: true, ...change }, ctx);
      }
    }
    saveServerless(store, ctx, cache);
    recordServerlessEvent(
      store,
      ctx,
      state.ServerlessCacheName,
      `Serverless cache ${state.ServerlessCacheName} modified`,
    );
    return cache;
  };
}

/** The nodes' maxmemory follows the DataStorage maximum: members started later start with it, running ones take it now. */
function newMaxMemory(
  { store, jobs }: GroupHandlerDeps,
  ctx: RequestContext,
  cache: StoredServerless,
  group: StoredGroup | undefined,
  bytes: number,
): void {
  const clusterId = cache.internal.backingClusterId;
  if (clusterId !== undefined) {
    updateCluster(store, ctx, clusterId, (c) => (c.internal.maxMemoryBytes = bytes));
    return;
  }
  if (!group) return;
  group.internal.maxMemoryBytes = bytes;
  for (const memberId of group.state.MemberClusters)
    updateCluster(store, ctx, memberId, (m) => (m.internal.maxMemoryBytes = bytes));
  jobs.enqueue(ctx, KIND.serverlessCache, cache.state.ServerlessCacheName, 'sync');
}

/** What changes on the backing resource: security groups, the user group, the engine (the record follows). */
function backingChange(input: ModifyServerlessCacheRequest, state: ServerlessState): BackingChange {
  const change: BackingChange = {};
  const memcached = state.Engine === 'memcached';
  if (input.SecurityGroupIds !== undefined && !sameSet(input.SecurityGroupIds, state.SecurityGroupIds ?? [])) {
    change.SecurityGroupIds = input.SecurityGroupIds;
    state.SecurityGroupIds = input.SecurityGroupIds;
  }
  if (input.RemoveUserGroup && input.UserGroupId !== undefined)
    throw invalidCombination('UserGroupId and RemoveUserGroup cannot be used together.');
  const current = state.UserGroupId;
  const wanted = input.RemoveUserGroup ? undefined : (input.UserGroupId?.toLowerCase() ?? current);
  if (wanted !== current) {
    if (memcached) throw invalidCombination('User groups are supported for valkey and redis serverless caches only.');
    if (wanted !== undefined) change.UserGroupIdsToAdd = [wanted];
    if (current !== undefined) change.UserGroupIdsToRemove = [current];
    state.UserGroupId = wanted;
  }
  if (input.Engine !== undefined || input.MajorEngineVersion !== undefined) {
    const engine = engineOf(input.Engine ?? state.Engine);
    const engineChanges = engine !== state.Engine;
    if (engineChanges && !(state.Engine === 'redis' && engine === 'valkey'))
      throw invalidCombination('The engine of a serverless cache can change from redis to valkey only.');
    if (engineChanges && input.MajorEngineVersion === undefined)
      throw invalidCombination('No modifications were requested: an engine change needs MajorEngineVersion.');
    const { major, info } = serverlessVersion(engine, input.MajorEngineVersion ?? state.MajorEngineVersion);
    if (engineChanges || major !== state.MajorEngineVersion) {
      if (!engineChanges && Number(major) < Number(state.MajorEngineVersion))
        throw invalidCombination('The major engine version of a serverless cache cannot be lowered.');
      change.Engine = engine;
      change.EngineVersion = info.version;
      state.Engine = engine;
      state.MajorEngineVersion = major;
      state.FullEngineVersion = info.fullVersion;
    }
  }
  return change;
}

function withoutZeros(limits: CacheUsageLimits | undefined): CacheUsageLimits | undefined {
  if (!limits) return undefined;
  const kept = <T extends { Maximum?: number; Minimum?: number }>(part: T | undefined): T | undefined => {
    if (!part) return undefined;
    const copy = { ...part };
    if (copy.Maximum === 0) delete copy.Maximum;
    if (copy.Minimum === 0) delete copy.Minimum;
    return copy.Maximum === undefined && copy.Minimum === undefined ? undefined : copy;
  };
  const result = { DataStorage: kept(limits.DataStorage), ECPUPerSecond: kept(limits.ECPUPerSecond) };
  return result.DataStorage || result.ECPUPerSecond ? result : undefined;
}
