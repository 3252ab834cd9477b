/**
 * Backup and restore through the real AWS CLI (botocore's parsing of our XML), on real nodes (process runtime):
 * create-snapshot, describe-snapshots, a restore with --snapshot-name holding the data, copy, delete, an error's
 * code. Skipped loudly without `aws` on PATH (failed in CI).
 */
import { waitUntilCacheClusterAvailable } from '@aws-sdk/client-elasticache';
import t from 'tap';
import { awsCli, findOnPath } from '../fixtures/aws-cli.js';
import { removeAllNodes, sdkClient, startTestEmulator, waiter } from '../fixtures/emulator.js';
import { eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';

const executable = findOnPath('aws');

t.test('snapshots through the AWS CLI, with real data', async (t) => {
  if (!executable) {
    if (process.env.CI) t.fail('the AWS CLI must be on PATH in CI');
    else t.comment('SKIPPED: the AWS CLI (`aws`) is not on PATH');
    return;
  }
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  const cli = awsCli(t, executable);
  const ec = (...args: string[]) => cli.run(['--endpoint-url', emulator.url, 'elasticache', ...args]);
  const ok = async (...args: string[]) => {
    const result = await ec(...args);
    t.equal(result.code, 0, `aws elasticache ${args[0]}${result.code ? `: ${result.stderr.slice(0, 300)}` : ''}`);
    return result.json;
  };

  await ok(
    'create-cache-cluster',
    '--cache-cluster-id',
    'cli-src',
    '--engine',
    'redis',
    '--cache-node-type',
    'cache.t3.micro',
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'cli-src' });
  const described = await ok('describe-cache-clusters', '--cache-cluster-id', 'cli-src', '--show-cache-node-info');
  const source = redisAt(described.CacheClusters[0].CacheNodes[0].Endpoint);
  t.teardown(() => source.disconnect());
  await source.connect();
  await source.set('kept', 'through the CLI');

  const created = await ok('create-snapshot', '--cache-cluster-id', 'cli-src', '--snapshot-name', 'cli-snap');
  t.equal(created.Snapshot.SnapshotStatus, 'creating');
  await eventually(
    async () =>
      (await ok('describe-snapshots', '--snapshot-name', 'cli-snap')).Snapshots[0].SnapshotStatus === 'available',
    30_000,
    'the snapshot',
  );
  const listed = await ok('describe-snapshots', '--cache-cluster-id', 'cli-src', '--snapshot-source', 'user');
  t.same(
    listed.Snapshots.map((s: { SnapshotName: string }) => s.SnapshotName),
    ['cli-snap'],
  );

  await ok('create-cache-cluster', '--cache-cluster-id', 'cli-copy', '--snapshot-name', 'cli-snap');
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'cli-copy' });
  const copy = (await ok('describe-cache-clusters', '--cache-cluster-id', 'cli-copy', '--show-cache-node-info'))
    .CacheClusters[0];
  t.equal(copy.Engine, 'redis');
  const restored = redisAt(copy.CacheNodes[0].Endpoint);
  t.teardown(() => restored.disconnect());
  await restored.connect();
  t.equal(await restored.get('kept'), 'through the CLI', 'the restored cluster holds the data');

  await ok('copy-snapshot', '--source-snapshot-name', 'cli-snap', '--target-snapshot-name', 'cli-snap-2');
  const deleted = await ok('delete-snapshot', '--snapshot-name', 'cli-snap');
  t.equal(deleted.Snapshot.SnapshotStatus, 'deleting');
  const missing = await ec('describe-snapshots', '--snapshot-name', 'no-such-snap');
  t.not(missing.code, 0);
  t.match(missing.stderr, /SnapshotNotFoundFault/, 'the error code reaches the CLI');
});
