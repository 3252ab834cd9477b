/**
 * Serverless caches and their snapshots: Create, Describe, Modify, Delete here and in the files beside this one,
 * the snapshots in snapshots.ts. Each cache is served by a hidden backing replication group (memcached: a cache
 * cluster; domain/elasticache/serverless.ts), which the group and cluster handlers write and their workers run; the
 * serverless worker (control/serverless/) applies a new DataStorage maximum and removes a deleted cache's record.
 */
import type { DescribeServerlessCachesRequest } from '@aws-sdk/client-elasticache';
import type { Store } from '../../../store/store.js';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import { JobQueue, type WorkQueue } from '../../../domain/elasticache/jobs.js';
import {
  defaultVpcSecurityGroups,
  defaultVpcSubnets,
  type SecurityGroupDirectory,
  type SubnetDirectory,
} from '../../../domain/elasticache/network.js';
import {
  findServerless,
  getServerless,
  listServerless,
  serverlessAsShown,
} from '../../../domain/elasticache/serverless.js';
import {
  findServerlessSnapshot,
  serverlessSnapshotNotFound,
} from '../../../domain/elasticache/serverless-snapshots.js';
import type { TaggableResolver } from '../tags.js';
import { createServerlessCache } from './create.js';
import { deleteServerlessCache } from './delete.js';
import { modifyServerlessCache } from './modify.js';
import { paginateResults } from './rules.js';
import { serverlessSnapshotHandlers } from './snapshots.js';
import { fault } from '../../../domain/elasticache/faults.js';

export function serverlessCacheHandlers(
  store: Store,
  work: WorkQueue,
  securityGroups: SecurityGroupDirectory = defaultVpcSecurityGroups,
  subnets: SubnetDirectory = defaultVpcSubnets,
): HandlerTable {
  const deps = { store, jobs: new JobQueue(store, work), securityGroups };
  const create = createServerlessCache(deps, subnets);
  const modify = modifyServerlessCache(deps);
  const remove = deleteServerlessCache(deps);

  const DescribeServerlessCaches = (input: DescribeServerlessCachesRequest, ctx: RequestContext) => {
    const all =
      input.ServerlessCacheName !== undefined
        ? [getServerless(store, ctx, input.ServerlessCacheName)]
        : listServerless(store, ctx);
    const { page, nextToken } = paginateResults(all, input);
    return { NextToken: nextToken, ServerlessCaches: page.map((c) => serverlessAsShown(store, ctx, c)) };
  };

  return {
    ...serverlessSnapshotHandlers(store, deps.jobs),
    CreateServerlessCache: (input, ctx) => ({ ServerlessCache: create(input, ctx) }),
    DescribeServerlessCaches,
    ModifyServerlessCache: (input, ctx) => ({ ServerlessCache: serverlessAsShown(store, ctx, modify(input, ctx)) }),
    DeleteServerlessCache: (input, ctx) => ({ ServerlessCache: remove(input, ctx) }),
  };
}

/** Tags on serverless caches and their snapshots (ARN types serverlesscache, serverlesscachesnapshot). */
export function serverlessTagResolvers(store: Store): Record<string, TaggableResolver> {
  return {
    serverlesscache: {
      exists: (ctx, name) => findServerless(store, ctx, name) !== undefined,
      notFound: (name) => fault('ServerlessCacheNotFoundFault', `Serverless cache not found: ${name}`),
    },
    serverlesscachesnapshot: {
      exists: (ctx, name) => findServerlessSnapshot(store, ctx, name) !== undefined,
      notFound: serverlessSnapshotNotFound,
    },
  };
}
