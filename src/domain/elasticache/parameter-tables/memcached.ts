/**
 * Memcached parameter-group families:
 * memcached1.4 (1.4.5 base, additions in 1.4.14, 1.4.24, 1.4.33)
 *   -> memcached1.5 (1.5.10: no_modern / inline_ascii_resp added,
 *      modern / expirezero_does_not_evict removed)
 *   -> memcached1.6 (1.6.6: no parameter changes).
 *
 * Source: ElastiCache user guide "Memcached specific parameters" (current and
 * earlier revisions). Defaults, types and modifiability are the documented
 * ones; "Changes take effect: at launch / after restart" maps to ChangeType
 * requires-reboot.
 */
import {
  deriveFamily,
  materializeNodeTypeParameters,
  materializeParameters,
  p,
  type NodeTypeParamSpec,
  type ParamSpec,
} from './common.js';
import { MEMCACHED_MAX_CACHE_MEMORY_VALUES, MEMCACHED_NUM_THREADS_VALUES } from './node-type-values.js';
import type { ParameterTable } from './types.js';

const BOOL = '0,1';
const RR = 'requires-reboot' as const;

// memcached 1.4.5
const MEMCACHED_145: readonly ParamSpec[] = [
  p('backlog_queue_limit', '1024', 'integer', '1-10000', false, RR, 'The backlog queue limit.'),
  p('binding_protocol', 'auto', 'string', 'ascii,auto', true, RR, 'Binding protocol.'),
  p('cas_disabled', '0', 'boolean', BOOL, true, RR, 'If true, disable the check and set (CAS) operations.'),
  p('chunk_size', '48', 'integer', '1-', true, RR, "The minimum amount of space, in bytes, to allocate for the smallest item's key, value and flags."),
  p('chunk_size_growth_factor', '1.25', 'float', '1-2', true, RR, 'The growth factor that controls the size of each successive memcached chunk.'),
  p('error_on_memory_exhausted', '0', 'boolean', BOOL, true, RR, 'If true, return an error when memory is exhausted instead of evicting items.'),
  p('large_memory_pages', '0', 'boolean', BOOL, false, RR, 'If true, try to use large memory pages.'),
  p('lock_down_paged_memory', '0', 'boolean', BOOL, false, RR, 'If true, lock down all paged memory.'),
  p('max_item_size', '1048576', 'integer', '1048576-134217728', true, RR, 'The size, in bytes, of the largest item that can be stored in the cache.'),
  p('max_simultaneous_connections', '65000', 'integer', '3-65000', false, RR, 'The maximum number of simultaneous connections.'),
  p('maximize_core_file_limit', '0', 'boolean', BOOL, false, RR, 'If true, maximize the core file limit.'),
  p('memcached_connections_overhead', '100', 'integer', '0-', true, RR, 'The amount of memory, in megabytes, reserved for memcached connections and other miscellaneous overhead.'),
  p('requests_per_event', '20', 'integer', '20', false, RR, 'The maximum number of requests per event for a given connection.'),
];

// memcached1.4 family: 1.4.5 + 1.4.14 + 1.4.24 + 1.4.33 additions.
const MEMCACHED14 = deriveFamily(MEMCACHED_145, {
  add: [
    // 1.4.14
    p('config_max', '16', 'integer', '16', false, RR, 'The maximum number of ElastiCache configuration entries.', '1.4.14'),
    p('config_size_max', '65536', 'integer', '65536', false, RR, 'The maximum size of the configuration entries, in bytes.', '1.4.14'),
    p('hashpower_init', '16', 'integer', '16', false, RR, 'The initial size of the hash table, expressed as a power of two.', '1.4.14'),
    p('maxconns_fast', '0', 'boolean', BOOL, true, RR, 'If true, refuse new connections immediately with an error when the maximum connection limit is reached.', '1.4.14'),
    p('slab_automove', '0', 'integer', '0-2', true, RR, 'The slab automove algorithm: 0 disabled, 1 conservative, 2 aggressive.', '1.4.14'),
    p('slab_reassign', '0', 'boolean', BOOL, true, RR, 'Enable or disable slab reassignment.', '1.4.14'),
    // 1.4.24
    p('disable_flush_all', '0', 'boolean', BOOL, true, RR, 'If true, disable the flush_all command.', '1.4.24'),
    p('expirezero_does_not_evict', '0', 'boolean', BOOL, true, RR, 'If true, items with an expiration time of 0 are not evictable (used with lru_maintainer).', '1.4.24'),
    p('hash_algorithm', 'jenkins', 'string', 'jenkins,murmur3', true, RR, 'The hash algorithm.', '1.4.24'),
    p('lru_crawler', '0', 'boolean', BOOL, true, RR, 'Enable the background LRU crawler, which cleans slab classes of expired items.', '1.4.24'),
    p('lru_maintainer', '0', 'boolean', BOOL, true, RR, 'Enable the background thread that shuffles items between the LRUs as capacities are reached.', '1.4.24'),
    // 1.4.33
    p('idle_timeout', '0', 'integer', '0-86400', true, RR, 'The minimum number of seconds a client may stay idle before being asked to close; 0 disables.', '1.4.33'),
    p('modern', '1', 'boolean', BOOL, true, RR, 'Alias enabling slab_reassign, slab_automove, lru_crawler, lru_maintainer, maxconns_fast and hash_algorithm=murmur3.', '1.4.33'),
    p('slab_chunk_max', '524288', 'integer', '0-', true, RR, 'The maximum size of a slab chunk, in bytes; larger items are split over multiple chunks.', '1.4.33'),
    p('track_sizes', '0', 'boolean', BOOL, true, RR, 'If true, track the sizes each slab group has consumed (stats sizes).', '1.4.33'),
    p('watcher_logbuf_size', '256', 'integer', '0-', true, RR, 'The watcher log buffer size, in kilobytes.', '1.4.33'),
    p('worker_logbuf_size', '64', 'integer', '0-', true, RR, 'The per-worker log buffer size, in kilobytes.', '1.4.33'),
  ],
});

const MEMCACHED15 = deriveFamily(MEMCACHED14, {
  remove: ['expirezero_does_not_evict', 'modern'],
  add: [
    p('inline_ascii_resp', '0', 'boolean', BOOL, true, RR, 'Store numbers from the VALUE response inside an item, using up to 24 bytes.'),
    p('no_modern', '1', 'boolean', BOOL, true, RR, 'Alias disabling slab_reassign, lru_maintainer_thread, lru_segmented and maxconns_fast; also sets hash_algorithm to jenkins.'),
  ],
});

const MEMCACHED16 = deriveFamily(MEMCACHED15, {});

const MEMCACHED_FAMILIES: Readonly<Record<string, { specs: readonly ParamSpec[]; minimumEngineVersion: string }>> = {
  'memcached1.4': { specs: MEMCACHED14, minimumEngineVersion: '1.4.5' },
  'memcached1.5': { specs: MEMCACHED15, minimumEngineVersion: '1.5.10' },
  'memcached1.6': { specs: MEMCACHED16, minimumEngineVersion: '1.6.6' },
};

export const MEMCACHED_FAMILY_NAMES: readonly string[] = Object.keys(MEMCACHED_FAMILIES);

const MEMCACHED_NODE_TYPE_SPECS: readonly NodeTypeParamSpec[] = [
  {
    name: 'max_cache_memory',
    type: 'integer',
    allowed: '0-',
    modifiable: false,
    change: RR,
    description: 'The maximum configurable amount of memory to use to store items, in megabytes.',
    values: MEMCACHED_MAX_CACHE_MEMORY_VALUES,
  },
  {
    name: 'num_threads',
    type: 'integer',
    allowed: '1-',
    modifiable: false,
    change: RR,
    description: 'The number of memcached threads to use.',
    values: MEMCACHED_NUM_THREADS_VALUES,
  },
];

export function buildMemcachedTable(family: string): ParameterTable | undefined {
  const def = MEMCACHED_FAMILIES[family];
  if (def === undefined) return undefined;
  return {
    parameters: materializeParameters(def.specs, def.minimumEngineVersion),
    nodeTypeSpecificParameters: materializeNodeTypeParameters(MEMCACHED_NODE_TYPE_SPECS, def.minimumEngineVersion),
  };
}
