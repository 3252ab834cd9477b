/**
 * ModifyUser and ModifyUserGroup. Both answer `modifying`; a job carries the change to the nodes of every
 * replication group concerned and turns the resource `active` again (control/user-acls.ts). A user group's
 * membership change shows as PendingChanges until then.
 */
import type { ModifyUserGroupMessage, ModifyUserMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  findUser,
  getUserGroup,
  saveUser,
  saveUserGroup,
  userGroupsOf,
  userNotFound,
} from '../../../domain/elasticache/user-records.js';
import {
  authenticationOf,
  checkIamNames,
  engineAccepts,
  minimumEngineVersion,
  normaliseAccessString,
  userEngineOf,
} from '../../../domain/elasticache/users.js';
import { checkMembers, userIdList, type UserHandlerDeps } from './members.js';
import { presentUser, presentUserGroup } from './present.js';

const NOTHING_TO_DO = 'No modifications were requested.';

export function modifyUser({ store, jobs }: UserHandlerDeps) {
  return (input: ModifyUserMessage, ctx: RequestContext) => {
    const id = (input.UserId ?? '').toLowerCase();
    const user = findUser(store, ctx, id);
    if (!user) throw userNotFound(id);
    if (user.builtIn) throw invalidValue('The default user cannot be modified.');
    const { state, internal } = user;
    if (state.Status !== 'active') {
      throw fault('InvalidUserStateFault', `User ${id} is not in active state (it is ${state.Status}).`);
    }
    if (input.AccessString !== undefined && input.AppendAccessString !== undefined) {
      throw invalidCombination('AccessString and AppendAccessString cannot be used together.');
    }
    const accessString =
      input.AccessString !== undefined
        ? normaliseAccessString(input.AccessString)
        : input.AppendAccessString !== undefined
          ? normaliseAccessString(`${state.AccessString} ${input.AppendAccessString}`, 'AppendAccessString')
          : undefined;
    const auth = authenticationOf(input, false);
    const engine = input.Engine !== undefined ? userEngineOf(input.Engine) : undefined;
    if (accessString === undefined && auth === undefined && engine === undefined)
      throw invalidCombination(NOTHING_TO_DO);
    if (engine !== undefined && engine !== state.Engine) {
      const refusing = userGroupsOf(store, ctx, id).find((g) => !engineAccepts(g.state.Engine, engine));
      if (refusing) {
        throw invalidCombination(
          `User group ${refusing.state.UserGroupId} (${refusing.state.Engine}) cannot hold a ${engine} user.`,
        );
      }
      state.Engine = engine;
      state.MinimumEngineVersion = minimumEngineVersion(engine);
    }
    if (accessString !== undefined) state.AccessString = accessString;
    if (auth) {
      checkIamNames(auth, state.UserId, state.UserName);
      state.Authentication =
        auth.type === 'password' ? { Type: auth.type, PasswordCount: auth.passwordHashes.length } : { Type: auth.type };
      internal.passwordHashes = auth.passwordHashes;
    }
    state.Status = 'modifying';
    saveUser(store, ctx, { state, internal });
    store.events.record(ctx, 'user', id, `User ${id} modified`);
    jobs.enqueue(ctx, KIND.user, id, 'apply');
    return presentUser(store, ctx, { state, internal });
  };
}

export function modifyUserGroup({ store, jobs }: UserHandlerDeps) {
  return (input: ModifyUserGroupMessage, ctx: RequestContext) => {
    const group = getUserGroup(store, ctx, input.UserGroupId);
    const { state } = group;
    const id = state.UserGroupId;
    if (state.Status !== 'active') {
      throw fault('InvalidUserGroupStateFault', `User group ${id} is not in active state (it is ${state.Status}).`);
    }
    const toAdd = userIdList(input.UserIdsToAdd);
    const toRemove = userIdList(input.UserIdsToRemove);
    const engine = input.Engine !== undefined ? userEngineOf(input.Engine) : state.Engine;
    if (toAdd.length === 0 && toRemove.length === 0 && engine === state.Engine) throw invalidCombination(NOTHING_TO_DO);
    const both = toAdd.find((u) => toRemove.includes(u));
    if (both) throw invalidCombination(`User ${both} cannot be both added to and removed from a user group.`);
    for (const userId of toAdd) {
      if (!findUser(store, ctx, userId)) throw userNotFound(userId);
      if (state.UserIds.includes(userId)) throw invalidValue(`User ${userId} is already in user group ${id}.`);
    }
    for (const userId of toRemove) {
      if (!state.UserIds.includes(userId)) throw userNotFound(userId);
    }
    const next = [...state.UserIds.filter((u) => !toRemove.includes(u)), ...toAdd];
    checkMembers(store, ctx, id, engine, next);
    if (engine !== state.Engine) {
      state.Engine = engine;
      state.MinimumEngineVersion = minimumEngineVersion(engine);
    }
    state.Status = 'modifying';
    if (toAdd.length > 0 || toRemove.length > 0)
      state.PendingChanges = { UserIdsToAdd: toAdd, UserIdsToRemove: toRemove };
    saveUserGroup(store, ctx, group);
    store.events.record(ctx, 'user-group', id, `User group ${id} modified`);
    jobs.enqueue(ctx, KIND.userGroup, id, 'apply');
    return presentUserGroup(store, ctx, group);
  };
}
