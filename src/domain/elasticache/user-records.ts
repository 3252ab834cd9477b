/**
 * RBAC users and user groups as stored, and the questions both the handlers and the workers ask of them: which
 * replication groups use a user group, which user groups hold a user, and which users (name, access string,
 * password hashes) the nodes of a replication group's member are to have. The built-in `default` user is not a
 * row: every account and region has it (users.ts).
 */
import type { User, UserGroup } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import { fault } from './faults.js';
import { KIND } from './kinds.js';
import { findCluster, findGroup, recordAccessors, type GroupState } from './records.js';
import {
  DEFAULT_ACCESS_STRING,
  DEFAULT_USER_ID,
  DEFAULT_USER_NAME,
  builtInDefaultUser,
  type UserEngine,
} from './users.js';

/** A user as stored; UserGroupIds is worked out when it is shown, from the groups that hold it. */
export type UserState = Omit<User, 'UserGroupIds'> &
  Required<Pick<User, 'UserId' | 'UserName' | 'Status' | 'AccessString' | 'ARN' | 'MinimumEngineVersion'>> & {
    Engine: UserEngine;
    Authentication: { Type: 'password' | 'no-password' | 'iam'; PasswordCount?: number };
  };

/** What the API never shows of a user: its passwords, as SHA-256 hashes only. */
export interface UserInternal {
  passwordHashes: string[];
}

export type StoredUser = { state: UserState; internal: UserInternal };

/** A user group as stored; ReplicationGroups is worked out when it is shown. */
export type UserGroupState = Omit<UserGroup, 'UserIds' | 'ReplicationGroups'> &
  Required<Pick<UserGroup, 'UserGroupId' | 'Status' | 'ARN' | 'MinimumEngineVersion'>> & {
    Engine: UserEngine;
    UserIds: string[];
  };

export type StoredUserGroup = { state: UserGroupState; internal: Record<string, never> };

export const userNotFound = (id: string) => fault('UserNotFoundFault', `User ${id} not found.`);
export const userGroupNotFound = (id: string) => fault('UserGroupNotFoundFault', `User group ${id} not found.`);

const users = recordAccessors<UserState, UserInternal>(KIND.user, 'UserId', userNotFound, (s) => s.UserId);
const userGroups = recordAccessors<UserGroupState, Record<string, never>>(
  KIND.userGroup,
  'UserGroupId',
  userGroupNotFound,
  (s) => s.UserGroupId,
);

export const findStoredUser = users.find;
export const saveUser = users.save;
export const updateUser = users.update;
export const listStoredUsers = users.list;

export const findUserGroup = userGroups.find;
export const getUserGroup = userGroups.get;
export const saveUserGroup = userGroups.save;
export const updateUserGroup = userGroups.update;
export const listUserGroups = userGroups.list;

/** A user by id, the built-in default user included (`builtIn`: it is no row and cannot change). */
export function findUser(store: Store, scope: Scope, id: string): (StoredUser & { builtIn: boolean }) | undefined {
  const lower = id.toLowerCase();
  const stored = findStoredUser(store, scope, lower);
  if (stored) return { ...stored, builtIn: false };
  if (lower !== DEFAULT_USER_ID) return undefined;
  return { state: builtInDefaultUser(scope), internal: { passwordHashes: [] }, builtIn: true };
}

/** Every user of the account and region, the built-in default user first. */
export function listUsers(store: Store, scope: Scope): StoredUser[] {
  return [{ state: builtInDefaultUser(scope), internal: { passwordHashes: [] } }, ...listStoredUsers(store, scope)];
}

/** The user groups that hold a user. */
export function userGroupsOf(store: Store, scope: Scope, userId: string): StoredUserGroup[] {
  return listUserGroups(store, scope).filter((g) => g.state.UserIds.includes(userId));
}

/** The user groups a replication group uses or is about to (a pending UserGroupIdsToAdd). */
export function userGroupIdsOf(state: GroupState): string[] {
  const pending = state.PendingModifiedValues.UserGroups?.UserGroupIdsToAdd ?? [];
  return [...new Set([...(state.UserGroupIds ?? []), ...pending])];
}

/** The replication groups that use a user group (or are about to). */
export function replicationGroupsUsing(store: Store, scope: Scope, userGroupId: string): string[] {
  return store.resources
    .list<GroupState>(scope, KIND.replicationGroup)
    .filter((g) => userGroupIdsOf(g.state).includes(userGroupId))
    .map((g) => g.id);
}

/** One user as a node's ACL has it (runtime/node-access.ts userRules). */
export interface NodeUser {
  name: string;
  accessString: string;
  passwordHashes: string[];
  /** Anyone may authenticate as it (no-password). */
  noPassword: boolean;
  /** An IAM user: its id; it gets an internal password on the nodes (control/iam-logins.ts). */
  iamUserId?: string;
}

/**
 * The users the node of a member cluster is to have: those of its replication group's user group; undefined when
 * it has none (its clients then use the default user with the group's AUTH token, if any).
 */
export function nodeUsersOf(store: Store, scope: Scope, clusterId: string): NodeUser[] | undefined {
  const groupId = findCluster(store, scope, clusterId)?.state.ReplicationGroupId;
  const group = groupId ? findGroup(store, scope, groupId) : undefined;
  const userGroupId = group?.state.UserGroupIds?.[0];
  const userGroup = userGroupId ? findUserGroup(store, scope, userGroupId) : undefined;
  if (!userGroup) return undefined;
  return userGroup.state.UserIds.flatMap((id): NodeUser[] => {
    if (id === DEFAULT_USER_ID && !findStoredUser(store, scope, id)) {
      return [{ name: DEFAULT_USER_NAME, accessString: DEFAULT_ACCESS_STRING, passwordHashes: [], noPassword: true }];
    }
    const user = findStoredUser(store, scope, id);
    if (!user) return [];
    return [
      {
        name: user.state.UserName,
        accessString: user.state.AccessString,
        passwordHashes: user.internal.passwordHashes,
        noPassword: user.state.Authentication.Type === 'no-password',
        ...(user.state.Authentication.Type === 'iam' ? { iamUserId: user.state.UserId } : {}),
      },
    ];
  });
}
