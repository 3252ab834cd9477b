/**
 * What a person sees from the command: a start that cannot happen (a busy port, no Docker daemon with
 * `--runtime docker`, a data dir that cannot be written) prints one line and exits 1, with no stack; the log is
 * readable with `--log-format pretty` and JSON lines when stdout is not a terminal. `elasticache-local pull` names
 * the images the daemon has and says in one line why one cannot be had.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { REPO_ROOT } from '../fixtures/cli-process.js';
import { tempDir } from '../fixtures/emulator.js';
import { runtimeAvailable } from '../fixtures/real-nodes.js';
import { defaultVersion } from '../../src/domain/elasticache/catalog.js';
import { ENGINES } from '../../src/common/engines.js';
import { imageFor } from '../../src/runtime/images.js';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source until it exits (or, with `until`, until its stdout shows it, then stops it). */
function runCli(args: string[], env: Record<string, string> = {}, until?: RegExp): Promise<Finished> {
  const clean = { ...process.env };
  for (const name of Object.keys(clean)) if (name.startsWith('ELASTICACHE_LOCAL_')) delete clean[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (until?.test(stdout)) child.kill('SIGTERM');
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function oneLine(t: Test, result: Finished, pattern: RegExp, prefix = /^elasticache-local: /): void {
  t.equal(result.code, 1, 'exit code 1');
  const lines = result.stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `one line: ${result.stderr.trimEnd()}`);
  t.match(lines[0], prefix);
  t.match(lines[0], pattern);
  t.notMatch(result.stderr, /\n\s+at /, 'no stack');
}

t.test('a busy port: one line, exit 1', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const result = await runCli(['--port', String(port), '--data-dir', ':memory:', '--runtime', 'none']);
  oneLine(t, result, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use.*--port`));
});

t.test('--runtime docker with no daemon answering: one line, exit 1', async (t) => {
  // A loopback port nothing listens on: the daemon check fails at once.
  const result = await runCli(['--port', '0', '--data-dir', ':memory:', '--runtime', 'docker'], {
    DOCKER_HOST: 'tcp://127.0.0.1:9',
  });
  oneLine(t, result, /no Docker daemon answers on tcp:\/\/127\.0\.0\.1:9/);
});

t.test('a data dir that cannot be written: one line, exit 1', async (t) => {
  const file = join(tempDir(t), 'a-file');
  writeFileSync(file, '');
  const result = await runCli(['--port', '0', '--data-dir', join(file, 'state'), '--runtime', 'none']);
  oneLine(t, result, /the data dir .*a-file\/state cannot be used.*--data-dir/);
});

t.test('--log-format pretty: readable lines; JSON lines when stdout is not a terminal', async (t) => {
  const pretty = await runCli(
    ['--port', '0', '--data-dir', ':memory:', '--runtime', 'none', '--log-format', 'pretty'],
    {},
    /listening on http/,
  );
  t.equal(pretty.code, 0, 'stopped cleanly');
  t.match(
    pretty.stdout,
    /^\d\d:\d\d:\d\d\.\d{3} INFO {2}elasticache-local listening on http:\/\/127\.0\.0\.1:\d+ url=/m,
  );
  t.notMatch(pretty.stdout, /^\{/m, 'no JSON line');

  const auto = await runCli(['--port', '0', '--data-dir', ':memory:', '--runtime', 'none'], {}, /listening on http/);
  const lines = auto.stdout.trim().split('\n');
  t.ok(
    lines.every((line) => typeof JSON.parse(line).msg === 'string'),
    'stdout is a pipe here: every line is JSON',
  );
});

t.test("pull: the default versions' images, present on the daemon, are named and nothing is pulled", async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  const result = await runCli(['pull']);
  t.equal(result.code, 0, `exit code 0 (${result.stderr.trim()})`);
  for (const image of ENGINES.map((engine) => imageFor(engine, defaultVersion(engine).version)))
    t.match(result.stdout, `${image}: present on `, `${image} is there`);
  t.notMatch(result.stdout, /pulling|pulled/, 'nothing pulled');
});

t.test('pull: an --images mapping to an image no registry has: one line, exit 1', async (t) => {
  if (!(await runtimeAvailable(t, 'docker'))) return;
  // A registry on a loopback port nothing listens on: the daemon's pull fails at once, and nothing leaves the host.
  const missing = '127.0.0.1:9/elasticache-local-test/missing:1';
  const result = await runCli(['pull', '--images', JSON.stringify({ redis: missing })]);
  oneLine(t, result, new RegExp(`cannot pull ${missing.replace(/[.]/g, '\\.')}: `), /^elasticache-local pull: /);
  t.match(result.stdout, /^memcached:1\.6: present on /m, 'the other images are still checked');
});

t.test('pull with no Docker daemon answering: one line, exit 1', async (t) => {
  const result = await runCli(['pull'], { DOCKER_HOST: 'tcp://127.0.0.1:9' });
  oneLine(t, result, /no Docker daemon answers on tcp:\/\/127\.0\.0\.1:9/, /^elasticache-local pull: /);
});

t.test('pull: a bad --images is a usage error (exit 2)', async (t) => {
  const result = await runCli(['pull', '--images', '[1]']);
  t.equal(result.code, 2);
  t.match(result.stderr, /^elasticache-local pull: images must be a JSON object\n\nUsage: elasticache-local pull/);
});

t.test(
  'a bad --serverless-warm-pool is a usage error at start (exit 2), from the flag or the environment',
  async (t) => {
    const flag = await runCli(['--serverless-warm-pool', 'redis,mongodb']);
    t.equal(flag.code, 2);
    t.match(
      flag.stderr,
      /^elasticache-local: --serverless-warm-pool takes engines among valkey, redis .*got "mongodb"\n\nUsage:/,
    );
    const env = await runCli([], { ELASTICACHE_LOCAL_SERVERLESS_WARM_POOL: 'memcached' });
    t.equal(env.code, 2);
    t.match(env.stderr, /^elasticache-local: --serverless-warm-pool .*made from no warm spare\)\n/);
    t.notMatch(env.stdout, /listening/, 'nothing started');
  },
);
