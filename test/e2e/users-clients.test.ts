/**
 * RBAC users and user groups through the AWS CLI and boto3 (botocore's own parsing of our XML): a user and a user
 * group created, described, modified and deleted, and a modeled error. Each is skipped loudly when missing
 * (failed in CI).
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { awsCli, findOnPath } from '../fixtures/aws-cli.js';
import { startTestEmulator } from '../fixtures/emulator.js';
import { eventually } from '../fixtures/real-nodes.js';

const PASSWORD = 'cli-password-0123456789';

function missing(t: Test, what: string): void {
  if (process.env.CI) t.fail(`${what} is required in CI`);
  else {
    console.warn(`\n*** SKIPPING: ${what} is not installed ***\n`);
    t.pass(`skipped loudly: no ${what}`);
  }
}

t.test('users and user groups through the AWS CLI', async (t) => {
  const executable = findOnPath('aws');
  if (!executable) return missing(t, 'the AWS CLI (aws)');
  const emulator = await startTestEmulator(t);
  const cli = awsCli(t, executable);
  const ec = async (...args: string[]) => {
    const result = await cli.run(['--endpoint-url', emulator.url, 'elasticache', ...args]);
    t.equal(result.code, 0, `aws elasticache ${args[0]}${result.code ? `: ${result.stderr.slice(0, 300)}` : ''}`);
    return result.json;
  };
  const created = await ec(
    'create-user',
    '--user-id',
    'cli-user',
    '--user-name',
    'cli-user',
    '--engine',
    'redis',
    '--access-string',
    'on ~cli:* +get',
    '--passwords',
    PASSWORD,
  );
  t.match(created, {
    UserId: 'cli-user',
    Status: 'active',
    AccessString: 'on ~cli:* -@all +get',
    Authentication: { Type: 'password', PasswordCount: 1 },
  });
  t.notMatch(JSON.stringify(created), PASSWORD, 'no password in the answer');
  const users = await ec('describe-users');
  t.same(
    users.Users.map((u: { UserId: string }) => u.UserId),
    ['default', 'cli-user'],
  );
  const group = await ec(
    'create-user-group',
    '--user-group-id',
    'cli-group',
    '--engine',
    'redis',
    '--user-ids',
    'default',
    'cli-user',
  );
  t.equal(group.Status, 'creating');
  await eventually(
    async () => (await ec('describe-user-groups', '--user-group-id', 'cli-group')).UserGroups[0].Status === 'active',
    20_000,
    'the group active',
  );
  const modified = await ec('modify-user', '--user-id', 'cli-user', '--no-password-required');
  t.match(modified, { Status: 'modifying', Authentication: { Type: 'no-password' } });
  await eventually(
    async () => (await ec('describe-users', '--user-id', 'cli-user')).Users[0].Status === 'active',
    20_000,
    'the user active',
  );
  const changed = await ec('modify-user-group', '--user-group-id', 'cli-group', '--user-ids-to-remove', 'cli-user');
  t.same(changed.PendingChanges, { UserIdsToAdd: [], UserIdsToRemove: ['cli-user'] });
  await eventually(
    async () => (await ec('describe-user-groups', '--user-group-id', 'cli-group')).UserGroups[0].Status === 'active',
    20_000,
    'the group active again',
  );
  t.equal((await ec('delete-user-group', '--user-group-id', 'cli-group')).Status, 'deleting');
  t.equal((await ec('delete-user', '--user-id', 'cli-user')).Status, 'deleting');
  const gone = await eventually(
    async () => {
      const result = await cli.run([
        '--endpoint-url',
        emulator.url,
        'elasticache',
        'describe-users',
        '--user-id',
        'cli-user',
      ]);
      return result.code !== 0 ? result : undefined;
    },
    20_000,
    'the user gone',
  );
  t.match(gone.stderr, /UserNotFound/, 'the modeled error code');
});

t.test('users and user groups through boto3', async (t) => {
  const probe = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
  if (probe.status !== 0) return missing(t, 'python3 with boto3');
  const emulator = await startTestEmulator(t);
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  const script = fileURLToPath(new URL('../fixtures/boto3_users.py', import.meta.url));
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('python3', [script, emulator.url], {
      env: { ...env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  t.equal(run.code, 0, `the flow ran (${run.stderr.slice(-500)})`);
  const seen = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
  t.same(seen.created, {
    UserId: 'boto-user',
    Status: 'active',
    AccessString: 'on ~boto:* -@all +@read',
    Authentication: { Type: 'password', PasswordCount: 1 },
  });
  t.same(seen.users, ['boto-user', 'default']);
  t.equal(seen.group_created, 'creating');
  t.same(seen.modified, { Status: 'modifying', AccessString: 'on ~boto:* -@all +@read +set' });
  t.same(seen.user_groups, ['boto-group']);
  t.same(seen.group_pending, { UserIdsToAdd: [], UserIdsToRemove: ['boto-user'] });
  t.same(seen.group_users, ['default']);
  t.equal(seen.group_deleted, 'deleting');
  t.equal(seen.user_deleted, 'deleting');
  t.equal(seen.missing_error, 'UserNotFound');
});
