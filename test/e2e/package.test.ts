/**
 * The npm package as a user gets it: `npm pack` (its prepack builds dist/ from nothing, in a copy of the sources so
 * this checkout's dist/ is left alone), installed into an empty folder, started with `npx elasticache-local`, asked
 * for its health and reset, stopped with SIGTERM; installed with `npm i -g`, its command runs; its runtime dependencies leave the AWS SDK out, and its type
 * declarations compile for a TypeScript user of `start()`.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT } from '../fixtures/cli-process.js';
import { tempDir } from '../fixtures/emulator.js';
import { INSTALL_FLAGS, npm, packPackage, placeSqliteBinding, runIn as run } from '../fixtures/packed-package.js';

t.test('the packed tarball installs into an empty folder and starts with npx', async (t) => {
  const { dir: packed, tarball } = packPackage(t);
  t.ok(tarball, 'npm pack wrote a tarball');
  const listing = run(packed, 'tar', ['tzf', tarball]);
  t.match(listing, /package\/dist\/bundle\/cli\.js/, 'with the bundled CLI');
  t.match(listing, /package\/dist\/bundle\/index\.js/, 'the bundled programmatic API');
  t.notMatch(listing, /package\/dist\/src\/.*\.js\n/, 'and not the unbundled modules as well');
  t.match(listing, /package\/dist\/src\/index\.d\.ts/, 'the type declarations');
  t.match(listing, /package\/dist\/src\/runtime\/node-images\.json/, 'the image map');
  t.match(listing, /package\/api-models\/elasticache\/2015-02-02\/service-2\.json/, 'and the API models');
  // The console's page files ship as they are (no build step), and are the only files of src/ in the package.
  t.notMatch(listing, /package\/(src\/(?!http\/console\/)|test\/)/, 'no sources or tests');

  const project = tempDir(t, 'elasticache-local-install-');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-elasticache-local', private: true }));
  run(project, npm, ['install', ...INSTALL_FLAGS, join(packed, tarball)]);
  placeSqliteBinding(project);
  t.ok(existsSync(join(project, 'node_modules', '.bin', 'elasticache-local')), 'the elasticache-local command');
  t.notOk(existsSync(join(project, 'node_modules', '@aws-sdk')), 'no AWS SDK among the runtime dependencies');

  const child = spawn(
    process.platform === 'win32' ? 'npx.cmd' : 'npx',
    [
      '--no-install',
      'elasticache-local',
      '--port',
      '0',
      '--data-dir',
      ':memory:',
      '--runtime',
      'none',
      '--log-format',
      'json',
    ],
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let emulatorPid: number | undefined;
  t.teardown(() => {
    for (const pid of [emulatorPid, child.pid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      for (const line of out.split('\n')) {
        const match = /elasticache-local listening on (http:\/\/[^"\s]+)/.exec(line);
        if (!match) continue;
        // npx runs the command as a child of its own: the pid in the log line is the emulator's.
        emulatorPid = JSON.parse(line).pid;
        resolve(match[1]);
      }
    });
    void exited.then((code) => reject(new Error(`npx elasticache-local exited (${code}): ${stderr}`)));
  });
  const health = await (await fetch(`${url}/_elasticache_local/health`)).json();
  t.match(health, { status: 'running', runtime: 'none', dataDir: ':memory:' }, 'it answers health');
  for (const path of ['', 'console/console.js', 'console/console.css']) {
    const page = await fetch(`${url}/_elasticache_local/${path}`);
    t.equal(page.status, 200, `the console's ${path || 'page'} ships with the package`);
  }
  const reset = await fetch(`${url}/_elasticache_local/reset`, { method: 'POST' });
  t.equal(reset.status, 200, 'and reset');
  process.kill(emulatorPid!, 'SIGTERM');
  t.equal(await exited, 0, 'SIGTERM stops it cleanly, and npx with it');

  // `npm i -g`: the elasticache-local command (a prefix of the test's own stands for the global one).
  const global = tempDir(t, 'elasticache-local-global-');
  run(global, npm, ['install', '-g', '--prefix', global, ...INSTALL_FLAGS, join(packed, tarball)]);
  placeSqliteBinding(join(global, process.platform === 'win32' ? '' : 'lib', 'node_modules', 'elasticache-local'));
  const command = join(global, process.platform === 'win32' ? 'elasticache-local.cmd' : 'bin/elasticache-local');
  t.match(run(global, command, ['--help']), /^Usage: elasticache-local \[options\]/, 'npm i -g gives the command');

  // A TypeScript user: `import { start } from 'elasticache-local'` type-checks against the shipped declarations.
  writeFileSync(
    join(project, 'use.ts'),
    [
      "import { start, type RunningEmulator } from 'elasticache-local';",
      "const emulator: RunningEmulator = await start({ port: 0, runtime: 'none', ephemeral: true });",
      'const endpoint: string = emulator.clientConfig.endpoint;',
      'await emulator.reset();',
      'await emulator.stop();',
      'export { endpoint };',
    ].join('\n'),
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        types: [],
      },
      files: ['use.ts'],
    }),
  );
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'uses-elasticache-local', private: true, type: 'module' }),
  );
  run(project, process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
  t.pass('the declarations type-check');

  // A JavaScript user: the same import runs, from the bundle.
  writeFileSync(
    join(project, 'use.mjs'),
    [
      "import { start } from 'elasticache-local';",
      "const emulator = await start({ port: 0, runtime: 'none', ephemeral: true });",
      "const health = await (await fetch(emulator.url + '/_elasticache_local/health')).json();",
      'await emulator.reset();',
      'await emulator.stop();',
      'console.log(JSON.stringify(health));',
    ].join('\n'),
  );
  const used = JSON.parse(run(project, process.execPath, ['use.mjs']).trim().split('\n').pop()!);
  t.match(used, { status: 'running', runtime: 'none' }, 'start() from the package answers health');
});
