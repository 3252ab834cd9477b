/**
 * DeleteServerlessCache: the cache turns `deleting`, its backing group is deleted as any group is, and a job removes
 * the cache's record once the group has gone.
 */
import type { DeleteServerlessCacheRequest } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { fault, invalidCombination } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  backingGroup,
  getServerless,
  saveServerless,
  serverlessStatus,
  type ServerlessState,
} from '../../../domain/elasticache/serverless.js';
import { deleteReplicationGroup } from '../replication-groups/delete.js';
import type { GroupHandlerDeps } from '../replication-groups/group-rules.js';

export function deleteServerlessCache(deps: GroupHandlerDeps) {
  const { store, jobs } = deps;
  const deleteGroup = deleteReplicationGroup(deps);
  return (input: DeleteServerlessCacheRequest, ctx: RequestContext): ServerlessState => {
    const cache = getServerless(store, ctx, input.ServerlessCacheName);
    const name = cache.state.ServerlessCacheName;
    const group = backingGroup(store, ctx, cache);
    const status = serverlessStatus(cache, group);
    if (!['available', 'create-failed'].includes(status)) {
      throw fault(
        'InvalidServerlessCacheStateFault',
        `Serverless cache ${name} is not in available state (it is ${status}).`,
      );
    }
    if (input.FinalSnapshotName !== undefined) {
      throw invalidCombination('FinalSnapshotName: snapshots of serverless caches are not served by this emulator yet.');
    }
    if (group) deleteGroup({ ReplicationGroupId: cache.internal.backingGroupId }, ctx);
    cache.state.Status = 'deleting';
    saveServerless(store, ctx, cache);
    jobs.enqueue(ctx, KIND.serverlessCache, name, 'delete');
    return { ...cache.state, Endpoint: undefined, ReaderEndpoint: undefined };
  };
}
