/**
 * DeleteUser and DeleteUserGroup. A user leaves its groups at once (a group left without a user named default
 * refuses it); both turn `deleting` and a job takes them off the nodes and then away (control/user-acls.ts).
 * A user group a replication group uses cannot be deleted.
 */
import type { DeleteUserGroupMessage, DeleteUserMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { fault, invalidValue } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  findUser,
  getUserGroup,
  listUserGroups,
  replicationGroupsUsing,
  saveUser,
  saveUserGroup,
  userNotFound,
} from '../../../domain/elasticache/user-records.js';
import { DEFAULT_USER_NAME } from '../../../domain/elasticache/users.js';
import type { UserHandlerDeps } from './members.js';
import { presentUser, presentUserGroup } from './present.js';
import { isBackingId } from '../../../domain/elasticache/serverless.js';

export function deleteUser({ store, jobs }: UserHandlerDeps) {
  return (input: DeleteUserMessage, ctx: RequestContext) => {
    const id = (input.UserId ?? '').toLowerCase();
    const user = findUser(store, ctx, id);
    if (!user) throw userNotFound(id);
    if (user.builtIn) throw invalidValue('The default user cannot be deleted.');
    const { state } = user;
    if (state.Status !== 'active') {
      throw fault('InvalidUserStateFault', `User ${id} is not in active state (it is ${state.Status}).`);
    }
    const holding = listUserGroups(store, ctx).filter(
      (g) => g.state.UserIds.includes(id) || g.state.PendingChanges?.UserIdsToAdd?.includes(id),
    );
    const nameOf = (userId: string) => findUser(store, ctx, userId)?.state.UserName;
    for (const group of holding) {
      const others = group.state.UserIds.filter((u) => u !== id);
      if (state.UserName === DEFAULT_USER_NAME && !others.some((u) => nameOf(u) === DEFAULT_USER_NAME)) {
        throw fault(
          'DefaultUserAssociatedToUserGroupFault',
          `User ${id} is the default user of user group ${group.state.UserGroupId}.`,
        );
      }
    }
    const shown = presentUser(store, ctx, user);
    for (const group of holding) {
      group.state.UserIds = group.state.UserIds.filter((u) => u !== id);
      const pending = group.state.PendingChanges;
      if (pending?.UserIdsToAdd) pending.UserIdsToAdd = pending.UserIdsToAdd.filter((u) => u !== id);
      saveUserGroup(store, ctx, group);
    }
    state.Status = 'deleting';
    saveUser(store, ctx, user);
    jobs.enqueue(ctx, KIND.user, id, 'delete');
    return { ...shown, Status: state.Status };
  };
}

export function deleteUserGroup({ store, jobs }: UserHandlerDeps) {
  return (input: DeleteUserGroupMessage, ctx: RequestContext) => {
    const group = getUserGroup(store, ctx, input.UserGroupId);
    const { state } = group;
    const id = state.UserGroupId;
    if (state.Status !== 'active') {
      throw fault('InvalidUserGroupStateFault', `User group ${id} is not in active state (it is ${state.Status}).`);
    }
    const users = replicationGroupsUsing(store, ctx, id);
    if (users.length > 0) {
      // A serverless cache's backing group uses the cache's user group: the cache is named.
      const user = isBackingId(users[0])
        ? `serverless cache ${users[0].slice(users[0].indexOf('--') + 2)}`
        : `replication group ${users[0]}`;
      throw fault(
        'InvalidUserGroupStateFault',
        `User group ${id} is associated with ${user}; remove it from there first.`,
      );
    }
    const shown = presentUserGroup(store, ctx, group);
    state.Status = 'deleting';
    saveUserGroup(store, ctx, group);
    jobs.enqueue(ctx, KIND.userGroup, id, 'delete');
    return { ...shown, Status: state.Status };
  };
}
