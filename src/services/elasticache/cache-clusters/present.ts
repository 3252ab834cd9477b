/** What every cache cluster handler shares: its dependencies, and the cluster as the API shows it. */
import type { CacheCluster } from '@aws-sdk/client-elasticache';
import type { Store } from '../../../store/store.js';
import type { JobQueue } from '../../../domain/elasticache/jobs.js';
import type { SecurityGroupDirectory } from '../../../domain/elasticache/network.js';

export interface ClusterHandlerDeps {
  store: Store;
  jobs: JobQueue;
  securityGroups: SecurityGroupDirectory;
}

/** The cluster as DescribeCacheClusters shows it: nodes only on request, and never while creating or deleting. */
export function presentCluster(state: CacheCluster, showNodes: boolean): CacheCluster {
  const hideNodes = !showNodes || state.CacheClusterStatus === 'creating' || state.CacheClusterStatus === 'deleting';
  // A spread with the member set to undefined: V8 copies it far faster than an object rest (the serializer skips it).
  return hideNodes ? { ...state, CacheNodes: undefined } : state;
}
