/**
 * At-rest encryption settings: the KMS key a replication group, snapshot or serverless cache names (`KmsKeyId`) and
 * whether its data is encrypted at rest. There is no KMS here, so a key is checked by its form only, the four forms
 * KMS accepts: a key id (`1234abcd-12ab-34cd-56ef-1234567890ab`, or `mrk-…` for a multi-Region key), a key ARN, an
 * alias name (`alias/my-key`) and an alias ARN. An ARN must be of the request's partition and region: a KMS key
 * lives in one region.
 */
import type { Scope } from '../../store/store.js';
import { partitionOf } from '../regions.js';
import { fault, invalidCombination, invalidValue } from './faults.js';

const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/i;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const KMS_ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key\/.+|alias\/.+)$/;

/** Refuses a KmsKeyId that is none of KMS's four forms, or an ARN of another region or partition. */
export function checkKmsKeyId(value: string, scope: Scope): void {
  if (KEY_ID.test(value) || ALIAS_NAME.test(value)) return;
  const arn = KMS_ARN.exec(value);
  const resource = arn?.[4];
  if (
    !arn ||
    !resource ||
    !(resource.startsWith('key/') ? KEY_ID.test(resource.slice(4)) : ALIAS_NAME.test(resource))
  ) {
    throw invalidValue(
      `Invalid KmsKeyId ${value}: give a KMS key id, a key ARN, an alias name (alias/...) or an alias ARN.`,
    );
  }
  if (arn[1] !== partitionOf(scope.region) || arn[2] !== scope.region) {
    throw fault('InvalidKMSKeyFault', `The KMS key ${value} is not in the region ${scope.region}.`);
  }
}

/**
 * CreateReplicationGroup's at-rest settings: a KmsKeyId names the key data at rest is encrypted with, so it needs
 * encryption at rest (on by default for Valkey, off for Redis OSS).
 */
export function checkAtRestEncryption(
  input: { AtRestEncryptionEnabled?: boolean; KmsKeyId?: string },
  atRestEncryption: boolean,
  scope: Scope,
): void {
  if (input.KmsKeyId === undefined) return;
  if (!atRestEncryption) {
    throw invalidCombination('KmsKeyId can be given only when AtRestEncryptionEnabled is true.');
  }
  checkKmsKeyId(input.KmsKeyId, scope);
}
