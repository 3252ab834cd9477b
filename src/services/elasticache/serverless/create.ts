/**
 * CreateServerlessCache: the cache's record and its hidden backing replication group (one shard, a primary and a
 * replica, cluster mode enabled so cluster clients see one shard owning every slot, TLS required, the cache's user
 * group and security groups), created through the replication group handler itself so the group machinery brings
 * up, supervises and snapshots its nodes.
 */
import type { CreateServerlessCacheRequest } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { arn } from '../../../domain/elasticache/arns.js';
import { checkSnapshotRetention, engineOf } from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, requireValue } from '../../../domain/elasticache/faults.js';
import { clusterStyleId, systemWindows } from '../../../domain/elasticache/identifiers.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { defaultSubnetGroup } from '../../../domain/elasticache/network.js';
import { getCluster } from '../../../domain/elasticache/records.js';
import {
  BACKING_NODE_TYPE,
  backingGroupId,
  checkDailySnapshotTime,
  checkUsageLimits,
  findServerless,
  maxMemoryBytesOf,
  serverlessVersion,
  snapshotWindowOf,
  type ServerlessState,
} from '../../../domain/elasticache/serverless.js';
import { createReplicationGroup } from '../replication-groups/create.js';
import type { GroupHandlerDeps } from '../replication-groups/group-rules.js';
import { applyTags } from '../tags.js';
import { restoreSnapshotName } from './snapshot-restore.js';

export function createServerlessCache(deps: GroupHandlerDeps) {
  const { store } = deps;
  const createGroup = createReplicationGroup(deps);
  return (input: CreateServerlessCacheRequest, ctx: RequestContext): ServerlessState => {
    const name = clusterStyleId(input.ServerlessCacheName, 'ServerlessCacheName', 40);
    const engine = engineOf(requireValue(input.Engine, 'Engine', 'null'));
    if (findServerless(store, ctx, name))
      throw fault('ServerlessCacheAlreadyExistsFault', `Serverless cache ${name} already exists.`);
    if (engine === 'memcached') {
      throw invalidCombination('Serverless caches of the memcached engine are not served by this emulator yet.');
    }
    const { major, info } = serverlessVersion(engine, input.MajorEngineVersion);
    const limits = checkUsageLimits(input.CacheUsageLimits);
    if (input.Description !== undefined && input.Description.length > 255)
      throw fault('InvalidParameterValueException', 'Description must be at most 255 characters.');
    checkSnapshotRetention(input.SnapshotRetentionLimit ?? 0);
    const dailySnapshotTime = input.DailySnapshotTime
      ? checkDailySnapshotTime(input.DailySnapshotTime)
      : systemWindows(name).snapshot.slice(0, 5);
    const subnetIds = input.SubnetIds?.length
      ? input.SubnetIds
      : (defaultSubnetGroup(ctx).Subnets ?? []).map((s) => s.SubnetIdentifier!);
    const snapshotName = restoreSnapshotName(store, ctx, input.SnapshotArnsToRestore);

    const groupId = backingGroupId(name);
    const group = createGroup(
      {
        ReplicationGroupId: groupId,
        ReplicationGroupDescription: `Serverless cache ${name}`,
        Engine: engine,
        EngineVersion: info.version,
        CacheNodeType: BACKING_NODE_TYPE,
        ClusterMode: 'enabled',
        NumNodeGroups: 1,
        ReplicasPerNodeGroup: 1,
        TransitEncryptionEnabled: true,
        TransitEncryptionMode: 'required',
        AtRestEncryptionEnabled: true,
        SecurityGroupIds: input.SecurityGroupIds,
        UserGroupIds: input.UserGroupId !== undefined ? [input.UserGroupId] : undefined,
        SnapshotName: snapshotName,
        // The snapshot workers' automatic snapshots of the group are the cache's daily ones.
        SnapshotRetentionLimit: input.SnapshotRetentionLimit ?? 0,
        SnapshotWindow: snapshotWindowOf(dailySnapshotTime),
      },
      ctx,
      { serverlessCache: name, maxMemoryBytes: maxMemoryBytesOf(limits) },
    );
    const member = getCluster(store, ctx, group.MemberClusters[0]).state;
    const state: ServerlessState = {
      ServerlessCacheName: name,
      Description: input.Description ?? '',
      CreateTime: new Date(),
      Status: 'creating',
      Engine: engine,
      MajorEngineVersion: major,
      FullEngineVersion: info.fullVersion,
      CacheUsageLimits: limits,
      KmsKeyId: input.KmsKeyId,
      SecurityGroupIds: (member.SecurityGroups ?? []).map((g) => g.SecurityGroupId!),
      ARN: arn(ctx, 'serverlesscache', name),
      UserGroupId: input.UserGroupId?.toLowerCase(),
      SubnetIds: subnetIds,
      SnapshotRetentionLimit: input.SnapshotRetentionLimit ?? 0,
      DailySnapshotTime: dailySnapshotTime,
    };
    if (!store.resources.insert(ctx, KIND.serverlessCache, name, state, { backingGroupId: groupId })) {
      throw fault('ServerlessCacheAlreadyExistsFault', `Serverless cache ${name} already exists.`);
    }
    applyTags(store, state.ARN, input.Tags);
    return state;
  };
}
