/** The resource kinds kept in the store's resources table (and the owner kinds of endpoints and jobs). */
export const KIND = {
  cacheCluster: 'cache-cluster',
  parameterGroup: 'parameter-group',
  subnetGroup: 'subnet-group',
  securityGroup: 'cache-security-group',
  reservedNode: 'reserved-node',
  snapshot: 'snapshot',
  replicationGroup: 'replication-group',
  user: 'user',
  userGroup: 'user-group',
  serverlessCache: 'serverless-cache',
  globalReplicationGroup: 'global-replication-group',
} as const;
