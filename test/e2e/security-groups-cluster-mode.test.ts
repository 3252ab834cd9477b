/**
 * A cluster-mode group with security groups enforced, on both runtimes: every address its nodes hand a client
 * (CLUSTER NODES, REPLICAS, SLOTS, SHARDS, INFO replication) is one the emulator checks (its node endpoints; on docker
 * also the node network's gateway, where each node announces ports of its own), so clients that
 * follow CLUSTER NODES (redis-cli --cluster, redis-benchmark --cluster, ioredis) work and, once the rule is revoked,
 * every listed address refuses them, data port and bus port alike. The nodes still meet, replicate, fail over and
 * reshard among themselves through those endpoints while the host is refused.
 */
import {
  CreateReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  DeleteReplicationGroupCommand,
  ModifyReplicationGroupShardConfigurationCommand,
  TestFailoverCommand,
  waitUntilReplicationGroupAvailable,
  waitUntilReplicationGroupDeleted,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { Cluster } from 'ioredis';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import t from 'tap';
import { acceptsToken, eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { endpointOf, heldByNode, setUp, waiter } from '../fixtures/security-groups.js';
import {
  removeAllNodes,
  sdkClient,
  startTestEmulator,
  tempDir,
  testDockerNetwork,
  uniqueEndpointBase,
} from '../fixtures/emulator.js';

const run = promisify(execFile);
const ID = 'guarded-cm';

/** The gateway of a Docker network: the host's address there, which docker cluster nodes announce. */
async function gatewayOf(network: string): Promise<string> {
  const { stdout } = await run('docker', [
    'network',
    'inspect',
    '-f',
    '{{range .IPAM.Config}}{{.Gateway}}{{end}}',
    network,
  ]);
  return stdout.trim();
}

/** One line of CLUSTER NODES: where a client (ip:port) and a peer (ip:busPort) reach the node. */
interface Listed {
  id: string;
  ip: string;
  port: number;
  busPort: number;
  primary: boolean;
  primaryId: string;
}

function clusterNodes(text: string): Listed[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, primaryId] = line.split(' ');
      const [ipPort, bus] = address.split(',')[0].split('@');
      const colon = ipPort.lastIndexOf(':');
      return {
        id,
        ip: ipPort.slice(0, colon),
        port: Number(ipPort.slice(colon + 1)),
        busPort: Number(bus),
        primary: flags.includes('master'),
        primaryId,
      };
    });
}

/** Every IPv4 address in an answer, however nested. */
function addressesIn(answer: unknown): string[] {
  if (Array.isArray(answer)) return answer.flatMap(addressesIn);
  const text = Buffer.isBuffer(answer) ? answer.toString() : typeof answer === 'string' ? answer : '';
  return text.match(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g) ?? [];
}

/**
 * What a raw connection to an address meets: `cut` (accepted, then closed before a word: a forward that does not
 * admit the client), `refused` (nothing listens) or `open` (still open after a while).
 */
function meets(host: string, port: number): Promise<'cut' | 'refused' | 'open'> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let connected = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('open');
    }, 3000);
    socket.on('connect', () => (connected = true));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(connected ? 'cut' : 'refused');
    });
  });
}

/** Whether something on this machine listens on address:port (EADDRINUSE); not when the address is gone. */
function held(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE'));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Whether a CLUSTER NODES line shows a node its peer has a live bus link with, in no failure state. */
const linked = (line: string) => {
  const fields = line.split(' ');
  const flags = fields[2].split(',');
  return !flags.some((f) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(f)) && fields[7] === 'connected';
};

for (const runtime of ['process', 'docker'] as const)
  for (const tls of [false, true])
    t.test(
      `${runtime}${tls ? ', TLS' : ''}: a cluster-mode group names only checked addresses, which all refuse once revoked`,
      async (t) => {
        if (!(await runtimeAvailable(t, runtime))) return;
        const dockerNetwork = testDockerNetwork();
        const place = { dataDir: tempDir(t), endpointBase: uniqueEndpointBase(), dockerNetwork };
        const { emulator, ec2, elasticache, group } = await setUp(t, runtime, place);
        const caPath = emulator.caCertificatePath;
        const ca = tls ? readFileSync(caPath, 'utf8') : undefined;
        /** redis-cli's and redis-benchmark's TLS flags, verifying the emulator's CA. */
        const tlsFlags = tls ? ['--tls', '--cacert', caPath] : [];
        const at = (host: string, port: number) => redisAt({ Address: host, Port: port }, undefined, ca);
        const admits = (host: string, port: number) => acceptsToken({ Address: host, Port: port }, undefined, ca);
        const clusterClient = () =>
          new Cluster([{ host: cfg.Address!, port: cfg.Port! }], {
            redisOptions: { connectTimeout: 3000, ...(ca ? { tls: { ca } } : {}) },
          });
        const sg = await group('cluster-mode');
        const rule = { GroupId: sg, IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379, CidrIp: '10.30.0.0/16' };
        await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
        await elasticache.send(
          new CreateReplicationGroupCommand({
            ReplicationGroupId: ID,
            ReplicationGroupDescription: 'guarded cluster mode',
            Engine: 'redis',
            CacheNodeType: 'cache.t3.micro',
            NumNodeGroups: 2,
            ReplicasPerNodeGroup: 1,
            AutomaticFailoverEnabled: true,
            CacheParameterGroupName: 'default.redis7.cluster.on',
            CacheSubnetGroupName: 'private',
            SecurityGroupIds: [sg],
            TransitEncryptionEnabled: tls,
          }),
        );
        const describe = async (): Promise<ReplicationGroup> =>
          (await elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: ID })))
            .ReplicationGroups![0];
        const available = async () => {
          await waitUntilReplicationGroupAvailable(waiter(elasticache), { ReplicationGroupId: ID });
          return describe();
        };
        let described = await available();
        const cfg = described.ConfigurationEndpoint!;
        /** The node endpoints DescribeCacheClusters gives, as address:port. */
        const nodeEndpoints = async (members: string[]) =>
          new Set(
            await Promise.all(
              members.map(async (id) => {
                const endpoint = await endpointOf(elasticache, id);
                return `${endpoint.Address}:${endpoint.Port}`;
              }),
            ),
          );
        const listed = async () => {
          const redis = at(cfg.Address!, cfg.Port!);
          await redis.connect();
          try {
            return clusterNodes((await redis.call('CLUSTER', 'NODES')) as string);
          } finally {
            redis.disconnect();
          }
        };
        /**
         * What every node hands a client names node endpoints only (process), or the node network's gateway, with a
         * port per node, besides the endpoints' hosts (docker).
         */
        const onlyEndpoints = async (members: string[], when: string) => {
          const endpoints = await nodeEndpoints(members);
          const shared = runtime === 'docker' ? await gatewayOf(dockerNetwork) : undefined;
          const addresses = new Set([...[...endpoints].map((e) => e.split(':')[0]), ...(shared ? [shared] : [])]);
          const nodes = await listed();
          t.equal(nodes.length, members.length, `${when}: CLUSTER NODES lists every node`);
          t.same(
            nodes
              .map((n) => `${n.ip}:${n.port}`)
              .filter((a) => (shared ? !a.startsWith(`${shared}:`) : !endpoints.has(a))),
            [],
            `${when}: every CLUSTER NODES address is ${shared ? `the gateway ${shared}` : 'a node endpoint'}`,
          );
          if (shared)
            t.equal(new Set(nodes.map((n) => n.port)).size, nodes.length, `${when}: each node has a port of its own`);
          for (const node of nodes) {
            const redis = at(node.ip, node.port);
            await redis.connect();
            try {
              const answers: unknown[] = [
                await redis.call('CLUSTER', 'NODES'),
                await redis.call('CLUSTER', 'SLOTS'),
                await redis.call('CLUSTER', 'SHARDS'),
                await redis.call('INFO', 'replication'),
                await redis.call('ROLE'),
                ...(await Promise.all(
                  nodes.filter((n) => n.primary).map((p) => redis.call('CLUSTER', 'REPLICAS', p.id)),
                )),
              ];
              t.same(
                answers.flatMap(addressesIn).filter((a) => !addresses.has(a)),
                [],
                `${when}: ${node.ip}:${node.port} names no address but the endpoints'`,
              );
            } finally {
              redis.disconnect();
            }
          }
          return nodes;
        };

        const nodes = await onlyEndpoints(described.MemberClusters!, 'created');

        const cluster = clusterClient();
        cluster.on('error', () => {});
        t.teardown(() => cluster.disconnect());
        const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
        for (const key of keys) await cluster.set(key, key);
        t.same(
          await Promise.all(keys.map((k) => cluster.get(k))),
          keys,
          'ioredis Cluster writes and reads on both shards',
        );
        const cli = await run(
          'redis-cli',
          [...tlsFlags, '-c', '-h', cfg.Address!, '-p', String(cfg.Port), 'GET', 'key-7'],
          {
            timeout: 10_000,
          },
        );
        t.equal(cli.stdout.trim(), 'key-7', 'redis-cli -c follows the redirect');
        await run(
          'redis-benchmark',
          [
            ...tlsFlags,
            '--cluster',
            '-h',
            cfg.Address!,
            '-p',
            String(cfg.Port),
            '-n',
            '1000',
            '-c',
            '4',
            '-t',
            'set,get',
            '-q',
          ],
          { timeout: 60_000 },
        );
        t.pass('redis-benchmark --cluster -n 1000 ran against the nodes CLUSTER NODES lists');
        const check = await run('redis-cli', [...tlsFlags, '--cluster', 'check', `${cfg.Address}:${cfg.Port}`], {
          timeout: 20_000,
        });
        t.match(check.stdout, /All 16384 slots covered/, 'redis-cli --cluster check reaches every listed node');

        await ec2.send(new RevokeSecurityGroupIngressCommand(rule));
        await eventually(
          async () => (await Promise.all(nodes.map((n) => admits(n.ip, n.port)))).every((a) => !a),
          5000,
          'refusal on every listed address',
        );
        t.pass('revoked: every address CLUSTER NODES listed refuses a new connection');
        t.notOk(await admits(cfg.Address!, cfg.Port!), 'the configuration endpoint refuses too');
        t.same(
          await Promise.all(nodes.map((n) => meets(n.ip, n.busPort))),
          nodes.map(() => 'cut'),
          'every listed bus port cuts the host off',
        );

        // The nodes' own traffic goes on through the same endpoints while the host is refused.
        await elasticache.send(new TestFailoverCommand({ ReplicationGroupId: ID, NodeGroupId: '0001' }));
        described = await available();
        await elasticache.send(
          new ModifyReplicationGroupShardConfigurationCommand({
            ReplicationGroupId: ID,
            NodeGroupCount: 3,
            ApplyImmediately: true,
          }),
        );
        described = await available();
        t.equal(described.NodeGroups!.length, 3, 'a third shard joined while the host was refused');

        await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
        await eventually(async () => (await admits(cfg.Address!, cfg.Port!)) || undefined, 5000, 'admission');
        // The nodes take their endpoints back from the emulator's listeners one by one (processes: until a node holds
        // its endpoint, the emulator's listener admits there, and a connection made as it hands over is refused).
        await eventually(
          async () => {
            const nodes = await listed();
            const admitted = (await Promise.all(nodes.map((n) => admits(n.ip, n.port)))).every(Boolean);
            return (
              admitted &&
              (runtime === 'docker' ||
                (await Promise.all(nodes.map((n) => heldByNode({ Address: n.ip, Port: n.port }, ca)))).every(Boolean))
            );
          },
          10_000,
          'admission on every node endpoint',
        );
        const after = await onlyEndpoints(described.MemberClusters!, 'after a failover and a resharding');
        const replicas = after.filter((n) => !n.primary);
        t.equal(replicas.length, 3, 'a replica per shard');
        for (const replica of replicas) {
          const redis = at(replica.ip, replica.port);
          await redis.connect();
          t.teardown(() => redis.disconnect());
          t.match(
            await eventually(
              async () => {
                const info = (await redis.call('INFO', 'replication')) as string;
                return /master_link_status:up/.test(info) && info;
              },
              20_000,
              'replication',
            ),
            /master_link_status:up/,
            `the replica at ${replica.ip}:${replica.port} follows its primary`,
          );
        }
        const slots = (
          await run('redis-cli', [...tlsFlags, '--cluster', 'check', `${cfg.Address}:${cfg.Port}`], { timeout: 20_000 })
        ).stdout;
        t.match(slots, /All 16384 slots covered/, 'every slot is served');
        t.notMatch(slots, /\[ERR\]|\[WARNING\]/, 'the nodes agree about the configuration');
        const reader = clusterClient();
        reader.on('error', () => {});
        t.teardown(() => reader.disconnect());
        t.same(
          await Promise.all(keys.map((k) => reader.get(k))),
          keys,
          'every key survived the failover and resharding',
        );
        reader.disconnect();

        // The bus forwards end with the emulator; the next one, adopting the running nodes, opens them again.
        await emulator.close();
        const next = await startTestEmulator(t, { runtime, ...place });
        t.teardown(() => removeAllNodes(next));
        const healthy = async () => {
          for (const node of after) {
            const redis = at(node.ip, node.port);
            redis.on('error', () => {});
            try {
              await redis.connect();
              const lines = ((await redis.call('CLUSTER', 'NODES')) as string).trim().split('\n');
              const info = (await redis.call('CLUSTER', 'INFO')) as string;
              if (!/cluster_state:ok/.test(info) || !lines.every(linked)) return false;
            } finally {
              redis.disconnect();
            }
          }
          return true;
        };
        t.same(
          await Promise.all(after.map((n) => meets(n.ip, n.busPort))),
          after.map(() => 'cut'),
          'after a restart, every listed bus port is forwarded again, and still cuts the host off',
        );
        t.ok(await eventually(healthy, 30_000, 'the bus links back'), 'every node has a live link to every other');
        const again = clusterClient();
        again.on('error', () => {});
        t.teardown(() => again.disconnect());
        await again.set('after-restart', 'yes');
        t.equal(await again.get('after-restart'), 'yes', 'the cluster serves writes after the emulator restarted');
        again.disconnect();

        // A delete closes every forward and frees its port (on docker the node network, and so its gateway address,
        // may be gone too: nothing of this machine listens there then).
        const client = sdkClient(next);
        await client.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: ID }));
        await waitUntilReplicationGroupDeleted(waiter(client), { ReplicationGroupId: ID });
        // The group reads deleted once its record is gone; its last listeners close within moments of that.
        const stillHeld = async () =>
          (
            await Promise.all(
              after.flatMap((n) =>
                [n.port, n.busPort].map(async (port) => ((await held(n.ip, port)) ? [`${n.ip}:${port}`] : [])),
              ),
            )
          ).flat();
        await eventually(async () => (await stillHeld()).length === 0 || undefined, 10_000, 'the ports freed').catch(
          () => undefined,
        );
        t.same(await stillHeld(), [], 'deleted: every listed port and bus port is free');
      },
    );
