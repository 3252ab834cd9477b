#!/usr/bin/env node
// Makes `npm start` and `npm test` work on a fresh clone: installs the locked dependencies when they are missing
// or older than package-lock.json, and compiles the TypeScript when dist/ is missing or older than the sources.
// Plain JavaScript with no dependencies, since it runs before anything is installed.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not URL.pathname: on Windows the pathname is `/C:/...`, which no file API takes.
const root = fileURLToPath(new URL('..', import.meta.url));
const run = (command) => execSync(command, { cwd: root, stdio: 'inherit' });
const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const installed = join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < mtime(join(root, 'package-lock.json'))) {
  console.error('elasticache-local: installing dependencies (npm ci)...');
  run('npm ci --no-audit --no-fund');
}
// The bundle is the last step of the build (tsc, then scripts/bundle.mjs), so it is the build's age.
const built = join(root, 'dist', 'bundle', 'cli.js');
if (mtime(built) < Math.max(newest(join(root, 'src')), mtime(join(root, 'tsconfig.json')))) {
  console.error('elasticache-local: compiling (tsc, then the esbuild bundle)...');
  run('npm run build');
}
