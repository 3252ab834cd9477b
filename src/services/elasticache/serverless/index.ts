/**
 * Serverless caches: Create, Describe, Modify, Delete, one file per capability beside this one. Each cache is
 * served by a hidden backing replication group (domain/elasticache/serverless.ts); the group handlers write it and
 * the group workers run its nodes, and the serverless worker (control/serverless/) removes a deleted cache's record.
 */
import type { DescribeServerlessCachesRequest } from '@aws-sdk/client-elasticache';
import type { Store } from '../../../store/store.js';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import { invalidValue } from '../../../domain/elasticache/faults.js';
import { JobQueue, type WorkQueue } from '../../../domain/elasticache/jobs.js';
import { defaultVpcSecurityGroups, type SecurityGroupDirectory } from '../../../domain/elasticache/network.js';
import { findServerless, getServerless, listServerless } from '../../../domain/elasticache/serverless.js';
import type { TaggableResolver } from '../tags.js';
import { createServerlessCache } from './create.js';
import { deleteServerlessCache } from './delete.js';
import { modifyServerlessCache } from './modify.js';
import { presentServerless } from './present.js';
import { fault } from '../../../domain/elasticache/faults.js';

/** NextToken / MaxResults paging of the serverless Describes: at most 50 a page, 50 unless asked. */
export function paginateResults<T>(items: T[], input: { NextToken?: string; MaxResults?: number }) {
  const size = input.MaxResults ?? 50;
  if (size < 1 || size > 50) throw invalidValue('MaxResults must be between 1 and 50.');
  let offset = 0;
  if (input.NextToken !== undefined && input.NextToken !== '') {
    const match = /^offset:(\d+)$/.exec(Buffer.from(input.NextToken, 'base64').toString('utf8'));
    if (!match) throw invalidValue(`Invalid NextToken: ${input.NextToken}`);
    offset = Number(match[1]);
  }
  const next = offset + size;
  return {
    page: items.slice(offset, next),
    nextToken: next < items.length ? Buffer.from(`offset:${next}`).toString('base64') : undefined,
  };
}

export function serverlessCacheHandlers(
  store: Store,
  work: WorkQueue,
  securityGroups: SecurityGroupDirectory = defaultVpcSecurityGroups,
): HandlerTable {
  const deps = { store, jobs: new JobQueue(store, work), securityGroups };
  const create = createServerlessCache(deps);
  const modify = modifyServerlessCache(deps);
  const remove = deleteServerlessCache(deps);

  const DescribeServerlessCaches = (input: DescribeServerlessCachesRequest, ctx: RequestContext) => {
    const all =
      input.ServerlessCacheName !== undefined
        ? [getServerless(store, ctx, input.ServerlessCacheName)]
        : listServerless(store, ctx);
    const { page, nextToken } = paginateResults(all, input);
    return { NextToken: nextToken, ServerlessCaches: page.map((c) => presentServerless(store, ctx, c)) };
  };

  return {
    CreateServerlessCache: (input, ctx) => ({ ServerlessCache: create(input, ctx) }),
    DescribeServerlessCaches,
    ModifyServerlessCache: (input, ctx) => ({ ServerlessCache: presentServerless(store, ctx, modify(input, ctx)) }),
    DeleteServerlessCache: (input, ctx) => ({ ServerlessCache: remove(input, ctx) }),
  };
}

/** Tags on serverless caches (ARN type serverlesscache). */
export function serverlessTagResolvers(store: Store): Record<string, TaggableResolver> {
  return {
    serverlesscache: {
      exists: (ctx, name) => findServerless(store, ctx, name) !== undefined,
      notFound: (name) => fault('ServerlessCacheNotFoundFault', `Serverless cache not found: ${name}`),
    },
  };
}
