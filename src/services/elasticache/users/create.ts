/**
 * CreateUser and CreateUserGroup. A user is `active` at once (it reaches nodes only through a group); a group is
 * `creating` until its job has run, as on AWS.
 */
import type { CreateUserGroupMessage, CreateUserMessage } from '@aws-sdk/client-elasticache';
import type { RequestContext } from '../../../api/query-api.js';
import { arn } from '../../../domain/elasticache/arns.js';
import { fault, requireValue } from '../../../domain/elasticache/faults.js';
import { KIND } from '../../../domain/elasticache/kinds.js';
import {
  findUser,
  findUserGroup,
  listStoredUsers,
  listUserGroups,
  type UserGroupState,
  type UserState,
} from '../../../domain/elasticache/user-records.js';
import {
  DEFAULT_USER_NAME,
  USER_GROUP_QUOTA,
  USER_QUOTA,
  authenticationOf,
  checkIamNames,
  minimumEngineVersion,
  normaliseAccessString,
  userEngineOf,
  userStyleId,
} from '../../../domain/elasticache/users.js';
import { applyTags } from '../tags.js';
import { checkMembers, userIdList, type UserHandlerDeps } from './members.js';
import { presentUser, presentUserGroup } from './present.js';

export function createUser({ store }: UserHandlerDeps) {
  return (input: CreateUserMessage, ctx: RequestContext) => {
    const id = userStyleId(input.UserId, 'UserId');
    const name = requireValue(input.UserName, 'UserName');
    const engine = userEngineOf(input.Engine);
    const accessString = normaliseAccessString(input.AccessString);
    const auth = authenticationOf(input, true)!;
    checkIamNames(auth, id, name);
    if (findUser(store, ctx, id)) throw fault('UserAlreadyExistsFault', `User ${id} already exists.`);
    const existing = listStoredUsers(store, ctx);
    // Several users may be named default (each group picks its own); any other name is one user's.
    if (name !== DEFAULT_USER_NAME && existing.some((u) => u.state.UserName === name)) {
      throw fault('DuplicateUserNameFault', `A user with the user name ${name} already exists.`);
    }
    if (existing.length + 1 >= USER_QUOTA) {
      throw fault('UserQuotaExceededFault', `You have reached the limit of ${USER_QUOTA} users.`);
    }
    const state: UserState = {
      UserId: id,
      UserName: name,
      Status: 'active',
      Engine: engine,
      MinimumEngineVersion: minimumEngineVersion(engine),
      AccessString: accessString,
      Authentication:
        auth.type === 'password' ? { Type: auth.type, PasswordCount: auth.passwordHashes.length } : { Type: auth.type },
      ARN: arn(ctx, 'user', id),
    };
    if (!store.resources.insert(ctx, KIND.user, id, state, { passwordHashes: auth.passwordHashes })) {
      throw fault('UserAlreadyExistsFault', `User ${id} already exists.`);
    }
    applyTags(store, state.ARN, input.Tags);
    store.events.record(ctx, 'user', id, `User ${id} created`);
    return presentUser(store, ctx, { state, internal: { passwordHashes: [] } });
  };
}

export function createUserGroup({ store, jobs }: UserHandlerDeps) {
  return (input: CreateUserGroupMessage, ctx: RequestContext) => {
    const id = userStyleId(input.UserGroupId, 'UserGroupId');
    const engine = userEngineOf(input.Engine);
    if (findUserGroup(store, ctx, id)) throw fault('UserGroupAlreadyExistsFault', `User group ${id} already exists.`);
    if (listUserGroups(store, ctx).length >= USER_GROUP_QUOTA) {
      throw fault('UserGroupQuotaExceededFault', `You have reached the limit of ${USER_GROUP_QUOTA} user groups.`);
    }
    const members = checkMembers(store, ctx, id, engine, userIdList(input.UserIds));
    const state: UserGroupState = {
      UserGroupId: id,
      Status: 'creating',
      Engine: engine,
      UserIds: members,
      MinimumEngineVersion: minimumEngineVersion(engine),
      ARN: arn(ctx, 'usergroup', id),
    };
    if (!store.resources.insert(ctx, KIND.userGroup, id, state, {})) {
      throw fault('UserGroupAlreadyExistsFault', `User group ${id} already exists.`);
    }
    applyTags(store, state.ARN, input.Tags);
    store.events.record(ctx, 'user-group', id, `User group ${id} created`);
    jobs.enqueue(ctx, KIND.userGroup, id, 'apply');
    return presentUserGroup(store, ctx, { state, internal: {} });
  };
}
