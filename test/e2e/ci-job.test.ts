/**
 * The README's GitHub Actions job, run here as the runner would run it, so the README cannot drift: its `run:` steps
 * as they stand, in order, each in `bash -eo pipefail` (the runner's shell) with the job's `env:`, in a project that
 * has the packed tarball among its devDependencies and a test of its own (create a redis cluster through
 * AWS_ENDPOINT_URL, PING its node endpoint). What stands in for the runner: the project folder for `checkout`, this
 * machine's node for `setup-node`, a free port for 8379, a test-named node network, and `npm ci` without install
 * scripts followed by this checkout's better-sqlite3 binding (no download of prebuilt binaries here). The last step
 * stops the emulator; its node containers and their network must then be gone.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';
import { REPO_ROOT } from '../fixtures/cli-process.js';
import { tempDir } from '../fixtures/emulator.js';
import { freePort } from '../fixtures/free-port.js';
import { INSTALL_FLAGS, npm, packPackage, placeSqliteBinding, runIn } from '../fixtures/packed-package.js';
import { eventually, runtimeAvailable } from '../fixtures/real-nodes.js';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args, { maxBuffer: 16 << 20 })).stdout.trim();

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
}

/** The job of the README's workflow block (the yaml block that opens with `# .github/workflows/`). */
function readmeJob(): { env: Record<string, string | number>; steps: Step[] } {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /```yaml\n(# \.github\/workflows\/[\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('the README has no ```yaml block opening with # .github/workflows/');
  const workflow = parse(block) as { jobs: Record<string, { env: Record<string, string | number>; steps: Step[] }> };
  const [job] = Object.values(workflow.jobs);
  return job;
}

/** The project's own test: what `npm test` runs in the job. The SDK comes from this checkout. */
const projectTest = (sdk: string) => `
import { CreateCacheClusterCommand, DescribeCacheClustersCommand, ElastiCacheClient, waitUntilCacheClusterAvailable }
  from ${JSON.stringify(sdk)};
import { connect } from 'node:net';

const client = new ElastiCacheClient({}); // AWS_ENDPOINT_URL, AWS_REGION and the keys come from the job's env
await client.send(new CreateCacheClusterCommand({ CacheClusterId: 'ci-job', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }));
await waitUntilCacheClusterAvailable({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { CacheClusterId: 'ci-job' });
const described = await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'ci-job', ShowCacheNodeInfo: true }));
const { Address, Port } = described.CacheClusters[0].CacheNodes[0].Endpoint;
const answer = await new Promise((resolve, reject) => {
  const socket = connect({ host: Address, port: Port }, () => socket.write('PING\\r\\n'));
  socket.setEncoding('utf8').once('data', (data) => { socket.end(); resolve(data.trim()); }).once('error', reject);
});
if (answer !== '+PONG') throw new Error('the node endpoint answered ' + answer);
console.log('node endpoint ' + Address + ':' + Port + ' answered ' + answer);
`;

t.test("the README's GitHub Actions job runs as it stands", async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  const job = readmeJob();
  const steps = job.steps;
  t.same(
    steps.filter((step) => step.uses).map((step) => step.uses!.replace(/@.*/, '')),
    ['actions/checkout', 'actions/setup-node'],
    'the only actions are checkout and setup-node (the project folder and this machine stand for them)',
  );
  t.ok(
    steps.every((step) => step.uses || step.run),
    'every other step is a run: step',
  );

  const { path: tarball } = packPackage(t);
  const project = tempDir(t, 'elasticache-local-ci-job-');
  writeFileSync(join(project, 'test.mjs'), projectTest(import.meta.resolve('@aws-sdk/client-elasticache')));
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'uses-elasticache-local-in-ci',
      private: true,
      type: 'module',
      scripts: { test: 'node test.mjs' },
      devDependencies: { 'elasticache-local': `file:${tarball}` },
    }),
  );
  // The lock file a project commits, for the job's `npm ci`.
  runIn(project, npm, ['install', '--package-lock-only', ...INSTALL_FLAGS]);

  const port = await freePort();
  const network = `elasticache-local-test-ci-job-${Math.random().toString(16).slice(2, 10)}`;
  const jobEnv = Object.fromEntries(
    Object.entries(job.env).map(([name, value]) => [name, String(value).replace(/\b8379\b/, String(port))]),
  );
  t.match(
    jobEnv,
    { ELASTICACHE_LOCAL_PORT: String(port), AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` },
    "the job's env sets the port once, for the emulator and for the clients",
  );
  t.notOk(
    steps.some((step) => step.run?.includes('8379')),
    'no step names the port itself (a free one stands for it here)',
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...jobEnv,
    ELASTICACHE_LOCAL_DOCKER_NETWORK: network,
    // The machine's own AWS profile files must not decide anything here.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    NODE_NO_WARNINGS: '1',
    npm_config_ignore_scripts: 'true',
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  const pidFile = join(project, 'elasticache-local.pid');
  let emulatorPid: number | undefined;
  // The pid the emulator logs: the one to kill should the start step's $! be a wrapper (npx) that dies alone.
  let loggedPid: number | undefined;
  const readLoggedPid = () => {
    try {
      loggedPid ??= JSON.parse(readFileSync(join(project, 'elasticache-local.log'), 'utf8').split('\n')[0]).pid;
    } catch {
      // not started yet, or not logging JSON
    }
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  t.teardown(async () => {
    for (const pid of [emulatorPid, loggedPid]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    const left = await docker('ps', '-aq', '--filter', `network=${network}`).catch(() => '');
    if (left) await docker('rm', '-f', '-v', ...left.split('\n')).catch(() => {});
    await docker('network', 'rm', network).catch(() => {});
  });

  const bash = (script: string) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
        cwd: project,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      // The start step leaves the emulator running with its output in a file: the step is over when bash exits.
      child.once('exit', (code) => resolve({ code, output }));
    });

  let failed = false;
  let nodeContainers: string[] = [];
  for (const step of steps) {
    if (!step.run) continue;
    const condition = step.if ?? 'success()';
    const runs =
      condition === 'always()' ? true : condition === 'failure()' ? failed : condition === 'success()' && !failed;
    t.ok(
      ['always()', 'failure()', 'success()'].includes(condition),
      `${step.name ?? step.run}: a condition known here`,
    );
    if (!runs) continue;
    const { code, output } = await bash(step.run);
    t.comment(`$ ${step.run.trim()}\n${output.trim()}`);
    if (condition !== 'failure()') t.equal(code, 0, `step "${step.name ?? step.run.trim()}" succeeds`);
    if (code !== 0) failed = true;
    if (step.run.trim() === 'npm ci') placeSqliteBinding(project);
    if (step.run.includes('elasticache-local.pid') && !emulatorPid) emulatorPid = Number(readFileSync(pidFile, 'utf8'));
    readLoggedPid();
    if (step.run.trim() === 'npm test') {
      t.match(output, /node endpoint \S+ answered \+PONG/, "the project's test reached a node through the emulator");
      nodeContainers = (await docker('ps', '-aq', '--no-trunc', '--filter', `network=${network}`)).split('\n');
      t.ok(nodeContainers[0], 'its node runs in a container');
    }
  }
  t.notOk(failed, 'every step succeeded');

  t.ok(emulatorPid, 'the start step recorded the emulator');
  await eventually(async () => !alive(emulatorPid!), 60_000, 'the emulator to exit after the stop step');
  const containersLeft = await docker('ps', '-aq', '--no-trunc');
  t.same(
    nodeContainers.filter((id) => id && containersLeft.includes(id)),
    [],
    'the stopped emulator removed its node containers',
  );
  t.notOk((await docker('network', 'ls', '--format', '{{.Name}}')).split('\n').includes(network), 'and their network');
});
