/**
 * In-transit encryption rules: which engine versions take it, and the migration AWS documents for an existing
 * replication group (TransitEncryptionEnabled with TransitEncryptionMode preferred, then required; back the same
 * way), checked against the group's current settings.
 */
import type { ModifyReplicationGroupMessage, TransitEncryptionMode } from '@aws-sdk/client-elasticache';
import { compareVersions } from './catalog.js';
import { invalidCombination } from './faults.js';

/** The earliest Memcached that takes in-transit encryption. */
export const MEMCACHED_TLS_VERSION = '1.6.12';
/** The earliest Redis OSS whose existing groups can move to in-transit encryption (every Valkey can). */
const REDIS_MIGRATION_VERSION = '7.0.5';

export function checkMemcachedTls(engineVersion: string): void {
  if (compareVersions(engineVersion, MEMCACHED_TLS_VERSION) < 0) {
    throw invalidCombination(
      `Encryption in transit is supported for Memcached ${MEMCACHED_TLS_VERSION} and later, not ${engineVersion}.`,
    );
  }
}

/** A group's in-transit encryption as a migration moves it: what its nodes are to speak next. */
export interface TransitEncryptionTarget {
  enabled: boolean;
  mode?: TransitEncryptionMode;
}

/**
 * The change a ModifyReplicationGroup call asks for, undefined when it changes nothing. Moving an existing group
 * goes through `preferred` both ways, so no client is cut off on the way.
 */
export function transitEncryptionChange(
  input: Pick<ModifyReplicationGroupMessage, 'TransitEncryptionEnabled' | 'TransitEncryptionMode'>,
  current: {
    TransitEncryptionEnabled?: boolean;
    TransitEncryptionMode?: TransitEncryptionMode;
    AuthTokenEnabled?: boolean;
    ClusterEnabled?: boolean;
  },
  engine: { name: string; version: string },
): TransitEncryptionTarget | undefined {
  if (input.TransitEncryptionEnabled === undefined && input.TransitEncryptionMode === undefined) return undefined;
  const was = current.TransitEncryptionEnabled === true;
  const enabled = input.TransitEncryptionEnabled ?? was;
  if (input.TransitEncryptionMode !== undefined && !enabled)
    throw invalidCombination('TransitEncryptionMode requires TransitEncryptionEnabled.');
  const mode = enabled ? (input.TransitEncryptionMode ?? current.TransitEncryptionMode ?? 'preferred') : undefined;
  if (enabled === was && mode === current.TransitEncryptionMode) return undefined;
  if (current.ClusterEnabled) {
    throw invalidCombination(
      'Changing in-transit encryption of a replication group with cluster mode enabled is not available in elasticache-local; create the group with TransitEncryptionEnabled instead.',
    );
  }
  if (!was) {
    if (input.TransitEncryptionMode !== 'preferred') {
      throw invalidCombination(
        'To enable in-transit encryption on an existing replication group, set TransitEncryptionMode to preferred; once every client uses TLS, set it to required.',
      );
    }
    if (engine.name === 'redis' && compareVersions(engine.version, REDIS_MIGRATION_VERSION) < 0) {
      throw invalidCombination(
        `In-transit encryption can be enabled on an existing replication group with Redis OSS ${REDIS_MIGRATION_VERSION} or later.`,
      );
    }
  }
  if (!enabled) {
    if (current.TransitEncryptionMode !== 'preferred') {
      throw invalidCombination(
        'To disable in-transit encryption, set TransitEncryptionMode to preferred first, then TransitEncryptionEnabled to false.',
      );
    }
    if (current.AuthTokenEnabled)
      throw invalidCombination('The AUTH token is only supported when encryption-in-transit is enabled');
  }
  return { enabled, mode };
}
