/**
 * Memcached serverless caches on real nodes (process and docker runtimes), as AWS serves them: one endpoint (11211) answering
 * memcached clients over TLS and no reader endpoint; snapshots that hold the items (values, flags, TTLs) and restore
 * into a new memcached serverless cache (SnapshotArnsToRestore), but into no valkey / redis cache nor replication
 * group; automatic daily snapshots; a final snapshot on delete.
 */
import {
  CreateReplicationGroupCommand,
  CreateServerlessCacheCommand,
  CreateServerlessCacheSnapshotCommand,
  DeleteServerlessCacheCommand,
  DescribeCacheClustersCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ModifyServerlessCacheCommand,
} from '@aws-sdk/client-elasticache';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { failure, removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { memcachedTls, untilGone, untilSnapshot, untilStatus } from '../fixtures/serverless.js';

const ITEMS = 300;

const suite = (runtime: 'process' | 'docker') =>
  t.test(
    `${runtime}: a memcached serverless cache: TLS, no reader endpoint, snapshots holding its items`,
    async (t) => {
      if (!(await runtimeAvailable(t, runtime))) return;
      const emulator = await startTestEmulator(t, { runtime, snapshotWindowNow: true });
      t.teardown(() => removeAllNodes(emulator));
      const client = sdkClient(emulator);
      const created = (
        await client.send(new CreateServerlessCacheCommand({ ServerlessCacheName: 'mc', Engine: 'memcached' }))
      ).ServerlessCache!;
      t.match(created, { Engine: 'memcached', MajorEngineVersion: '1.6', FullEngineVersion: /^1\.6\./ });
      const cache = await untilStatus(client, 'mc', 'available');
      t.equal(cache.Endpoint?.Port, 11211);
      t.equal(cache.ReaderEndpoint, undefined, 'memcached serverless has no reader endpoint');
      t.same((await client.send(new DescribeCacheClustersCommand({}))).CacheClusters, [], 'its cluster is not shown');

      const ca = readFileSync(emulator.caCertificatePath, 'utf8');
      const sets = Array.from({ length: ITEMS }, (_, i) => `set item:${i} ${i} 0 ${`v${i}`.length}\r\nv${i}\r\n`);
      // One item with a TTL, one with binary bytes in its value.
      sets.push('set short-lived 7 3600 4\r\ntick\r\n', 'set raw 0 0 4\r\n\x00\x01\r\n\r\n');
      const stored = await memcachedTls(
        ca,
        cache.Endpoint!,
        sets.join(''),
        new RegExp(`(STORED\\r\\n){${ITEMS + 2}}$`),
      );
      t.equal(stored.split('STORED').length - 1, ITEMS + 2, 'every item stored');

      await client.send(
        new CreateServerlessCacheSnapshotCommand({ ServerlessCacheSnapshotName: 'mc-snap', ServerlessCacheName: 'mc' }),
      );
      const snapshot = await untilSnapshot(client, 'mc-snap', 'available');
      t.match(snapshot, {
        SnapshotType: 'manual',
        ServerlessCacheConfiguration: { ServerlessCacheName: 'mc', Engine: 'memcached', MajorEngineVersion: '1.6' },
      });
      t.match(snapshot.BytesUsedForCache, /^\d+$/, 'its size is shown');
      t.same((await client.send(new DescribeSnapshotsCommand({}))).Snapshots, [], 'no node-based snapshot is shown');

      const intoValkey = await failure(
        client.send(
          new CreateServerlessCacheCommand({
            ServerlessCacheName: 'wrong-engine',
            Engine: 'valkey',
            SnapshotArnsToRestore: [snapshot.ARN!],
          }),
        ),
      );
      t.equal(
        intoValkey?.name,
        'InvalidParameterCombinationException',
        'a memcached snapshot goes into memcached only',
      );
      const intoGroup = await failure(
        client.send(
          new CreateReplicationGroupCommand({
            ReplicationGroupId: 'from-memcached',
            ReplicationGroupDescription: 'no',
            ServerlessCacheSnapshotName: 'mc-snap',
          }),
        ),
      );
      t.equal(intoGroup?.name, 'InvalidParameterCombinationException', 'nor into a replication group');

      await client.send(
        new CreateServerlessCacheCommand({
          ServerlessCacheName: 'mc-restored',
          Engine: 'memcached',
          SnapshotArnsToRestore: [snapshot.ARN!],
        }),
      );
      const restored = await untilStatus(client, 'mc-restored', 'available');
      const keys = Array.from({ length: ITEMS }, (_, i) => `item:${i}`);
      const got = await memcachedTls(ca, restored.Endpoint!, `get ${keys.join(' ')}\r\n`, /END\r\n$/);
      t.equal(got.split('VALUE ').length - 1, ITEMS, 'every item is in the restored cache');
      t.match(got, /VALUE item:0 0 2\r\nv0\r\n/);
      t.match(got, new RegExp(`VALUE item:${ITEMS - 1} ${ITEMS - 1} \\d+\\r\\nv${ITEMS - 1}\\r\\n`), 'with its flags');
      const special = await memcachedTls(ca, restored.Endpoint!, 'mg short-lived v f t\r\nget raw\r\n', /END\r\n$/);
      t.match(special, /^VA 4 f7 t(\d+)\r\ntick\r\n/, 'the TTL is kept');
      const ttl = Number(/ t(\d+)/.exec(special)?.[1]);
      t.ok(ttl > 3000 && ttl <= 3600, `a TTL of about an hour (${ttl})`);
      t.match(special, 'VALUE raw 0 4\r\n\x00\x01\r\n\r\n', 'binary bytes come back as they were');

      // Automatic daily snapshots: every window is open now (snapshotWindowNow).
      await client.send(new ModifyServerlessCacheCommand({ ServerlessCacheName: 'mc', SnapshotRetentionLimit: 1 }));
      const automated = await eventually(
        async () =>
          (
            await client.send(
              new DescribeServerlessCacheSnapshotsCommand({ ServerlessCacheName: 'mc', SnapshotType: 'automated' }),
            )
          ).ServerlessCacheSnapshots?.find((s) => s.Status === 'available'),
        30_000,
        'an automatic snapshot of the memcached cache',
      );
      t.match(automated, {
        ServerlessCacheSnapshotName: /^automatic\.mc-/,
        ServerlessCacheConfiguration: { Engine: 'memcached' },
      });
      t.match(automated?.BytesUsedForCache, /^[1-9]\d*$/, 'holding its items');
      await untilStatus(client, 'mc', 'available');

      await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'mc-restored' }));
      await client.send(new DeleteServerlessCacheCommand({ ServerlessCacheName: 'mc', FinalSnapshotName: 'mc-final' }));
      await untilGone(client, 'mc');
      await untilGone(client, 'mc-restored');
      const final = await untilSnapshot(client, 'mc-final', 'available');
      t.equal(final.ServerlessCacheConfiguration?.Engine, 'memcached', 'a final snapshot of a memcached cache');
      t.same(await emulator.runtime.listNodes(), [], 'no node is left');
    },
  );

suite('process');
suite('docker');
