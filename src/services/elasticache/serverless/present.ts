/**
 * A serverless cache as the API shows it: its record, with the status and endpoints its backing group has now (the
 * group's configuration endpoint is the cache's endpoint; the reader endpoint sits beside it).
 */
import type { ServerlessCache } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../../store/store.js';
import {
  backingGroup,
  serverlessStatus,
  type StoredServerless,
} from '../../../domain/elasticache/serverless.js';

export function presentServerless(store: Store, scope: Scope, cache: StoredServerless): ServerlessCache {
  const group = backingGroup(store, scope, cache);
  const status = serverlessStatus(cache, group);
  const endpoint = group?.state.ConfigurationEndpoint;
  const reader = group?.state.NodeGroups[0]?.ReaderEndpoint;
  return {
    ...cache.state,
    Status: status,
    Endpoint: endpoint?.Address ? { Address: endpoint.Address, Port: endpoint.Port } : undefined,
    ReaderEndpoint: reader?.Address ? { Address: reader.Address, Port: reader.Port } : undefined,
  };
}
