/**
 * The real AWS CLI (`aws` on PATH; v1 here) against an emulator: create, wait, describe, modify and delete a
 * cache cluster, a parameter group's whole life, a replication group with its waiters, an error's exit code, and
 * the endpoint given by flag and by the AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ELASTICACHE environment variables.
 *
 * Without `aws` on PATH the file is skipped with a loud message, except in CI (CI set), where that fails.
 */
import t, { type Test } from 'tap';
import { awsCli, findOnPath, type CliResult } from '../fixtures/aws-cli.js';
import { startTestEmulator } from '../fixtures/emulator.js';

const executable = findOnPath('aws');
if (!executable) {
  const message = 'aws-cli.test.ts: the AWS CLI (`aws`) is not on PATH; these tests cannot run.';
  if (process.env.CI) {
    t.fail(`${message} CI must have it (pip install awscli).`);
  } else {
    console.error(
      `\n${'!'.repeat(100)}\n!!! SKIPPED: ${message}\n!!! Install it (pip install awscli) to run them.\n${'!'.repeat(100)}\n`,
    );
    t.plan(0, 'aws CLI not on PATH');
  }
} else {
  /** The waiters of the CLI sleep 15 s between polls (cache-cluster-* and replication-group-* available / deleted). */
  const WAITER_DELAY_MS = 15_000;
  /** How many times a command run with --debug called the operation (botocore logs every request it makes). */
  const polls = (result: { stderr: string }, operation: string) =>
    result.stderr.split(`Making request for OperationModel(name=${operation})`).length - 1;

  const ok = (t: Test, what: string, result: CliResult) => {
    t.equal(
      result.code,
      0,
      `${what}: exit code 0${result.code ? ` (stderr: ${result.stderr.trim().slice(0, 400)})` : ''}`,
    );
    return result.json;
  };

  t.test('a cache cluster and a parameter group through the AWS CLI', async (t) => {
    const emulator = await startTestEmulator(t);
    const cli = awsCli(t, executable);
    const ec = (args: string[], env?: Record<string, string | undefined>) =>
      cli.run(['--endpoint-url', emulator.url, 'elasticache', ...args], env);

    const version = await cli.run(['--version']);
    t.comment(`using ${executable}: ${(version.stdout || version.stderr).trim()}`);

    const created = ok(
      t,
      'create-cache-cluster',
      await ec([
        'create-cache-cluster',
        '--cache-cluster-id',
        'demo',
        '--engine',
        'redis',
        '--cache-node-type',
        'cache.t3.micro',
        '--num-cache-nodes',
        '1',
      ]),
    );
    t.equal(created?.CacheCluster?.CacheClusterId, 'demo');
    t.equal(created?.CacheCluster?.CacheClusterStatus, 'creating');
    t.equal(created?.CacheCluster?.Engine, 'redis');
    t.equal(created?.CacheCluster?.NumCacheNodes, 1);

    const waited = await ec(['wait', 'cache-cluster-available', '--cache-cluster-id', 'demo', '--debug']);
    t.equal(waited.code, 0, `wait cache-cluster-available succeeds${waited.code ? `: ${waited.stderr}` : ''}`);
    t.comment(`wait cache-cluster-available took ${waited.ms} ms`);
    t.equal(
      polls(waited, 'DescribeCacheClusters'),
      1,
      `the waiter's first poll succeeded: it never waited its ${WAITER_DELAY_MS / 1000} s delay`,
    );

    const described = ok(
      t,
      'describe-cache-clusters',
      await ec(['describe-cache-clusters', '--cache-cluster-id', 'demo', '--show-cache-node-info']),
    );
    const cluster = described?.CacheClusters?.[0];
    t.equal(cluster?.CacheClusterStatus, 'available');
    t.equal(cluster?.CacheNodes?.length, 1);
    t.equal(cluster?.CacheNodes?.[0]?.CacheNodeId, '0001');
    t.match(
      cluster?.CacheNodes?.[0]?.Endpoint,
      { Address: /^127\.\d+\.\d+\.\d+$/, Port: 6379 },
      'the node has an endpoint',
    );
    t.type(cluster?.CacheClusterCreateTime, 'string', 'timestamps parse');

    const modified = ok(
      t,
      'modify-cache-cluster',
      await ec([
        'modify-cache-cluster',
        '--cache-cluster-id',
        'demo',
        '--snapshot-retention-limit',
        '2',
        '--apply-immediately',
      ]),
    );
    t.equal(modified?.CacheCluster?.SnapshotRetentionLimit, 2);
    const afterModify = ok(
      t,
      'describe after modify',
      await ec(['describe-cache-clusters', '--cache-cluster-id', 'demo']),
    );
    t.equal(afterModify?.CacheClusters?.[0]?.SnapshotRetentionLimit, 2, 'the change is kept');

    // A parameter group: create, describe, modify, read back what the user set, delete.
    const group = ok(
      t,
      'create-cache-parameter-group',
      await ec([
        'create-cache-parameter-group',
        '--cache-parameter-group-name',
        'demo-params',
        '--cache-parameter-group-family',
        'redis7',
        '--description',
        'made by the aws cli test',
      ]),
    );
    t.equal(group?.CacheParameterGroup?.CacheParameterGroupName, 'demo-params');
    t.equal(group?.CacheParameterGroup?.CacheParameterGroupFamily, 'redis7');
    t.equal(group?.CacheParameterGroup?.Description, 'made by the aws cli test');

    const groups = ok(
      t,
      'describe-cache-parameter-groups',
      await ec(['describe-cache-parameter-groups', '--cache-parameter-group-name', 'demo-params']),
    );
    t.equal(groups?.CacheParameterGroups?.length, 1);
    t.match(
      groups?.CacheParameterGroups?.[0]?.ARN,
      /^arn:aws:elasticache:us-east-1:\d{12}:parametergroup:demo-params$/,
    );

    const changed = ok(
      t,
      'modify-cache-parameter-group',
      await ec([
        'modify-cache-parameter-group',
        '--cache-parameter-group-name',
        'demo-params',
        '--parameter-name-values',
        'ParameterName=maxmemory-policy,ParameterValue=allkeys-lru',
      ]),
    );
    t.equal(changed?.CacheParameterGroupName, 'demo-params');

    const userParameters = ok(
      t,
      'describe-cache-parameters --source user',
      await ec(['describe-cache-parameters', '--cache-parameter-group-name', 'demo-params', '--source', 'user']),
    );
    t.same(
      (userParameters?.Parameters ?? []).map((p: any) => ({
        name: p.ParameterName,
        value: p.ParameterValue,
        source: p.Source,
      })),
      [{ name: 'maxmemory-policy', value: 'allkeys-lru', source: 'user' }],
      'exactly the one parameter the user set',
    );
    const allParameters = ok(
      t,
      'describe-cache-parameters (all pages)',
      await ec(['describe-cache-parameters', '--cache-parameter-group-name', 'demo-params']),
    );
    const policy = allParameters?.Parameters?.find((p: any) => p.ParameterName === 'maxmemory-policy');
    t.equal(policy?.ParameterValue, 'allkeys-lru', 'the full listing shows the value too');
    t.ok(
      allParameters?.Parameters?.length > 20,
      `the CLI paginated through every parameter (${allParameters?.Parameters?.length})`,
    );

    ok(
      t,
      'delete-cache-parameter-group',
      await ec(['delete-cache-parameter-group', '--cache-parameter-group-name', 'demo-params']),
    );
    const goneGroup = await ec(['describe-cache-parameter-groups', '--cache-parameter-group-name', 'demo-params']);
    t.not(goneGroup.code, 0, 'the deleted group is gone');
    t.match(goneGroup.stderr, /CacheParameterGroupNotFound/);

    const deleting = ok(t, 'delete-cache-cluster', await ec(['delete-cache-cluster', '--cache-cluster-id', 'demo']));
    t.equal(deleting?.CacheCluster?.CacheClusterStatus, 'deleting');
    const waitedGone = await ec(['wait', 'cache-cluster-deleted', '--cache-cluster-id', 'demo', '--debug']);
    t.equal(
      waitedGone.code,
      0,
      `wait cache-cluster-deleted succeeds${waitedGone.code ? `: ${waitedGone.stderr}` : ''}`,
    );
    t.comment(`wait cache-cluster-deleted took ${waitedGone.ms} ms`);
    t.equal(polls(waitedGone, 'DescribeCacheClusters'), 1, 'the deleted waiter returned on its first poll');

    const missing = await ec(['describe-cache-clusters', '--cache-cluster-id', 'demo']);
    t.ok([254, 255].includes(missing.code), `describing a missing cluster exits with 254/255 (got ${missing.code})`);
    t.match(missing.stderr, /CacheClusterNotFound/, 'stderr names the error code');
    t.match(missing.stderr, /demo/, 'and the cluster');
    t.equal(missing.stdout.trim(), '', 'nothing on stdout');
  });

  t.test('a replication group through the AWS CLI: create, wait, describe, delete, wait', async (t) => {
    const emulator = await startTestEmulator(t);
    const cli = awsCli(t, executable);
    const ec = (args: string[]) => cli.run(['--endpoint-url', emulator.url, 'elasticache', ...args]);

    const created = ok(
      t,
      'create-replication-group',
      await ec([
        'create-replication-group',
        '--replication-group-id',
        'cli-rg',
        '--replication-group-description',
        'made by the aws cli test',
        '--engine',
        'redis',
        '--cache-node-type',
        'cache.t3.micro',
        '--num-cache-clusters',
        '2',
        '--automatic-failover-enabled',
      ]),
    );
    t.equal(created?.ReplicationGroup?.ReplicationGroupId, 'cli-rg');
    t.equal(created?.ReplicationGroup?.Status, 'creating');
    t.same(created?.ReplicationGroup?.MemberClusters, ['cli-rg-001', 'cli-rg-002']);
    t.equal(created?.ReplicationGroup?.AutomaticFailover, 'enabling');

    const waited = await ec(['wait', 'replication-group-available', '--replication-group-id', 'cli-rg', '--debug']);
    t.equal(waited.code, 0, `wait replication-group-available succeeds${waited.code ? `: ${waited.stderr}` : ''}`);
    t.comment(`wait replication-group-available took ${waited.ms} ms`);
    t.equal(polls(waited, 'DescribeReplicationGroups'), 1, 'the waiter returned on its first poll');

    const described = ok(
      t,
      'describe-replication-groups',
      await ec(['describe-replication-groups', '--replication-group-id', 'cli-rg']),
    );
    const group = described?.ReplicationGroups?.[0];
    t.equal(described?.ReplicationGroups?.length, 1);
    t.equal(group?.Status, 'available');
    t.equal(group?.Description, 'made by the aws cli test');
    t.equal(group?.AutomaticFailover, 'enabled');
    t.equal(group?.ClusterEnabled, false);
    t.match(group?.ARN, /^arn:aws:elasticache:us-east-1:\d{12}:replicationgroup:cli-rg$/);
    const nodeGroup = group?.NodeGroups?.[0];
    t.equal(nodeGroup?.NodeGroupId, '0001');
    t.match(nodeGroup?.PrimaryEndpoint, { Address: /^127\.\d+\.\d+\.\d+$/, Port: 6379 }, 'a primary endpoint');
    t.match(nodeGroup?.ReaderEndpoint, { Address: /^127\.\d+\.\d+\.\d+$/, Port: 6379 }, 'a reader endpoint');
    t.same(
      (nodeGroup?.NodeGroupMembers ?? []).map((m: any) => [m.CacheClusterId, m.CurrentRole]),
      [
        ['cli-rg-001', 'primary'],
        ['cli-rg-002', 'replica'],
      ],
    );
    const members = ok(t, 'describe-cache-clusters', await ec(['describe-cache-clusters']));
    t.same(
      (members?.CacheClusters ?? []).map((c: any) => [c.CacheClusterId, c.ReplicationGroupId]),
      [
        ['cli-rg-001', 'cli-rg'],
        ['cli-rg-002', 'cli-rg'],
      ],
      'the members are cache clusters of the group',
    );

    const deleting = ok(
      t,
      'delete-replication-group',
      await ec(['delete-replication-group', '--replication-group-id', 'cli-rg']),
    );
    t.equal(deleting?.ReplicationGroup?.Status, 'deleting');
    const waitedGone = await ec(['wait', 'replication-group-deleted', '--replication-group-id', 'cli-rg', '--debug']);
    t.equal(
      waitedGone.code,
      0,
      `wait replication-group-deleted succeeds${waitedGone.code ? `: ${waitedGone.stderr}` : ''}`,
    );
    t.comment(`wait replication-group-deleted took ${waitedGone.ms} ms`);
    t.equal(polls(waitedGone, 'DescribeReplicationGroups'), 1, 'the deleted waiter returned on its first poll');

    const missing = await ec(['describe-replication-groups', '--replication-group-id', 'cli-rg']);
    t.ok([254, 255].includes(missing.code), `describing the deleted group exits with 254/255 (got ${missing.code})`);
    t.match(missing.stderr, /ReplicationGroupNotFoundFault/, 'stderr names the error code');
    const left = ok(t, 'describe-cache-clusters after the delete', await ec(['describe-cache-clusters']));
    t.same(left?.CacheClusters, [], 'the members went with the group');
  });

  t.test('the endpoint from AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_ELASTICACHE', async (t) => {
    const emulator = await startTestEmulator(t);
    const cli = awsCli(t, executable);
    const create = (id: string, env: Record<string, string | undefined>) =>
      cli.run(
        [
          'elasticache',
          'create-cache-cluster',
          '--cache-cluster-id',
          id,
          '--engine',
          'redis',
          '--cache-node-type',
          'cache.t3.micro',
          '--num-cache-nodes',
          '1',
        ],
        env,
      );

    const viaGlobal = await create('demo-global', { AWS_ENDPOINT_URL: emulator.url });
    t.equal(
      viaGlobal.code,
      0,
      `AWS_ENDPOINT_URL: created${viaGlobal.code ? ` (stderr: ${viaGlobal.stderr.slice(0, 300)})` : ''}`,
    );
    t.equal(viaGlobal.json?.CacheCluster?.CacheClusterStatus, 'creating');

    // The service-specific variable wins over the global one (which points nowhere here).
    const viaService = await create('demo-service', {
      AWS_ENDPOINT_URL_ELASTICACHE: emulator.url,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    });
    t.equal(
      viaService.code,
      0,
      `AWS_ENDPOINT_URL_ELASTICACHE: created${viaService.code ? ` (stderr: ${viaService.stderr.slice(0, 300)})` : ''}`,
    );
    t.equal(viaService.json?.CacheCluster?.CacheClusterId, 'demo-service');

    const listed = await cli.run(['elasticache', 'describe-cache-clusters'], {
      AWS_ENDPOINT_URL_ELASTICACHE: emulator.url,
    });
    t.equal(listed.code, 0);
    t.same(
      (listed.json?.CacheClusters ?? []).map((c: any) => c.CacheClusterId).sort(),
      ['demo-global', 'demo-service'],
      'both creates reached this emulator',
    );
    const waited = await cli.run(
      ['elasticache', 'wait', 'cache-cluster-available', '--cache-cluster-id', 'demo-global', '--debug'],
      {
        AWS_ENDPOINT_URL: emulator.url,
      },
    );
    t.equal(waited.code, 0, 'the waiter works through AWS_ENDPOINT_URL too');
    t.equal(polls(waited, 'DescribeCacheClusters'), 1, 'and returns on its first poll');
  });
}
