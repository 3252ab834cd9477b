/**
 * What the global datastore handlers share: the datastore as Describe shows it (its node groups and members' flags
 * read from the member groups as they are now), the rules a request must pass, and a request context for a member
 * in another region.
 */
import type { GlobalReplicationGroup } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import type { Store } from '../../../store/store.js';
import { fault } from '../../../domain/elasticache/faults.js';
import {
  getGlobal,
  primaryMemberOf,
  type GlobalMember,
  type StoredGlobal,
} from '../../../domain/elasticache/global-datastores.js';
import { findGroup, type StoredGroup } from '../../../domain/elasticache/records.js';

/** The request as it would be made in a member's region. */
export const inRegion = (ctx: RequestContext, region: string): RequestContext => ({ ...ctx, region });

export function memberGroup(store: Store, ctx: RequestContext, member: GlobalMember): StoredGroup | undefined {
  return findGroup(store, inRegion(ctx, member.ReplicationGroupRegion), member.ReplicationGroupId);
}

export function presentGlobal(
  store: Store,
  ctx: RequestContext,
  { state }: StoredGlobal,
  showMembers: boolean,
): GlobalReplicationGroup {
  const primaryMember = primaryMemberOf(state);
  const primary = primaryMember && memberGroup(store, ctx, primaryMember);
  const { Members, ...rest } = state;
  return {
    ...rest,
    GlobalNodeGroups: primary?.state.NodeGroups.map((ng) => ({
      GlobalNodeGroupId: `${state.GlobalReplicationGroupId}-${ng.NodeGroupId}`,
      Slots: ng.Slots,
    })),
    Members: showMembers
      ? Members.map((m) => ({
          ...m,
          AutomaticFailover: memberGroup(store, ctx, m)?.state.AutomaticFailover ?? m.AutomaticFailover,
        }))
      : undefined,
  };
}

/** The datastore a request names, which must be available for a change. */
export function availableGlobal(store: Store, ctx: RequestContext, id: string | undefined): StoredGlobal {
  const global = getGlobal(store, ctx, id);
  if (global.state.Status !== 'available') {
    throw fault(
      'InvalidGlobalReplicationGroupStateFault',
      `Global replication group ${global.state.GlobalReplicationGroupId} is not in available state (it is ${global.state.Status}).`,
    );
  }
  return global;
}
