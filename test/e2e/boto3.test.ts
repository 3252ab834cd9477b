/** boto3's waiters and paginators against the emulator (Python, botocore 1.43 on this machine). */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestEmulator } from '../fixtures/emulator.js';

const script = fileURLToPath(new URL('../fixtures/boto3_flow.py', import.meta.url));

t.test('boto3: create, the available waiter, paginators, a modeled error, delete, the deleted waiter', async (t) => {
  const probe = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    if (process.env.CI) t.fail(`boto3 is required in CI: ${probe.stderr || probe.error}`);
    else {
      console.warn('\n*** SKIPPING the boto3 test: python3 with boto3 is not installed ***\n');
      t.pass('skipped loudly: no boto3');
    }
    return;
  }
  const emulator = await startTestEmulator(t);
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
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
  t.equal(seen.create_status, 'creating');
  t.ok(
    seen.available_wait_seconds < 5,
    `the available waiter succeeded on its first poll (${seen.available_wait_seconds?.toFixed(2)} s)`,
  );
  t.equal(seen.pages, 2, 'two pages of at most 20');
  t.equal(seen.clusters.length, 25, 'all 25 clusters, none twice');
  t.ok(
    seen.parameter_pages > 1 && seen.parameters > 40,
    `the parameter paginator walks the whole table (${seen.parameters} in ${seen.parameter_pages} pages)`,
  );
  t.equal(seen.missing_error, 'CacheClusterNotFound', 'the modeled exception class');
  t.ok(
    seen.deleted_wait_seconds < 5,
    `the deleted waiter succeeded on its first poll (${seen.deleted_wait_seconds?.toFixed(2)} s)`,
  );
});
