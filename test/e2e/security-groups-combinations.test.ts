/**
 * Security groups where endpoints are served differently: the `ports` endpoint mode (every endpoint 127.0.0.1 and a
 * port of its own, forwarded by the emulator on both runtimes; rules still name the cluster's port, 6379, as on
 * AWS), and a cluster-mode group in TransitEncryptionMode preferred (its configuration endpoint sorts TLS and plain
 * connections after admitting them), and a group whose user group holds an iam user (its endpoints read logins,
 * after admitting the client). Each: no ingress rule refuses the host, a rule for the VPC's CIDR admits it, revoking
 * refuses new connections and keeps the open one.
 */
import {
  CreateReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { acceptsToken, eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { endpointOf, setUp, waiter } from '../fixtures/security-groups.js';
import { KNOWN, activeUserGroup, createLoginUsers, iamToken, loginAnswer, tlsClient } from '../fixtures/iam-logins.js';

type Endpoint = { Address?: string; Port?: number };

/** The rule every test authorizes: the cluster's port from the VPC's CIDR. */
const vpcRule = (groupId: string) => ({
  GroupId: groupId,
  IpProtocol: 'tcp',
  FromPort: 6379,
  ToPort: 6379,
  CidrIp: '10.30.0.0/16',
});

const admittedSoon = (check: () => Promise<boolean>, what: string) =>
  eventually(async () => (await check()) || undefined, 5000, what);
const refusedSoon = (check: () => Promise<boolean>, what: string) =>
  eventually(async () => !(await check()) || undefined, 5000, what);

for (const runtime of ['process', 'docker'] as const) {
  t.test(`${runtime}: the ports endpoint mode admits only what the rules allow, on the cluster's port`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const { ec2, elasticache, group, cluster } = await setUp(t, runtime, { endpointMode: 'ports' });
    const closed = await group('closed-ports');
    await cluster('by-port', [closed]);
    const endpoint = await endpointOf(elasticache, 'by-port');
    t.equal(endpoint.Address, '127.0.0.1', 'the ports mode: the endpoint is 127.0.0.1');
    t.not(endpoint.Port, 6379, 'on a port of its own');
    t.notOk(await acceptsToken(endpoint), 'no ingress rule: the host is refused');

    await ec2.send(new AuthorizeSecurityGroupIngressCommand(vpcRule(closed)));
    t.ok(await admittedSoon(() => acceptsToken(endpoint), 'admission'), 'a rule for 6379 admits the host');

    const open = redisAt(endpoint);
    open.on('error', () => {});
    await open.connect();
    t.teardown(() => open.disconnect());
    await ec2.send(new RevokeSecurityGroupIngressCommand(vpcRule(closed)));
    t.ok(await refusedSoon(() => acceptsToken(endpoint), 'refusal'), 'revoked: new connections are refused');
    t.equal(await open.ping(), 'PONG', 'the open connection stays');
  });

  t.test(`${runtime}: a cluster-mode group in preferred mode, TLS and plain clients alike`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const { emulator, ec2, elasticache, group } = await setUp(t, runtime);
    const ca = readFileSync(emulator.caCertificatePath, 'utf8');
    const closed = await group('closed-preferred');
    await elasticache.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'pref-cm',
        ReplicationGroupDescription: 'preferred, cluster mode',
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        NumNodeGroups: 2,
        ReplicasPerNodeGroup: 0,
        CacheParameterGroupName: 'default.redis7.cluster.on',
        TransitEncryptionEnabled: true,
        TransitEncryptionMode: 'preferred',
        CacheSubnetGroupName: 'private',
        SecurityGroupIds: [closed],
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(elasticache), { ReplicationGroupId: 'pref-cm' });
    const configuration: Endpoint = (
      await elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'pref-cm' }))
    ).ReplicationGroups![0].ConfigurationEndpoint!;
    const plain = () => acceptsToken(configuration);
    const tls = () => acceptsToken(configuration, undefined, ca);
    t.notOk(await plain(), 'no ingress rule: a plain client is refused');
    t.notOk(await tls(), 'and a TLS client too');

    await ec2.send(new AuthorizeSecurityGroupIngressCommand(vpcRule(closed)));
    t.ok(await admittedSoon(plain, 'plain admission'), 'a rule admits a plain client');
    t.ok(await tls(), 'and a TLS client, whose certificate chain verifies');

    const open = redisAt(configuration, undefined, ca);
    open.on('error', () => {});
    await open.connect();
    t.teardown(() => open.disconnect());
    await ec2.send(new RevokeSecurityGroupIngressCommand(vpcRule(closed)));
    t.ok(await refusedSoon(plain, 'plain refusal'), 'revoked: plain clients are refused');
    t.notOk(await tls(), 'and TLS clients');
    t.equal(await open.ping(), 'PONG', 'the open TLS connection stays');
  });

  t.test(`${runtime}: iam logins are read only from admitted clients`, async (t) => {
    if (!(await runtimeAvailable(t, runtime))) return;
    const { emulator, ec2, elasticache, group } = await setUp(t, runtime, { credentials: [KNOWN] });
    const ca = readFileSync(emulator.caCertificatePath, 'utf8');
    await createLoginUsers(elasticache);
    await activeUserGroup(elasticache, 'sg-iam-users', ['iam-default', 'iam-app']);
    const closed = await group('closed-iam');
    await elasticache.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'iam-guarded',
        ReplicationGroupDescription: 'iam behind a security group',
        Engine: 'redis',
        EngineVersion: '7.1',
        CacheNodeType: 'cache.t3.micro',
        NumCacheClusters: 1,
        TransitEncryptionEnabled: true,
        UserGroupIds: ['sg-iam-users'],
        CacheSubnetGroupName: 'private',
        SecurityGroupIds: [closed],
      }),
    );
    await waitUntilReplicationGroupAvailable(waiter(elasticache), { ReplicationGroupId: 'iam-guarded' });
    const primary: Endpoint = (
      await elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'iam-guarded' }))
    ).ReplicationGroups![0].NodeGroups![0].PrimaryEndpoint!;
    const login = async () =>
      (await loginAnswer(primary, ca, 'iam-app', await iamToken('iam-guarded', 'iam-app'))) === 'PONG';
    t.notOk(await login(), 'no ingress rule: the host is refused before it can log in');

    await ec2.send(new AuthorizeSecurityGroupIngressCommand(vpcRule(closed)));
    t.ok(await admittedSoon(login, 'admission'), 'a rule admits the host, and its iam login works');

    const open = tlsClient(primary, ca, { username: 'iam-app', password: await iamToken('iam-guarded', 'iam-app') });
    await open.connect();
    t.teardown(() => open.disconnect());
    await ec2.send(new RevokeSecurityGroupIngressCommand(vpcRule(closed)));
    t.ok(await refusedSoon(login, 'refusal'), 'revoked: new logins are refused');
    t.equal(await open.ping(), 'PONG', 'the logged-in connection stays');
  });
}
