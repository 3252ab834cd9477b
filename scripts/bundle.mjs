#!/usr/bin/env node
// Bundles the emulator (the CLI and the programmatic API) into dist/bundle/ with esbuild: one file per entry plus
// shared chunks, the lazily loaded modules (control plane, runtimes) in chunks of their own. Node resolves and
// reads a few files instead of hundreds, which is most of what a start spends before its first answer
// (bench/RESULTS.md §4). tsc still builds dist/src for the type declarations.
// Left outside the bundle: a native addon (better-sqlite3), and what only one runtime loads (dockerode with its
// optional native parts, ioredis), resolved from node_modules when that runtime starts.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The relay worker is a script of its own (a child process), found beside the chunk that starts it.
  entryPoints: [
    { in: 'src/cli.ts', out: 'cli' },
    { in: 'src/index.ts', out: 'index' },
    { in: 'src/dataplane/relay-worker.ts', out: 'relay-worker' },
  ],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'dockerode', 'ioredis'],
  // Bundled CommonJS packages call require(); an ES module has none, so each chunk makes its own.
  banner: {
    js: "import { createRequire as createRequireForBundle } from 'node:module';\nconst require = createRequireForBundle(import.meta.url);",
  },
  logLevel: 'warning',
});
