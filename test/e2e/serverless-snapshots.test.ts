/**
 * Serverless snapshots on real nodes (process runtime) hold real data: a snapshot of 10,000 keys restores into a new
 * cache through SnapshotArnsToRestore; copy, export to the bucket folder, delete, a final snapshot on delete and the
 * automatic daily snapshots (every window open now) work as for node-based snapshots, and no node-based snapshot
 * is shown for them.
 */
import {
  CopyServerlessCacheSnapshotCommand,
  CreateServerlessCacheCommand,
  CreateServerlessCacheSnapshotCommand,
  DeleteServerlessCacheCommand,
  DeleteServerlessCacheSnapshotCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ExportServerlessCacheSnapshotCommand,
  ListTagsForResourceCommand,
  ModifyServerlessCacheCommand,
} from '@aws-sdk/client-elasticache';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { failure, removeAllNodes, sdkClient, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import { connectAs } from '../fixtures/rbac-client.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { describeSnapshot, untilGone, untilSnapshot, untilStatus } from '../fixtures/serverless.js';

t.test(
  'process: serverless snapshots hold real data: create, restore 10,000 keys, copy, export, delete, final, automatic',
  async (t) => {
    if (!(await runtimeAvailable(t, 'process'))) return;
    const dataDir = tempDir(t);
    const emulator = await startTestEmulator(t, { runtime: 'process', dataDir, snapshotWindowNow: true });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);

    await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'src', Engine: 'valkey' }));
    const source = await untilStatus(client, 'src', 'available');
    const writer = await connectAs(source.Endpoint!);
    t.teardown(() => writer.disconnect());
    const pipeline = writer.pipeline();
    for (let i = 0; i < 10_000; i++) pipeline.set(`key:${i}`, `value-${i}`);
    await pipeline.exec();
    t.equal(await writer.dbsize(), 10_000);

    const created = (
      await client.send(
        new CreateServerlessCacheSnapshotCommand({
          ServerlessCacheSnapshotName: 'snap1',
          ServerlessCacheName: 'src',
          Tags: [{ Key: 'k', Value: 'v' }],
        }),
      )
    ).ServerlessCacheSnapshot!;
    t.match(created, {
      ServerlessCacheSnapshotName: 'snap1',
      ARN: 'arn:aws:elasticache:us-east-1:000000000000:serverlesscachesnapshot:snap1',
      SnapshotType: 'manual',
      Status: 'creating',
      ServerlessCacheConfiguration: { ServerlessCacheName: 'src', Engine: 'valkey', MajorEngineVersion: '8' },
    });
    const snapshot = await untilSnapshot(client, 'snap1', 'available');
    t.ok(Number(snapshot.BytesUsedForCache) > 0, 'its size');
    const tags = await client.send(new ListTagsForResourceCommand({ ResourceName: created.ARN }));
    t.same(tags.TagList, [{ Key: 'k', Value: 'v' }]);
    t.same((await client.send(new DescribeSnapshotsCommand({}))).Snapshots, [], 'no node-based snapshot is shown');
    t.equal(
      (
        await failure(
          client.send(
            new CreateServerlessCacheSnapshotCommand({
              ServerlessCacheSnapshotName: 'snap1',
              ServerlessCacheName: 'src',
            }),
          ),
        )
      )?.name,
      'ServerlessCacheSnapshotAlreadyExistsFault',
    );

    await client.send(
      new CreateServerlessCacheCommand({
        ServerlessCacheName: 'restored',
        Engine: 'valkey',
        SnapshotArnsToRestore: [created.ARN!],
      }),
    );
    const restored = await untilStatus(client, 'restored', 'available');
    const reader = await connectAs(restored.Endpoint!);
    t.teardown(() => reader.disconnect());
    t.equal(await reader.dbsize(), 10_000, 'the restored cache holds the 10,000 keys');
    // One shard in cluster mode, as on AWS: a multi-key command still needs its keys in one slot.
    t.same(await Promise.all(['key:0', 'key:4242', 'key:9999'].map((k) => reader.get(k))), [
      'value-0',
      'value-4242',
      'value-9999',
    ]);

    await client.send(
      new CopyServerlessCacheSnapshotCommand({
        SourceServerlessCacheSnapshotName: 'snap1',
        TargetServerlessCacheSnapshotName: 'snap2',
      }),
    );
    await untilSnapshot(client, 'snap2', 'available');
    await client.send(
      new ExportServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'snap2', S3BucketName: 'my-bucket' }),
    );
    const exported = join(dataDir, 'exports', 'my-bucket', 'snap2-0001.rdb');
    await eventually(async () => existsSync(exported), 20_000, 'the exported RDB');
    t.match(readFileSync(exported).subarray(0, 5).toString(), 'REDIS', 'a plain RDB file');
    await client.send(new DeleteServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'snap2' }));
    await eventually(
      async () => (await failure(describeSnapshot(client, 'snap2')))?.name === 'ServerlessCacheSnapshotNotFoundFault',
      20_000,
      'snap2 gone',
    );

    // Automatic snapshots: every window is open now (snapshotWindowNow).
    await client.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'src', SnapshotRetentionLimit: 1 }));
    const automated = await eventually(
      async () => {
        const found = await client.send(
          new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheName: 'src', SnapshotType: 'automated' }),
        );
        return found.ServerlessCacheSnapshots?.find((s) => s.Status === 'available');
      },
      30_000,
      'an automatic snapshot',
    );
    t.match(automated, {
      ServerlessCacheSnapshotName: /^automatic\.src-/,
      SnapshotType: 'automated',
      ExpiryTime: Date,
    });
    await untilStatus(client, 'src', 'available');

    await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'src', FinalSnapshotName: 'final' }));
    await untilGone(client, 'src');
    const final = await untilSnapshot(client, 'final', 'available');
    t.equal(final.ServerlessCacheConfiguration?.ServerlessCacheName, 'src', 'the final snapshot outlives its cache');
    const all = await client.send(new DescribeServerlessCacheSnapshotsCommand({ MaxResults: 2 }));
    t.equal(all.ServerlessCacheSnapshots?.length, 2);
    t.ok(all.NextToken);

    await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'restored' }));
    await untilGone(client, 'restored');
  },
);
