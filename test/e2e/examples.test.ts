/**
 * Every example of examples/ runs as a user would run it: its script with `node`, the SDK pointed at a running
 * emulator by AWS_ENDPOINT_URL alone, real nodes (process runtime), and the script's own checks deciding its exit
 * code; the Terraform example is applied, its primary endpoint answers, and it is destroyed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { CREDENTIALS, removeAllNodes, startTestEmulator } from '../fixtures/emulator.js';
import { answersPing, runtimeAvailable } from '../fixtures/real-nodes.js';
import { tail, terraformMissing, terraformWorkspace } from '../fixtures/terraform.js';

const run = promisify(execFile);
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

t.test('the example scripts, against the emulator', async (t) => {
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    // The SDK's own profile files must not decide anything here.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    // The SDK's notice about Node versions is not the example's output.
    NODE_NO_WARNINGS: '1',
  };
  const expected: Record<string, RegExp> = {
    'lazy-loading': /5 reads, database hits: 1[\s\S]*price 24, database hits: 2/,
    'session-store': /app-b: you are alice[\s\S]*after the failover: app-b: you are alice/,
    leaderboard: /this week's top 3: bob 170, ada 150, dee 140[\s\S]*cyd is number 4 of 4/,
    autocomplete: /\d{4} words loaded[\s\S]*verd {2}→ verdor/,
  };
  for (const [name, pattern] of Object.entries(expected)) {
    const result = await run('node', [join(EXAMPLES, name, 'main.mjs')], { env, timeout: 240_000 }).catch(
      (error: { stdout?: string; stderr?: string; message: string }) => ({
        stdout: error.stdout ?? '',
        stderr: `${error.stderr ?? ''}\n${error.message}`,
      }),
    );
    const passed = /\nok\n?$/.test(result.stdout);
    t.ok(passed, `${name}: its checks pass`);
    if (!passed) t.comment(`${name} stderr:\n${result.stderr}`);
    t.match(result.stdout, pattern, `${name}: shows what it is about`);
    t.comment(`${name}:\n${result.stdout.trim()}`);
  }
});

t.test('the Terraform example applies, answers and is destroyed', async (t) => {
  const missing = terraformMissing();
  if (missing) {
    if (process.env.CI) t.fail(`Terraform is required in CI: ${missing}`);
    else {
      console.warn(`\n*** SKIPPING the Terraform example: ${missing} ***\n`);
      t.pass(`skipped loudly: ${missing}`);
    }
    return;
  }
  if (!(await runtimeAvailable(t, 'process'))) return;
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const tf = terraformWorkspace(t);
  tf.writeConfig(readFileSync(join(EXAMPLES, 'terraform', 'main.tf'), 'utf8'));
  tf.writeVars({ endpoint: emulator.url });
  for (const step of [
    ['init', '-input=false'],
    ['apply', '-auto-approve', '-input=false'],
  ]) {
    const result = await tf.run(step, 300_000);
    if (result.code !== 0) {
      t.fail(`terraform ${step[0]} failed:\n${tail(result)}`);
      return;
    }
  }
  const outputs = await tf.outputs();
  const [address, port] = String(outputs.primary_endpoint).split(':');
  t.ok(await answersPing({ Address: address, Port: Number(port) }), `the primary endpoint ${address}:${port} answers`);
  const destroyed = await tf.run(['destroy', '-auto-approve', '-input=false'], 300_000);
  t.equal(destroyed.code, 0, `terraform destroy${destroyed.code === 0 ? '' : `:\n${tail(destroyed)}`}`);
  t.same(await emulator.runtime.listNodes(), [], 'no node is left');
});
