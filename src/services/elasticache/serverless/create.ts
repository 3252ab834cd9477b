/**
 * CreateServerlessCache: the cache's record and its hidden backing resource, created through the group and cluster
 * handlers themselves so their machinery brings up, supervises and snapshots the nodes. valkey / redis: a
 * replication group (one shard, a primary and a replica, cluster mode enabled so cluster clients see one shard owning
 * every slot, TLS required, the cache's user group and security groups). memcached: a one-node cluster with TLS.
 */
import type { CacheSubnetGroup, CreateServerlessCacheRequest } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import type { Engine } from '../../../common/engines.js';
import { arn } from '../../../domain/elasticache/arns.js';
import { checkSnapshotRetention, engineOf } from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue, requireValue } from '../../../domain/elasticache/faults.js';
import { clusterStyleId, systemWindows } from '../../../domain/elasticache/identifiers.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  defaultSubnetGroup,
  defaultVpcSubnets,
  subnetGroupShape,
  type SubnetDirectory,
} from '../../../domain/elasticache/network.js';
import { getCluster, saveCluster, type CacheClusterInternal } from '../../../domain/elasticache/records.js';
import {
  BACKING_NODE_TYPE,
  backingGroupBasis,
  backingGroupId,
  checkDailySnapshotTime,
  checkUsageLimits,
  findServerless,
  maxMemoryBytesOf,
  serverlessVersion,
  snapshotWindowOf,
  type ServerlessInternal,
  type ServerlessState,
} from '../../../domain/elasticache/serverless.js';
import { createCacheCluster } from '../cache-clusters/create.js';
import { createReplicationGroup } from '../replication-groups/create.js';
import type { GroupHandlerDeps } from '../replication-groups/group-rules.js';
import { applyTags } from '../tags.js';
import { restoreSnapshotName } from './snapshot-restore.js';

type Backing = Required<Pick<CacheClusterInternal, 'serverlessCache' | 'maxMemoryBytes'>>;

interface BackingPlan {
  id: string;
  engine: Engine;
  version: string;
  backing: Backing;
  snapshotName?: string;
  dailySnapshotTime: string;
  /** The cache's own subnet group (SubnetIds given), else the default one. */
  subnetGroup?: string;
}

export function createServerlessCache(deps: GroupHandlerDeps, subnets: SubnetDirectory = defaultVpcSubnets) {
  const { store } = deps;
  const createGroup = createReplicationGroup(deps);
  const createCluster = createCacheCluster(deps);

  /** valkey / redis: the backing group; returns its security groups. */
  const backingGroup = (input: CreateServerlessCacheRequest, ctx: RequestContext, plan: BackingPlan): string[] => {
    const basis = backingGroupBasis(plan.engine, input.MajorEngineVersion, input.CacheUsageLimits);
    const group = createGroup(
      {
        ReplicationGroupId: plan.id,
        ReplicationGroupDescription: `Serverless cache ${plan.backing.serverlessCache}`,
        Engine: plan.engine,
        EngineVersion: basis.info.version,
        CacheNodeType: basis.cacheNodeType,
        CacheParameterGroupName: basis.parameterGroup,
        CacheSubnetGroupName: plan.subnetGroup,
        ClusterMode: 'enabled',
        NumNodeGroups: 1,
        ReplicasPerNodeGroup: 1,
        TransitEncryptionEnabled: true,
        TransitEncryptionMode: 'required',
        AtRestEncryptionEnabled: true,
        SecurityGroupIds: input.SecurityGroupIds,
        UserGroupIds: input.UserGroupId !== undefined ? [input.UserGroupId] : undefined,
        SnapshotName: plan.snapshotName,
        // The snapshot workers' automatic snapshots of the group are the cache's daily ones.
        SnapshotRetentionLimit: input.SnapshotRetentionLimit ?? 0,
        SnapshotWindow: snapshotWindowOf(plan.dailySnapshotTime),
      },
      ctx,
      { ...plan.backing, maxMemoryBytes: basis.maxMemoryBytes },
    );
    const member = getCluster(store, ctx, group.MemberClusters[0]).state;
    return (member.SecurityGroups ?? []).map((g) => g.SecurityGroupId!);
  };

  /** memcached: one node behind the cluster's configuration endpoint, which terminates TLS; returns its security groups. */
  const backingCluster = (input: CreateServerlessCacheRequest, ctx: RequestContext, plan: BackingPlan): string[] => {
    // A restored cache's node starts empty and is given the snapshot's items before it turns available.
    const restoreFrom =
      plan.snapshotName !== undefined ? { snapshot: plan.snapshotName, nodeGroupId: '0001' } : undefined;
    const { CacheCluster: cluster } = createCluster(
      {
        CacheClusterId: plan.id,
        Engine: plan.engine,
        EngineVersion: plan.version,
        CacheNodeType: BACKING_NODE_TYPE,
        CacheSubnetGroupName: plan.subnetGroup,
        NumCacheNodes: 1,
        TransitEncryptionEnabled: true,
        SecurityGroupIds: input.SecurityGroupIds,
      },
      ctx,
      { ...plan.backing, restoreFrom },
    );
    // Its automatic snapshots are the cache's daily ones (control/snapshots/automatic.ts), set past
    // CreateCacheCluster's rules, which give a node-based memcached cluster none.
    const stored = getCluster(store, ctx, plan.id);
    stored.state.SnapshotRetentionLimit = input.SnapshotRetentionLimit ?? 0;
    stored.state.SnapshotWindow = snapshotWindowOf(plan.dailySnapshotTime);
    saveCluster(store, ctx, stored);
    return (cluster.SecurityGroups ?? []).map((g) => g.SecurityGroupId!);
  };

  /**
   * SubnetIds: a hidden subnet group of the cache's own (named like its backing resource), so its nodes sit in those
   * subnets' VPC and its security groups are checked against that VPC, as AWS places a serverless cache.
   */
  const ownSubnetGroup = (ctx: RequestContext, name: string, ids: string[]): CacheSubnetGroup => {
    const found = [...new Set(ids)].map((id) => {
      const subnet = subnets.find(ctx, id);
      if (!subnet) throw invalidValue(`The subnet ID ${id} does not exist.`);
      return subnet;
    });
    if (new Set(found.map((s) => s.vpcId)).size > 1)
      throw invalidValue('All subnets of a serverless cache must belong to the same VPC.');
    const groupName = backingGroupId(name);
    const group = subnetGroupShape(ctx, groupName, `Subnets of serverless cache ${name}`, found);
    store.resources.delete(ctx, KIND.subnetGroup, groupName);
    store.resources.insert(ctx, KIND.subnetGroup, groupName, group);
    return group;
  };

  return (input: CreateServerlessCacheRequest, ctx: RequestContext): ServerlessState => {
    const name = clusterStyleId(input.ServerlessCacheName, 'ServerlessCacheName', 40);
    const engine = engineOf(requireValue(input.Engine, 'Engine', 'null'));
    if (findServerless(store, ctx, name))
      throw fault('ServerlessCacheAlreadyExistsFault', `Serverless cache ${name} already exists.`);
    if (engine === 'memcached' && input.UserGroupId !== undefined)
      throw invalidCombination('User groups are supported for valkey and redis serverless caches only.');
    const { major, info } = serverlessVersion(engine, input.MajorEngineVersion);
    const limits = checkUsageLimits(input.CacheUsageLimits);
    if (input.Description !== undefined && input.Description.length > 255)
      throw invalidValue('Description must be at most 255 characters.');
    checkSnapshotRetention(input.SnapshotRetentionLimit ?? 0);
    const dailySnapshotTime = input.DailySnapshotTime
      ? checkDailySnapshotTime(input.DailySnapshotTime)
      : systemWindows(name).snapshot.slice(0, 5);
    const subnetGroup = input.SubnetIds?.length ? ownSubnetGroup(ctx, name, input.SubnetIds) : undefined;
    const subnetIds = (subnetGroup ?? defaultSubnetGroup(ctx)).Subnets!.map((s) => s.SubnetIdentifier!);

    const plan: BackingPlan = {
      id: backingGroupId(name),
      engine,
      version: info.version,
      backing: { serverlessCache: name, maxMemoryBytes: maxMemoryBytesOf(limits) },
      snapshotName: restoreSnapshotName(store, ctx, input.SnapshotArnsToRestore, engine),
      dailySnapshotTime,
      subnetGroup: subnetGroup?.CacheSubnetGroupName,
    };
    const memcached = engine === 'memcached';
    const securityGroups = memcached ? backingCluster(input, ctx, plan) : backingGroup(input, ctx, plan);
    const internal: ServerlessInternal = memcached ? { backingClusterId: plan.id } : { backingGroupId: plan.id };
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
      SecurityGroupIds: securityGroups,
      ARN: arn(ctx, 'serverlesscache', name),
      UserGroupId: input.UserGroupId?.toLowerCase(),
      SubnetIds: subnetIds,
      SnapshotRetentionLimit: input.SnapshotRetentionLimit ?? 0,
      DailySnapshotTime: dailySnapshotTime,
    };
    if (!store.resources.insert(ctx, KIND.serverlessCache, name, state, internal)) {
      throw fault('ServerlessCacheAlreadyExistsFault', `Serverless cache ${name} already exists.`);
    }
    applyTags(store, state.ARN, input.Tags);
    return state;
  };
}
