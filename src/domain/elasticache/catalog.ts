/**
 * What ElastiCache offers: engines, the versions AWS lets you create today, their parameter group families,
 * default ports, and node types with their memory. Sources: DescribeCacheEngineVersions and the node-type-specific
 * parameter tables (maxmemory) of the AWS documentation.
 */

import type { Engine } from '../../common/engines.js';

export interface EngineVersionInfo {
  engine: Engine;
  /** As DescribeCacheEngineVersions lists it and as users request it (`7.1`, `1.6.22`). */
  version: string;
  /** As a cluster reports it in EngineVersion (`7.1.0`, `1.6.22`). */
  fullVersion: string;
  family: string;
}

const v = (engine: Engine, version: string, fullVersion: string, family: string): EngineVersionInfo => ({
  engine,
  version,
  fullVersion,
  family,
});

/** Oldest first within each engine; the last of an engine is its default. */
export const ENGINE_VERSIONS: readonly EngineVersionInfo[] = [
  v('memcached', '1.4.5', '1.4.5', 'memcached1.4'),
  v('memcached', '1.4.14', '1.4.14', 'memcached1.4'),
  v('memcached', '1.4.24', '1.4.24', 'memcached1.4'),
  v('memcached', '1.4.33', '1.4.33', 'memcached1.4'),
  v('memcached', '1.4.34', '1.4.34', 'memcached1.4'),
  v('memcached', '1.5.10', '1.5.10', 'memcached1.5'),
  v('memcached', '1.5.16', '1.5.16', 'memcached1.5'),
  v('memcached', '1.6.6', '1.6.6', 'memcached1.6'),
  v('memcached', '1.6.12', '1.6.12', 'memcached1.6'),
  v('memcached', '1.6.17', '1.6.17', 'memcached1.6'),
  v('memcached', '1.6.22', '1.6.22', 'memcached1.6'),
  v('redis', '4.0.10', '4.0.10', 'redis4.0'),
  v('redis', '5.0.6', '5.0.6', 'redis5.0'),
  v('redis', '6.0', '6.0.5', 'redis6.x'),
  v('redis', '6.2', '6.2.6', 'redis6.x'),
  v('redis', '7.0', '7.0.7', 'redis7'),
  v('redis', '7.1', '7.1.0', 'redis7'),
  v('valkey', '7.2', '7.2.6', 'valkey7'),
  v('valkey', '8.0', '8.0.1', 'valkey8'),
  v('valkey', '8.1', '8.1.1', 'valkey8'),
];

export const DEFAULT_PORTS: Record<Engine, number> = { redis: 6379, valkey: 6379, memcached: 11211 };

export function defaultVersion(engine: Engine): EngineVersionInfo {
  return ENGINE_VERSIONS.filter((info) => info.engine === engine).at(-1)!;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export type VersionLookup =
  { ok: true; info: EngineVersionInfo } | { ok: false; reason: 'patch-not-allowed' | 'unknown'; message: string };

/**
 * Resolves a requested EngineVersion the way ElastiCache does: redis 6+ and valkey take major.minor only
 * (`6.x` too), older redis and memcached the full version.
 */
export function findEngineVersion(engine: Engine, requested: string): VersionLookup {
  const versions = ENGINE_VERSIONS.filter((info) => info.engine === engine);
  const exact = versions.find((info) => info.version === requested);
  if (exact) return { ok: true, info: exact };
  if (engine === 'redis' && requested === '6.x') return { ok: true, info: versions.find((i) => i.version === '6.2')! };
  const byFull = versions.find((info) => info.fullVersion === requested && info.version !== info.fullVersion);
  if (byFull) {
    return {
      ok: false,
      reason: 'patch-not-allowed',
      message: `Specific version selection is not allowed for '${requested}', please use '${byFull.version}'`,
    };
  }
  return { ok: false, reason: 'unknown', message: `Cannot find version ${requested} for ${engine}` };
}

/** A stored EngineVersion (full form) back to its catalog entry. */
export function versionInfoOf(engine: Engine, fullVersion: string): EngineVersionInfo | undefined {
  return ENGINE_VERSIONS.find((info) => info.engine === engine && info.fullVersion === fullVersion);
}

export const FAMILIES: readonly string[] = [
  'memcached1.4',
  'memcached1.5',
  'memcached1.6',
  'redis2.6',
  'redis2.8',
  'redis3.2',
  'redis4.0',
  'redis5.0',
  'redis6.x',
  'redis7',
  'valkey7',
  'valkey8',
];

export function engineOfFamily(family: string): Engine {
  if (family.startsWith('memcached')) return 'memcached';
  if (family.startsWith('valkey')) return 'valkey';
  return 'redis';
}

/** Families whose default groups come in a `.cluster.on` variant (cluster mode arrived with redis 3.2). */
export function familySupportsClusterMode(family: string): boolean {
  return engineOfFamily(family) !== 'memcached' && !['redis2.6', 'redis2.8'].includes(family);
}

export interface NodeTypeInfo {
  name: string;
  /** maxmemory, bytes (the Redis node-type-specific parameter table). */
  memoryBytes: number;
  /** Previous generation: AWS no longer creates new nodes of it. */
  previousGeneration: boolean;
  /** Graviton types need redis >= 5.0.6 / memcached >= 1.5.16. */
  graviton: boolean;
}

const GiB = 1024 ** 3;
const t = (name: string, memoryBytes: number, previousGeneration = false): NodeTypeInfo => ({
  name,
  memoryBytes: Math.round(memoryBytes),
  previousGeneration,
  graviton: /^cache\.[a-z]\d+g/.test(name),
});

export const NODE_TYPES: readonly NodeTypeInfo[] = [
  t('cache.t1.micro', 142606336, true),
  t('cache.t2.micro', 581959680),
  t('cache.t2.small', 1665138688),
  t('cache.t2.medium', 3461349376),
  t('cache.t3.micro', 536870912),
  t('cache.t3.small', 1471026299),
  t('cache.t3.medium', 3317862236),
  t('cache.t4g.micro', 536870912),
  t('cache.t4g.small', 1471026299),
  t('cache.t4g.medium', 3317862236),
  t('cache.m1.small', 0.88 * GiB, true),
  t('cache.m1.medium', 2.88 * GiB, true),
  t('cache.m1.large', 6.54 * GiB, true),
  t('cache.m1.xlarge', 13.87 * GiB, true),
  t('cache.m2.xlarge', 15.92 * GiB, true),
  t('cache.m2.2xlarge', 32.62 * GiB, true),
  t('cache.m2.4xlarge', 66.02 * GiB, true),
  t('cache.m3.medium', 2.78 * GiB, true),
  t('cache.m3.large', 6.05 * GiB, true),
  t('cache.m3.xlarge', 13.28 * GiB, true),
  t('cache.m3.2xlarge', 27.93 * GiB, true),
  t('cache.m4.large', 6.42 * GiB),
  t('cache.m4.xlarge', 10.71 * GiB),
  t('cache.m4.2xlarge', 29.7 * GiB),
  t('cache.m4.4xlarge', 60.78 * GiB),
  t('cache.m4.10xlarge', 154.64 * GiB),
  t('cache.m5.large', 6854542746),
  t('cache.m5.xlarge', 13891921715),
  t('cache.m5.2xlarge', 27966669210),
  t('cache.m5.4xlarge', 56116178125),
  t('cache.m5.12xlarge', 168715971994),
  t('cache.m5.24xlarge', 337500562842),
  t('cache.m6g.large', 6854542746),
  t('cache.m6g.xlarge', 13891921715),
  t('cache.m6g.2xlarge', 27966669210),
  t('cache.m6g.4xlarge', 56116178125),
  t('cache.m6g.8xlarge', 111325552312),
  t('cache.m6g.12xlarge', 168715971994),
  t('cache.m6g.16xlarge', 225000375228),
  // m7g / r7g: AWS's table has no figures yet; the same sizes of m6g / r6g are the closest published values.
  t('cache.m7g.large', 6854542746),
  t('cache.m7g.xlarge', 13891921715),
  t('cache.m7g.2xlarge', 27966669210),
  t('cache.m7g.4xlarge', 56116178125),
  t('cache.m7g.8xlarge', 111325552312),
  t('cache.m7g.12xlarge', 168715971994),
  t('cache.m7g.16xlarge', 225000375228),
  t('cache.c1.xlarge', 6.05 * GiB, true),
  // c7gn: 2 GiB per vCPU less the service's reserve, as for the other Graviton families.
  t('cache.c7gn.large', 3.09 * GiB),
  t('cache.c7gn.xlarge', 6.38 * GiB),
  t('cache.c7gn.2xlarge', 12.94 * GiB),
  t('cache.c7gn.4xlarge', 26.05 * GiB),
  t('cache.c7gn.8xlarge', 52.26 * GiB),
  t('cache.c7gn.12xlarge', 78.4 * GiB),
  t('cache.c7gn.16xlarge', 103.68 * GiB),
  t('cache.r3.large', 13.48 * GiB, true),
  t('cache.r3.xlarge', 28.42 * GiB, true),
  t('cache.r3.2xlarge', 58.2 * GiB, true),
  t('cache.r3.4xlarge', 117.77 * GiB, true),
  t('cache.r3.8xlarge', 236.91 * GiB, true),
  t('cache.r4.large', 12.3 * GiB),
  t('cache.r4.xlarge', 25.05 * GiB),
  t('cache.r4.2xlarge', 50.48 * GiB),
  t('cache.r4.4xlarge', 101.38 * GiB),
  t('cache.r4.8xlarge', 203.27 * GiB),
  t('cache.r4.16xlarge', 407.01 * GiB),
  t('cache.r5.large', 14037181030),
  t('cache.r5.xlarge', 28261849702),
  t('cache.r5.2xlarge', 56711183565),
  t('cache.r5.4xlarge', 113609865216),
  t('cache.r5.12xlarge', 341206346547),
  t('cache.r5.24xlarge', 682485973811),
  t('cache.r6g.large', 14037181030),
  t('cache.r6g.xlarge', 28261849702),
  t('cache.r6g.2xlarge', 56711183565),
  t('cache.r6g.4xlarge', 113609865216),
  t('cache.r6g.8xlarge', 225000375228),
  t('cache.r6g.12xlarge', 341206346547),
  t('cache.r6g.16xlarge', 450000750456),
  t('cache.r6gd.xlarge', 28261849702),
  t('cache.r6gd.2xlarge', 56711183565),
  t('cache.r6gd.4xlarge', 113609865216),
  t('cache.r6gd.8xlarge', 225000375228),
  t('cache.r6gd.12xlarge', 341206346547),
  t('cache.r6gd.16xlarge', 450000750456),
  t('cache.r7g.large', 14037181030),
  t('cache.r7g.xlarge', 28261849702),
  t('cache.r7g.2xlarge', 56711183565),
  t('cache.r7g.4xlarge', 113609865216),
  t('cache.r7g.8xlarge', 225000375228),
  t('cache.r7g.12xlarge', 341206346547),
  t('cache.r7g.16xlarge', 450000750456),
];

const nodeTypesByName = new Map(NODE_TYPES.map((info) => [info.name, info]));

export function nodeType(name: string): NodeTypeInfo | undefined {
  return nodeTypesByName.get(name);
}

/** Whether a node type can run an engine version (Graviton needs redis >= 5.0.6, memcached >= 1.5.16). */
export function nodeTypeSupports(info: NodeTypeInfo, engine: Engine, fullVersion: string): boolean {
  if (!info.graviton) return true;
  const minimum = engine === 'memcached' ? '1.5.16' : engine === 'redis' ? '5.0.6' : '0';
  return compareVersions(fullVersion, minimum) >= 0;
}
