/**
 * What in ElastiCache uses an EC2 subnet or security group, so EC2 refuses to delete them while it does
 * (DependencyViolation), as AWS does for subnets in a cache subnet group or groups attached to cache nodes.
 */
import type { CacheCluster, CacheSubnetGroup } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import { KIND } from '../../domain/elasticache/kinds.js';

export function elastiCacheNetworkUsers(store: Store) {
  return {
    subnet(scope: Scope, subnetId: string): string | undefined {
      const group = store.resources
        .list<CacheSubnetGroup>(scope, KIND.subnetGroup)
        .find((g) => (g.state.Subnets ?? []).some((s) => s.SubnetIdentifier === subnetId));
      return group && `cache subnet group ${group.id}`;
    },
    securityGroup(scope: Scope, groupId: string): string | undefined {
      const cluster = store.resources
        .list<CacheCluster>(scope, KIND.cacheCluster)
        .find((c) => (c.state.SecurityGroups ?? []).some((g) => g.SecurityGroupId === groupId));
      return cluster && `cache cluster ${cluster.id}`;
    },
  };
}
