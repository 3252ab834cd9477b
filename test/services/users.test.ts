/**
 * RBAC users and user groups through the AWS SDK v3 against a real emulator (metadata-only runtime): the built-in
 * default user, access strings as AWS normalises them, authentication types, every error path of the eight
 * operations, statuses, filters and paging, tags by ARN, and a replication group's UserGroupIds on create and
 * modify with their rules. Nodes and their ACLs are test/e2e/rbac-users.test.ts's.
 */
import {
  AddTagsToResourceCommand,
  CreateReplicationGroupCommand,
  CreateUserCommand,
  CreateUserGroupCommand,
  DeleteReplicationGroupCommand,
  DeleteUserCommand,
  DeleteUserGroupCommand,
  DescribeReplicationGroupsCommand,
  DescribeUserGroupsCommand,
  DescribeUsersCommand,
  ListTagsForResourceCommand,
  ModifyReplicationGroupCommand,
  ModifyUserCommand,
  ModifyUserGroupCommand,
  type CreateUserCommandInput,
  type DescribeUsersCommandInput,
  type ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import t, { type Test } from 'tap';
import type { Emulator } from '../../src/server.js';
import { failure, rawCall, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { eventually } from '../fixtures/real-nodes.js';

const PASSWORD = 'a-password-of-24-chars!!';
const OTHER_PASSWORD = 'another-password-0123456';

async function refused(t: Test, what: string, call: Promise<unknown>, code: string, status = 400): Promise<void> {
  const error = await failure(call);
  t.equal(error?.Code, code, `${what}: ${code} (got ${error?.Code}: ${error?.message})`);
  t.equal(error?.$metadata?.httpStatusCode, status, `${what}: HTTP ${status}`);
}

function user(id: string, extra: Partial<CreateUserCommandInput> = {}): CreateUserCommandInput {
  return { UserId: id, UserName: id, Engine: 'redis', AccessString: 'on ~* +@all', Passwords: [PASSWORD], ...extra };
}

async function groupStatus(client: ElastiCacheClient, id: string): Promise<string | undefined> {
  const { UserGroups } = await client.send(new DescribeUserGroupsCommand({ UserGroupId: id }));
  return UserGroups?.[0]?.Status;
}

async function activeGroup(client: ElastiCacheClient, id: string): Promise<void> {
  await eventually(async () => (await groupStatus(client, id)) === 'active', 10_000, `user group ${id} active`);
}

async function emulatorWithClient(t: Test): Promise<{ emulator: Emulator; client: ElastiCacheClient }> {
  const emulator = await startTestEmulator(t);
  return { emulator, client: sdkClient(emulator) };
}

t.test('the default user exists in every account and region and cannot change', async (t) => {
  const { emulator, client } = await emulatorWithClient(t);
  for (const c of [client, sdkClient(emulator, { region: 'eu-west-1', accessKeyId: '111122223333' })]) {
    const { Users } = await c.send(new DescribeUsersCommand({}));
    t.equal(Users?.length, 1);
    t.match(Users?.[0], {
      UserId: 'default',
      UserName: 'default',
      Status: 'active',
      Engine: 'redis',
      MinimumEngineVersion: '6.0',
      AccessString: 'on ~* +@all',
      Authentication: { Type: 'no-password' },
      UserGroupIds: [],
    });
  }
  const { Users } = await sdkClient(emulator, { region: 'eu-west-1', accessKeyId: '111122223333' }).send(
    new DescribeUsersCommand({ UserId: 'default' }),
  );
  t.equal(Users?.[0]?.ARN, 'arn:aws:elasticache:eu-west-1:111122223333:user:default');
  await refused(
    t,
    'modify default',
    client.send(new ModifyUserCommand({ UserId: 'default', AccessString: 'off' })),
    'InvalidParameterValue',
  );
  await refused(
    t,
    'delete default',
    client.send(new DeleteUserCommand({ UserId: 'default' })),
    'InvalidParameterValue',
  );
  await refused(t, 'create default', client.send(new CreateUserCommand(user('default'))), 'UserAlreadyExists');
});

t.test('CreateUser: access strings normalised, authentication types, passwords never shown', async (t) => {
  const { emulator, client } = await emulatorWithClient(t);
  const cases: [string, string][] = [
    ['on ~app:* +@read +@write', 'on ~app:* -@all +@read +@write'],
    ['+get ~keys*', 'off ~keys* -@all +get'],
    ['~objects:* ~items:*', 'off ~objects:* ~items:* -@all'],
    ['on ~* +@all', 'on ~* +@all'],
    ['on allkeys allcommands -FLUSHALL', 'on ~* +@all -flushall'],
    ['on ~a* &chan:* -@all +subscribe', 'on ~a* &chan:* -@all +subscribe'],
  ];
  for (const [i, [given, stored]] of cases.entries()) {
    const created = await client.send(new CreateUserCommand(user(`u${i}`, { AccessString: given })));
    t.equal(created.AccessString, stored, `${given} → ${stored}`);
  }
  const created = await client.send(
    new CreateUserCommand(user('Mixed-Case', { Passwords: [PASSWORD, OTHER_PASSWORD] })),
  );
  t.match(created, {
    UserId: 'mixed-case',
    UserName: 'Mixed-Case',
    Status: 'active',
    Engine: 'redis',
    MinimumEngineVersion: '6.0',
    Authentication: { Type: 'password', PasswordCount: 2 },
    UserGroupIds: [],
    ARN: 'arn:aws:elasticache:us-east-1:000000000000:user:mixed-case',
  });
  const nopass = await client.send(
    new CreateUserCommand(user('nopass', { Passwords: undefined, NoPasswordRequired: true, Engine: 'VALKEY' })),
  );
  t.match(nopass, { Engine: 'valkey', Authentication: { Type: 'no-password' } });
  const viaMode = await client.send(
    new CreateUserCommand(
      user('viamode', { Passwords: undefined, AuthenticationMode: { Type: 'password', Passwords: [PASSWORD] } }),
    ),
  );
  t.match(viaMode.Authentication, { Type: 'password', PasswordCount: 1 });
  const iam = await client.send(
    new CreateUserCommand(user('iam-user', { Passwords: undefined, AuthenticationMode: { Type: 'iam' } })),
  );
  t.match(iam.Authentication, { Type: 'iam' });

  // The raw answers of a create and a describe never carry a password, nor its hash.
  const raw = await rawCall(emulator, {
    Action: 'CreateUser',
    Version: '2015-02-02',
    UserId: 'raw',
    UserName: 'raw',
    Engine: 'redis',
    AccessString: 'on ~* +@all',
    'Passwords.member.1': PASSWORD,
  });
  t.equal(raw.status, 200);
  const described = await rawCall(emulator, { Action: 'DescribeUsers', Version: '2015-02-02' });
  for (const body of [raw.body, described.body]) t.notMatch(body, PASSWORD, 'no password in the answer');
  const rows = emulator.store.resources.list<unknown>({ account: '000000000000', region: 'us-east-1' }, 'user');
  t.notMatch(JSON.stringify(rows), PASSWORD, 'no plaintext password in the store');
});

t.test('CreateUser refusals', async (t) => {
  const { client } = await emulatorWithClient(t);
  await client.send(new CreateUserCommand(user('taken')));
  const send = (input: CreateUserCommandInput) => client.send(new CreateUserCommand(input));
  await refused(t, 'same id', send(user('TAKEN', { UserName: 'other' })), 'UserAlreadyExists');
  await refused(t, 'same name', send(user('second', { UserName: 'taken' })), 'DuplicateUserName');
  await refused(t, 'bad id', send(user('1abc')), 'InvalidParameterValue');
  await refused(t, 'bad engine', send(user('e', { Engine: 'memcached' })), 'InvalidParameterValue');
  await refused(t, 'short password', send(user('p', { Passwords: ['short'] })), 'InvalidParameterValue');
  await refused(
    t,
    'three passwords',
    send(user('p', { Passwords: [PASSWORD, PASSWORD, PASSWORD] })),
    'InvalidParameterValue',
  );
  await refused(t, 'no password', send(user('p', { Passwords: undefined })), 'InvalidParameterValue');
  await refused(
    t,
    'passwords and no-password',
    send(user('p', { NoPasswordRequired: true })),
    'InvalidParameterCombination',
  );
  await refused(
    t,
    'passwords twice',
    send(user('p', { AuthenticationMode: { Type: 'password', Passwords: [PASSWORD] } })),
    'InvalidParameterCombination',
  );
  await refused(
    t,
    'iam with passwords',
    send(user('p', { Passwords: undefined, AuthenticationMode: { Type: 'iam', Passwords: [PASSWORD] } })),
    'InvalidParameterCombination',
  );
  await refused(
    t,
    'iam with a different name',
    send(user('p', { UserName: 'q', Passwords: undefined, AuthenticationMode: { Type: 'iam' } })),
    'InvalidParameterValue',
  );
  const leaked = await failure(send(user('a', { AccessString: 'on >my-secret-password ~*' })));
  t.notMatch(leaked?.message, 'my-secret-password', 'a password in an access string is not echoed');
  for (const access of ['on >secret ~* +@all', 'reset on ~* +@all', 'on nopass ~*', 'on #abc ~*', 'on (~x +get)']) {
    await refused(t, `access string ${access}`, send(user('a', { AccessString: access })), 'InvalidParameterValue');
  }
  await refused(
    t,
    'tags over the limit',
    send(user('tags', { Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })),
    'TagQuotaPerResourceExceeded',
  );
});

t.test('the user quota', async (t) => {
  const { emulator, client } = await emulatorWithClient(t);
  // 999 users and the default one reach the quota of 1000. One is created through the API; the store then takes
  // 998 copies of its row in one transaction (998 calls would cost the test half a minute of commits).
  await client.send(new CreateUserCommand(user('q0')));
  const scope = { account: '000000000000', region: 'us-east-1' };
  const model = emulator.store.resources.get<Record<string, unknown>>(scope, 'user', 'q0')!;
  emulator.store.transaction(() => {
    for (let i = 1; i < 999; i++) {
      const id = `q${i}`;
      const state = { ...model.state, UserId: id, UserName: id, ARN: String(model.state.ARN).replace(/q0$/, id) };
      emulator.store.resources.insert(scope, 'user', id, state, model.internal);
    }
  });
  await refused(t, 'user 1001', client.send(new CreateUserCommand(user('one-too-many'))), 'UserQuotaExceeded');
  const first = await client.send(new DescribeUsersCommand({ MaxRecords: 100 }));
  t.equal(first.Users?.length, 100);
  t.ok(first.Marker, 'a marker for the next page');
  const second = await client.send(new DescribeUsersCommand({ MaxRecords: 100, Marker: first.Marker }));
  t.equal(second.Users?.[0]?.UserId, 'q99', 'the next page goes on where the first stopped');
});

t.test('DescribeUsers: by id, engine and filters; UserNotFound', async (t) => {
  const { client } = await emulatorWithClient(t);
  await client.send(new CreateUserCommand(user('alice')));
  await client.send(new CreateUserCommand(user('bob', { Engine: 'valkey' })));
  const ids = async (input: DescribeUsersCommandInput) =>
    ((await client.send(new DescribeUsersCommand(input))).Users ?? []).map((u) => u.UserId);
  t.same(await ids({}), ['default', 'alice', 'bob']);
  t.same(await ids({ UserId: 'ALICE' }), ['alice']);
  t.same(await ids({ Engine: 'valkey' }), ['bob']);
  t.same(await ids({ Filters: [{ Name: 'user-id', Values: ['bob', 'default'] }] }), ['default', 'bob']);
  await refused(t, 'unknown user', client.send(new DescribeUsersCommand({ UserId: 'nobody' })), 'UserNotFound', 404);
  await refused(
    t,
    'unknown filter',
    client.send(new DescribeUsersCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })),
    'InvalidParameterValue',
  );
});

t.test('ModifyUser: access strings, passwords, statuses and refusals', async (t) => {
  const { emulator, client } = await emulatorWithClient(t);
  await client.send(new CreateUserCommand(user('carol', { AccessString: 'on ~app:* +get' })));
  const appended = await client.send(new ModifyUserCommand({ UserId: 'carol', AppendAccessString: '+set' }));
  t.equal(appended.AccessString, 'on ~app:* -@all +get +set');
  t.equal(appended.Status, 'modifying');
  await eventually(
    async () => (await client.send(new DescribeUsersCommand({ UserId: 'carol' }))).Users?.[0]?.Status === 'active',
    10_000,
    'carol active again',
  );
  const replaced = await client.send(
    new ModifyUserCommand({ UserId: 'carol', AccessString: 'off ~* +@all', Passwords: [PASSWORD, OTHER_PASSWORD] }),
  );
  t.equal(replaced.AccessString, 'off ~* +@all');
  t.match(replaced.Authentication, { Type: 'password', PasswordCount: 2 });
  await eventually(
    async () => (await client.send(new DescribeUsersCommand({ UserId: 'carol' }))).Users?.[0]?.Status === 'active',
    10_000,
    'carol active again',
  );
  const nopass = await client.send(new ModifyUserCommand({ UserId: 'carol', NoPasswordRequired: true }));
  t.match(nopass.Authentication, { Type: 'no-password' });
  await eventually(
    async () => (await client.send(new DescribeUsersCommand({ UserId: 'carol' }))).Users?.[0]?.Status === 'active',
    10_000,
    'carol active again',
  );

  const send = (input: ConstructorParameters<typeof ModifyUserCommand>[0]) => client.send(new ModifyUserCommand(input));
  await refused(t, 'unknown user', send({ UserId: 'nobody', AccessString: 'on' }), 'UserNotFound', 404);
  await refused(t, 'nothing to change', send({ UserId: 'carol' }), 'InvalidParameterCombination');
  await refused(
    t,
    'both access strings',
    send({ UserId: 'carol', AccessString: 'on', AppendAccessString: '+get' }),
    'InvalidParameterCombination',
  );
  await refused(t, 'a bad password', send({ UserId: 'carol', Passwords: ['short'] }), 'InvalidParameterValue');
  await refused(
    t,
    'a password in the access string',
    send({ UserId: 'carol', AccessString: 'on >pw ~*' }),
    'InvalidParameterValue',
  );

  // While a change is still on its way, the user refuses another (jobs held back for the check).
  await emulator.reconciler.stop();
  await send({ UserId: 'carol', AccessString: 'on ~* +@all' });
  await refused(t, 'while modifying', send({ UserId: 'carol', AccessString: 'off' }), 'InvalidUserState');
  await refused(
    t,
    'delete while modifying',
    client.send(new DeleteUserCommand({ UserId: 'carol' })),
    'InvalidUserState',
  );
  emulator.reconciler.start();
});

t.test('user groups: create, describe, modify, delete, with every refusal', async (t) => {
  const { emulator, client } = await emulatorWithClient(t);
  await client.send(new CreateUserCommand(user('app')));
  await client.send(new CreateUserCommand(user('app-twin', { UserName: 'app-name' })));
  await client.send(new CreateUserCommand(user('app-name2', { UserName: 'app-name2' })));
  await client.send(new CreateUserCommand(user('new-default', { UserName: 'default', AccessString: 'off' })));
  await client.send(new CreateUserCommand(user('vk', { Engine: 'valkey' })));

  const created = await client.send(
    new CreateUserGroupCommand({ UserGroupId: 'Team', Engine: 'redis', UserIds: ['default', 'APP'] }),
  );
  t.match(created, {
    UserGroupId: 'team',
    Status: 'creating',
    Engine: 'redis',
    UserIds: ['default', 'app'],
    MinimumEngineVersion: '6.0',
    ReplicationGroups: [],
    ARN: 'arn:aws:elasticache:us-east-1:000000000000:usergroup:team',
  });
  await activeGroup(client, 'team');
  const app = (await client.send(new DescribeUsersCommand({ UserId: 'app' }))).Users?.[0];
  t.same(app?.UserGroupIds, ['team'], 'the user shows the group it is in');

  const send = (input: ConstructorParameters<typeof CreateUserGroupCommand>[0]) =>
    client.send(new CreateUserGroupCommand(input));
  await refused(
    t,
    'same id',
    send({ UserGroupId: 'team', Engine: 'redis', UserIds: ['default'] }),
    'UserGroupAlreadyExists',
  );
  await refused(
    t,
    'no default user',
    send({ UserGroupId: 'g1', Engine: 'redis', UserIds: ['app'] }),
    'DefaultUserRequired',
  );
  await refused(t, 'no users', send({ UserGroupId: 'g1', Engine: 'redis' }), 'DefaultUserRequired');
  await refused(
    t,
    'unknown user',
    send({ UserGroupId: 'g1', Engine: 'redis', UserIds: ['default', 'ghost'] }),
    'UserNotFound',
    404,
  );
  await refused(
    t,
    'two defaults',
    send({ UserGroupId: 'g1', Engine: 'redis', UserIds: ['default', 'new-default'] }),
    'DuplicateUserName',
  );
  await refused(
    t,
    'a valkey user in a redis group',
    send({ UserGroupId: 'g1', Engine: 'redis', UserIds: ['default', 'vk'] }),
    'InvalidParameterValue',
  );
  await refused(
    t,
    'a bad engine',
    send({ UserGroupId: 'g1', Engine: 'memcached', UserIds: ['default'] }),
    'InvalidParameterValue',
  );
  const valkey = await send({ UserGroupId: 'vk-group', Engine: 'valkey', UserIds: ['new-default', 'vk', 'app'] });
  t.equal(valkey.MinimumEngineVersion, '7.2', 'a valkey group takes valkey and redis users');

  // ModifyUserGroup shows its change pending, then applies it.
  const modifying = await client.send(
    new ModifyUserGroupCommand({ UserGroupId: 'team', UserIdsToAdd: ['app-twin'], UserIdsToRemove: ['app'] }),
  );
  t.match(modifying, {
    Status: 'modifying',
    UserIds: ['default', 'app'],
    PendingChanges: { UserIdsToAdd: ['app-twin'], UserIdsToRemove: ['app'] },
  });
  await activeGroup(client, 'team');
  const after = (await client.send(new DescribeUserGroupsCommand({ UserGroupId: 'team' }))).UserGroups?.[0];
  t.same(after?.UserIds, ['default', 'app-twin']);
  t.notOk(after?.PendingChanges, 'nothing pending once applied');

  const modify = (input: ConstructorParameters<typeof ModifyUserGroupCommand>[0]) =>
    client.send(new ModifyUserGroupCommand(input));
  await refused(t, 'unknown group', modify({ UserGroupId: 'ghost', UserIdsToAdd: ['app'] }), 'UserGroupNotFound', 404);
  await refused(t, 'unknown user', modify({ UserGroupId: 'team', UserIdsToAdd: ['ghost'] }), 'UserNotFound', 404);
  await refused(
    t,
    'removing the default',
    modify({ UserGroupId: 'team', UserIdsToRemove: ['default'] }),
    'DefaultUserRequired',
  );
  await refused(
    t,
    'a second default',
    modify({ UserGroupId: 'team', UserIdsToAdd: ['new-default'] }),
    'DuplicateUserName',
  );
  await refused(t, 'nothing to change', modify({ UserGroupId: 'team' }), 'InvalidParameterCombination');
  await refused(
    t,
    'add and remove one user',
    modify({ UserGroupId: 'team', UserIdsToAdd: ['app'], UserIdsToRemove: ['app'] }),
    'InvalidParameterCombination',
  );
  await refused(
    t,
    'adding a member again',
    modify({ UserGroupId: 'team', UserIdsToAdd: ['app-twin'] }),
    'InvalidParameterValue',
  );
  // Swapping the default user: the new one in, the built-in one out, in one call.
  const swapped = await modify({ UserGroupId: 'team', UserIdsToAdd: ['new-default'], UserIdsToRemove: ['default'] });
  t.equal(swapped.Status, 'modifying');
  await activeGroup(client, 'team');

  // A user that is a group's only default cannot go; another user leaves its groups when deleted.
  await refused(
    t,
    'deleting a default in use',
    client.send(new DeleteUserCommand({ UserId: 'new-default' })),
    'DefaultUserAssociatedToUserGroup',
  );
  const deleted = await client.send(new DeleteUserCommand({ UserId: 'app-twin' }));
  t.equal(deleted.Status, 'deleting');
  await eventually(
    async () => (await failure(client.send(new DescribeUsersCommand({ UserId: 'app-twin' }))))?.Code === 'UserNotFound',
    10_000,
    'the user gone',
  );
  t.same((await client.send(new DescribeUserGroupsCommand({ UserGroupId: 'team' }))).UserGroups?.[0]?.UserIds, [
    'new-default',
  ]);

  // States: a group on its way refuses changes and deletes (jobs held back for the check).
  await emulator.reconciler.stop();
  await modify({ UserGroupId: 'team', UserIdsToAdd: ['app'] });
  await refused(
    t,
    'modify while modifying',
    modify({ UserGroupId: 'team', UserIdsToAdd: ['app-name2'] }),
    'InvalidUserGroupState',
  );
  await refused(
    t,
    'delete while modifying',
    client.send(new DeleteUserGroupCommand({ UserGroupId: 'team' })),
    'InvalidUserGroupState',
  );
  emulator.reconciler.start();
  await activeGroup(client, 'team');

  // Tags on users and user groups, by ARN.
  for (const resource of [app?.ARN, created.ARN]) {
    await client.send(new AddTagsToResourceCommand({ ResourceName: resource, Tags: [{ Key: 'team', Value: 'a' }] }));
    const { TagList } = await client.send(new ListTagsForResourceCommand({ ResourceName: resource }));
    t.same(TagList, [{ Key: 'team', Value: 'a' }], `tags on ${resource}`);
  }
  await refused(
    t,
    'tags of an unknown user',
    client.send(
      new ListTagsForResourceCommand({ ResourceName: 'arn:aws:elasticache:us-east-1:000000000000:user:ghost' }),
    ),
    'UserNotFound',
    404,
  );
  await refused(
    t,
    'tags of an unknown user group',
    client.send(
      new ListTagsForResourceCommand({ ResourceName: 'arn:aws:elasticache:us-east-1:000000000000:usergroup:ghost' }),
    ),
    'UserGroupNotFound',
    404,
  );

  const gone = await client.send(new DeleteUserGroupCommand({ UserGroupId: 'team' }));
  t.equal(gone.Status, 'deleting');
  await eventually(
    async () =>
      (await failure(client.send(new DescribeUserGroupsCommand({ UserGroupId: 'team' }))))?.Code ===
      'UserGroupNotFound',
    10_000,
    'the group gone',
  );
  await refused(
    t,
    'delete unknown',
    client.send(new DeleteUserGroupCommand({ UserGroupId: 'team' })),
    'UserGroupNotFound',
    404,
  );
  await refused(t, 'delete unknown user', client.send(new DeleteUserCommand({ UserId: 'ghost' })), 'UserNotFound', 404);
});

t.test('the user group quota', async (t) => {
  const { client } = await emulatorWithClient(t);
  for (let i = 0; i < 100; i++) {
    await client.send(new CreateUserGroupCommand({ UserGroupId: `g${i}`, Engine: 'redis', UserIds: ['default'] }));
  }
  await refused(
    t,
    'group 101',
    client.send(new CreateUserGroupCommand({ UserGroupId: 'g100', Engine: 'redis', UserIds: ['default'] })),
    'UserGroupQuotaExceeded',
  );
  const page = await client.send(new DescribeUserGroupsCommand({ MaxRecords: 60 }));
  t.equal(page.UserGroups?.length, 60);
  const rest = await client.send(new DescribeUserGroupsCommand({ MaxRecords: 60, Marker: page.Marker }));
  t.equal(rest.UserGroups?.length, 40);
  t.notOk(rest.Marker);
});

t.test('a replication group with a user group', async (t) => {
  const { client } = await emulatorWithClient(t);
  await client.send(new CreateUserCommand(user('app')));
  await client.send(new CreateUserGroupCommand({ UserGroupId: 'team', Engine: 'redis', UserIds: ['default', 'app'] }));
  await client.send(new CreateUserGroupCommand({ UserGroupId: 'other', Engine: 'redis', UserIds: ['default'] }));
  await client.send(new CreateUserGroupCommand({ UserGroupId: 'vk', Engine: 'valkey', UserIds: ['default'] }));
  await activeGroup(client, 'team');
  await activeGroup(client, 'other');
  const base = {
    ReplicationGroupDescription: 'rbac',
    Engine: 'redis',
    CacheNodeType: 'cache.t3.micro',
    TransitEncryptionEnabled: true,
  };
  const create = (id: string, extra: Record<string, unknown>) =>
    client.send(new CreateReplicationGroupCommand({ ...base, ReplicationGroupId: id, ...extra }));
  await refused(t, 'an unknown user group', create('rg-x', { UserGroupIds: ['ghost'] }), 'UserGroupNotFound', 404);
  await refused(
    t,
    'without TLS',
    create('rg-x', { UserGroupIds: ['team'], TransitEncryptionEnabled: false }),
    'InvalidParameterCombination',
  );
  await refused(
    t,
    'with an AUTH token',
    create('rg-x', { UserGroupIds: ['team'], AuthToken: 'an-auth-token-0123456789' }),
    'InvalidParameterCombination',
  );
  await refused(t, 'two user groups', create('rg-x', { UserGroupIds: ['team', 'other'] }), 'InvalidParameterValue');
  await refused(
    t,
    'redis 5',
    create('rg-x', { UserGroupIds: ['team'], EngineVersion: '5.0.6' }),
    'InvalidParameterCombination',
  );
  await refused(t, 'a valkey group on redis', create('rg-x', { UserGroupIds: ['vk'] }), 'InvalidParameterCombination');

  const created = await create('rg', { UserGroupIds: ['TEAM'] });
  t.same(created.ReplicationGroup?.UserGroupIds, ['team']);
  await eventually(
    async () =>
      (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'rg' }))).ReplicationGroups?.[0]
        ?.Status === 'available',
    10_000,
    'rg available',
  );
  const ug = (await client.send(new DescribeUserGroupsCommand({ UserGroupId: 'team' }))).UserGroups?.[0];
  t.same(ug?.ReplicationGroups, ['rg'], 'the user group shows the replication group using it');
  await refused(
    t,
    'deleting a user group in use',
    client.send(new DeleteUserGroupCommand({ UserGroupId: 'team' })),
    'InvalidUserGroupState',
  );

  const modify = (extra: Record<string, unknown>) =>
    client.send(new ModifyReplicationGroupCommand({ ReplicationGroupId: 'rg', ApplyImmediately: true, ...extra }));
  await refused(t, 'a second user group', modify({ UserGroupIdsToAdd: ['other'] }), 'InvalidParameterValue');
  await refused(
    t,
    'removing one it does not use',
    modify({ UserGroupIdsToRemove: ['other'] }),
    'InvalidParameterValue',
  );
  await refused(
    t,
    'an AUTH token beside RBAC',
    modify({ AuthToken: 'an-auth-token-0123456789', AuthTokenUpdateStrategy: 'SET' }),
    'InvalidParameterCombination',
  );
  await refused(t, 'TLS off under RBAC', modify({ TransitEncryptionEnabled: false }), 'InvalidParameterCombination');
  const swapping = await modify({ UserGroupIdsToAdd: ['other'], UserGroupIdsToRemove: ['team'] });
  t.match(swapping.ReplicationGroup, {
    Status: 'modifying',
    PendingModifiedValues: { UserGroups: { UserGroupIdsToAdd: ['other'], UserGroupIdsToRemove: ['team'] } },
  });
  await eventually(
    async () => {
      const rg = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'rg' })))
        .ReplicationGroups?.[0];
      return rg?.Status === 'available' && rg.UserGroupIds?.[0] === 'other' && !rg.PendingModifiedValues?.UserGroups;
    },
    10_000,
    'rg uses the other user group',
  );
  await client.send(new DeleteUserGroupCommand({ UserGroupId: 'team' }));
  await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'rg' }));
});
