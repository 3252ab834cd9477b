/**
 * The ElastiCache API as the call pipeline sees it: the model, every implemented operation's handler, and which
 * Describes' answers may be kept. Its calls run in the store's transactions (src/api/call-runner.ts). Operations
 * of the model without a handler here are answered with an explicit "not implemented" error by the HTTP layer.
 */
import type { QueryApi } from '../../api/query-api.js';
import { findModelsDir, loadServiceModel, type ServiceModel } from '../../protocol/model.js';
import type { Store } from '../../store/store.js';
import type { HandlerTable } from '../../api/query-api.js';
import { cacheClusterHandlers } from './cache-clusters/index.js';
import { engineVersionHandlers } from './engine-versions.js';
import { eventHandlers } from './events.js';
import { fault } from '../../domain/elasticache/faults.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { parameterGroupHandlers } from './parameter-groups.js';
import { parameterGroupExists } from '../../domain/elasticache/parameter-groups.js';
import { clusterNotFound, findGroup, groupNotFound } from '../../domain/elasticache/records.js';
import {
  defaultVpcSecurityGroups,
  findCacheSecurityGroup,
  findSubnetGroup,
  type SecurityGroupDirectory,
  type SubnetDirectory,
} from '../../domain/elasticache/network.js';
import { JobQueue, type WorkQueue } from '../../domain/elasticache/jobs.js';
import { globalDatastoreHandlers } from './global-datastores/index.js';
import { migrationHandlers } from './migration.js';
import { reservedNodeExists, reservedNodeHandlers } from './reserved-nodes.js';
import { replicationGroupHandlers } from './replication-groups/index.js';
import { securityGroupHandlers } from './security-groups.js';
import { serviceUpdateHandlers } from './service-updates.js';
import { snapshotHandlers } from './snapshots/index.js';
import { serverlessCacheHandlers, serverlessTagResolvers } from './serverless/index.js';
import { findSnapshot } from '../../domain/elasticache/snapshots.js';
import { subnetGroupHandlers } from './subnet-groups.js';
import { tagHandlers } from './tags.js';
import { userHandlers, userTagResolvers } from './users/index.js';

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
    ...migrationHandlers(store, work),
    ...globalDatastoreHandlers({
      store,
      jobs: new JobQueue(store, work),
      securityGroups: securityGroups ?? defaultVpcSecurityGroups,
    }),
    ...parameterGroupHandlers(store, work),
    ...subnetGroupHandlers(store, subnets),
    ...securityGroupHandlers(store),
    ...engineVersionHandlers(),
    ...eventHandlers(store),
    ...reservedNodeHandlers(store),
    ...serviceUpdateHandlers(store),
    ...snapshotHandlers(store, work),
    ...serverlessCacheHandlers(store, work, securityGroups, subnets),
    ...userHandlers(store, work),
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
        exists: (ctx, name) => findSnapshot(store, ctx, name) !== undefined,
        notFound: (name) => fault('SnapshotNotFoundFault', `Snapshot not found: ${name}`),
      },
      ...userTagResolvers(store),
      ...serverlessTagResolvers(store),
    }),
  };
}

export function elastiCacheApi(deps: ElastiCacheDeps): QueryApi {
  return {
    signingName: 'elasticache',
    title: 'Amazon ElastiCache',
    model: elastiCacheModel(),
    handlers: elastiCacheHandlers(deps),
    usesStore: true,
    reusableOperations: REUSABLE_ANSWERS,
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
