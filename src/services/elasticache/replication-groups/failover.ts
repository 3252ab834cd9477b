/** TestFailover: a shard's primary hands over to a replica (the worker promotes it), at most 15 a day. */
import type { TestFailoverMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { fault, requireValue } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  getGroup,
  recordGroupEvent,
  replicasOf,
  requireGroupAvailable,
  saveGroup,
  type GroupState,
} from '../../../domain/elasticache/records.js';
import type { GroupHandlerDeps } from './group-rules.js';
import { FAILOVERS_PER_DAY } from './limits.js';

const DAY_MS = 86_400_000;

export function testFailover({ store, jobs }: GroupHandlerDeps) {
  return (input: TestFailoverMessage, ctx: RequestContext): GroupState => {
    const group = getGroup(store, ctx, input.ReplicationGroupId);
    const { state, internal } = group;
    const nodeGroupId = requireValue(input.NodeGroupId, 'NodeGroupId');
    requireGroupAvailable(group);
    const nodeGroup = state.NodeGroups.find((g) => g.NodeGroupId === nodeGroupId);
    if (!nodeGroup)
      throw fault(
        'NodeGroupNotFoundFault',
        `Node group ${nodeGroupId} not found in replication group ${state.ReplicationGroupId}.`,
      );
    if (state.AutomaticFailover !== 'enabled') {
      throw fault(
        'TestFailoverNotAvailableFault',
        `Automatic failover is not enabled for replication group ${state.ReplicationGroupId}.`,
      );
    }
    if (replicasOf(nodeGroup).length === 0) {
      throw fault('TestFailoverNotAvailableFault', `Node group ${nodeGroupId} has no replica to fail over to.`);
    }
    if (internal.failover) {
      throw fault(
        'InvalidReplicationGroupStateFault',
        `A failover of replication group ${state.ReplicationGroupId} is already in progress.`,
      );
    }
    const now = Date.now();
    const recent = (internal.failoverCalls ?? []).filter((at) => at > now - DAY_MS);
    if (recent.length >= FAILOVERS_PER_DAY) {
      throw fault(
        'APICallRateForCustomerExceededFault',
        `TestFailover can be called for at most ${FAILOVERS_PER_DAY} node groups in a rolling 24 hours.`,
      );
    }
    internal.failoverCalls = [...recent, now];
    internal.failover = { nodeGroupId, reason: 'test' };
    saveGroup(store, ctx, group);
    recordGroupEvent(store, ctx, state.ReplicationGroupId, `Test Failover API called for node group ${nodeGroupId}`);
    jobs.enqueue(ctx, KIND.replicationGroup, state.ReplicationGroupId, 'converge');
    return state;
  };
}
