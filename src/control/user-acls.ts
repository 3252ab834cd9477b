/**
 * Keeps nodes' ACLs in step with RBAC users and user groups. The jobs of users and user groups (a changed access
 * string or password, a group's new members, a delete) give the running nodes of every replication group
 * concerned its users again, then show the resource `active` (or remove it). A replication group's own change of
 * user group runs inside its converge job (applyUserGroupChange). Nodes that start later (created, healed,
 * replaced after a failover) get their users when they are attached (ClusterNodes.attach). A group whose user group
 * gains its first iam user moves its endpoints behind the emulator's listeners, which log iam users in
 * (control/iam-logins.ts); one that loses its last gives them back to its nodes.
 */
import type { Scope } from '../store/store.js';
import { jobTable, scopeOf } from '../domain/elasticache/jobs.js';
import { KIND } from '../domain/elasticache/kinds.js';
import {
  findStoredUser,
  replicationGroupsUsing,
  updateUser,
  updateUserGroup,
  userGroupsOf,
  type UserGroupState,
} from '../domain/elasticache/user-records.js';
import type { GroupState } from '../domain/elasticache/records.js';
import { failureTable } from './failure-table.js';
import type { JobFailureHandler, JobWorker } from './reconciler.js';
import type { GroupContext } from './replication-groups/group-context.js';
import { serveGroupEndpoints } from './replication-groups/group-endpoints.js';
import { moveServedEndpoints } from './served-endpoints.js';

/** Gives every running node of these replication groups the client access the store now says. */
async function refreshGroups(ctx: GroupContext, scope: Scope, groupIds: string[]): Promise<void> {
  if (!ctx.real) return;
  for (const groupId of new Set(groupIds)) {
    const group = ctx.find(scope, groupId);
    if (!group || group.state.Status === 'deleting') continue;
    for (const memberId of group.state.MemberClusters) await ctx.nodes.refreshClientAccess(scope, memberId);
    await placeEndpoints(ctx, scope, groupId, group.state.MemberClusters);
  }
}

/**
 * Puts the endpoints of a group's nodes where its users need them: behind the emulator's listeners while an iam user
 * is in its user group, with the nodes themselves otherwise (unless security groups keep them closed). Only nodes
 * serving their endpoints move (ClusterNodes.closableNodes); connections made meanwhile stay.
 */
async function placeEndpoints(ctx: GroupContext, scope: Scope, groupId: string, members: string[]): Promise<void> {
  let moved = false;
  for (const memberId of members) {
    const closed = ctx.nodes.isClosed(scope, memberId) || ctx.nodes.needsEndpointLogin(scope, memberId);
    const endpoint = ctx.nodes.load(scope, memberId)?.state.CacheNodes[0]?.Endpoint;
    if (!endpoint?.Address || ctx.endpoints.isOpen(endpoint.Address, endpoint.Port!) === closed) continue;
    moved = (await moveServedEndpoints(ctx.nodes, ctx.endpoints, scope, memberId, closed)) || moved;
  }
  if (moved) await serveGroupEndpoints(ctx, scope, groupId, { keepConnections: true });
}

/** Every replication group that has a user group: a deleted user may have been on any of their nodes. */
function groupsWithUsers(ctx: GroupContext, scope: Scope): string[] {
  return ctx.store.resources
    .list<GroupState>(scope, KIND.replicationGroup)
    .filter((g) => (g.state.UserGroupIds ?? []).length > 0)
    .map((g) => g.id);
}

/** A user group's pending membership change, applied to its UserIds (again, harmlessly, after a crash). */
function withPendingMembers(state: UserGroupState): string[] {
  const remove = state.PendingChanges?.UserIdsToRemove ?? [];
  const add = state.PendingChanges?.UserIdsToAdd ?? [];
  return [...state.UserIds.filter((u) => !remove.includes(u)), ...add.filter((u) => !state.UserIds.includes(u))];
}

export function userAclWorkers(ctx: GroupContext): Record<string, JobWorker> {
  const { store } = ctx;
  return {
    ...jobTable(KIND.user, {
      apply: async (job) => {
        const scope = scopeOf(job);
        const groups = userGroupsOf(store, scope, job.resourceId);
        await refreshGroups(
          ctx,
          scope,
          groups.flatMap((g) => replicationGroupsUsing(store, scope, g.state.UserGroupId)),
        );
        updateUser(store, scope, job.resourceId, ({ state }) => {
          if (state.Status === 'modifying') state.Status = 'active';
        });
      },
      delete: async (job) => {
        const scope = scopeOf(job);
        await refreshGroups(ctx, scope, groupsWithUsers(ctx, scope));
        store.transaction(() => {
          const user = findStoredUser(store, scope, job.resourceId);
          if (!user) return;
          store.resources.delete(scope, KIND.user, job.resourceId);
          store.tags.removeAll(user.state.ARN);
          store.events.record(scope, 'user', job.resourceId, `User ${job.resourceId} deleted`);
        });
      },
    }),
    ...jobTable(KIND.userGroup, {
      apply: async (job) => {
        const scope = scopeOf(job);
        const group = updateUserGroup(store, scope, job.resourceId, ({ state }) => {
          state.UserIds = withPendingMembers(state);
        });
        if (!group) return;
        await refreshGroups(ctx, scope, replicationGroupsUsing(store, scope, job.resourceId));
        updateUserGroup(store, scope, job.resourceId, ({ state }) => {
          delete state.PendingChanges;
          if (state.Status === 'creating' || state.Status === 'modifying') state.Status = 'active';
        });
      },
      delete: async (job) => {
        const scope = scopeOf(job);
        store.transaction(() => {
          const group = store.resources.get<UserGroupState>(scope, KIND.userGroup, job.resourceId);
          if (!group) return;
          store.resources.delete(scope, KIND.userGroup, job.resourceId);
          store.tags.removeAll(group.state.ARN);
          store.events.record(scope, 'user-group', job.resourceId, `User group ${job.resourceId} deleted`);
        });
      },
    }),
  };
}

/** A user or user group whose job failed for good is shown active again, with an event that says why. */
export function userAclFailureHandlers(ctx: GroupContext): Record<string, JobFailureHandler> {
  const { store } = ctx;
  const userFailed: JobFailureHandler = (job, error) => {
    const scope = scopeOf(job);
    updateUser(store, scope, job.resourceId, ({ state }) => (state.Status = 'active'));
    store.events.record(
      scope,
      'user',
      job.resourceId,
      `Failed to update the nodes of user ${job.resourceId}: ${error.message}`,
    );
  };
  const groupFailed: JobFailureHandler = (job, error) => {
    const scope = scopeOf(job);
    updateUserGroup(store, scope, job.resourceId, ({ state }) => (state.Status = 'active'));
    store.events.record(
      scope,
      'user-group',
      job.resourceId,
      `Failed to update the nodes of user group ${job.resourceId}: ${error.message}`,
    );
  };
  return {
    ...failureTable(KIND.user, { apply: userFailed, delete: userFailed }),
    ...failureTable(KIND.userGroup, { apply: groupFailed, delete: groupFailed }),
  };
}

/**
 * A replication group's pending UserGroupIdsToAdd / ToRemove: the group takes its new user group (an AUTH token
 * it had goes: RBAC replaces it), every member's node gets its users (or, without a user group, the default user
 * back), and the pending change clears. Safe to run again: each step sets, never toggles.
 */
export async function applyUserGroupChange(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const pending = ctx.load(scope, id).state.PendingModifiedValues.UserGroups;
  if (!pending) return;
  const adding = (pending.UserGroupIdsToAdd ?? []).length > 0;
  const group = ctx.update(scope, id, ({ state, internal }) => {
    const remove = pending.UserGroupIdsToRemove ?? [];
    const kept = (state.UserGroupIds ?? []).filter((g) => !remove.includes(g));
    state.UserGroupIds = [...new Set([...kept, ...(pending.UserGroupIdsToAdd ?? [])])];
    if (adding) {
      state.AuthTokenEnabled = false;
      delete internal.authToken;
      delete internal.previousAuthToken;
    }
  });
  if (adding) {
    for (const memberId of group?.state.MemberClusters ?? []) {
      ctx.updateMember(scope, memberId, ({ state, internal }) => {
        state.AuthTokenEnabled = false;
        delete internal.authToken;
        delete internal.previousAuthToken;
      });
    }
  }
  await refreshGroups(ctx, scope, [id]);
  ctx.update(scope, id, ({ state }) => {
    delete state.PendingModifiedValues.UserGroups;
  });
}
