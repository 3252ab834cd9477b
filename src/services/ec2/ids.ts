/**
 * EC2 identifiers: a prefix and 17 hex digits (`vpc-0a1b2c3d4e5f67890`). New resources get random ones (stored,
 * so they survive restarts); the default VPC's are derived from account and region with the same hash as
 * ../elasticache/default-network.ts, so both APIs name the same default network.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Scope } from '../../store/store.js';
import { partitionOf } from '../../domain/regions.js';

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export function derivedId(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 17)}`;
}

/** `arn:aws:ec2:us-east-1:000000000000:security-group/sg-…` */
export function ec2Arn(scope: Scope, resourceType: string, id: string): string {
  return `arn:${partitionOf(scope.region)}:ec2:${scope.region}:${scope.account}:${resourceType}/${id}`;
}

/** Whether `id` is well formed for `prefix` (8 or 17 hex digits, as AWS has issued both). */
export function wellFormed(id: string, prefix: string): boolean {
  return new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`).test(id);
}
