/**
 * A database written by an earlier build (0b1b278, before jobs were typed) opens in this one and its pending jobs
 * resume: the fixture was made by that build with runtime none and a long provision delay, killed -9 with a create,
 * a converge, a reboot, a delete and a maintenance-window modify still pending (test/fixtures/databases/). Every one
 * must find its worker, and each resource must end where its job takes it.
 */
import {
  DescribeCacheClustersCommand,
  DescribeEventsCommand,
  DescribeReplicationGroupsCommand,
} from '@aws-sdk/client-elasticache';
import Database from 'better-sqlite3';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { failure, sdkClient, startTestEmulator, tempDir } from '../fixtures/emulator.js';

const FIXTURE = new URL('../fixtures/databases/0b1b278-pending-jobs.sqlite', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test("an earlier build's database resumes its pending jobs", async (t) => {
  const dataDir = tempDir(t);
  copyFileSync(FIXTURE, join(dataDir, 'elasticache-local.sqlite'));
  const pendingBefore = new Database(join(dataDir, 'elasticache-local.sqlite'), { readonly: true })
    .prepare("SELECT kind, action FROM jobs WHERE status = 'pending' ORDER BY id")
    .all() as { kind: string; action: string }[];
  t.same(
    pendingBefore.map((j) => `${j.kind}:${j.action}`),
    [
      'cache-cluster:create',
      'replication-group:converge',
      'cache-cluster:reboot',
      'cache-cluster:delete',
      'cache-cluster:modify',
    ],
    'the fixture holds the pending jobs it was made with',
  );

  const emulator = await startTestEmulator(t, { dataDir });
  const client = sdkClient(emulator);
  await emulator.reconciler.idle();

  const status = async (id: string) =>
    (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: id }))).CacheClusters?.[0]
      ?.CacheClusterStatus;
  for (let i = 0; i < 50 && (await status('fresh')) !== 'available'; i++) await sleep(100);
  t.equal(await status('fresh'), 'available', 'the pending create finished');
  const group = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'fresh-group' })))
    .ReplicationGroups?.[0];
  t.equal(group?.Status, 'available', 'the pending converge finished');
  t.equal(await status('mc'), 'available', 'the pending reboot finished');
  const events = await client.send(
    new DescribeEventsCommand({ SourceIdentifier: 'mc', SourceType: 'cache-cluster', Duration: 60 * 24 * 14 }),
  );
  t.ok(
    events.Events?.some((e) => e.Message === 'Cache node 0001 restarted'),
    'the reboot restarted the node it named (its payload was read)',
  );
  t.match(await failure(status('doomed')), { name: 'CacheClusterNotFoundFault' }, 'the pending delete finished');
  const steady = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'steady' }))).CacheClusters?.[0];
  t.equal(steady?.PendingModifiedValues?.CacheNodeType, 'cache.t3.small', 'the maintenance-window change still waits');

  const jobs = emulator.store.jobs.due(Number.MAX_SAFE_INTEGER);
  t.same(
    jobs.map((j) => `${j.kind}:${j.action}:${JSON.stringify(j.payload)}`),
    ['cache-cluster:modify:{"maintenance":true}'],
    'only the maintenance-window job is left, with its payload',
  );
  const failed = new Database(join(dataDir, 'elasticache-local.sqlite'), { readonly: true })
    .prepare("SELECT kind, action, last_error FROM jobs WHERE status = 'failed'")
    .all();
  t.same(failed, [], 'no job failed (none lacked a worker)');
});
