/**
 * Terraform (AWS provider 5.100, from the machine's mirror) with a global datastore on real nodes (process runtime):
 * a primary replication group in us-east-1, aws_elasticache_global_replication_group around it and a secondary group
 * in us-west-2 through a second provider; apply, no drift, a write in the primary region reaches the secondary;
 * destroy (the secondary is disassociated first) leaves nothing. Skipped loudly without Terraform or the provider
 * (failed in CI).
 */
import { DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand } from '@aws-sdk/client-elasticache';
import t from 'tap';
import { removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { eventually, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { awsProviderBlock, terraformMissing, terraformWorkspace, succeeded, noDrift } from '../fixtures/terraform.js';

const STACK = `
resource "aws_elasticache_replication_group" "primary" {
  replication_group_id = "tf-global-primary"
  description          = "primary of a global datastore"
  node_type            = "cache.m5.large"
  engine               = "redis"
  engine_version       = "7.1"
  num_cache_clusters   = 1
  port                 = 6379
  apply_immediately    = true
}

resource "aws_elasticache_global_replication_group" "global" {
  global_replication_group_id_suffix   = "tf-store"
  primary_replication_group_id         = aws_elasticache_replication_group.primary.id
  global_replication_group_description = "across two regions"
}

resource "aws_elasticache_replication_group" "secondary" {
  provider                    = aws.west
  replication_group_id        = "tf-global-secondary"
  description                 = "secondary of a global datastore"
  global_replication_group_id = aws_elasticache_global_replication_group.global.global_replication_group_id
  num_cache_clusters          = 1
  port                        = 6379
  apply_immediately           = true
}

output "global_id" {
  value = aws_elasticache_global_replication_group.global.global_replication_group_id
}
`;

/** A second provider block, for us-west-2 (the first one's terraform block is not repeated). */
function westProvider(endpoint: string): string {
  const block = awsProviderBlock(endpoint, 'us-west-2');
  const provider = block.slice(block.indexOf('provider "aws" {'));
  return provider.replace('provider "aws" {', 'provider "aws" {\n  alias = "west"');
}

const missing = terraformMissing();
if (missing) {
  if (process.env.CI) t.fail(`terraform-global.test.ts: ${missing}`);
  else t.plan(0, missing);
} else {
  t.test('terraform: a global datastore with a secondary group in a second region', async (t) => {
    if (!(await runtimeAvailable(t, 'process'))) return;
    const emulator = await startTestEmulator(t, { runtime: 'process' });
    t.teardown(() => removeAllNodes(emulator));
    const east = sdkClient(emulator);
    const west = sdkClient(emulator, { region: 'us-west-2' });
    const tf = terraformWorkspace(t);
    tf.writeConfig(awsProviderBlock(emulator.url) + westProvider(emulator.url) + STACK);
    if (!succeeded(t, 'terraform init', await tf.run(['init', '-input=false', '-backend=false']))) return;
    if (!succeeded(t, 'apply', await tf.run(['apply', '-auto-approve', '-input=false'], 600_000))) return;
    await noDrift(t, tf, 'after the apply');

    const id = (await tf.outputs()).global_id as string;
    t.equal(id, 'ldgnf-tf-store');
    const global = (
      await east.send(
        new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: id, ShowMemberInfo: true }),
      )
    ).GlobalReplicationGroups![0];
    t.same(global.Members?.map((m) => [m.ReplicationGroupId, m.ReplicationGroupRegion, m.Role]).sort(), [
      ['tf-global-primary', 'us-east-1', 'PRIMARY'],
      ['tf-global-secondary', 'us-west-2', 'SECONDARY'],
    ]);
    const endpointOf = async (client: typeof east, groupId: string) =>
      (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: groupId }))).ReplicationGroups![0]
        .NodeGroups![0].PrimaryEndpoint!;
    const primary = redisAt(await endpointOf(east, 'tf-global-primary'));
    const secondary = redisAt(await endpointOf(west, 'tf-global-secondary'));
    for (const redis of [primary, secondary]) {
      redis.on('error', () => {});
      t.teardown(() => redis.disconnect());
    }
    await primary.set('from-terraform', 'east');
    await eventually(async () => (await secondary.get('from-terraform')) === 'east', 10_000, 'the write in us-west-2');
    t.pass('a write in us-east-1 reached us-west-2');

    if (!succeeded(t, 'destroy', await tf.run(['destroy', '-auto-approve', '-input=false'], 600_000))) return;
    const left = await east.send(new DescribeGlobalReplicationGroupsCommand({}));
    t.same(left.GlobalReplicationGroups, [], 'no global datastore is left');
    t.same((await west.send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups, [], 'nor a group');
    t.same((await east.send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups, [], 'in either region');
  });
}
