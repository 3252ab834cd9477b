/**
 * Valkey parameter-group families.
 *
 * valkey7 (Valkey 7.2) has the same parameters as Redis OSS 7.
 * valkey8 covers Valkey 8.0, 8.1 and 8.2: 8.0 changed repl-backlog-size and
 * maxmemory-samples, added extended-redis-compatibility and dropped the
 * lazyfree/replica-lazy-flush parameters; 8.1 added the command-log
 * parameters; 8.2 added the search parameters. Parameters added by a minor
 * version carry that version as MinimumEngineVersion (as AWS does for
 * rename-commands / 5.0.3 in redis5.0).
 *
 * Source: ElastiCache user guide, "Valkey 8.x / 7.2 parameter changes" and the
 * Valkey node-type table.
 */
import { deriveFamily, materializeNodeTypeParameters, materializeParameters, p, type ParamSpec } from './common.js';
import { VALKEY_MAXMEMORY_VALUES, VALKEY_REPLICA_BUFFER_LIMIT_VALUES } from './node-type-values.js';
import { REDIS7_PARAMETER_SPECS, redisNodeTypeSpecs } from './redis.js';
import type { ParameterTable } from './types.js';

const VALKEY7: readonly ParamSpec[] = deriveFamily(REDIS7_PARAMETER_SPECS, {});

const VALKEY8: readonly ParamSpec[] = deriveFamily(VALKEY7, {
  remove: [
    'lazyfree-lazy-eviction',
    'lazyfree-lazy-expire',
    'lazyfree-lazy-server-del',
    'lazyfree-lazy-user-del',
    'replica-lazy-flush',
  ],
  change: {
    'repl-backlog-size': { value: '10485760' },
    'maxmemory-samples': { allowed: '1-64' },
  },
  add: [
    // 8.0
    p('extended-redis-compatibility', 'yes', 'string', 'yes,no', true, 'immediate', 'Makes Valkey report itself as Redis OSS 7.2 to clients and tools that require it.'),
    // 8.1
    p('commandlog-request-larger-than', '1048576', 'integer', '0-', true, 'immediate', 'Requests larger than this size, in bytes, are recorded in the command log.', '8.1.0'),
    p('commandlog-large-request-max-len', '128', 'integer', '0-1024', true, 'immediate', 'The maximum length of the command log for large requests.', '8.1.0'),
    p('commandlog-reply-larger-than', '1048576', 'integer', '0-', true, 'immediate', 'Replies larger than this size, in bytes, are recorded in the command log.', '8.1.0'),
    p('commandlog-large-reply-max-len', '128', 'integer', '0-1024', true, 'immediate', 'The maximum length of the command log for large replies.', '8.1.0'),
    // 8.2
    p('search-fanout-target-mode', 'client', 'string', 'client,throughput', true, 'immediate', 'Controls how search queries are distributed across the nodes of a cluster.', '8.2.0'),
    p('search-default-timeout-ms', '50000', 'integer', '1-60000', true, 'immediate', 'The default search query timeout, in milliseconds.', '8.2.0'),
    p('search-enable-partial-results', 'yes', 'string', 'yes,no', true, 'immediate', 'Whether search queries return partial results when one or more shards time out.', '8.2.0'),
  ],
});

export const VALKEY_FAMILIES: Readonly<Record<string, { specs: readonly ParamSpec[]; minimumEngineVersion: string }>> = {
  valkey7: { specs: VALKEY7, minimumEngineVersion: '7.2.0' },
  valkey8: { specs: VALKEY8, minimumEngineVersion: '8.0.0' },
};

export const VALKEY_CONDITIONALLY_MODIFIABLE: Readonly<Record<string, readonly string[]>> = {
  valkey7: ['cluster-enabled', 'databases'],
  valkey8: ['cluster-enabled', 'databases'],
};

export function buildValkeyTable(family: string): ParameterTable | undefined {
  const def = VALKEY_FAMILIES[family];
  if (def === undefined) return undefined;
  return {
    parameters: materializeParameters(def.specs, def.minimumEngineVersion),
    nodeTypeSpecificParameters: materializeNodeTypeParameters(
      redisNodeTypeSpecs('replica', VALKEY_MAXMEMORY_VALUES, VALKEY_REPLICA_BUFFER_LIMIT_VALUES),
      def.minimumEngineVersion,
    ),
  };
}
