#!/usr/bin/env node
/**
 * The elasticache-local command: reads flags and environment, starts the emulator, stops it on a signal. Its `pull`
 * subcommand makes sure the Docker daemon (DOCKER_HOST, or the default socket) holds the images of the engines'
 * default versions, and every image --images maps, before the first cluster needs them: an image the daemon has is
 * only named; a missing one is pulled with its progress (a line per image per second at most); an image that cannot
 * be had gets one line saying why, and the command exits 1.
 */
import { parseArgs } from 'node:util';
import { ENGINES, type Engine } from './common/engines.js';
import { ConfigError, StartError, USAGE, readConfig } from './config.js';
import { defaultVersion } from './domain/elasticache/catalog.js';
import { imageFor, parseImageOverrides, type ImageOverrides } from './runtime/images.js';
import { startEmulator } from './server.js';

const COMMANDS =
  '\nCommands:\n  pull                fetch the node images of the default engine versions (pull --help)\n';

const PULL_USAGE = `Usage: elasticache-local pull [--images <json>]

Makes sure the Docker daemon (DOCKER_HOST, or the default socket) has the node images of the engines' default
versions and of every image --images maps, pulling what it lacks.
  --images <json>     node image overrides, as for the emulator      ELASTICACHE_LOCAL_IMAGES
  -h, --help          show this help
`;

/** A mistake in the command line: one line and the usage, exit 2. */
class PullUsageError extends Error {}

/** The images `pull` makes sure of: the default versions' (through the overrides), then every mapped image. */
function imagesToPull(overrides: ImageOverrides): string[] {
  const defaults = ENGINES.map((engine: Engine) => imageFor(engine, defaultVersion(engine).version, overrides));
  return [...new Set([...defaults, ...Object.values(overrides)])];
}

/** Docker's reason on one line (a daemon's message may span several). */
const oneLine = (error: unknown) =>
  String((error as Error)?.message ?? error)
    .replace(/\s+/g, ' ')
    .trim();

/** Runs the command; resolves with the exit code. Output: a line per image on stdout, failures on stderr. */
async function pullCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let overrides: ImageOverrides;
  try {
    const { values } = parseArgs({
      args,
      options: { images: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(PULL_USAGE);
      return 0;
    }
    overrides = parseImageOverrides(values.images ?? env.ELASTICACHE_LOCAL_IMAGES);
  } catch (error) {
    throw new PullUsageError(oneLine(error));
  }
  // Loaded only for pull: dockerode alone costs a fifth of a second of start-up.
  const { connectDocker } = await import('./runtime/docker.js');
  const { pullImage } = await import('./runtime/image-pull.js');
  const daemon = env.DOCKER_HOST || 'the default socket';
  const docker = await connectDocker();
  if (!docker) {
    process.stderr.write(`elasticache-local pull: no Docker daemon answers on ${daemon}\n`);
    return 1;
  }
  let failed = false;
  for (const image of imagesToPull(overrides)) {
    const present = await docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    if (present) {
      process.stdout.write(`${image}: present on ${daemon}\n`);
      continue;
    }
    try {
      await pullImage(docker, image, (summary) => process.stdout.write(`${image}: ${summary}\n`));
      process.stdout.write(`${image}: pulled\n`);
    } catch (error) {
      process.stderr.write(`elasticache-local pull: cannot pull ${image}: ${oneLine(error)}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

async function pull(args: string[]): Promise<void> {
  try {
    process.exitCode = await pullCommand(args, process.env);
  } catch (error) {
    if (!(error instanceof PullUsageError)) throw error;
    process.stderr.write(`elasticache-local pull: ${error.message}\n\n${PULL_USAGE}`);
    process.exitCode = 2;
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'pull') return pull(process.argv.slice(3));
  let config;
  try {
    config = readConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`elasticache-local: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(USAGE + COMMANDS);
    return;
  }
  const emulator = await startEmulator(config);
  emulator.app.log.info(
    { url: emulator.url, dataDir: config.dataDir, runtime: emulator.runtime.name },
    `elasticache-local listening on ${emulator.url}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    emulator.app.log.info({ signal }, 'shutting down');
    await emulator.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  // What the user can fix gets one line; only a fault of the emulator itself gets its stack.
  if (error instanceof ConfigError || error instanceof StartError)
    process.stderr.write(`elasticache-local: ${error.message}\n`);
  else process.stderr.write(`elasticache-local failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
