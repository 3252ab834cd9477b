/**
 * Per-node-type default values.
 *
 * Sources: the ElastiCache user guide tables "Redis OSS node-type specific
 * parameters", "Valkey node-type specific parameters" and "Memcached
 * node-type specific parameters" (current and earlier revisions, which also
 * listed the replica output-buffer limits and the previous-generation node
 * types), cross-checked against botocore's DescribeEngineDefaultParameters
 * example for redis2.8.
 */

/** Redis OSS `maxmemory` in bytes, per node type (Redis OSS table). */
export const REDIS_MAXMEMORY: ReadonlyArray<readonly [string, number]> = [
  ['cache.t1.micro', 142606336],
  ['cache.t2.micro', 581959680],
  ['cache.t2.small', 1665138688],
  ['cache.t2.medium', 3461349376],
  ['cache.t3.micro', 536870912],
  ['cache.t3.small', 1471026299],
  ['cache.t3.medium', 3317862236],
  ['cache.t4g.micro', 536870912],
  ['cache.t4g.small', 1471026299],
  ['cache.t4g.medium', 3317862236],
  ['cache.m1.small', 943718400],
  ['cache.m1.medium', 3093299200],
  ['cache.m1.large', 7025459200],
  ['cache.m1.xlarge', 14889779200],
  ['cache.m2.xlarge', 17091788800],
  ['cache.m2.2xlarge', 35022438400],
  ['cache.m2.4xlarge', 70883737600],
  ['cache.m3.medium', 2988441600],
  ['cache.m3.large', 6501171200],
  ['cache.m3.xlarge', 14260633600],
  ['cache.m3.2xlarge', 29989273600],
  ['cache.m4.large', 6892593152],
  ['cache.m4.xlarge', 15328501760],
  ['cache.m4.2xlarge', 31889126359],
  ['cache.m4.4xlarge', 65257290629],
  ['cache.m4.10xlarge', 166047614239],
  ['cache.m5.large', 6854542746],
  ['cache.m5.xlarge', 13891921715],
  ['cache.m5.2xlarge', 27966669210],
  ['cache.m5.4xlarge', 56116178125],
  ['cache.m5.12xlarge', 168715971994],
  ['cache.m5.24xlarge', 337500562842],
  ['cache.m6g.large', 6854542746],
  ['cache.m6g.xlarge', 13891921715],
  ['cache.m6g.2xlarge', 27966669210],
  ['cache.m6g.4xlarge', 56116178125],
  ['cache.m6g.8xlarge', 111325552312],
  ['cache.m6g.12xlarge', 168715971994],
  ['cache.m6g.16xlarge', 225000375228],
  ['cache.m7g.large', 6854542746],
  ['cache.m7g.xlarge', 13891921715],
  ['cache.m7g.2xlarge', 27966669210],
  ['cache.m7g.4xlarge', 56116178125],
  ['cache.m7g.8xlarge', 111325552312],
  ['cache.m7g.12xlarge', 168715971994],
  ['cache.m7g.16xlarge', 225000375228],
  ['cache.c1.xlarge', 6501171200],
  ['cache.r3.large', 14470348800],
  ['cache.r3.xlarge', 30513561600],
  ['cache.r3.2xlarge', 62495129600],
  ['cache.r3.4xlarge', 126458265600],
  ['cache.r3.8xlarge', 254384537600],
  ['cache.r4.large', 13201781556],
  ['cache.r4.xlarge', 26898228839],
  ['cache.r4.2xlarge', 54197537997],
  ['cache.r4.4xlarge', 108858546586],
  ['cache.r4.8xlarge', 218255432090],
  ['cache.r4.16xlarge', 437021573120],
  ['cache.r5.large', 14037181030],
  ['cache.r5.xlarge', 28261849702],
  ['cache.r5.2xlarge', 56711183565],
  ['cache.r5.4xlarge', 113609865216],
  ['cache.r5.12xlarge', 341206346547],
  ['cache.r5.24xlarge', 682485973811],
  ['cache.r6g.large', 14037181030],
  ['cache.r6g.xlarge', 28261849702],
  ['cache.r6g.2xlarge', 56711183565],
  ['cache.r6g.4xlarge', 113609865216],
  ['cache.r6g.8xlarge', 225000375228],
  ['cache.r6g.12xlarge', 341206346547],
  ['cache.r6g.16xlarge', 450000750456],
  ['cache.r6gd.xlarge', 28261849702],
  ['cache.r6gd.2xlarge', 56711183565],
  ['cache.r6gd.4xlarge', 113609865216],
  ['cache.r6gd.8xlarge', 225000375228],
  ['cache.r6gd.12xlarge', 341206346547],
  ['cache.r6gd.16xlarge', 450000750456],
  ['cache.r7g.large', 14037181030],
  ['cache.r7g.xlarge', 28261849702],
  ['cache.r7g.2xlarge', 56711183565],
  ['cache.r7g.4xlarge', 113609865216],
  ['cache.r7g.8xlarge', 225000375228],
  ['cache.r7g.12xlarge', 341206346547],
  ['cache.r7g.16xlarge', 450000750456],
  ['cache.c7gn.large', 3317862236],
  ['cache.c7gn.xlarge', 6854542746],
  ['cache.c7gn.2xlarge', 13891921715],
  ['cache.c7gn.4xlarge', 27966669210],
  ['cache.c7gn.8xlarge', 56116178125],
  ['cache.c7gn.12xlarge', 84357985997],
  ['cache.c7gn.16xlarge', 113609865216],
];

/** Node types only in the Valkey table (Graviton4 families). */
const VALKEY_ONLY_MAXMEMORY: ReadonlyArray<readonly [string, number]> = [
  ['cache.m8g.large', 7294178820],
  ['cache.m8g.xlarge', 15222495510],
  ['cache.m8g.2xlarge', 31866224640],
  ['cache.m8g.4xlarge', 65856864256],
  ['cache.m8g.8xlarge', 133838143488],
  ['cache.m8g.12xlarge', 201819422720],
  ['cache.m8g.16xlarge', 269800701952],
  ['cache.r8g.large', 15222495510],
  ['cache.r8g.xlarge', 31866224640],
  ['cache.r8g.2xlarge', 65856864256],
  ['cache.r8g.4xlarge', 133838143488],
  ['cache.r8g.8xlarge', 269800701952],
  ['cache.r8g.12xlarge', 405763260416],
  ['cache.r8g.16xlarge', 541725818880],
  ['cache.c8gn.large', 3330020474],
  ['cache.c8gn.xlarge', 7294178820],
  ['cache.c8gn.2xlarge', 15222495510],
  ['cache.c8gn.4xlarge', 31866224640],
  ['cache.c8gn.8xlarge', 65856864256],
  ['cache.c8gn.12xlarge', 99847503872],
  ['cache.c8gn.16xlarge', 133838143488],
];

/** Previous-generation node types the Valkey table does not list. */
const NOT_IN_VALKEY = new Set([
  'cache.t1.micro',
  'cache.m1.small',
  'cache.m1.medium',
  'cache.m1.large',
  'cache.m1.xlarge',
  'cache.m2.xlarge',
  'cache.m2.2xlarge',
  'cache.m2.4xlarge',
  'cache.m3.medium',
  'cache.m3.large',
  'cache.m3.xlarge',
  'cache.m3.2xlarge',
  'cache.c1.xlarge',
  'cache.r3.large',
  'cache.r3.xlarge',
  'cache.r3.2xlarge',
  'cache.r3.4xlarge',
  'cache.r3.8xlarge',
]);

/** Valkey `maxmemory` in bytes, per node type (Valkey table). */
export const VALKEY_MAXMEMORY: ReadonlyArray<readonly [string, number]> = [
  ...REDIS_MAXMEMORY.filter(([t]) => !NOT_IN_VALKEY.has(t)),
  ...VALKEY_ONLY_MAXMEMORY,
];

/**
 * Documented client-output-buffer-limit-{slave,replica}-{hard,soft}-limit
 * values (hard == soft for every node type). They are roughly maxmemory/10
 * but not exactly (previous-generation types differ; rounding varies), so the
 * documented value wins where there is one.
 */
const DOCUMENTED_REPLICA_BUFFER_LIMIT: Readonly<Record<string, number>> = {
  'cache.t1.micro': 14260633,
  'cache.t2.micro': 58195968,
  'cache.t2.small': 166513868,
  'cache.t2.medium': 346134937,
  'cache.t3.micro': 53687091,
  'cache.t3.small': 147102629,
  'cache.t3.medium': 331786223,
  'cache.m1.small': 94371840,
  'cache.m1.medium': 309329920,
  'cache.m1.large': 702545920,
  'cache.m1.xlarge': 1488977920,
  'cache.m2.xlarge': 1709178880,
  'cache.m2.2xlarge': 3502243840,
  'cache.m2.4xlarge': 7088373760,
  'cache.m3.medium': 309329920,
  'cache.m3.large': 650117120,
  'cache.m3.xlarge': 1426063360,
  'cache.m3.2xlarge': 2998927360,
  'cache.m4.large': 689259315,
  'cache.m4.xlarge': 1532850176,
  'cache.m4.2xlarge': 3188912636,
  'cache.m4.4xlarge': 6525729063,
  'cache.m4.10xlarge': 16604761424,
  'cache.m5.large': 685454275,
  'cache.m5.xlarge': 1389192172,
  'cache.m5.2xlarge': 2796666921,
  'cache.m5.4xlarge': 5611617812,
  'cache.m5.12xlarge': 16871597199,
  'cache.m5.24xlarge': 33750056284,
  'cache.c1.xlarge': 650117120,
  'cache.r3.large': 1468006400,
  'cache.r3.xlarge': 3040870400,
  'cache.r3.2xlarge': 6081740800,
  'cache.r3.4xlarge': 12268339200,
  'cache.r3.8xlarge': 24536678400,
  'cache.r4.large': 1320178155,
  'cache.r4.xlarge': 2689822883,
  'cache.r4.2xlarge': 5419753799,
  'cache.r4.4xlarge': 10885854658,
  'cache.r4.8xlarge': 21825543209,
  'cache.r4.16xlarge': 43702157312,
  'cache.r5.xlarge': 2826184970,
  'cache.r5.2xlarge': 5671118356,
  'cache.r5.4xlarge': 11360986522,
  'cache.r5.12xlarge': 34120634655,
  'cache.r5.24xlarge': 68248597381,
};

/**
 * Replica output-buffer limit for a node type: the documented value, else the
 * documented value of a current-generation type with the same maxmemory
 * (e.g. m6g.large = m5.large), else round(maxmemory / 10).
 */
function replicaBufferLimit(nodeType: string, maxmemory: number, byMaxmemory: ReadonlyMap<number, number>): number {
  const documented = DOCUMENTED_REPLICA_BUFFER_LIMIT[nodeType];
  if (documented !== undefined) return documented;
  return byMaxmemory.get(maxmemory) ?? Math.round(maxmemory / 10);
}

function buildReplicaLimits(maxmemory: ReadonlyArray<readonly [string, number]>): Array<readonly [string, string]> {
  const byMaxmemory = new Map<number, number>();
  for (const [t, m] of REDIS_MAXMEMORY) {
    // Only current-generation documented types are used as templates.
    if (NOT_IN_VALKEY.has(t)) continue;
    const d = DOCUMENTED_REPLICA_BUFFER_LIMIT[t];
    if (d !== undefined && !byMaxmemory.has(m)) byMaxmemory.set(m, d);
  }
  return maxmemory.map(([t, m]) => [t, String(replicaBufferLimit(t, m, byMaxmemory))] as const);
}

const stringify = (rows: ReadonlyArray<readonly [string, number]>): Array<readonly [string, string]> =>
  rows.map(([t, v]) => [t, String(v)] as const);

export const REDIS_MAXMEMORY_VALUES = stringify(REDIS_MAXMEMORY);
export const REDIS_REPLICA_BUFFER_LIMIT_VALUES = buildReplicaLimits(REDIS_MAXMEMORY);
export const VALKEY_MAXMEMORY_VALUES = stringify(VALKEY_MAXMEMORY);
export const VALKEY_REPLICA_BUFFER_LIMIT_VALUES = buildReplicaLimits(VALKEY_MAXMEMORY);

/**
 * Memcached `max_cache_memory` (MiB) and `num_threads` per node type.
 * Previous-generation rows come from the earlier revision of the Memcached
 * table; they are kept as documented even where they look irregular.
 */
export const MEMCACHED_NODE_VALUES: ReadonlyArray<
  readonly [nodeType: string, maxCacheMemoryMiB: number, numThreads: number]
> = [
  ['cache.t1.micro', 213, 1],
  ['cache.t2.micro', 555, 1],
  ['cache.t2.small', 1588, 1],
  ['cache.t2.medium', 3301, 2],
  ['cache.t3.micro', 512, 2],
  ['cache.t3.small', 1402, 2],
  ['cache.t3.medium', 3364, 2],
  ['cache.t4g.micro', 512, 2],
  ['cache.t4g.small', 1402, 2],
  ['cache.t4g.medium', 3164, 2],
  ['cache.m1.small', 1301, 1],
  ['cache.m1.medium', 3350, 1],
  ['cache.m1.large', 7100, 2],
  ['cache.m1.xlarge', 14600, 4],
  ['cache.m2.xlarge', 33800, 2],
  ['cache.m2.2xlarge', 30412, 4],
  ['cache.m2.4xlarge', 68000, 16],
  ['cache.m3.medium', 2850, 1],
  ['cache.m3.large', 6200, 2],
  ['cache.m3.xlarge', 13600, 4],
  ['cache.m3.2xlarge', 28600, 8],
  ['cache.m4.large', 6573, 2],
  ['cache.m4.xlarge', 11496, 4],
  ['cache.m4.2xlarge', 30412, 8],
  ['cache.m4.4xlarge', 62234, 16],
  ['cache.m4.10xlarge', 158355, 40],
  ['cache.m5.large', 6537, 2],
  ['cache.m5.xlarge', 13248, 4],
  ['cache.m5.2xlarge', 26671, 8],
  ['cache.m5.4xlarge', 53516, 16],
  ['cache.m5.12xlarge', 160900, 48],
  ['cache.m5.24xlarge', 321865, 96],
  ['cache.m6g.large', 6537, 2],
  ['cache.m6g.xlarge', 13248, 4],
  ['cache.m6g.2xlarge', 26671, 8],
  ['cache.m6g.4xlarge', 53516, 16],
  ['cache.m6g.8xlarge', 107000, 32],
  ['cache.m6g.12xlarge', 160900, 48],
  ['cache.m6g.16xlarge', 214577, 64],
  ['cache.m7g.large', 6537, 2],
  ['cache.m7g.xlarge', 13248, 4],
  ['cache.m7g.2xlarge', 26671, 8],
  ['cache.m7g.4xlarge', 53516, 16],
  ['cache.m7g.8xlarge', 107000, 32],
  ['cache.m7g.12xlarge', 160900, 48],
  ['cache.m7g.16xlarge', 214577, 64],
  ['cache.m8g.large', 6956, 2],
  ['cache.m8g.xlarge', 14517, 4],
  ['cache.m8g.2xlarge', 30390, 8],
  ['cache.m8g.4xlarge', 62806, 16],
  ['cache.m8g.8xlarge', 127638, 32],
  ['cache.m8g.12xlarge', 192470, 48],
  ['cache.m8g.16xlarge', 257302, 64],
  ['cache.c1.xlarge', 6600, 8],
  ['cache.r3.large', 13800, 2],
  ['cache.r3.xlarge', 29100, 4],
  ['cache.r3.2xlarge', 59600, 8],
  ['cache.r3.4xlarge', 120600, 16],
  ['cache.r3.8xlarge', 120600, 32],
  ['cache.r4.large', 12590, 2],
  ['cache.r4.xlarge', 25652, 4],
  ['cache.r4.2xlarge', 51686, 8],
  ['cache.r4.4xlarge', 103815, 16],
  ['cache.r4.8xlarge', 208144, 32],
  ['cache.r4.16xlarge', 416776, 64],
  ['cache.r5.large', 13387, 2],
  ['cache.r5.xlarge', 26953, 4],
  ['cache.r5.2xlarge', 54084, 8],
  ['cache.r5.4xlarge', 108347, 16],
  ['cache.r5.12xlarge', 325400, 48],
  ['cache.r5.24xlarge', 650869, 96],
  ['cache.r6g.large', 13387, 2],
  ['cache.r6g.xlarge', 26953, 4],
  ['cache.r6g.2xlarge', 54084, 8],
  ['cache.r6g.4xlarge', 108347, 16],
  ['cache.r6g.8xlarge', 214577, 32],
  ['cache.r6g.12xlarge', 325400, 48],
  ['cache.r6g.16xlarge', 429154, 64],
  ['cache.r7g.large', 13387, 2],
  ['cache.r7g.xlarge', 26953, 4],
  ['cache.r7g.2xlarge', 54084, 8],
  ['cache.r7g.4xlarge', 108347, 16],
  ['cache.r7g.8xlarge', 214577, 32],
  ['cache.r7g.12xlarge', 325400, 48],
  ['cache.r7g.16xlarge', 429154, 64],
  ['cache.r8g.large', 14517, 2],
  ['cache.r8g.xlarge', 30390, 4],
  ['cache.r8g.2xlarge', 62806, 8],
  ['cache.r8g.4xlarge', 127638, 16],
  ['cache.r8g.8xlarge', 257302, 32],
  ['cache.r8g.12xlarge', 386966, 48],
  ['cache.r8g.16xlarge', 516630, 64],
  ['cache.c7gn.large', 3164, 2],
  ['cache.c7gn.xlarge', 6537, 4],
  ['cache.c7gn.2xlarge', 13248, 8],
  ['cache.c7gn.4xlarge', 26671, 16],
  ['cache.c7gn.8xlarge', 53516, 32],
  // The current guide prints 325400 here (a copy of r5.12xlarge); every other
  // current-generation row equals the Redis/Valkey maxmemory / 2^20, which for
  // c7gn.12xlarge (84357985997 bytes) is 80450.
  ['cache.c7gn.12xlarge', 80450, 48],
  ['cache.c7gn.16xlarge', 108347, 64],
  ['cache.c8gn.large', 3176, 2],
  ['cache.c8gn.xlarge', 6956, 4],
  ['cache.c8gn.2xlarge', 14517, 8],
  ['cache.c8gn.4xlarge', 30390, 16],
  ['cache.c8gn.8xlarge', 62806, 32],
  ['cache.c8gn.12xlarge', 95222, 48],
  ['cache.c8gn.16xlarge', 127638, 64],
];

export const MEMCACHED_MAX_CACHE_MEMORY_VALUES: Array<readonly [string, string]> = MEMCACHED_NODE_VALUES.map(
  ([t, mem]) => [t, String(mem)] as const,
);
export const MEMCACHED_NUM_THREADS_VALUES: Array<readonly [string, string]> = MEMCACHED_NODE_VALUES.map(
  ([t, , threads]) => [t, String(threads)] as const,
);
