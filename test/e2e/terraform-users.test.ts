/**
 * Terraform (AWS provider 5.100, from the machine's mirror) with RBAC users on real nodes (process runtime):
 * aws_elasticache_user, aws_elasticache_user_group, aws_elasticache_user_group_association and a TLS replication
 * group with user_group_ids apply and show no drift; a changed access string and password, and a user added to the
 * group through an association, apply and show no drift either (the user logs in with its new password); destroy
 * removes it all. Skipped loudly without Terraform or the provider (failed in CI).
 */
import { DescribeUserGroupsCommand, DescribeUsersCommand } from '@aws-sdk/client-elasticache';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { acceptsToken, runtimeAvailable } from '../fixtures/real-nodes.js';
import { awsProviderBlock, terraformMissing, terraformWorkspace, succeeded, noDrift } from '../fixtures/terraform.js';

const FIRST_PASSWORD = 'tf-users-password-0123456789';
const SECOND_PASSWORD = 'tf-users-password-9876543210';

const STACK = `
variable "app_access" { type = string }
variable "app_password" { type = string }
variable "with_reporter" { type = bool }

resource "aws_elasticache_user" "default" {
  user_id       = "tf-default"
  user_name     = "default"
  engine        = "redis"
  access_string = "off ~* +@all"
  passwords     = ["${FIRST_PASSWORD}"]
}

resource "aws_elasticache_user" "app" {
  user_id       = "tf-app"
  user_name     = "tf-app"
  engine        = "redis"
  access_string = var.app_access
  authentication_mode {
    type      = "password"
    passwords = [var.app_password]
  }
}

resource "aws_elasticache_user" "reporter" {
  user_id       = "tf-reporter"
  user_name     = "tf-reporter"
  engine        = "redis"
  # As ElastiCache shows it: a string that grants commands starts from -@all.
  access_string = "on ~report:* -@all +@read +ping"
  passwords     = ["${FIRST_PASSWORD}"]
}

resource "aws_elasticache_user_group" "group" {
  user_group_id = "tf-users"
  engine        = "redis"
  user_ids      = [aws_elasticache_user.default.user_id, aws_elasticache_user.app.user_id]

  lifecycle {
    ignore_changes = [user_ids]
  }
}

resource "aws_elasticache_user_group_association" "reporter" {
  count         = var.with_reporter ? 1 : 0
  user_group_id = aws_elasticache_user_group.group.user_group_id
  user_id       = aws_elasticache_user.reporter.user_id
}

resource "aws_elasticache_replication_group" "rg" {
  replication_group_id       = "tf-users-rg"
  description                = "RBAC users over TLS"
  node_type                  = "cache.t3.micro"
  num_cache_clusters         = 1
  port                       = 6379
  engine_version             = "7.1"
  transit_encryption_enabled = true
  user_group_ids             = [aws_elasticache_user_group.group.user_group_id]
  apply_immediately          = true
}

output "primary_address" {
  value = aws_elasticache_replication_group.rg.primary_endpoint_address
}
`;

const missing = terraformMissing();
if (missing) {
  if (process.env.CI) t.fail(`terraform-users.test.ts: ${missing}`);
  else t.plan(0, missing);
} else {
  t.test('terraform: users, a user group, an association and a TLS group using them', async (t) => {
    if (!(await runtimeAvailable(t, 'process'))) return;
    const emulator = await startTestEmulator(t, { runtime: 'process' });
    t.teardown(() => removeAllNodes(emulator));
    const client = sdkClient(emulator);
    const ca = readFileSync(emulator.caCertificatePath, 'utf8');
    const tf = terraformWorkspace(t);
    tf.writeConfig(awsProviderBlock(emulator.url) + STACK);
    tf.writeVars({ app_access: 'on ~app:* +@all', app_password: FIRST_PASSWORD, with_reporter: false });
    if (!succeeded(t, 'terraform init', await tf.run(['init', '-input=false', '-backend=false']))) return;
    if (!succeeded(t, 'apply', await tf.run(['apply', '-auto-approve', '-input=false']))) return;
    await noDrift(t, tf, 'after the first apply');

    const primary = { Address: (await tf.outputs()).primary_address as string, Port: 6379 };
    const login = (user: string, password: string) => acceptsToken(primary, password, ca, user);
    t.ok(await login('tf-app', FIRST_PASSWORD), 'the app user logs in over TLS with its password');
    t.notOk(await acceptsToken(primary, undefined, ca), 'the default user is off');

    tf.writeVars({ app_access: 'on ~app:* ~cache:* +@all', app_password: SECOND_PASSWORD, with_reporter: true });
    if (!succeeded(t, 'apply of the changes', await tf.run(['apply', '-auto-approve', '-input=false']))) return;
    await noDrift(t, tf, 'after the changes');
    const app = (await client.send(new DescribeUsersCommand({ UserId: 'tf-app' }))).Users![0];
    t.match(app, { AccessString: 'on ~app:* ~cache:* +@all', Authentication: { Type: 'password', PasswordCount: 1 } });
    const group = (await client.send(new DescribeUserGroupsCommand({ UserGroupId: 'tf-users' }))).UserGroups![0];
    t.same([...group.UserIds!].sort(), ['tf-app', 'tf-default', 'tf-reporter'], 'the association added its user');
    t.ok(await login('tf-app', SECOND_PASSWORD), 'the app user logs in with its new password');
    t.notOk(await login('tf-app', FIRST_PASSWORD), 'and no longer with the old one');
    t.ok(await login('tf-reporter', FIRST_PASSWORD), 'the associated user logs in');

    if (!succeeded(t, 'destroy', await tf.run(['destroy', '-auto-approve', '-input=false']))) return;
    const left = (await client.send(new DescribeUsersCommand({}))).Users!.map((u) => u.UserId);
    t.same(left, ['default'], 'only the built-in default user is left');
  });
}
