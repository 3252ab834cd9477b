/** The cache engines: what the API offers, what a node runs. */

export type Engine = 'redis' | 'valkey' | 'memcached';

export const ENGINES: readonly Engine[] = ['memcached', 'redis', 'valkey'];
