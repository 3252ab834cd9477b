/**
 * Replication groups: Create, Describe, Modify, Delete, Increase / DecreaseReplicaCount,
 * ModifyReplicationGroupShardConfiguration, TestFailover; one file per capability beside this one, and the member
 * side of the cache cluster API in members.ts. A group is stored with its member cache clusters, each an ordinary
 * cache cluster record with ReplicationGroupId set (DescribeCacheClusters lists them, as AWS does). Handlers write
 * the desired topology (members, roles, shards and their slots) in the call's transaction and queue a converge job;
 * the replication group workers (control/replication-groups/) make the nodes match.
 */
import type { DescribeReplicationGroupsMessage, ReplicationGroup } from '@aws-sdk/client-elasticache';
import type { Store } from '../../../store/store.js';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import { JobQueue, type WorkQueue } from '../../../domain/elasticache/jobs.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import { defaultVpcSecurityGroups, type SecurityGroupDirectory } from '../../../domain/elasticache/network.js';
import { getGroup, isClusterMode, type GroupState } from '../../../domain/elasticache/records.js';
import { paginate } from '../pagination.js';
import { createReplicationGroup } from './create.js';
import { deleteReplicationGroup } from './delete.js';
import { testFailover } from './failover.js';
import type { GroupHandlerDeps } from './group-rules.js';
import { modifyReplicationGroup } from './modify.js';
import { decreaseReplicaCount, increaseReplicaCount } from './replicas.js';
import { modifyShardConfiguration } from './shards.js';

/** The group as DescribeReplicationGroups shows it: members' roles and read endpoints only with cluster mode disabled. */
export function presentGroup(state: ReplicationGroup): ReplicationGroup {
  if (!isClusterMode(state)) return state;
  return {
    ...state,
    NodeGroups: state.NodeGroups?.map((g) => ({
      ...g,
      NodeGroupMembers: g.NodeGroupMembers?.map(({ CurrentRole: _role, ReadEndpoint: _endpoint, ...member }) => member),
    })),
  };
}

export function replicationGroupHandlers(
  store: Store,
  work: WorkQueue,
  securityGroups: SecurityGroupDirectory = defaultVpcSecurityGroups,
): HandlerTable {
  const deps: GroupHandlerDeps = { store, jobs: new JobQueue(store, work), securityGroups };
  const answer = (state: GroupState) => ({ ReplicationGroup: presentGroup(state) });

  const DescribeReplicationGroups = (input: DescribeReplicationGroupsMessage, ctx: RequestContext) => {
    const all =
      input.ReplicationGroupId !== undefined
        ? [getGroup(store, ctx, input.ReplicationGroupId).state]
        : store.resources
            .list<ReplicationGroup>(ctx, KIND.replicationGroup)
            .filter((r) => r.internal.serverlessCache === undefined)
            .map((r) => r.state);
    const { page, marker } = paginate(all, input);
    return { Marker: marker, ReplicationGroups: page.map(presentGroup) };
  };

  const create = createReplicationGroup(deps);
  const modify = modifyReplicationGroup(deps);
  const remove = deleteReplicationGroup(deps);
  const increase = increaseReplicaCount(deps);
  const decrease = decreaseReplicaCount(deps);
  const reshard = modifyShardConfiguration(deps);
  const failover = testFailover(deps);
  return {
    CreateReplicationGroup: (input, ctx) => answer(create(input, ctx)),
    DescribeReplicationGroups,
    ModifyReplicationGroup: (input, ctx) => answer(modify(input, ctx)),
    DeleteReplicationGroup: (input, ctx) => answer(remove(input, ctx)),
    IncreaseReplicaCount: (input, ctx) => answer(increase(input, ctx)),
    DecreaseReplicaCount: (input, ctx) => answer(decrease(input, ctx)),
    ModifyReplicationGroupShardConfiguration: (input, ctx) => answer(reshard(input, ctx)),
    TestFailover: (input, ctx) => answer(failover(input, ctx)),
  };
}
