/**
 * The ElastiCache API as the HTTP layer sees it: the model, every implemented operation's handler, and the
 * rule that one call is one SQLite transaction. Operations of the model without a handler here are answered
 * with an explicit "not implemented" error by the HTTP layer.
 */
import type { QueryApi } from '../../http/app.js';
import { findModelsDir, loadServiceModel, type ServiceModel } from '../../protocol/model.js';
import type { ReadStamp, Store } from '../../store/store.js';
import { isReadOnly, type HandlerTable } from '../context.js';
import { cacheClusterHandlers } from './cache-clusters.js';
import { engineVersionHandlers } from './engine-versions.js';
import { eventHandlers } from './events.js';
import { fault } from '../../domain/elasticache/faults.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { parameterGroupHandlers } from './parameter-groups.js';
import { parameterGroupExists } from '../../domain/elasticache/parameter-groups.js';
import { clusterNotFound, findGroup, groupNotFound } from '../../domain/elasticache/records.js';
import { findCacheSecurityGroup, findSubnetGroup, type SecurityGroupDirectory, type SubnetDirectory } from '../../domain/elasticache/network.js';
import type { WorkQueue } from '../../domain/elasticache/jobs.js';
import { reservedNodeExists, reservedNodeHandlers } from './reserved-nodes.js';
import { replicationGroupHandlers } from './replication-groups/index.js';
import { securityGroupHandlers } from './security-groups.js';
import { serviceUpdateHandlers } from './service-updates.js';
import { subnetGroupHandlers } from './subnet-groups.js';
import { tagHandlers } from './tags.js';

let cachedModel: ServiceModel | undefined;
export function elastiCacheModel(): ServiceModel {
  cachedModel ??= loadServiceModel(findModelsDir(import.meta.url), 'elasticache', '2015-02-02');
  return cachedModel;
}

export interface ElastiCacheDeps {
  store: Store;
  work: WorkQueue;
  subnets?: SubnetDirectory;
  securityGroups?: SecurityGroupDirectory;
}

export function elastiCacheHandlers({ store, work, subnets, securityGroups }: ElastiCacheDeps): HandlerTable {
  return {
    ...cacheClusterHandlers(store, work, securityGroups),
    ...replicationGroupHandlers(store, work, securityGroups),
    ...parameterGroupHandlers(store, work),
    ...subnetGroupHandlers(store, subnets),
    ...securityGroupHandlers(store),
    ...engineVersionHandlers(),
    ...eventHandlers(store),
    ...reservedNodeHandlers(store),
    ...serviceUpdateHandlers(store),
    ...tagHandlers(store, {
      cluster: {
        exists: (ctx, name) => store.resources.get(ctx, KIND.cacheCluster, name) !== undefined,
        notFound: clusterNotFound,
      },
      parametergroup: {
        exists: (ctx, name) => parameterGroupExists(store, ctx, name),
        notFound: (name) => fault('CacheParameterGroupNotFoundFault', `CacheParameterGroup not found: ${name}`),
      },
      subnetgroup: {
        exists: (ctx, name) => findSubnetGroup(store, ctx, name) !== undefined,
        notFound: (name) => fault('CacheSubnetGroupNotFoundFault', `Cache subnet group ${name} does not exist.`),
      },
      securitygroup: {
        exists: (ctx, name) => findCacheSecurityGroup(store, ctx, name) !== undefined,
        notFound: (name) => fault('CacheSecurityGroupNotFoundFault', `CacheSecurityGroup not found: ${name}`),
      },
      'reserved-instance': {
        exists: (ctx, name) => reservedNodeExists(store, ctx, name),
        notFound: (name) => fault('ReservedCacheNodeNotFoundFault', `ReservedCacheNode not found: ${name}`),
      },
      replicationgroup: {
        exists: (ctx, name) => findGroup(store, ctx, name) !== undefined,
        notFound: groupNotFound,
      },
      snapshot: {
        exists: () => false,
        notFound: (name) => fault('SnapshotNotFoundFault', `Snapshot not found: ${name}`),
      },
      user: {
        exists: () => false,
        notFound: (name) => fault('UserNotFoundFault', `User not found: ${name}`),
      },
      usergroup: {
        exists: () => false,
        notFound: (name) => fault('UserGroupNotFoundFault', `User group not found: ${name}`),
      },
      serverlesscache: {
        exists: () => false,
        notFound: (name) => fault('ServerlessCacheNotFoundFault', `Serverless cache not found: ${name}`),
      },
      serverlesscachesnapshot: {
        exists: () => false,
        notFound: (name) => fault('ServerlessCacheSnapshotNotFoundFault', `Serverless cache snapshot not found: ${name}`),
      },
    }),
  };
}

/**
 * How long a call that started work (a create, a delete, ...) may hold its answer while that work finishes. The
 * answer still shows the resource as the call left it (`creating`), as AWS does; but the client's first poll,
 * right after, finds it `available`, so an SDK or CLI waiter returns without sleeping.
 */
export const SETTLE_MS = 5000;

export function elastiCacheApi(deps: ElastiCacheDeps): QueryApi {
  const { store, work } = deps;
  return {
    signingName: 'elasticache',
    title: 'Amazon ElastiCache',
    model: elastiCacheModel(),
    handlers: elastiCacheHandlers(deps),
    invoke: async (run, action) => {
      store.jobs.takeEnqueuedDue(); // work the reconciler enqueued meanwhile is not this call's
      const output = isReadOnly(action) ? store.read(run) : store.transaction(run);
      const started = store.jobs.takeEnqueuedDue();
      if (started.length > 0) await work.settle(started, SETTLE_MS);
      return output;
    },
    reusable: {
      operations: REUSABLE_ANSWERS,
      run: (run) => {
        const { result, stamp } = store.readRecorded(run);
        return { output: result, stamp };
      },
      unchanged: (stamp) => store.unchanged(stamp as ReadStamp),
    },
  };
}

/**
 * Describes whose answer depends on their input and the resources they read alone: no clock (DescribeEvents'
 * window, reserved nodes' remaining time, service updates' dates), so a kept answer stays right while those
 * resources are unchanged. Each also reads through store.resources only; one that reads tags or events would not
 * get a stamp, and so never be reused.
 */
const REUSABLE_ANSWERS: ReadonlySet<string> = new Set([
  'DescribeCacheClusters',
  'DescribeReplicationGroups',
  'DescribeCacheParameterGroups',
  'DescribeCacheParameters',
  'DescribeCacheSubnetGroups',
  'DescribeCacheSecurityGroups',
]);
