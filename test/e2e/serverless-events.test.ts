/**
 * DescribeEvents for serverless caches and their snapshots (process runtime): SourceType `serverless-cache` shows a
 * cache created, modified and deleted, `serverless-cache-snapshot` a snapshot created, copied and deleted, under the
 * names the API shows; the hidden backing group, its members and its node snapshots show no event. The same list
 * through the AWS CLI (`describe-events --source-type serverless-cache`).
 */
import {
  CopyServerlessCacheSnapshotCommand,
  CreateServerlessCacheCommand,
  CreateServerlessCacheSnapshotCommand,
  DeleteServerlessCacheCommand,
  DeleteServerlessCacheSnapshotCommand,
  DescribeEventsCommand,
  ModifyServerlessCacheCommand,
  type ElastiCacheClient,
  type SourceType,
} from '@aws-sdk/client-elasticache';
import t from 'tap';
import { awsCli, findOnPath } from '../fixtures/aws-cli.js';
import { failure, removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { describeSnapshot, untilGone, untilSnapshot, untilStatus } from '../fixtures/serverless.js';

async function eventsOf(client: ElastiCacheClient, sourceType?: SourceType) {
  return (await client.send(new DescribeEventsCommand({ SourceType: sourceType }))).Events ?? [];
}

t.test('process: serverless caches and snapshots have their events, the backing resources none', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);

  await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'Watched', Engine: 'valkey' }));
  await untilStatus(client, 'watched', 'available');
  await client.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'watched', Description: 'now watched' }));
  await client.send(
    new CreateServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'first', ServerlessCacheName: 'watched' }),
  );
  await untilSnapshot(client, 'first', 'available');
  await client.send(
    new CopyServerlessCacheSnapshotCommand({
      SourceServerlessCacheSnapshotName: 'first',
      TargetServerlessCacheSnapshotName: 'second',
    }),
  );
  await untilSnapshot(client, 'second', 'available');
  await client.send(new DeleteServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'second' }));
  await eventually(
    async () => (await failure(describeSnapshot(client, 'second')))?.name === 'ServerlessCacheSnapshotNotFoundFault',
    30_000,
    'second gone',
  );
  await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'watched' }));
  await untilGone(client, 'watched');

  const cacheEvents = await eventsOf(client, 'serverless-cache');
  t.same(
    cacheEvents.map((e) => [e.SourceIdentifier, e.SourceType, e.Message]),
    [
      ['watched', 'serverless-cache', 'Serverless cache watched deleted'],
      ['watched', 'serverless-cache', 'Serverless cache watched modified'],
      ['watched', 'serverless-cache', 'Serverless cache watched created'],
    ],
    'created, modified, deleted: newest first',
  );
  t.ok(
    cacheEvents.every((e) => e.Date instanceof Date),
    'each has its date',
  );
  const snapshotEvents = await eventsOf(client, 'serverless-cache-snapshot');
  t.same(
    snapshotEvents.map((e) => [e.SourceIdentifier, e.Message]),
    [
      ['second', 'Serverless cache snapshot second deleted'],
      ['second', 'Serverless cache snapshot second copied from first'],
      ['first', 'Serverless cache snapshot first created'],
    ],
  );
  const byName = await client.send(new DescribeEventsCommand({ SourceIdentifier: 'first' }));
  t.same(
    byName.Events?.map((e) => e.SourceType),
    ['serverless-cache-snapshot'],
    'SourceIdentifier finds a snapshot',
  );

  const all = await eventsOf(client);
  t.same(
    all.filter((e) => /serverless--/.test(`${e.SourceIdentifier} ${e.Message}`)),
    [],
    'nothing of the backing group, its members or its node snapshots is shown',
  );
  t.same(
    all.map((e) => e.SourceType).filter((type) => !type!.startsWith('serverless-cache')),
    [],
    'no replication-group or cache-cluster event for a serverless cache',
  );

  const executable = findOnPath('aws');
  if (!executable) {
    if (process.env.CI) t.fail('the AWS CLI must be on PATH in CI');
    else t.comment('SKIPPED: the AWS CLI (`aws`) is not on PATH');
    return;
  }
  const cli = awsCli(t, executable);
  const result = await cli.run([
    '--endpoint-url',
    emulator.url,
    'elasticache',
    'describe-events',
    '--source-type',
    'serverless-cache',
  ]);
  t.equal(result.code, 0, result.stderr.slice(0, 300));
  t.same(
    result.json.Events.map((e: { SourceIdentifier: string; SourceType: string; Message: string; Date: string }) => [
      e.SourceIdentifier,
      e.SourceType,
      e.Message,
      typeof e.Date,
    ]),
    cacheEvents.map((e) => [e.SourceIdentifier, e.SourceType, e.Message, 'string']),
    'the CLI reads the same events',
  );
  const snapshots = await cli.run([
    '--endpoint-url',
    emulator.url,
    'elasticache',
    'describe-events',
    '--source-type',
    'serverless-cache-snapshot',
    '--source-identifier',
    'first',
  ]);
  t.equal(snapshots.code, 0, snapshots.stderr.slice(0, 300));
  t.same(
    snapshots.json.Events.map((e: { Message: string }) => e.Message),
    ['Serverless cache snapshot first created'],
  );
});
