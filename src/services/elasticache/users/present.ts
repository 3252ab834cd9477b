/**
 * Users and user groups as the API shows them: a user's UserGroupIds and a group's ReplicationGroups are worked
 * out from the groups that hold the user and the replication groups that use the group, so they never drift.
 * Nothing of a user's passwords but their count is ever shown.
 */
import type { User, UserGroup } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../../store/store.js';
import {
  replicationGroupsUsing,
  userGroupsOf,
  type StoredUser,
  type StoredUserGroup,
} from '../../../domain/elasticache/user-records.js';
import { isBackingId, serverlessCachesUsing } from '../../../domain/elasticache/serverless.js';

export function presentUser(store: Store, scope: Scope, user: StoredUser): User {
  return { ...user.state, UserGroupIds: userGroupsOf(store, scope, user.state.UserId).map((g) => g.state.UserGroupId) };
}

export function presentUserGroup(store: Store, scope: Scope, group: StoredUserGroup): UserGroup {
  return {
    ...group.state,
    ReplicationGroups: replicationGroupsUsing(store, scope, group.state.UserGroupId).filter((id) => !isBackingId(id)),
    ServerlessCaches: serverlessCachesUsing(store, scope, group.state.UserGroupId),
  };
}
