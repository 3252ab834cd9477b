/**
 * The member side of the cache cluster API: CreateCacheCluster with ReplicationGroupId adds a replica,
 * DeleteCacheCluster of a member removes one (within the group's rules), and ListAllowedNodeTypeModifications by
 * group reads the members' node type.
 */
import type { CreateCacheClusterMessage } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../../store/store.js';
import type { RequestContext } from '../../../api/query-api.js';
import type { Engine } from '../../../common/engines.js';
import { checkNodeQuota, memberInternal, newMemberFrom } from '../../../domain/elasticache/cluster-settings.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import type { JobQueue } from '../../../domain/elasticache/jobs.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { checkZone, findSubnetGroup, subnetZones } from '../../../domain/elasticache/network.js';
import {
  failoverEnabledOrPending,
  getGroup,
  insertCluster,
  MEMBER_NODE,
  isClusterMode,
  primaryOf,
  requireGroupAvailable,
  saveCluster,
  saveGroup,
  templateMember,
  type StoredCluster,
} from '../../../domain/elasticache/records.js';
import { applyTags } from '../tags.js';
import { MAX_REPLICAS } from './limits.js';

/** CreateCacheCluster with ReplicationGroupId: a new replica in a group with cluster mode disabled. */
export function addReplicaCluster(
  store: Store,
  jobs: JobQueue,
  input: CreateCacheClusterMessage,
  ctx: RequestContext,
  id: string,
) {
  const group = getGroup(store, ctx, input.ReplicationGroupId);
  const { state } = group;
  const extras = (
    [
      'CacheNodeType',
      'Engine',
      'EngineVersion',
      'CacheParameterGroupName',
      'CacheSubnetGroupName',
      'NumCacheNodes',
      'AZMode',
      'Port',
      'AuthToken',
      'SnapshotName',
    ] as const
  ).filter((name) => input[name] !== undefined);
  if (
    extras.length > 0 ||
    input.SecurityGroupIds?.length ||
    input.CacheSecurityGroupNames?.length ||
    input.PreferredAvailabilityZones?.length
  ) {
    throw invalidCombination('Cannot specify additional cache cluster parameters when creating a replica cluster');
  }
  if (isClusterMode(state)) {
    throw invalidValue(
      `Replication group ${state.ReplicationGroupId} has cluster mode enabled; add replicas with IncreaseReplicaCount.`,
    );
  }
  requireGroupAvailable(group);
  const nodeGroup = state.NodeGroups[0];
  if (nodeGroup.NodeGroupMembers.length >= MAX_REPLICAS + 1) {
    throw fault(
      'NodeQuotaForClusterExceededFault',
      `Replication group ${state.ReplicationGroupId} already has ${MAX_REPLICAS} replicas.`,
    );
  }
  checkNodeQuota(store, ctx, 1);
  const template = templateMember(store, ctx, group).state;
  const subnetGroup = findSubnetGroup(store, ctx, template.CacheSubnetGroupName) ?? { Subnets: [] };
  const zones = subnetZones(ctx.region, subnetGroup);
  const zone = input.PreferredAvailabilityZone
    ? checkZone(zones, input.PreferredAvailabilityZone, subnetGroup.CacheSubnetGroupName ?? 'default')
    : zones[nodeGroup.NodeGroupMembers.length % zones.length];
  const member = newMemberFrom(template, ctx, id, state.ReplicationGroupId, zone);
  insertCluster(store, ctx, member, memberInternal(group));
  applyTags(store, member.ARN, input.Tags);
  nodeGroup.NodeGroupMembers.push({
    CacheClusterId: id,
    CacheNodeId: MEMBER_NODE,
    PreferredAvailabilityZone: zone,
    CurrentRole: 'replica',
  });
  nodeGroup.Status = 'modifying';
  state.MemberClusters.push(id);
  state.Status = 'modifying';
  saveGroup(store, ctx, group);
  jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'converge');
  return member;
}

/** DeleteCacheCluster of a member: a replica may go, unless the group would break AWS's rules. */
export function removeMemberCluster(store: Store, jobs: JobQueue, ctx: RequestContext, member: StoredCluster) {
  const group = getGroup(store, ctx, member.state.ReplicationGroupId);
  const { state, internal } = group;
  const id = member.state.CacheClusterId;
  const rgId = state.ReplicationGroupId;
  if (isClusterMode(state)) {
    throw fault(
      'InvalidCacheClusterStateFault',
      `Cannot delete cache cluster ${id}: it belongs to replication group ${rgId}, which has cluster mode enabled; use DecreaseReplicaCount.`,
    );
  }
  if (state.Status !== 'available' || member.state.CacheClusterStatus !== 'available') {
    throw fault('InvalidCacheClusterStateFault', `Cache cluster ${id} is not in available state.`);
  }
  const nodeGroup = state.NodeGroups[0];
  if (nodeGroup.NodeGroupMembers.length === 1) {
    throw fault(
      'InvalidCacheClusterStateFault',
      `Cannot delete cache cluster ${id} because it is the only member of a replication group. Delete the replication group ${rgId} instead.`,
    );
  }
  if (primaryOf(nodeGroup)?.CacheClusterId === id) {
    throw fault(
      'InvalidCacheClusterStateFault',
      `Cannot delete cache cluster ${id} because it is serving as primary for replication group ${rgId}.`,
    );
  }
  if (failoverEnabledOrPending(state) && nodeGroup.NodeGroupMembers.length === 2) {
    throw fault(
      'InvalidCacheClusterStateFault',
      `Cannot delete the cache cluster because it is the only read replica for replication group ${rgId} which has autofailover enabled or pending. Disable autofailover before deleting the cache cluster.`,
    );
  }
  internal.removingMembers = [...new Set([...(internal.removingMembers ?? []), id])];
  member.state.CacheClusterStatus = 'deleting';
  saveCluster(store, ctx, member);
  nodeGroup.Status = 'modifying';
  state.Status = 'modifying';
  saveGroup(store, ctx, group);
  jobs.enqueue(ctx, KIND.replicationGroup, rgId, 'converge');
}

/** ListAllowedNodeTypeModifications for a group: what its members' node type may change to. */
export function groupNodeType(
  store: Store,
  scope: Scope,
  id: string,
): { nodeType: string; engine: Engine; version: string } {
  const template = templateMember(store, scope, getGroup(store, scope, id)).state;
  return { nodeType: template.CacheNodeType, engine: template.Engine as Engine, version: template.EngineVersion };
}
