/**
 * RBAC users on real nodes: a replication group with a user group gives every node its users as ACLs. A user
 * `on ~app:* +@read +@write` writes app:1 and is refused other:1 and the restricted commands (which even a
 * `+@all` user is refused, while ACL WHOAMI works); a default-named user that is `off` refuses unauthenticated
 * clients; a password change reaches running nodes; all of it holds on every member after a killed node is healed,
 * after TestFailover and after the group swaps user groups; a user removed from the group is locked out.
 */
import {
  CreateReplicationGroupCommand,
  CreateUserCommand,
  CreateUserGroupCommand,
  DeleteUserCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeUserGroupsCommand,
  DescribeUsersCommand,
  ModifyReplicationGroupCommand,
  ModifyUserCommand,
  ModifyUserGroupCommand,
  TestFailoverCommand,
  waitUntilReplicationGroupAvailable,
  type ElastiCacheClient,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import Docker from 'dockerode';
import t, { type Test } from 'tap';
import type { Emulator } from '../../src/server.js';
import { failure, removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { answerAs, type Endpoint } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';

const APP_PASSWORD = 'app-password-0123456789';
const NEW_APP_PASSWORD = 'new-app-password-9876543210';
const POWER_PASSWORD = 'power-password-0123456789';
const OPS_PASSWORD = 'ops-password-0123456789';
const waiter = (client: ElastiCacheClient) => ({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 1 });

async function describeGroup(client: ElastiCacheClient, id: string): Promise<ReplicationGroup> {
  return (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups![0];
}

/** The primary endpoint and every member's own endpoint. */
function endpointsOf(group: ReplicationGroup): { name: string; endpoint: Endpoint }[] {
  const shard = group.NodeGroups![0];
  return [
    { name: 'primary endpoint', endpoint: shard.PrimaryEndpoint! },
    ...shard.NodeGroupMembers!.map((m) => ({ name: m.CacheClusterId!, endpoint: m.ReadEndpoint! })),
  ];
}

async function killNode(emulator: Emulator, memberId: string): Promise<void> {
  const node = (await emulator.runtime.listNodes()).find((n) => n.clusterId === memberId);
  if (!node) throw new Error(`no node of ${memberId} runs`);
  if (emulator.runtime.name === 'docker') await new Docker().getContainer(node.runtimeId).kill();
  else process.kill(Number(node.runtimeId.split(':')[0]), 'SIGKILL');
}

async function settled(client: ElastiCacheClient, what: 'user' | 'user-group', id: string): Promise<void> {
  await eventually(
    async () => {
      if (what === 'user')
        return (await client.send(new DescribeUsersCommand({ UserId: id }))).Users?.[0]?.Status === 'active';
      return (
        (await client.send(new DescribeUserGroupsCommand({ UserGroupId: id }))).UserGroups?.[0]?.Status === 'active'
      );
    },
    30_000,
    `${what} ${id} active`,
  );
}

/** Every endpoint answers as the group's ACLs say (replicas refuse writes as replicas, after the ACL check). */
async function checkAccess(t: Test, group: ReplicationGroup, appPassword: string, when: string): Promise<void> {
  for (const { name, endpoint } of endpointsOf(group)) {
    const at = `${when}, ${name}`;
    const primary = name === 'primary endpoint';
    const write = await eventually(
      async () => {
        const answer = await answerAs(endpoint, 'app', appPassword, ['SET', 'app:1', 'v']);
        return /^OK$|^READONLY/.test(answer) ? answer : undefined;
      },
      20_000,
      `app writes app:1 at ${at}`,
    );
    if (primary) t.equal(write, 'OK', `${at}: app writes app:1`);
    else t.match(write, /^OK$|^READONLY/, `${at}: app may write app:1 (a replica answers READONLY)`);
    t.match(await answerAs(endpoint, 'app', appPassword, ['SET', 'other:1', 'v']), /^NOPERM/, `${at}: other:1 refused`);
    t.match(await answerAs(endpoint, 'app', appPassword, ['CONFIG', 'GET', 'dir']), /^NOPERM/, `${at}: CONFIG refused`);
    t.match(
      await answerAs(endpoint, 'power', POWER_PASSWORD, ['CONFIG', 'GET', 'dir']),
      /^NOPERM/,
      `${at}: CONFIG refused to +@all`,
    );
    t.match(
      await answerAs(endpoint, 'power', POWER_PASSWORD, ['ACL', 'SETUSER', 'app', 'on', '>taken-over-password']),
      /^NOPERM/,
      `${at}: ACL SETUSER refused to +@all`,
    );
    t.equal(await answerAs(endpoint, 'power', POWER_PASSWORD, ['ACL', 'WHOAMI']), 'power', `${at}: ACL WHOAMI works`);
    t.match(await answerAs(endpoint, undefined, undefined, ['GET', 'app:1']), /^NOAUTH/, `${at}: no user, no access`);
    t.match(
      await answerAs(endpoint, 'app', 'wrong-password-000000', ['GET', 'app:1']),
      /^WRONGPASS/,
      `${at}: wrong password`,
    );
  }
}

function rbacSuite(runtime: 'process' | 'docker'): void {
  t.test(`${runtime}: RBAC users as ACLs on every node, through changes, a killed node and failovers`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const emulator = await startTestEmulator(t, { runtime });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);

    await client.send(
      new CreateUserCommand({
        UserId: 'app',
        UserName: 'app',
        Engine: 'redis',
        AccessString: 'on ~app:* +@read +@write',
        Passwords: [APP_PASSWORD],
      }),
    );
    await client.send(
      new CreateUserCommand({
        UserId: 'power',
        UserName: 'power',
        Engine: 'redis',
        AccessString: 'on ~* +@all',
        Passwords: [POWER_PASSWORD],
      }),
    );
    await client.send(
      new CreateUserCommand({
        UserId: 'ops',
        UserName: 'ops',
        Engine: 'redis',
        AccessString: 'on ~* +@read',
        Passwords: [OPS_PASSWORD],
      }),
    );
    await client.send(
      new CreateUserCommand({
        UserId: 'locked-default',
        UserName: 'default',
        Engine: 'redis',
        AccessString: 'off ~* +@all',
        NoPasswordRequired: true,
      }),
    );
    await client.send(
      new CreateUserGroupCommand({
        UserGroupId: 'team',
        Engine: 'redis',
        UserIds: ['locked-default', 'app', 'power', 'ops'],
      }),
    );
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'rbac',
        ReplicationGroupDescription: 'rbac users',
        CacheNodeType: 'cache.t3.micro',
        NumCacheClusters: 2,
        AutomaticFailoverEnabled: true,
        TransitEncryptionEnabled: true,
        UserGroupIds: ['team'],
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'rbac' });
    let group = await describeGroup(client, 'rbac');
    t.same(group.UserGroupIds, ['team']);
    await checkAccess(t, group, APP_PASSWORD, 'created');

    // A new password reaches the running nodes; the old one no longer opens them.
    await client.send(new ModifyUserCommand({ UserId: 'app', Passwords: [NEW_APP_PASSWORD] }));
    await settled(client, 'user', 'app');
    for (const { name, endpoint } of endpointsOf(group)) {
      t.match(
        await answerAs(endpoint, 'app', APP_PASSWORD, ['GET', 'app:1']),
        /^WRONGPASS/,
        `${name}: old password refused`,
      );
    }
    await checkAccess(t, group, NEW_APP_PASSWORD, 'after ModifyUser');

    // A killed primary: a replica takes over, the dead node comes back as a replica, and every node has the users.
    const oldPrimary = group.NodeGroups![0].NodeGroupMembers!.find((m) => m.CurrentRole === 'primary')!.CacheClusterId!;
    await killNode(emulator, oldPrimary);
    group = await eventually(
      async () => {
        const current = await describeGroup(client, 'rbac');
        const primary = current.NodeGroups![0].NodeGroupMembers!.find((m) => m.CurrentRole === 'primary');
        return current.Status === 'available' && primary?.CacheClusterId !== oldPrimary ? current : undefined;
      },
      60_000,
      'automatic failover',
    );
    await checkAccess(t, group, NEW_APP_PASSWORD, 'after a killed primary');

    // TestFailover: roles change again, the ACLs stay.
    await client.send(new TestFailoverCommand({ ReplicationGroupId: 'rbac', NodeGroupId: '0001' }));
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'rbac' });
    group = await describeGroup(client, 'rbac');
    await checkAccess(t, group, NEW_APP_PASSWORD, 'after TestFailover');

    // Removed from the group, the user is locked out everywhere.
    await client.send(new ModifyUserGroupCommand({ UserGroupId: 'team', UserIdsToRemove: ['app'] }));
    await settled(client, 'user-group', 'team');
    for (const { name, endpoint } of endpointsOf(group)) {
      t.match(
        await answerAs(endpoint, 'app', NEW_APP_PASSWORD, ['GET', 'app:1']),
        /^WRONGPASS/,
        `${name}: a user removed from the group is locked out`,
      );
      t.equal(
        await answerAs(endpoint, 'power', POWER_PASSWORD, ['ACL', 'WHOAMI']),
        'power',
        `${name}: the others stay`,
      );
    }

    // A deleted user leaves its group, and the nodes.
    t.equal(await answerAs(group.NodeGroups![0].PrimaryEndpoint!, 'ops', OPS_PASSWORD, ['GET', 'app:1']), 'v');
    await client.send(new DeleteUserCommand({ UserId: 'ops' }));
    await eventually(
      async () => (await failure(client.send(new DescribeUsersCommand({ UserId: 'ops' }))))?.Code === 'UserNotFound',
      30_000,
      'ops deleted',
    );
    for (const { name, endpoint } of endpointsOf(group)) {
      t.match(
        await answerAs(endpoint, 'ops', OPS_PASSWORD, ['GET', 'app:1']),
        /^WRONGPASS/,
        `${name}: a deleted user is gone`,
      );
    }

    // The group leaves RBAC for a user group whose default user is the built-in one: clients need no user again.
    await client.send(new CreateUserGroupCommand({ UserGroupId: 'open', Engine: 'redis', UserIds: ['default'] }));
    await settled(client, 'user-group', 'open');
    await client.send(
      new ModifyReplicationGroupCommand({
        ReplicationGroupId: 'rbac',
        UserGroupIdsToAdd: ['open'],
        UserGroupIdsToRemove: ['team'],
        ApplyImmediately: true,
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'rbac' });
    group = await describeGroup(client, 'rbac');
    t.same(group.UserGroupIds, ['open']);
    for (const { name, endpoint } of endpointsOf(group)) {
      t.equal(
        await answerAs(endpoint, undefined, undefined, ['PING']),
        'PONG',
        `${name}: the built-in default user is open`,
      );
      t.match(
        await answerAs(endpoint, undefined, undefined, ['CONFIG', 'GET', 'dir']),
        /^NOPERM/,
        `${name}: but not CONFIG`,
      );
      t.match(
        await answerAs(endpoint, 'power', POWER_PASSWORD, ['PING']),
        /^WRONGPASS/,
        `${name}: users of the old group are gone`,
      );
    }
  });
}

function clusterModeSuite(runtime: 'process' | 'docker'): void {
  t.test(`${runtime}: a cluster-mode group gives every shard's nodes the users`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const emulator = await startTestEmulator(t, { runtime });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    await client.send(
      new CreateUserCommand({
        UserId: 'app',
        UserName: 'app',
        Engine: 'redis',
        AccessString: 'on ~app:* +@read +@write',
        Passwords: [APP_PASSWORD],
      }),
    );
    await client.send(
      new CreateUserCommand({
        UserId: 'locked-default',
        UserName: 'default',
        Engine: 'redis',
        AccessString: 'off ~* +@all',
        NoPasswordRequired: true,
      }),
    );
    await client.send(
      new CreateUserGroupCommand({ UserGroupId: 'team', Engine: 'redis', UserIds: ['locked-default', 'app'] }),
    );
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'cm',
        ReplicationGroupDescription: 'cluster mode with users',
        CacheNodeType: 'cache.t3.micro',
        ClusterMode: 'enabled',
        NumNodeGroups: 2,
        ReplicasPerNodeGroup: 1,
        TransitEncryptionEnabled: true,
        UserGroupIds: ['team'],
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'cm' });
    const group = await describeGroup(client, 'cm');
    t.equal(group.MemberClusters?.length, 4);
    for (const memberId of group.MemberClusters ?? []) {
      const { CacheClusters } = await client.send(
        new DescribeCacheClustersCommand({ CacheClusterId: memberId, ShowCacheNodeInfo: true }),
      );
      const endpoint = CacheClusters![0].CacheNodes![0].Endpoint!;
      // The ACL check comes before the slot check: a key of another shard is MOVED, not refused.
      t.match(
        await answerAs(endpoint, 'app', APP_PASSWORD, ['SET', 'app:1', 'v']),
        /^OK$|^MOVED|^READONLY/,
        `${memberId}: app:1`,
      );
      t.match(
        await answerAs(endpoint, 'app', APP_PASSWORD, ['GET', 'other:1']),
        /^NOPERM/,
        `${memberId}: other:1 refused`,
      );
      t.match(
        await answerAs(endpoint, 'app', APP_PASSWORD, ['CLUSTER', 'FAILOVER']),
        /^NOPERM/,
        `${memberId}: CLUSTER FAILOVER refused`,
      );
      t.match(
        await answerAs(endpoint, undefined, undefined, ['GET', 'app:1']),
        /^NOAUTH/,
        `${memberId}: no user, no access`,
      );
    }
  });
}

rbacSuite('process');
rbacSuite('docker');
clusterModeSuite('process');
clusterModeSuite('docker');
