/**
 * Which container image runs which engine version: the official images by default (redis:X.Y, valkey/valkey:X.Y,
 * memcached:X.Y, the tag closest to the requested version), each replaceable by configuration.
 */
import type { Engine } from '../common/engines.js';

export type ImageOverrides = Record<string, string>;

/** The default image of an engine version: `redis:7.1` for redis 7.1.0, `memcached:1.6` for 1.6.22. */
export function defaultImage(engine: Engine, engineVersion: string): string {
  const [major, minor] = engineVersion.split('.');
  const tag = `${major}.${minor ?? '0'}`;
  if (engine === 'valkey') return `valkey/valkey:${tag}`;
  return `${engine}:${tag}`;
}

/** The image to run: an override of the exact default image, else of the engine, else the default. */
export function imageFor(engine: Engine, engineVersion: string, overrides: ImageOverrides = {}): string {
  const image = defaultImage(engine, engineVersion);
  return overrides[image] ?? overrides[engine] ?? image;
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
