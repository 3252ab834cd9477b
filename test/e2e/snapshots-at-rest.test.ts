/**
 * Encryption at rest: AtRestEncryptionEnabled and KmsKeyId are checked as AWS checks them and reported; the snapshot
 * files of an encrypted group are sealed on disk (no RDB in sight), a restore from them brings the data back, and an
 * export to a bucket is a plain RDB.
 */
import {
  CopySnapshotCommand,
  CreateReplicationGroupCommand,
  CreateSnapshotCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { Redis } from 'ioredis';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  failure,
  removeAllNodes,
  sdkClient,
  startTestEmulator,
  tempDir,
  waiter,
  type Client,
} from '../fixtures/emulator.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';
import { compareDumps, dumpKeys, snapshotSettled, writeMixedKeys } from '../fixtures/snapshot-suite.js';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

const group = (id: string, extra: Record<string, unknown> = {}) =>
  new CreateReplicationGroupCommand({
    ReplicationGroupId: id,
    ReplicationGroupDescription: id,
    CacheNodeType: 'cache.t3.micro',
    Engine: 'redis',
    NumCacheClusters: 1,
    ...extra,
  });

async function primaryOf(client: Client, groupId: string): Promise<Redis> {
  const found = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: groupId })))
    .ReplicationGroups![0];
  const endpoint = found.NodeGroups![0].PrimaryEndpoint!;
  const redis = new Redis({ host: endpoint.Address, port: endpoint.Port, lazyConnect: true });
  await redis.connect();
  return redis;
}

t.test('AtRestEncryptionEnabled and KmsKeyId: AWS checks and Describe output', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);

  const alone = await failure(client.send(group('kms-alone', { KmsKeyId: KEY_ID })));
  t.equal(alone?.Code, 'InvalidParameterCombination', 'a KMS key without encryption at rest (Redis OSS)');
  const offAndKey = await failure(
    client.send(group('kms-off', { AtRestEncryptionEnabled: false, KmsKeyId: KEY_ID, Engine: 'valkey' })),
  );
  t.equal(offAndKey?.Code, 'InvalidParameterCombination', 'a KMS key with encryption at rest turned off');
  const malformed = await failure(client.send(group('kms-bad', { AtRestEncryptionEnabled: true, KmsKeyId: 'my key' })));
  t.equal(malformed?.Code, 'InvalidParameterValue', 'a KmsKeyId of none of the four forms');
  t.equal(malformed?.$metadata?.httpStatusCode, 400);
  const elsewhere = await failure(
    client.send(
      group('kms-far', {
        AtRestEncryptionEnabled: true,
        KmsKeyId: `arn:aws:kms:eu-west-1:123456789012:key/${KEY_ID}`,
      }),
    ),
  );
  t.equal(elsewhere?.Code, 'InvalidKMSKeyFault', 'a key ARN of another region');

  const forms = [
    KEY_ID,
    `arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`,
    'alias/my-cache-key',
    'arn:aws:kms:us-east-1:123456789012:alias/my-cache-key',
  ];
  for (const [i, KmsKeyId] of forms.entries()) {
    const created = await client.send(group(`kms-${i}`, { AtRestEncryptionEnabled: true, KmsKeyId }));
    t.equal(created.ReplicationGroup?.KmsKeyId, KmsKeyId, `accepted: ${KmsKeyId}`);
  }
  const described = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'kms-1' })))
    .ReplicationGroups![0];
  t.equal(described.AtRestEncryptionEnabled, true);
  t.equal(described.KmsKeyId, forms[1]);
  const member = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'kms-1-001' })))
    .CacheClusters![0];
  t.equal(member.AtRestEncryptionEnabled, true, 'its member cluster says so too');
  const valkey = await client.send(group('kms-valkey', { Engine: 'valkey', KmsKeyId: 'alias/valkey' }));
  t.equal(valkey.ReplicationGroup?.AtRestEncryptionEnabled, true, 'Valkey is encrypted at rest unless told otherwise');
  const plain = await client.send(group('plain'));
  t.equal(plain.ReplicationGroup?.AtRestEncryptionEnabled, false, 'Redis OSS is not, unless asked');

  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'kms-0' });
  const badSnapshotKey = await failure(
    client.send(new CreateSnapshotCommand({ ReplicationGroupId: 'kms-0', SnapshotName: 's', KmsKeyId: 'nope' })),
  );
  t.equal(badSnapshotKey?.Code, 'InvalidParameterValue', "CreateSnapshot checks its KmsKeyId's form");
  const snapshot = await client.send(
    new CreateSnapshotCommand({ ReplicationGroupId: 'kms-0', SnapshotName: 'kms-snap', KmsKeyId: 'alias/snapshots' }),
  );
  t.equal(snapshot.Snapshot?.KmsKeyId, 'alias/snapshots');
  await snapshotSettled(client, 'kms-snap');
  const badCopyKey = await failure(
    client.send(new CopySnapshotCommand({ SourceSnapshotName: 'kms-snap', TargetSnapshotName: 'c', KmsKeyId: 'x y' })),
  );
  t.equal(badCopyKey?.Code, 'InvalidParameterValue', "CopySnapshot checks its KmsKeyId's form");
});

t.test("process runtime: an encrypted group's snapshot is sealed on disk and restores", async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const dataDir = tempDir(t);
  const emulator = await startTestEmulator(t, { runtime: 'process', dataDir });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);
  await client.send(group('secret', { AtRestEncryptionEnabled: true, KmsKeyId: 'alias/secret' }));
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'secret' });
  const origin = await primaryOf(client, 'secret');
  t.teardown(() => origin.disconnect());
  const keys = await writeMixedKeys(origin, 600, 'confidential-');
  const before = await dumpKeys(origin, keys);

  await client.send(new CreateSnapshotCommand({ ReplicationGroupId: 'secret', SnapshotName: 'secret-snap' }));
  const snapshot = await snapshotSettled(client, 'secret-snap');
  t.equal(snapshot.SnapshotStatus, 'available');
  t.equal(snapshot.KmsKeyId, 'alias/secret', "the snapshot names its source's key");
  const dir = join(dataDir, 'snapshots', '000000000000', 'us-east-1', 'secret-snap');
  const onDisk = readFileSync(join(dir, '0001.rdb'));
  t.not(onDisk.subarray(0, 5).toString('latin1'), 'REDIS', 'the file on disk is not an RDB');
  t.notOk(onDisk.includes(Buffer.from('confidential-')), 'and no key name can be read in it');

  // What a crash during an earlier run's restore would have left: an opened copy, in the clear.
  writeFileSync(join(dir, '0001.rdb.seed-1-0'), 'left by a crash');
  await client.send(
    group('secret-restored', { AtRestEncryptionEnabled: true, SnapshotName: 'secret-snap', NumCacheClusters: 2 }),
  );
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'secret-restored' });
  const restored = await primaryOf(client, 'secret-restored');
  t.teardown(() => restored.disconnect());
  compareDumps(t, before, await dumpKeys(restored, keys), 'a group restored from the sealed snapshot');
  t.same(readdirSync(dir).sort(), ['0001.rdb'], 'no opened copy is left beside the sealed file, nor an old one');

  // A copy stays sealed; an export to a bucket is a plain RDB, as an export to S3 is.
  await client.send(new CopySnapshotCommand({ SourceSnapshotName: 'secret-snap', TargetSnapshotName: 'secret-copy' }));
  const copy = await snapshotSettled(client, 'secret-copy');
  t.equal(copy.NodeSnapshots?.[0].CacheSize, snapshot.NodeSnapshots?.[0].CacheSize, 'the copy holds as much data');
  const copied = readFileSync(join(dataDir, 'snapshots', '000000000000', 'us-east-1', 'secret-copy', '0001.rdb'));
  t.not(copied.subarray(0, 5).toString('latin1'), 'REDIS', 'a copy is sealed too');
  await client.send(
    new CopySnapshotCommand({ SourceSnapshotName: 'secret-snap', TargetSnapshotName: 'out', TargetBucket: 'bucket' }),
  );
  const exported = join(dataDir, 'exports', 'bucket', 'out-0001.rdb');
  await eventually(async () => existsSync(exported), 20_000, 'the export file');
  const rdb = readFileSync(exported);
  t.equal(rdb.subarray(0, 5).toString('latin1'), 'REDIS', 'the export is an RDB');
  t.ok(rdb.includes(Buffer.from('confidential-')), 'holding the keys');
});
