/** A serverless cache as the API shows it (domain/elasticache/serverless.ts reads its backing group's state). */
import type { ServerlessCache } from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../../store/store.js';
import { serverlessAsShown, type StoredServerless } from '../../../domain/elasticache/serverless.js';

export function presentServerless(store: Store, scope: Scope, cache: StoredServerless): ServerlessCache {
  return serverlessAsShown(store, scope, cache);
}
