/**
 * Terraform (AWS provider 5.100, from the machine's mirror) with snapshot settings, on real nodes (process runtime):
 * a redis cluster and a replication group with snapshot_retention_limit, snapshot_window and
 * final_snapshot_identifier apply, show no drift and destroy; their final snapshots are then listed, holding data.
 * Skipped loudly without Terraform or the provider (failed in CI).
 */
import { DescribeSnapshotsCommand } from '@aws-sdk/client-elasticache';
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeAllNodes, sdkClient, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import { redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { awsProviderBlock, terraformMissing, terraformWorkspace, succeeded, tail } from '../fixtures/terraform.js';

const STACK = `
resource "aws_elasticache_cluster" "redis" {
  cluster_id               = "tf-snap"
  engine                   = "redis"
  node_type                = "cache.t3.micro"
  num_cache_nodes          = 1
  port                     = 6379
  snapshot_retention_limit = 2
  snapshot_window          = "03:00-04:00"
  final_snapshot_identifier = "tf-snap-final"
}

resource "aws_elasticache_replication_group" "rg" {
  replication_group_id       = "tf-snap-rg"
  description                = "with a final snapshot"
  node_type                  = "cache.t3.micro"
  num_cache_clusters         = 2
  port                       = 6379
  automatic_failover_enabled = true
  snapshot_retention_limit   = 1
  snapshot_window            = "05:00-06:00"
  final_snapshot_identifier  = "tf-snap-rg-final"
  apply_immediately          = true
}

output "redis_address" {
  value = aws_elasticache_cluster.redis.cache_nodes[0].address
}
`;

const missing = terraformMissing();
if (missing) {
  if (process.env.CI) t.fail(`snapshots-terraform.test.ts: ${missing}`);
  else t.plan(0, missing);
} else {
  t.test('terraform: snapshot settings apply without drift, and destroy keeps the final snapshots', async (t) => {
    if (!(await runtimeAvailable(t, 'process'))) return;
    const dataDir = tempDir(t);
    const emulator = await startTestEmulator(t, { runtime: 'process', dataDir });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    const tf = terraformWorkspace(t);
    tf.writeConfig(awsProviderBlock(emulator.url) + STACK);
    if (!succeeded(t, 'terraform init', await tf.run(['init', '-input=false', '-backend=false']))) return;
    if (!succeeded(t, 'apply', await tf.run(['apply', '-auto-approve', '-input=false']))) return;
    const plan = await tf.run(['plan', '-detailed-exitcode', '-input=false']);
    t.equal(plan.code, 0, `no drift${plan.code ? `\n${tail(plan, 6000)}` : ''}`);

    const redis = redisAt({ Address: (await tf.outputs()).redis_address, Port: 6379 });
    await redis.connect();
    await redis.set('before-destroy', 'kept');
    redis.disconnect();

    if (!succeeded(t, 'destroy', await tf.run(['destroy', '-auto-approve', '-input=false']))) return;
    const snapshots = (await client.send(new DescribeSnapshotsCommand({}))).Snapshots ?? [];
    t.same(
      snapshots.map((s) => `${s.SnapshotName}:${s.SnapshotStatus}`).sort(),
      ['tf-snap-final:available', 'tf-snap-rg-final:available'],
      'the final snapshots are listed after the destroy',
    );
    const rdb = readFileSync(join(dataDir, 'snapshots', '000000000000', 'us-east-1', 'tf-snap-final', '0001.rdb'));
    t.ok(rdb.includes(Buffer.from('before-destroy')), "the cluster's final snapshot holds its data");
  });
}
