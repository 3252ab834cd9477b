/**
 * The shapes the store hands out and takes: the scope every row belongs to (account and region, as resources are
 * scoped on AWS), and one type per kind of row. Store re-exports them, so callers import them from store.js.
 */

export interface Scope {
  account: string;
  region: string;
}

export interface StoredResource<T> {
  id: string;
  state: T;
  internal: Record<string, any>;
  createdAt: number;
}

export interface Tag {
  Key: string;
  Value: string;
}

export interface StoredEvent {
  SourceIdentifier: string;
  SourceType: string;
  Message: string;
  Date: Date;
}

export interface Job {
  id: number;
  account: string;
  region: string;
  kind: string;
  resourceId: string;
  action: string;
  payload: Record<string, any>;
  runAfter: number;
  attempts: number;
}

export type { EndpointAllocation } from '../common/endpoint-addresses.js';
