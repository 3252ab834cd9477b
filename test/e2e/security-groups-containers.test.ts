/**
 * Security groups for clients in containers (docker runtime): the emulator's endpoints are advertised on a client
 * network's gateway (`--advertise-host`), real client containers on that network connect with redis-cli, and their
 * labels place them in the VPC. A labelled member of the source group is admitted, an unlabelled container counts
 * as the host and is refused like it, an address label is matched against CIDR rules, and a node container's own
 * address is out of the client network's reach.
 */
import { DescribeEventsCommand } from '@aws-sdk/client-elasticache';
import { AuthorizeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { acceptsToken, eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { endpointOf, setUp } from '../fixtures/security-groups.js';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args, { timeout: 60_000 })).stdout.trim();

/** What `redis-cli PING` prints from a fresh container on the network (its answer, or its error). */
async function pingFrom(network: string, labels: Record<string, string>, host: string, port: number) {
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const args = ['run', '--rm', '--network', network, ...labelArgs, 'redis:7.2', 'redis-cli', '-h', host];
  try {
    return await docker(...args, '-p', String(port), 'ping');
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}`.trim() || String(error);
  }
}

t.test('docker: client containers are placed in the VPC by their labels', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  // The client network: where app containers run (the test networks' prefix, so CI clears what a crash leaves).
  const apps = `elasticache-local-test-apps-${Math.random().toString(16).slice(2, 10)}`;
  await docker('network', 'create', apps);
  t.teardown(async () => {
    const left = await docker('ps', '-aq', '--filter', `network=${apps}`);
    if (left) await docker('rm', '-f', ...left.split('\n'));
    await docker('network', 'rm', apps).catch(() => {});
  });
  const gateway = await docker('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', apps);

  const { ec2, elasticache, group, cluster } = await setUp(t, 'docker', { advertiseHost: gateway });
  const app = await group('app');
  const cache = await group('cache');
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: cache,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, UserIdGroupPairs: [{ GroupId: app }] },
        { IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, IpRanges: [{ CidrIp: '10.30.5.0/24' }] },
      ],
    }),
  );
  await cluster('guarded', [cache]);
  const endpoint = await endpointOf(elasticache, 'guarded');
  t.equal(endpoint.Address, gateway, 'the endpoint is advertised on the client network');
  t.not(endpoint.Port, 6379, 'with a port of its own');
  const port = endpoint.Port!;

  t.equal(
    await pingFrom(apps, { 'elasticache-local.security-groups': 'app' }, gateway, port),
    'PONG',
    'a container labelled as a member of the source group is admitted',
  );
  t.equal(
    await pingFrom(apps, { 'elasticache-local.security-groups': app }, gateway, port),
    'PONG',
    'by the group id too',
  );
  t.notMatch(await pingFrom(apps, {}, gateway, port), /PONG/, 'an unlabelled container counts as the host: refused');
  t.notOk(await acceptsToken(endpoint), 'and so is the host');
  t.equal(
    await pingFrom(apps, { 'elasticache-local.address': '10.30.5.7' }, gateway, port),
    'PONG',
    'an address label inside the rule CIDR is admitted',
  );
  t.notMatch(
    await pingFrom(apps, { 'elasticache-local.address': '10.30.6.7' }, gateway, port),
    /PONG/,
    'one outside it is refused',
  );

  const events = await elasticache.send(
    new DescribeEventsCommand({ SourceIdentifier: 'guarded', SourceType: 'cache-cluster' }),
  );
  t.ok(
    events.Events!.some((e) => /refused: container \S+ \(10\.30\.\d+\.\d+, in /.test(e.Message!)),
    'the refusal is an event naming the container',
  );

  // Around the rule: the node container's own address is on the node network, which the client network does not
  // reach. A container trying it gets no answer (it is removed after a few seconds).
  // Other test files run clusters named guarded at the same time: any of their node containers will do, as none
  // is on this test's client network.
  const nodes = (await docker('ps', '-q', '--filter', `label=io.elasticache-local.cache-cluster=guarded`)).split('\n');
  t.ok(nodes[0], 'the node container runs');
  const networks = JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', nodes[0]));
  t.notOk(networks[apps], 'the node container is not on the client network');
  const nodeAddress = (Object.values(networks)[0] as { IPAddress: string }).IPAddress;
  const attempt = await docker(
    'run',
    '-d',
    '--network',
    apps,
    '--label',
    'elasticache-local.security-groups=app',
    'redis:7.2',
    'redis-cli',
    '-h',
    nodeAddress,
    '-p',
    '6379',
    'ping',
  );
  const answered = await eventually(
    async () => ((await docker('logs', attempt)).includes('PONG') ? true : undefined),
    3000,
    'a straight connection',
  ).catch(() => false);
  await docker('rm', '-f', attempt);
  t.notOk(answered, "straight to the node container's address: no answer, even for an admitted container");
});
