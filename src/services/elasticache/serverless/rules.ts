/** What the serverless handlers share: NextToken / MaxResults paging, and the state a change needs its cache in. */
import type { Scope, Store } from '../../../store/store.js';
import { fault, invalidValue } from '../../../domain/elasticache/faults.js';
import type { StoredGroup } from '../../../domain/elasticache/records.js';
import {
  backingGroup,
  backingView,
  serverlessStatus,
  type StoredServerless,
} from '../../../domain/elasticache/serverless.js';

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

/**
 * A change (a modify, a snapshot, a delete) needs the cache's backing resource idle: a cache whose group or cluster
 * is busy (creating, modifying, taking a snapshot) is refused with the serverless API's own fault.
 */
export function requireBackingAvailable(
  store: Store,
  scope: Scope,
  cache: StoredServerless,
  allowed: string[] = ['available'],
): void {
  const backing = backingView(store, scope, cache);
  if (!backing || !allowed.includes(backing.status)) {
    const shown = serverlessStatus(cache, backing);
    throw fault(
      'InvalidServerlessCacheStateFault',
      `Serverless cache ${cache.state.ServerlessCacheName} is not in available state (it is ${shown === 'available' ? backing?.status : shown}).`,
    );
  }
}

/** The backing group of a valkey / redis cache, while it exists (a cache being deleted may have lost it). */
export function requireBackingGroup(store: Store, scope: Scope, cache: StoredServerless): StoredGroup {
  const group = backingGroup(store, scope, cache);
  if (!group) {
    throw fault(
      'InvalidServerlessCacheStateFault',
      `Serverless cache ${cache.state.ServerlessCacheName} is not in available state.`,
    );
  }
  return group;
}
