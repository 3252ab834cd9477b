/**
 * What the user handlers share: their dependencies, and who may be in a user group: users that exist (the built-in default user included) and are not being deleted,
 * of an engine the group takes, at most one per UserName, one of them named `default` (a node's clients that
 * give no name are that user), and no more than the quota.
 */
import type { Scope, Store } from '../../../store/store.js';
import type { JobQueue } from '../../../domain/elasticache/jobs.js';
import { fault, invalidValue } from '../../../domain/elasticache/faults.js';
import { findUser, userNotFound } from '../../../domain/elasticache/user-records.js';
import {
  DEFAULT_USER_NAME,
  USERS_PER_GROUP,
  duplicateName,
  engineAccepts,
  type UserEngine,
} from '../../../domain/elasticache/users.js';

export interface UserHandlerDeps {
  store: Store;
  jobs: JobQueue;
}

/** Lowercased user ids, each once, in the order given. */
export function userIdList(ids: string[] | undefined): string[] {
  return [...new Set((ids ?? []).map((id) => id.toLowerCase()))];
}

/** Checks the users a group of this engine is to hold; returns them as given. */
export function checkMembers(store: Store, scope: Scope, groupId: string, engine: UserEngine, ids: string[]): string[] {
  if (ids.length > USERS_PER_GROUP) {
    throw invalidValue(`A user group can have at most ${USERS_PER_GROUP} users.`);
  }
  const names: string[] = [];
  for (const id of ids) {
    const user = findUser(store, scope, id);
    if (!user || user.state.Status === 'deleting') throw userNotFound(id);
    if (!engineAccepts(engine, user.state.Engine)) {
      throw invalidValue(`User ${id} has engine ${user.state.Engine}; user group ${groupId} is for ${engine}.`);
    }
    names.push(user.state.UserName);
  }
  const duplicate = duplicateName(names);
  if (duplicate !== undefined) {
    throw fault('DuplicateUserNameFault', `User group ${groupId} cannot hold two users named ${duplicate}.`);
  }
  if (!names.includes(DEFAULT_USER_NAME)) {
    throw fault('DefaultUserRequired', `User group ${groupId} must contain a user with the user name default.`);
  }
  return ids;
}
