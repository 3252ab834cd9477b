/**
 * The rules for a replication group's user group (CreateReplicationGroup UserGroupIds, ModifyReplicationGroup
 * UserGroupIdsToAdd / ToRemove): one user group at most, existing and not being deleted, of an engine the group
 * takes; RBAC needs encryption in transit and Redis OSS 6 or later (any Valkey), and replaces the AUTH token
 * rather than joining it. The nodes take the change in the group's converge job (control/user-acls.ts).
 */
import type { Scope, Store } from '../../../store/store.js';
import { fault, invalidCombination, invalidValue } from '../../../domain/elasticache/faults.js';
import { findUserGroup, userGroupNotFound } from '../../../domain/elasticache/user-records.js';
import { engineAccepts, type UserEngine } from '../../../domain/elasticache/users.js';
import type { Engine } from '../../../common/engines.js';

/** What a replication group brings to the check. */
export interface RbacTarget {
  groupId: string;
  engine: Engine;
  engineVersion: string;
  tls: boolean;
  /** How errors name it, when not as `replication group <id>` (a serverless cache's hidden group: by the cache). */
  shownAs?: string;
}

const named = (target: RbacTarget) => target.shownAs ?? `replication group ${target.groupId}`;

const lowered = (ids: string[] | undefined) => [...new Set((ids ?? []).map((id) => id.toLowerCase()))];

function checkTarget(target: RbacTarget): void {
  if (!target.tls) {
    throw invalidCombination(
      'User groups can only be used with a replication group that has encryption in transit enabled.',
    );
  }
  if (target.engine === 'redis' && Number(target.engineVersion.split('.')[0]) < 6) {
    throw invalidCombination(
      `User groups need Redis OSS 6.0 or later; the replication group runs ${target.engineVersion}.`,
    );
  }
}

function checkUserGroup(store: Store, scope: Scope, id: string, target: RbacTarget): void {
  const userGroup = findUserGroup(store, scope, id);
  if (!userGroup) throw userGroupNotFound(id);
  if (userGroup.state.Status === 'deleting') {
    throw fault('InvalidUserGroupStateFault', `User group ${id} is not in active state (it is deleting).`);
  }
  if (target.engine === 'memcached' || !engineAccepts(target.engine, userGroup.state.Engine as UserEngine)) {
    throw invalidCombination(
      `User group ${id} is for ${userGroup.state.Engine}; ${named(target)} runs ${target.engine}.`,
    );
  }
}

function checkCount(ids: string[]): void {
  if (ids.length > 1) throw invalidValue('A replication group can be associated with only one user group.');
}

/** CreateReplicationGroup's UserGroupIds, checked; [] when none was given. */
export function userGroupsOnCreate(
  store: Store,
  scope: Scope,
  requested: string[] | undefined,
  authToken: boolean,
  target: RbacTarget,
): string[] {
  const ids = lowered(requested);
  if (ids.length === 0) return ids;
  if (authToken) throw invalidCombination('AuthToken and UserGroupIds cannot be used together.');
  checkCount(ids);
  checkTarget(target);
  for (const id of ids) checkUserGroup(store, scope, id, target);
  return ids;
}

/** ModifyReplicationGroup's UserGroupIdsToAdd / ToRemove, checked; undefined when the request has neither. */
export function userGroupChangeOf(
  store: Store,
  scope: Scope,
  current: string[],
  request: { UserGroupIdsToAdd?: string[]; UserGroupIdsToRemove?: string[]; AuthToken?: string },
  target: RbacTarget,
): { UserGroupIdsToAdd: string[]; UserGroupIdsToRemove: string[] } | undefined {
  const toAdd = lowered(request.UserGroupIdsToAdd);
  const toRemove = lowered(request.UserGroupIdsToRemove);
  if (toAdd.length === 0 && toRemove.length === 0) {
    // Encryption in transit cannot be turned off under RBAC.
    if (current.length > 0) checkTarget(target);
    if (current.length > 0 && request.AuthToken !== undefined) {
      throw invalidCombination(
        'AuthToken cannot be set on a replication group that uses a user group; remove it first.',
      );
    }
    return undefined;
  }
  if (toAdd.length > 0 && request.AuthToken !== undefined) {
    throw invalidCombination('AuthToken and UserGroupIdsToAdd cannot be used together.');
  }
  for (const id of toRemove) {
    if (!current.includes(id)) throw invalidValue(`User group ${id} is not associated with ${named(target)}.`);
  }
  for (const id of toAdd) {
    if (current.includes(id)) throw invalidValue(`User group ${id} is already associated with ${named(target)}.`);
    checkUserGroup(store, scope, id, target);
  }
  const next = [...current.filter((id) => !toRemove.includes(id)), ...toAdd];
  checkCount(next);
  if (next.length > 0) checkTarget(target);
  return { UserGroupIdsToAdd: toAdd, UserGroupIdsToRemove: toRemove };
}
