/**
 * `elasticache-local pull`: makes sure the Docker daemon (DOCKER_HOST, or the default socket) holds the images of
 * the engines' default versions, and every image --images maps, before the first cluster needs them. An image the
 * daemon has is only named; a missing one is pulled with its progress (a line per image per second at most); an
 * image that cannot be had gets one line saying why, and the command exits 1.
 */
import { parseArgs } from 'node:util';
import { ENGINES, type Engine } from './common/engines.js';
import { defaultVersion } from './domain/elasticache/catalog.js';
import { imageFor, parseImageOverrides, type ImageOverrides } from './runtime/images.js';

export const PULL_USAGE = `Usage: elasticache-local pull [--images <json>]

Makes sure the Docker daemon (DOCKER_HOST, or the default socket) has the node images of the engines' default
versions and of every image --images maps, pulling what it lacks.
  --images <json>     node image overrides, as for the emulator      ELASTICACHE_LOCAL_IMAGES
  -h, --help          show this help
`;

/** A mistake in the command line: one line and the usage, exit 2. */
export class PullUsageError extends Error {}

/** The images `pull` makes sure of: the default versions' (through the overrides), then every mapped image. */
export function imagesToPull(overrides: ImageOverrides): string[] {
  const defaults = ENGINES.map((engine: Engine) => imageFor(engine, defaultVersion(engine).version, overrides));
  return [...new Set([...defaults, ...Object.values(overrides)])];
}

/** Docker's reason on one line (a daemon's message may span several). */
const oneLine = (error: unknown) =>
  String((error as Error)?.message ?? error)
    .replace(/\s+/g, ' ')
    .trim();

/** Runs the command; resolves with the exit code. Output: a line per image on stdout, failures on stderr. */
export async function pullCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
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
  // Loaded here: dockerode costs a fifth of a second, which the emulator's own start does not pay for nothing.
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
