/**
 * RBAC users and user groups: Create, Describe, Modify and Delete of each (create.ts, modify.ts, delete.ts), the
 * built-in default user every account and region has, and the tag resolvers of the `user` and `usergroup` ARN
 * types. A user group reaches nodes by being named in a replication group's UserGroupIds; the jobs that keep the
 * nodes' ACLs in step run in control/user-acls.ts.
 */
import type { DescribeUserGroupsMessage, DescribeUsersMessage } from '@aws-sdk/client-elasticache';
import type { HandlerTable, RequestContext } from '../../../api/query-api.js';
import type { Store } from '../../../store/store.js';
import { invalidValue } from '../../../domain/elasticache/faults.js';
import { JobQueue, type WorkQueue } from '../../../domain/elasticache/jobs.js';
import {
  findUser,
  findUserGroup,
  getUserGroup,
  listUserGroups,
  listUsers,
  userGroupNotFound,
  userNotFound,
} from '../../../domain/elasticache/user-records.js';
import { userEngineOf } from '../../../domain/elasticache/users.js';
import { paginate, type PageLimits } from '../pagination.js';
import type { TaggableResolver } from '../tags.js';
import { createUser, createUserGroup } from './create.js';
import { deleteUser, deleteUserGroup } from './delete.js';
import type { UserHandlerDeps } from './members.js';
import { modifyUser, modifyUserGroup } from './modify.js';
import { presentUser, presentUserGroup } from './present.js';

/** DescribeUsers and DescribeUserGroups have no documented bounds on MaxRecords. */
const USER_PAGES: PageLimits = { min: 1, max: 100, default: 100 };

/** The filter names DescribeUsers takes, and what each compares. */
const USER_FILTERS: Record<string, (user: { UserId: string; UserName: string }) => string> = {
  'user-id': (u) => u.UserId,
  'user-name': (u) => u.UserName,
};

export function userHandlers(store: Store, work: WorkQueue): HandlerTable {
  const deps: UserHandlerDeps = { store, jobs: new JobQueue(store, work) };

  const DescribeUsers = (input: DescribeUsersMessage, ctx: RequestContext) => {
    let users = listUsers(store, ctx);
    if (input.UserId !== undefined) {
      const id = input.UserId.toLowerCase();
      const user = findUser(store, ctx, id);
      if (!user) throw userNotFound(id);
      users = [user];
    }
    if (input.Engine !== undefined) {
      const engine = userEngineOf(input.Engine);
      users = users.filter((u) => u.state.Engine === engine);
    }
    for (const filter of input.Filters ?? []) {
      const field = USER_FILTERS[filter.Name ?? ''];
      if (!field) throw invalidValue(`Unrecognized filter name: ${filter.Name}`);
      const values = filter.Values ?? [];
      users = users.filter((u) => values.includes(field(u.state)));
    }
    const { page, marker } = paginate(users, input, USER_PAGES);
    return { Users: page.map((u) => presentUser(store, ctx, u)), Marker: marker };
  };

  const DescribeUserGroups = (input: DescribeUserGroupsMessage, ctx: RequestContext) => {
    const groups =
      input.UserGroupId !== undefined ? [getUserGroup(store, ctx, input.UserGroupId)] : listUserGroups(store, ctx);
    const { page, marker } = paginate(groups, input, USER_PAGES);
    return { UserGroups: page.map((g) => presentUserGroup(store, ctx, g)), Marker: marker };
  };

  return {
    CreateUser: createUser(deps),
    DescribeUsers,
    ModifyUser: modifyUser(deps),
    DeleteUser: deleteUser(deps),
    CreateUserGroup: createUserGroup(deps),
    DescribeUserGroups,
    ModifyUserGroup: modifyUserGroup(deps),
    DeleteUserGroup: deleteUserGroup(deps),
  };
}

/** How tags find users and user groups by ARN. */
export function userTagResolvers(store: Store): { user: TaggableResolver; usergroup: TaggableResolver } {
  return {
    user: { exists: (ctx, name) => findUser(store, ctx, name) !== undefined, notFound: userNotFound },
    usergroup: { exists: (ctx, name) => findUserGroup(store, ctx, name) !== undefined, notFound: userGroupNotFound },
  };
}
