/**
 * Cache clusters: Create, Describe, Modify, Delete, Reboot, ListAllowedNodeTypeModifications, one file per
 * capability beside this one.
 * Handlers check a request against the stored state, write the desired state and a job in the call's
 * transaction, and answer with the cluster as AWS shows it at that moment (`creating`, `modifying`, ...).
 * The reconciler (control/cache-cluster-worker.ts) then makes the nodes match and moves the status on.
 * A cluster that is a member of a replication group is created and deleted through the group's rules
 * (replication-groups/members.ts).
 */
import type {
  DescribeCacheClustersMessage,
  ListAllowedNodeTypeModificationsMessage,
} from '@aws-sdk/client-elasticache';
import type { Store } from '../../../store/store.js';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import type { Engine } from '../../../common/engines.js';
import { NODE_TYPES, nodeType, nodeTypeSupports } from '../../../domain/elasticache/catalog.js';
import { invalidCombination } from '../../../domain/elasticache/faults.js';
import { JobQueue, type WorkQueue } from '../../../domain/elasticache/jobs.js';
import { defaultVpcSecurityGroups, type SecurityGroupDirectory } from '../../../domain/elasticache/network.js';
import { getCluster, listClusters } from '../../../domain/elasticache/records.js';
import { paginate } from '../pagination.js';
import { groupNodeType } from '../replication-groups/members.js';

import { presentCluster, type ClusterHandlerDeps } from './present.js';
import { createCacheCluster } from './create.js';
import { deleteCacheCluster, rebootCacheCluster } from './lifecycle.js';
import { modifyCacheCluster } from './modify.js';

export function cacheClusterHandlers(
  store: Store,
  work: WorkQueue,
  groups: SecurityGroupDirectory = defaultVpcSecurityGroups,
): HandlerTable {
  const deps: ClusterHandlerDeps = { store, jobs: new JobQueue(store, work), securityGroups: groups };

  const DescribeCacheClusters = (input: DescribeCacheClustersMessage, ctx: RequestContext) => {
    let clusters =
      input.CacheClusterId !== undefined
        ? [getCluster(store, ctx, input.CacheClusterId).state]
        : listClusters(store, ctx)
            .filter((c) => c.internal.serverlessCache === undefined)
            .map((c) => c.state);
    if (input.ShowCacheClustersNotInReplicationGroups) clusters = clusters.filter((c) => !c.ReplicationGroupId);
    const { page, marker } = paginate(clusters, input);
    return { Marker: marker, CacheClusters: page.map((c) => presentCluster(c, input.ShowCacheNodeInfo ?? false)) };
  };

  const ListAllowedNodeTypeModifications = (input: ListAllowedNodeTypeModificationsMessage, ctx: RequestContext) => {
    if ((input.CacheClusterId === undefined) === (input.ReplicationGroupId === undefined)) {
      throw invalidCombination('Exactly one of CacheClusterId or ReplicationGroupId must be specified.');
    }
    const {
      nodeType: currentType,
      engine,
      version,
    } = input.ReplicationGroupId !== undefined
      ? groupNodeType(store, ctx, input.ReplicationGroupId)
      : (({ state }) => ({
          nodeType: state.CacheNodeType,
          engine: state.Engine as Engine,
          version: state.EngineVersion,
        }))(getCluster(store, ctx, input.CacheClusterId));
    const current = nodeType(currentType);
    const candidates = NODE_TYPES.filter(
      (t) => !t.previousGeneration && t.name !== currentType && nodeTypeSupports(t, engine, version),
    );
    const memory = current?.memoryBytes ?? 0;
    return {
      ScaleUpModifications: candidates.filter((t) => t.memoryBytes > memory).map((t) => t.name),
      ScaleDownModifications: candidates.filter((t) => t.memoryBytes < memory).map((t) => t.name),
    };
  };

  return {
    CreateCacheCluster: createCacheCluster(deps),
    DescribeCacheClusters,
    ModifyCacheCluster: modifyCacheCluster(deps),
    RebootCacheCluster: rebootCacheCluster(deps),
    DeleteCacheCluster: deleteCacheCluster(deps),
    ListAllowedNodeTypeModifications,
  };
}
