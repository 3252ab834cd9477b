/**
 * Engine-default parameter tables for every ElastiCache parameter-group family,
 * as DescribeEngineDefaultParameters reports them (and as a default group's
 * DescribeCacheParameters lists them).
 *
 *   parameterTable('redis7')                          -> default.redis7
 *   parameterTable('redis7', { clusterModeOn: true }) -> default.redis7.cluster.on
 */
import { buildMemcachedTable, MEMCACHED_FAMILY_NAMES } from './memcached.js';
import { buildRedisTable, REDIS_CONDITIONALLY_MODIFIABLE, REDIS_FAMILIES } from './redis.js';
import type { CacheEngine, ParameterTable } from './types.js';
import { buildValkeyTable, VALKEY_CONDITIONALLY_MODIFIABLE, VALKEY_FAMILIES } from './valkey.js';

export type {
  CacheEngine,
  CacheNodeTypeSpecificValue,
  NodeTypeSpecificParameterDefinition,
  ParameterChangeType,
  ParameterDataType,
  ParameterDefinition,
  ParameterSource,
  ParameterTable,
} from './types.js';

export const PARAMETER_GROUP_FAMILIES: readonly string[] = Object.freeze([
  ...MEMCACHED_FAMILY_NAMES,
  ...Object.keys(REDIS_FAMILIES),
  ...Object.keys(VALKEY_FAMILIES),
]);

export interface ParameterTableOptions {
  /**
   * The `default.<family>.cluster.on` variant: same table with
   * `cluster-enabled` = `yes`. Only families that have `cluster-enabled`
   * (redis3.2 and later, valkey7/8) have such a group; for the others the
   * result is `undefined`.
   */
  clusterModeOn?: boolean;
  /**
   * Report the table as a customer-owned group that is not attached to any
   * cluster sees it: the "conditionally modifiable" parameters
   * (see {@link conditionallyModifiableParameters}) become IsModifiable=true.
   * Default false (engine-default view).
   */
  unattachedCustomGroup?: boolean;
}

export function engineOfFamily(family: string): CacheEngine {
  if (family.startsWith('memcached')) return 'memcached';
  if (family.startsWith('valkey')) return 'valkey';
  if (family.startsWith('redis')) return 'redis';
  throw new Error(`Unknown cache parameter group family: ${family}`);
}

/** Whether the family has a `default.<family>.cluster.on` group. */
export function familySupportsClusterMode(family: string): boolean {
  return family in VALKEY_FAMILIES || REDIS_FAMILIES[family]?.hasClusterMode === true;
}

/**
 * Parameters AWS reports as IsModifiable=false in engine defaults but lets a
 * customer modify in a custom group while no cluster uses it
 * (activerehashing, databases, cluster-enabled from redis3.2 on; Redis OSS 7
 * and Valkey lock activerehashing).
 */
export function conditionallyModifiableParameters(family: string): readonly string[] {
  return REDIS_CONDITIONALLY_MODIFIABLE[family] ?? VALKEY_CONDITIONALLY_MODIFIABLE[family] ?? [];
}

const cache = new Map<string, ParameterTable>();

function baseTable(family: string): ParameterTable | undefined {
  let table = cache.get(family);
  if (table === undefined) {
    table = buildRedisTable(family) ?? buildValkeyTable(family) ?? buildMemcachedTable(family);
    if (table === undefined) return undefined;
    cache.set(family, deepFreeze(table));
  }
  return table;
}

/**
 * The engine-default table of `family`, or undefined for an unknown family
 * (or `clusterModeOn` for a family without cluster mode). Every call returns a
 * fresh, deeply frozen copy; callers that need to edit values must copy.
 */
export function parameterTable(family: string, options: ParameterTableOptions = {}): ParameterTable | undefined {
  const base = baseTable(family);
  if (base === undefined) return undefined;
  if (options.clusterModeOn === true && !familySupportsClusterMode(family)) return undefined;
  const flip = new Set(options.unattachedCustomGroup === true ? conditionallyModifiableParameters(family) : []);
  const table: ParameterTable = {
    parameters: base.parameters.map((param) => {
      const copy = { ...param };
      if (options.clusterModeOn === true && copy.ParameterName === 'cluster-enabled') copy.ParameterValue = 'yes';
      if (flip.has(copy.ParameterName)) copy.IsModifiable = true;
      return copy;
    }),
    nodeTypeSpecificParameters: base.nodeTypeSpecificParameters.map((param) => ({
      ...param,
      CacheNodeTypeSpecificValues: param.CacheNodeTypeSpecificValues.map((v) => ({ ...v })),
    })),
  };
  return deepFreeze(table);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
