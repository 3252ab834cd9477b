/**
 * Redis OSS parameter-group families, built the way they evolved:
 * redis2.6 (base) -> redis2.8 -> redis3.2 -> redis4.0 -> redis5.0 -> redis6.x -> redis7.
 *
 * Ground truth: botocore's DescribeEngineDefaultParameters / DescribeCacheParameters
 * examples (redis2.8, full), the AWS CLI DescribeEngineDefaultParameters example
 * (redis5.0, full), and the ElastiCache user guide's per-version "parameter
 * changes" tables for everything after 5.0.
 */
import {
  deriveFamily,
  materializeNodeTypeParameters,
  materializeParameters,
  p,
  type NodeTypeParamSpec,
  type ParamSpec,
} from './common.js';
import { REDIS_MAXMEMORY_VALUES, REDIS_REPLICA_BUFFER_LIMIT_VALUES } from './node-type-values.js';
import type { ParameterTable } from './types.js';

const YES_NO = 'yes,no';

// ---------------------------------------------------------------------------
// redis2.6 — the first Redis version ElastiCache supported (2.6.13).
// ---------------------------------------------------------------------------
const REDIS26: readonly ParamSpec[] = [
  p('activerehashing', 'yes', 'string', YES_NO, true, 'requires-reboot', 'Apply rehashing or not.'),
  p('appendfsync', 'everysec', 'string', 'always,everysec,no', true, 'immediate', 'fsync policy for AOF persistence'),
  p('appendonly', 'no', 'string', YES_NO, true, 'immediate', 'Enable Redis persistence.'),
  p('client-output-buffer-limit-normal-hard-limit', '0', 'integer', '0-', true, 'immediate', 'Normal client output buffer hard limit in bytes.'),
  p('client-output-buffer-limit-normal-soft-limit', '0', 'integer', '0-', true, 'immediate', 'Normal client output buffer soft limit in bytes.'),
  p('client-output-buffer-limit-normal-soft-seconds', '0', 'integer', '0-', true, 'immediate', 'Normal client output buffer soft limit in seconds.'),
  p('client-output-buffer-limit-pubsub-hard-limit', '33554432', 'integer', '0-', true, 'immediate', 'Pubsub client output buffer hard limit in bytes.'),
  p('client-output-buffer-limit-pubsub-soft-limit', '8388608', 'integer', '0-', true, 'immediate', 'Pubsub client output buffer soft limit in bytes.'),
  p('client-output-buffer-limit-pubsub-soft-seconds', '60', 'integer', '0-', true, 'immediate', 'Pubsub client output buffer soft limit in seconds.'),
  p('client-output-buffer-limit-slave-soft-seconds', '60', 'integer', '0-', false, 'immediate', 'Slave client output buffer soft limit in seconds.'),
  p('databases', '16', 'integer', '1-1200000', true, 'requires-reboot', 'Set the number of databases.'),
  p('hash-max-ziplist-entries', '512', 'integer', '0-', true, 'immediate', 'The maximum number of hash entries in order for the dataset to be compressed.'),
  p('hash-max-ziplist-value', '64', 'integer', '0-', true, 'immediate', 'The threshold of biggest hash entries in order for the dataset to be compressed.'),
  p('list-max-ziplist-entries', '512', 'integer', '0-', true, 'immediate', 'The maximum number of list entries in order for the dataset to be compressed.'),
  p('list-max-ziplist-value', '64', 'integer', '0-', true, 'immediate', 'The threshold of biggest list entries in order for the dataset to be compressed.'),
  p('lua-time-limit', '5000', 'integer', '5000', false, 'immediate', 'Max execution time of a Lua script in milliseconds. 0 for unlimited execution without warnings.'),
  p('maxclients', '65000', 'integer', '1-65000', false, 'requires-reboot', 'The maximum number of Redis clients.'),
  p('maxmemory-policy', 'volatile-lru', 'string', 'volatile-lru,allkeys-lru,volatile-random,allkeys-random,volatile-ttl,noeviction', true, 'immediate', 'Max memory policy.'),
  p('maxmemory-samples', '3', 'integer', '1-', true, 'immediate', 'Max memory samples.'),
  p('reserved-memory', '0', 'integer', '0-', true, 'immediate', 'The amount of memory reserved for non-cache memory usage, in bytes. You may want to increase this parameter for nodes with read replicas, AOF enabled, etc, to reduce swap usage.'),
  p('set-max-intset-entries', '512', 'integer', '0-', true, 'immediate', 'The limit in the size of the set in order for the dataset to be compressed.'),
  p('slave-allow-chaining', 'no', 'string', YES_NO, false, 'immediate', 'Configures if chaining of slaves is allowed'),
  p('slowlog-log-slower-than', '10000', 'integer', '-', true, 'immediate', 'The execution time, in microseconds, to exceed in order for the command to get logged. Note that a negative number disables the slow log, while a value of zero forces the logging of every command.'),
  p('slowlog-max-len', '128', 'integer', '0-', true, 'immediate', 'The length of the slow log. There is no limit to this length. Just be aware that it will consume memory. You can reclaim memory used by the slow log with SLOWLOG RESET.'),
  p('tcp-keepalive', '0', 'integer', '0-', true, 'immediate', 'If non-zero, send ACKs every given number of seconds.'),
  p('timeout', '0', 'integer', '0,20-', true, 'immediate', 'Close connection if client is idle for a given number of seconds, or never if 0.'),
  p('zset-max-ziplist-entries', '128', 'integer', '0-', true, 'immediate', 'The maximum number of sorted set entries in order for the dataset to be compressed.'),
  p('zset-max-ziplist-value', '64', 'integer', '0-', true, 'immediate', 'The threshold of biggest sorted set entries in order for the dataset to be compressed.'),
];

// ---------------------------------------------------------------------------
// redis2.8 — 2.8.6 added replication/keyspace parameters; 2.8.23 added
// close-on-slave-write. (Matches botocore's redis2.8 example exactly.)
// ---------------------------------------------------------------------------
const REDIS28 = deriveFamily(REDIS26, {
  add: [
    p('min-slaves-max-lag', '10', 'integer', '0-', true, 'immediate', 'Maximum number of seconds within which the master must receive a ping from a slave to take writes. Use this parameter together with min-slaves-to-write to regulate when the master stops accepting writes. Setting this value to 0 means the master always takes writes.'),
    p('min-slaves-to-write', '0', 'integer', '0-', true, 'immediate', 'Number of slaves that must be connected in order for master to take writes. Use this parameter together with min-slaves-max-lag to regulate when the master stops accepting writes. Setting this to 0 means the master always takes writes.'),
    p('notify-keyspace-events', undefined, 'string', undefined, true, 'immediate', 'The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled'),
    p('repl-backlog-size', '1048576', 'integer', '16384-', true, 'immediate', 'The replication backlog size in bytes for PSYNC. This is the size of the buffer which accumulates slave data when slave is disconnected for some time, so that when slave reconnects again, only transfer the portion of data which the slave missed. Minimum value is 16K.'),
    p('repl-backlog-ttl', '3600', 'integer', '0-', true, 'immediate', 'The amount of time in seconds after the master no longer have any slaves connected for the master to free the replication backlog. A value of 0 means to never release the backlog.'),
    p('repl-timeout', '60', 'integer', '11-', true, 'immediate', 'The timeout in seconds for bulk transfer I/O during sync and master timeout from the perspective of the slave, and slave timeout from the perspective of the master.'),
    p('close-on-slave-write', 'yes', 'string', YES_NO, true, 'immediate', 'If enabled, clients who attempt to write to a read-only slave will be disconnected. Applicable to 2.8.23 and higher.', '2.8.23'),
  ],
});

// ---------------------------------------------------------------------------
// redis3.2 (3.2.4): cluster mode, quicklist, reserved-memory-percent.
// activerehashing / databases become "modifiable only while the group is not
// attached to a cluster"; engine defaults report them IsModifiable=false.
// AOF (appendonly/appendfsync) and repl-timeout become unmodifiable.
// reserved-memory-percent replaces reserved-memory in default groups of
// accounts created after 2017-03-16 (what an emulator should model).
// ---------------------------------------------------------------------------
const REDIS32 = deriveFamily(REDIS28, {
  remove: ['list-max-ziplist-entries', 'list-max-ziplist-value', 'reserved-memory'],
  change: {
    activerehashing: { modifiable: false },
    databases: { modifiable: false },
    appendonly: { modifiable: false },
    appendfsync: { modifiable: false },
    'repl-timeout': { modifiable: false },
    'tcp-keepalive': { value: '300' },
  },
  add: [
    p('list-max-ziplist-size', '-2', 'integer', '-5,-4,-3,-2,-1,1-', false, 'immediate', 'The number of entries allowed per internal list node can be specified as a fixed maximum size or a maximum number of elements'),
    p('list-compress-depth', '0', 'integer', '0-', true, 'immediate', 'Number of quicklist ziplist nodes from each side of the list to exclude from compression. The head and tail of the list are always uncompressed for fast push/pop operations'),
    p('cluster-enabled', 'no', 'string', YES_NO, false, 'requires-reboot', 'Enable cluster mode'),
    p('cluster-require-full-coverage', 'no', 'string', YES_NO, true, 'immediate', 'Whether cluster becomes unavailable if one or more slots are not covered'),
    p('hll-sparse-max-bytes', '3000', 'integer', '1-16000', true, 'immediate', 'HyperLogLog sparse representation bytes limit'),
    p('reserved-memory-percent', '25', 'integer', '0-100', true, 'immediate', 'The percent of memory reserved for non-cache memory usage. You may want to increase this parameter for nodes with read replicas, AOF enabled, etc, to reduce swap usage.'),
  ],
});

// ---------------------------------------------------------------------------
// redis4.0 (4.0.10): LFU, lazy free, active defrag, query/bulk limits.
// ---------------------------------------------------------------------------
const REDIS40 = deriveFamily(REDIS32, {
  change: {
    'maxmemory-policy': {
      allowed: 'volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction',
    },
  },
  add: [
    p('lazyfree-lazy-eviction', 'no', 'string', YES_NO, true, 'immediate', 'Perform an asynchronous delete on evictions'),
    p('lazyfree-lazy-expire', 'no', 'string', YES_NO, true, 'immediate', 'Perform an asynchronous delete on expired keys'),
    p('lazyfree-lazy-server-del', 'no', 'string', YES_NO, true, 'immediate', 'Perform an asynchronous delete on key updates'),
    p('slave-lazy-flush', 'no', 'string', YES_NO, false, 'immediate', 'Perform an asynchronous flushDB during slave sync'),
    p('lfu-log-factor', '10', 'integer', '1-', true, 'immediate', 'The log factor for incrementing key counter for LFU eviction policy'),
    p('lfu-decay-time', '1', 'integer', '0-', true, 'immediate', 'The amount of time in minutes to decrement the key counter for LFU eviction policy'),
    p('activedefrag', 'no', 'string', YES_NO, true, 'immediate', 'Enabled active memory defragmentation'),
    p('active-defrag-ignore-bytes', '104857600', 'integer', '10485760-104857600', true, 'immediate', 'Minimum amount of fragmentation waste to start active defrag'),
    p('active-defrag-threshold-lower', '10', 'integer', '1-100', true, 'immediate', 'Minimum percentage of fragmentation to start active defrag'),
    p('active-defrag-threshold-upper', '100', 'integer', '1-100', true, 'immediate', 'Maximum percentage of fragmentation at which we use maximum effort'),
    p('active-defrag-cycle-min', '25', 'integer', '1-75', true, 'immediate', 'Minimal effort for defrag in CPU percentage'),
    p('active-defrag-cycle-max', '75', 'integer', '1-75', true, 'immediate', 'Maximal effort for defrag in CPU percentage'),
    p('client-query-buffer-limit', '1073741824', 'integer', '1048576-1073741824', true, 'immediate', 'Max size of a single client query buffer'),
    p('proto-max-bulk-len', '536870912', 'integer', '1048576-536870912', true, 'immediate', 'Max size of a single element request'),
  ],
});

// ---------------------------------------------------------------------------
// redis5.0 (5.0.0; rename-commands from 5.0.3): slave -> replica renames,
// streams, repl-timeout removed. (Matches the AWS CLI redis5.0 example.)
// ---------------------------------------------------------------------------
const RENAMABLE_COMMANDS_50 =
  'APPEND,BITCOUNT,BITFIELD,BITOP,BITPOS,BLPOP,BRPOP,BRPOPLPUSH,BZPOPMIN,BZPOPMAX,CLIENT,COMMAND,DBSIZE,DECR,DECRBY,DEL,DISCARD,DUMP,ECHO,EVAL,EVALSHA,EXEC,EXISTS,EXPIRE,EXPIREAT,FLUSHALL,FLUSHDB,GEOADD,GEOHASH,GEOPOS,GEODIST,GEORADIUS,GEORADIUSBYMEMBER,GET,GETBIT,GETRANGE,GETSET,HDEL,HEXISTS,HGET,HGETALL,HINCRBY,HINCRBYFLOAT,HKEYS,HLEN,HMGET,HMSET,HSET,HSETNX,HSTRLEN,HVALS,INCR,INCRBY,INCRBYFLOAT,INFO,KEYS,LASTSAVE,LINDEX,LINSERT,LLEN,LPOP,LPUSH,LPUSHX,LRANGE,LREM,LSET,LTRIM,MEMORY,MGET,MONITOR,MOVE,MSET,MSETNX,MULTI,OBJECT,PERSIST,PEXPIRE,PEXPIREAT,PFADD,PFCOUNT,PFMERGE,PING,PSETEX,PSUBSCRIBE,PUBSUB,PTTL,PUBLISH,PUNSUBSCRIBE,RANDOMKEY,READONLY,READWRITE,RENAME,RENAMENX,RESTORE,ROLE,RPOP,RPOPLPUSH,RPUSH,RPUSHX,SADD,SCARD,SCRIPT,SDIFF,SDIFFSTORE,SELECT,SET,SETBIT,SETEX,SETNX,SETRANGE,SINTER,SINTERSTORE,SISMEMBER,SLOWLOG,SMEMBERS,SMOVE,SORT,SPOP,SRANDMEMBER,SREM,STRLEN,SUBSCRIBE,SUNION,SUNIONSTORE,SWAPDB,TIME,TOUCH,TTL,TYPE,UNSUBSCRIBE,UNLINK,UNWATCH,WAIT,WATCH,ZADD,ZCARD,ZCOUNT,ZINCRBY,ZINTERSTORE,ZLEXCOUNT,ZPOPMAX,ZPOPMIN,ZRANGE,ZRANGEBYLEX,ZREVRANGEBYLEX,ZRANGEBYSCORE,ZRANK,ZREM,ZREMRANGEBYLEX,ZREMRANGEBYRANK,ZREMRANGEBYSCORE,ZREVRANGE,ZREVRANGEBYSCORE,ZREVRANK,ZSCORE,ZUNIONSTORE,SCAN,SSCAN,HSCAN,ZSCAN,XINFO,XADD,XTRIM,XDEL,XRANGE,XREVRANGE,XLEN,XREAD,XGROUP,XREADGROUP,XACK,XCLAIM,XPENDING,GEORADIUS_RO,GEORADIUSBYMEMBER_RO,LOLWUT,XSETID,SUBSTR';

const REDIS50 = deriveFamily(REDIS40, {
  remove: ['repl-timeout'],
  rename: {
    'client-output-buffer-limit-slave-soft-seconds': {
      to: 'client-output-buffer-limit-replica-soft-seconds',
      description: 'Replica client output buffer soft limit in seconds.',
    },
    'close-on-slave-write': {
      to: 'close-on-replica-write',
      description: 'If enabled, clients who attempt to write to a read-only replica will be disconnected. Applicable to 2.8.23 and higher.',
    },
    'min-slaves-max-lag': {
      to: 'min-replicas-max-lag',
      description: 'The maximum amount of replica lag in seconds beyond which the master would stop taking writes. A value of 0 means the master always takes writes.',
    },
    'min-slaves-to-write': {
      to: 'min-replicas-to-write',
      description: 'The minimum number of replicas that must be present with lag no greater than min-replicas-max-lag for master to take writes. Setting this to 0 means the master always takes writes.',
    },
    'slave-allow-chaining': { to: 'replica-allow-chaining', description: 'Configures if chaining of replicas is allowed' },
    'slave-lazy-flush': { to: 'replica-lazy-flush', description: 'Perform an asynchronous flushDB during replica sync' },
  },
  change: {
    'active-defrag-cycle-min': { value: '5' },
    'active-defrag-ignore-bytes': { allowed: '1048576-' },
  },
  add: [
    p('stream-node-max-bytes', '4096', 'integer', '0-', true, 'immediate', 'The maximum size of a single node in a stream in bytes'),
    p('stream-node-max-entries', '100', 'integer', '0-', true, 'immediate', 'The maximum number of items a single node in a stream can contain'),
    p('active-defrag-max-scan-fields', '1000', 'integer', '1-1000000', true, 'immediate', 'Maximum number of set/hash/zset/list fields that will be processed from the main dictionary scan'),
    p('lua-replicate-commands', 'yes', 'string', YES_NO, true, 'immediate', 'Always enable Lua effect replication or not'),
    p('replica-ignore-maxmemory', 'yes', 'string', YES_NO, false, 'immediate', 'Determines if replica ignores maxmemory setting by not evicting items independent from the master'),
    p('rename-commands', '', 'string', RENAMABLE_COMMANDS_50, true, 'immediate', 'Redis commands that can be dynamically renamed by the customer', '5.0.3'),
  ],
});

// ---------------------------------------------------------------------------
// redis6.x (6.0; acl-pubsub-default from 6.2): ACLs, client tracking.
// ---------------------------------------------------------------------------
const RENAMABLE_COMMANDS_6 = `${RENAMABLE_COMMANDS_50},BITFIELD_RO,ACL,STRALGO`;

const REDIS6X = deriveFamily(REDIS50, {
  remove: ['lua-replicate-commands'],
  change: {
    'rename-commands': { allowed: RENAMABLE_COMMANDS_6 },
  },
  add: [
    p('acl-pubsub-default', 'allchannels', 'string', 'resetchannels,allchannels', true, 'immediate', 'Default pubsub channel permissions for ACL users deployed to this cluster.', '6.2.0'),
    p('acllog-max-len', '128', 'integer', '1-10000', true, 'immediate', 'The maximum number of entries in the ACL log.'),
    p('active-expire-effort', '1', 'integer', '1-10', true, 'immediate', 'The amount of effort that redis uses to expire items in the active expiration job.'),
    p('cluster-allow-reads-when-down', 'no', 'string', YES_NO, true, 'immediate', 'Allows nodes to serve read traffic while the cluster is in a down state, as long as it believes it owns the slots.'),
    p('lazyfree-lazy-user-del', 'no', 'string', YES_NO, true, 'immediate', 'Specifies whether the default behavior of DEL command acts the same as UNLINK.'),
    p('tracking-table-max-keys', '1000000', 'integer', '1-100000000', true, 'immediate', 'The maximum number of keys allowed for the tracking table for client side caching.'),
  ],
});

// ---------------------------------------------------------------------------
// redis7 (7.0): listpack encodings replace ziplist, sharded pub/sub,
// preferred endpoint type, latency tracking; activerehashing locked.
// ---------------------------------------------------------------------------
const REDIS7 = deriveFamily(REDIS6X, {
  remove: ['hash-max-ziplist-entries', 'hash-max-ziplist-value', 'zset-max-ziplist-entries', 'zset-max-ziplist-value'],
  rename: {
    'list-max-ziplist-size': { to: 'list-max-listpack-size', modifiable: true },
  },
  add: [
    p('cluster-allow-pubsubshard-when-down', 'yes', 'string', YES_NO, true, 'immediate', 'Allows nodes to serve pubsub shard traffic while the cluster is in a down state, as long as it believes it owns the slots.'),
    p('cluster-preferred-endpoint-type', 'tls-dynamic', 'string', 'ip,tls-dynamic', true, 'immediate', 'Controls what endpoint is returned for MOVED/ASKING requests and the endpoint field for CLUSTER SLOTS and CLUSTER SHARDS.'),
    p('latency-tracking', 'no', 'string', YES_NO, true, 'immediate', 'Enables tracking of per-command latencies and exporting percentile distributions via INFO latencystats.'),
    p('hash-max-listpack-entries', '512', 'integer', '0-', true, 'immediate', 'The maximum number of hash entries in order for the dataset to be compressed.'),
    p('hash-max-listpack-value', '64', 'integer', '0-', true, 'immediate', 'The threshold of biggest hash entries in order for the dataset to be compressed.'),
    p('zset-max-listpack-entries', '128', 'integer', '0-', true, 'immediate', 'The maximum number of sorted set entries in order for the dataset to be compressed.'),
    p('zset-max-listpack-value', '64', 'integer', '0-', true, 'immediate', 'The threshold of biggest sorted set entries in order for the dataset to be compressed.'),
  ],
});

/** Exported for the Valkey families, which start from the Redis OSS 7 set. */
export const REDIS7_PARAMETER_SPECS: readonly ParamSpec[] = REDIS7;

// ---------------------------------------------------------------------------
// Node-type-specific parameters.
// ---------------------------------------------------------------------------
export function redisNodeTypeSpecs(
  replicaWord: 'slave' | 'replica',
  maxmemoryValues: ReadonlyArray<readonly [string, string]>,
  replicaLimitValues: ReadonlyArray<readonly [string, string]>,
): NodeTypeParamSpec[] {
  const Word = replicaWord === 'slave' ? 'Slave' : 'Replica';
  return [
    {
      name: `client-output-buffer-limit-${replicaWord}-hard-limit`,
      type: 'integer',
      allowed: '0-',
      modifiable: false,
      change: 'immediate',
      description: `${Word} client output buffer hard limit in bytes.`,
      values: replicaLimitValues,
    },
    {
      name: `client-output-buffer-limit-${replicaWord}-soft-limit`,
      type: 'integer',
      allowed: '0-',
      modifiable: false,
      change: 'immediate',
      description: `${Word} client output buffer soft limit in bytes.`,
      values: replicaLimitValues,
    },
    {
      name: 'maxmemory',
      type: 'integer',
      allowed: '0-',
      modifiable: false,
      change: 'immediate',
      description: 'The maximum configurable amount of memory to use to store items, in bytes.',
      values: maxmemoryValues,
    },
  ];
}

interface RedisFamilyDef {
  readonly specs: readonly ParamSpec[];
  readonly minimumEngineVersion: string;
  readonly replicaWord: 'slave' | 'replica';
  /** Families from 3.2 on have cluster-enabled and `.cluster.on` default groups. */
  readonly hasClusterMode: boolean;
}

export const REDIS_FAMILIES: Readonly<Record<string, RedisFamilyDef>> = {
  'redis2.6': { specs: REDIS26, minimumEngineVersion: '2.6.13', replicaWord: 'slave', hasClusterMode: false },
  'redis2.8': { specs: REDIS28, minimumEngineVersion: '2.8.6', replicaWord: 'slave', hasClusterMode: false },
  'redis3.2': { specs: REDIS32, minimumEngineVersion: '3.2.4', replicaWord: 'slave', hasClusterMode: true },
  'redis4.0': { specs: REDIS40, minimumEngineVersion: '4.0.10', replicaWord: 'slave', hasClusterMode: true },
  'redis5.0': { specs: REDIS50, minimumEngineVersion: '5.0.0', replicaWord: 'replica', hasClusterMode: true },
  'redis6.x': { specs: REDIS6X, minimumEngineVersion: '6.0.0', replicaWord: 'replica', hasClusterMode: true },
  'redis7': { specs: REDIS7, minimumEngineVersion: '7.0.0', replicaWord: 'replica', hasClusterMode: true },
};

/**
 * Parameters that AWS reports IsModifiable=false in engine defaults but lets a
 * customer change in a custom group that is not attached to any cluster
 * ("conditionally modifiable"; redis3.2 and later).
 */
export const REDIS_CONDITIONALLY_MODIFIABLE: Readonly<Record<string, readonly string[]>> = {
  'redis3.2': ['activerehashing', 'cluster-enabled', 'databases'],
  'redis4.0': ['activerehashing', 'cluster-enabled', 'databases'],
  'redis5.0': ['activerehashing', 'cluster-enabled', 'databases'],
  'redis6.x': ['activerehashing', 'cluster-enabled', 'databases'],
  // Redis OSS 7 locks activerehashing (changeable only through a support case).
  'redis7': ['cluster-enabled', 'databases'],
};

export function buildRedisTable(family: string): ParameterTable | undefined {
  const def = REDIS_FAMILIES[family];
  if (def === undefined) return undefined;
  return {
    parameters: materializeParameters(def.specs, def.minimumEngineVersion),
    nodeTypeSpecificParameters: materializeNodeTypeParameters(
      redisNodeTypeSpecs(def.replicaWord, REDIS_MAXMEMORY_VALUES, REDIS_REPLICA_BUFFER_LIMIT_VALUES),
      def.minimumEngineVersion,
    ),
  };
}
