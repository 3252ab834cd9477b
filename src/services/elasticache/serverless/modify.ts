/**
 * ModifyServerlessCache: description, usage limits, snapshot settings on the record; security groups, user group and
 * an engine move (redis → valkey) through one ModifyReplicationGroup of the backing group, whose worker rolls them
 * through the nodes. Fields sent with their current values change nothing (Terraform sends the whole plan).
 */
import type { ModifyReplicationGroupMessage, ModifyServerlessCacheRequest } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { checkSnapshotRetention, engineOf } from '../../../domain/elasticache/cluster-settings.js';
import { invalidCombination } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { saveGroup, updateCluster } from '../../../domain/elasticache/records.js';
import {
  checkDailySnapshotTime,
  checkUsageLimits,
  getServerless,
  maxMemoryBytesOf,
  saveServerless,
  serverlessVersion,
  snapshotWindowOf,
  type StoredServerless,
} from '../../../domain/elasticache/serverless.js';
import { requireBackingAvailable } from './rules.js';
import { modifyReplicationGroup } from '../replication-groups/modify.js';
import type { GroupHandlerDeps } from '../replication-groups/group-rules.js';

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

export function modifyServerlessCache(deps: GroupHandlerDeps) {
  const { store, jobs } = deps;
  const modifyGroup = modifyReplicationGroup(deps);
  return (input: ModifyServerlessCacheRequest, ctx: RequestContext): StoredServerless => {
    const cache = getServerless(store, ctx, input.ServerlessCacheName);
    const { state, internal } = cache;
    const group = requireBackingAvailable(store, ctx, cache);
    const groupChange: ModifyReplicationGroupMessage = {
      ReplicationGroupId: internal.backingGroupId,
      ApplyImmediately: true,
    };
    let groupChanges = false;

    if (input.Description !== undefined) state.Description = input.Description;
    if (input.SnapshotRetentionLimit !== undefined) {
      checkSnapshotRetention(input.SnapshotRetentionLimit);
      state.SnapshotRetentionLimit = input.SnapshotRetentionLimit;
    }
    if (input.DailySnapshotTime !== undefined) state.DailySnapshotTime = checkDailySnapshotTime(input.DailySnapshotTime);
    if (input.CacheUsageLimits !== undefined) {
      // Zeros remove a limit (Terraform sends them): what is left is checked, and shown as it was given.
      const limits = checkUsageLimits(withoutZeros(input.CacheUsageLimits));
      const bytes = maxMemoryBytesOf(limits);
      if (bytes !== maxMemoryBytesOf(state.CacheUsageLimits)) {
        // The nodes take the new maxmemory at once (the sync job); members started later are started with it.
        group.internal.maxMemoryBytes = bytes;
        for (const memberId of group.state.MemberClusters)
          updateCluster(store, ctx, memberId, (m) => (m.internal.maxMemoryBytes = bytes));
        jobs.enqueue(ctx, KIND.serverlessCache, state.ServerlessCacheName, 'sync');
      }
      state.CacheUsageLimits = limits;
    }
    // The backing group takes the cache's automatic snapshots (control/snapshots/automatic.ts).
    group.state.SnapshotRetentionLimit = state.SnapshotRetentionLimit;
    group.state.SnapshotWindow = snapshotWindowOf(state.DailySnapshotTime ?? '00:00');
    saveGroup(store, ctx, group);

    if (input.SecurityGroupIds !== undefined && !sameSet(input.SecurityGroupIds, state.SecurityGroupIds ?? [])) {
      groupChange.SecurityGroupIds = input.SecurityGroupIds;
      state.SecurityGroupIds = input.SecurityGroupIds;
      groupChanges = true;
    }
    const currentUserGroup = state.UserGroupId;
    const wantedUserGroup = input.RemoveUserGroup
      ? undefined
      : (input.UserGroupId?.toLowerCase() ?? currentUserGroup);
    if (input.RemoveUserGroup && input.UserGroupId !== undefined)
      throw invalidCombination('UserGroupId and RemoveUserGroup cannot be used together.');
    if (wantedUserGroup !== currentUserGroup) {
      if (wantedUserGroup !== undefined) groupChange.UserGroupIdsToAdd = [wantedUserGroup];
      if (currentUserGroup !== undefined) groupChange.UserGroupIdsToRemove = [currentUserGroup];
      state.UserGroupId = wantedUserGroup;
      groupChanges = true;
    }
    if (input.Engine !== undefined || input.MajorEngineVersion !== undefined) {
      const engine = engineOf(input.Engine ?? state.Engine);
      const engineChanges = engine !== state.Engine;
      if (engineChanges && !(state.Engine === 'redis' && engine === 'valkey'))
        throw invalidCombination(`The engine of a serverless cache can change from redis to valkey only.`);
      if (engineChanges && input.MajorEngineVersion === undefined)
        throw invalidCombination('No modifications were requested: an engine change needs MajorEngineVersion.');
      const { major, info } = serverlessVersion(engine, input.MajorEngineVersion ?? state.MajorEngineVersion);
      if (engineChanges || major !== state.MajorEngineVersion) {
        if (!engineChanges && Number(major) < Number(state.MajorEngineVersion))
          throw invalidCombination('The major engine version of a serverless cache cannot be lowered.');
        groupChange.Engine = engine;
        groupChange.EngineVersion = info.version;
        state.Engine = engine;
        state.MajorEngineVersion = major;
        state.FullEngineVersion = info.fullVersion;
        groupChanges = true;
      }
    }
    if (groupChanges) modifyGroup(groupChange, ctx);
    saveServerless(store, ctx, cache);
    return cache;
  };
}

function withoutZeros(limits: ModifyServerlessCacheRequest['CacheUsageLimits']) {
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
