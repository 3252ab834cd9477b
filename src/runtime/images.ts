/**
 * Which container image runs which engine version: an official image tag that exists (node-images.json, by the
 * version's major.minor line), each replaceable by configuration. docker/build-node-images.sh builds its offline
 * images under the same tags (scripts/node-image-tags.mjs reads them from the same file), and
 * test/runtime/images.test.ts holds every tag to a list of tags the official images really publish.
 *
 * Redis 7.1 runs on redis:7.2: Redis OSS never released a 7.1 line (its 7.1.x numbers were 7.2's release
 * candidates), so 7.2 is the closest release that exists; ElastiCache's 7.1 is its own build of that era. The
 * API keeps saying 7.1.0; only the node itself reports 7.2.x in INFO.
 */
import type { Engine } from '../common/engines.js';
import nodeImages from './node-images.json' with { type: 'json' };

export type ImageOverrides = Record<string, string>;

const IMAGE_OF_LINE: Readonly<Record<string, string>> = nodeImages;

/** The line an engine version belongs to: `redis:7.1` for redis 7.1.0, `memcached:1.6` for 1.6.22. */
export function versionLine(engine: Engine, engineVersion: string): string {
  const [major, minor] = engineVersion.split('.');
  return `${engine}:${major}.${minor ?? '0'}`;
}

/**
 * The default image of an engine version: the official tag of its line. A line the map does not know (a version
 * added to the catalog without an image) gets the line's own tag, which the image test then refuses.
 */
export function defaultImage(engine: Engine, engineVersion: string): string {
  const line = versionLine(engine, engineVersion);
  const mapped = IMAGE_OF_LINE[line];
  if (mapped) return mapped;
  const tag = line.slice(engine.length + 1);
  return engine === 'valkey' ? `valkey/valkey:${tag}` : `${engine}:${tag}`;
}

/** Every default image, by engine (what the offline image builder must provide). */
export function defaultImages(): string[] {
  return [...new Set(Object.values(IMAGE_OF_LINE))];
}

/**
 * The image to run: an override of the engine version's line (`redis:7.1`) or of its default image
 * (`redis:7.2`), else of the engine, else the default.
 */
export function imageFor(engine: Engine, engineVersion: string, overrides: ImageOverrides = {}): string {
  const image = defaultImage(engine, engineVersion);
  return overrides[versionLine(engine, engineVersion)] ?? overrides[image] ?? overrides[engine] ?? image;
}

/** Parses ELASTICACHE_LOCAL_IMAGES: a JSON object, e.g. {"redis:7.1":"my.registry/redis:7.1.3","memcached":"memcached:1.6.38"}. */
export function parseImageOverrides(text: string | undefined): ImageOverrides {
  if (!text) return {};
  const parsed = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('images must be a JSON object');
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new Error(`image for ${key} must be a string`);
  }
  return parsed as ImageOverrides;
}
