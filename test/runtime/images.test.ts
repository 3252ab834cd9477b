/**
 * The image map: every engine version of the catalog runs on an official image tag that exists (held to the
 * checked-in list official-image-tags.json, which names its source), the offline image builder gets its tags from
 * the same map, and overrides still apply by version line, by image and by engine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ENGINE_VERSIONS } from '../../src/domain/elasticache/catalog.js';
import { defaultImage, defaultImages, imageFor } from '../../src/runtime/images.js';

const known = JSON.parse(readFileSync(new URL('./official-image-tags.json', import.meta.url), 'utf8')) as {
  source: string[];
  tags: Record<string, string[]>;
};

function published(image: string): boolean {
  const colon = image.lastIndexOf(':');
  return known.tags[image.slice(0, colon)]?.includes(image.slice(colon + 1)) ?? false;
}

t.test('every catalog engine version maps to an official tag that exists', async (t) => {
  t.ok(known.source.length > 0, 'the list of known tags names its source');
  for (const info of ENGINE_VERSIONS) {
    const image = defaultImage(info.engine, info.version);
    t.ok(published(image), `${info.engine} ${info.version} → ${image}`);
    t.equal(defaultImage(info.engine, info.fullVersion), image, `${info.fullVersion} runs on the same image`);
  }
});

t.test('Redis 7.1, which Redis OSS never released, runs on the 7.2 line', async (t) => {
  t.equal(defaultImage('redis', '7.1'), 'redis:7.2');
  t.equal(defaultImage('redis', '7.1.0'), 'redis:7.2');
  t.equal(defaultImage('valkey', '8.1.1'), 'valkey/valkey:8.1');
  t.equal(defaultImage('memcached', '1.6.22'), 'memcached:1.6');
});

t.test('the map holds no image the catalog does not use', async (t) => {
  const used = new Set(ENGINE_VERSIONS.map((info) => defaultImage(info.engine, info.version)));
  t.same(new Set(defaultImages()), used);
});

t.test('the offline image builder builds exactly the default images', async (t) => {
  const script = fileURLToPath(new URL('../../scripts/node-image-tags.mjs', import.meta.url));
  const tags = (...engines: string[]) =>
    execFileSync(process.execPath, [script, ...engines], { encoding: 'utf8' })
      .trim()
      .split('\n');
  t.same(new Set(tags()), new Set(defaultImages()), 'every tag');
  t.same(tags('memcached'), ['memcached:1.4', 'memcached:1.5', 'memcached:1.6'], 'memcached only');
  t.ok(
    tags('redis', 'valkey/valkey').every((tag) => /^(redis|valkey\/valkey):/.test(tag)),
    'the redis-server image serves the redis and valkey tags',
  );
  const builder = readFileSync(new URL('../../docker/build-node-images.sh', import.meta.url), 'utf8');
  t.match(builder, /node-image-tags\.mjs/, 'the builder reads its tags from the map');
});

t.test('overrides apply by version line, by default image, then by engine', async (t) => {
  t.equal(imageFor('redis', '7.1.0', { 'redis:7.1': 'mine/redis:7.1' }), 'mine/redis:7.1');
  t.equal(imageFor('redis', '7.1.0', { 'redis:7.2': 'mine/redis:7.2' }), 'mine/redis:7.2');
  t.equal(imageFor('redis', '7.1.0', { redis: 'mine/redis' }), 'mine/redis');
  t.equal(imageFor('redis', '6.2.6', { 'redis:7.1': 'mine/redis:7.1' }), 'redis:6.2');
});
