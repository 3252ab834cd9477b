/**
 * Cluster mode for clients in containers (docker runtime, `--advertise-host` on a client network's gateway): real
 * redis-cli containers on that network follow redirects (CLUSTER SLOTS and MOVED name the advertised endpoints) and
 * CLUSTER NODES (the node network's gateway, a port per node), every one of those addresses checked: a container
 * the security group admits gets through, an unlabelled one (the host's identity, refused) gets nowhere.
 */
import {
  CreateReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { AuthorizeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { testDockerNetwork } from '../fixtures/emulator.js';
import { runtimeAvailable } from '../fixtures/real-nodes.js';
import { setUp, waiter } from '../fixtures/security-groups.js';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args, { timeout: 60_000 })).stdout.trim();

/** What redis-cli prints from a fresh container on the network (its answer, or its error). */
async function redisCliFrom(network: string, labels: Record<string, string>, ...args: string[]): Promise<string> {
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  try {
    return await docker('run', '--rm', '--network', network, ...labelArgs, 'redis:7.2', 'redis-cli', ...args);
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}`.trim() || String(error);
  }
}

t.test('docker, --advertise-host: container clients follow a cluster-mode group, checked everywhere', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  const apps = `elasticache-local-test-apps-${Math.random().toString(16).slice(2, 10)}`;
  await docker('network', 'create', apps);
  t.teardown(async () => {
    const left = await docker('ps', '-aq', '--filter', `network=${apps}`);
    if (left) await docker('rm', '-f', ...left.split('\n'));
    await docker('network', 'rm', apps).catch(() => {});
  });
  const gateway = await docker('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', apps);
  const dockerNetwork = testDockerNetwork();
  const { ec2, elasticache, group } = await setUp(t, 'docker', { advertiseHost: gateway, dockerNetwork });
  const app = await group('app');
  const cache = await group('cache');
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: cache,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, UserIdGroupPairs: [{ GroupId: app }] }],
    }),
  );
  await elasticache.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'apps-cm',
      ReplicationGroupDescription: 'cluster mode for containers',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumNodeGroups: 2,
      ReplicasPerNodeGroup: 1,
      CacheParameterGroupName: 'default.redis7.cluster.on',
      CacheSubnetGroupName: 'private',
      SecurityGroupIds: [cache],
    }),
  );
  await waitUntilReplicationGroupAvailable(waiter(elasticache), { ReplicationGroupId: 'apps-cm' });
  const described = (await elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'apps-cm' })))
    .ReplicationGroups![0];
  const cfg = described.ConfigurationEndpoint!;
  t.equal(cfg.Address, gateway, 'the configuration endpoint is advertised on the client network');
  const member = { 'elasticache-local.security-groups': 'app' };
  const at = ['-h', cfg.Address!, '-p', String(cfg.Port)];

  // foo (slot 12182) and bar (slot 5061) are on different shards: whichever the configuration endpoint reaches, one
  // of them is redirected.
  for (const key of ['foo', 'bar'])
    t.equal(await redisCliFrom(apps, member, '-c', ...at, 'SET', key, `${key}-value`), 'OK', `SET ${key}`);
  t.same(
    [
      await redisCliFrom(apps, member, '-c', ...at, 'GET', 'foo'),
      await redisCliFrom(apps, member, '-c', ...at, 'GET', 'bar'),
    ],
    ['foo-value', 'bar-value'],
    'redis-cli -c in an admitted container follows MOVED to the advertised endpoints',
  );

  const slots = await redisCliFrom(apps, member, ...at, 'CLUSTER', 'SLOTS');
  const named = new Set(slots.match(/\b\d{1,3}(\.\d{1,3}){3}\b/g));
  t.ok(named.has(gateway), 'CLUSTER SLOTS names the advertised host');

  const nodes = (await redisCliFrom(apps, member, ...at, 'CLUSTER', 'NODES'))
    .split('\n')
    .map((line) => line.split(' ')[1].split('@')[0]);
  t.equal(nodes.length, 4, 'CLUSTER NODES lists the four nodes');
  const shared = new Set(nodes.map((address) => address.slice(0, address.lastIndexOf(':'))));
  t.equal(shared.size, 1, 'all on one address');
  t.not([...shared][0], gateway, "the node network's gateway, not the client network's");

  const check = await redisCliFrom(apps, member, '--cluster', 'check', `${cfg.Address}:${cfg.Port}`);
  t.match(check, /All 16384 slots covered/, 'redis-cli --cluster check reaches every node CLUSTER NODES lists');
  for (const address of nodes) {
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), address.slice(address.lastIndexOf(':') + 1)];
    t.equal(await redisCliFrom(apps, member, '-h', host, '-p', port, 'PING'), 'PONG', `${address} admits a member`);
    t.notMatch(await redisCliFrom(apps, {}, '-h', host, '-p', port, 'PING'), /PONG/, `${address} refuses the others`);
  }
});
