/**
 * IAM authentication tokens of ElastiCache users (AuthenticationMode `iam`): the password such a user sends with
 * AUTH or HELLO is a SigV4-presigned `GET http://<cache name>/?Action=connect&User=<user id>` (with
 * `&ResourceType=ServerlessCache` for a serverless cache), service `elasticache`, valid at most 15 minutes, written
 * without its scheme. Verified here by signing the same request again with the secret of the token's access key
 * (common/sigv4-signatures.ts). Pure: the data path asks it; nothing here talks to a node.
 *
 * What is checked: the form of the token, the cache name (its host), the action, the user id, the resource type,
 * the signing service, that the access key is one the emulator knows, the signature, and the time window. What is
 * not: IAM policies (elasticache:Connect on the cache and the user): every known key may connect as any iam user.
 * A key the emulator does not know is refused, unless the caller accepts unknown keys (the API's lenient mode): then
 * everything but the signature, which no secret can check, is still checked.
 */
import {
  SIGNATURE_WINDOW_MS,
  parseAmzDate,
  parseCredentialScope,
  presignedSignature,
  queryRecord,
  sameSignature,
  type KnownCredentials,
} from '../../common/sigv4-signatures.js';

/** The longest an IAM auth token may be valid for (X-Amz-Expires), in seconds. */
export const IAM_TOKEN_MAX_SECONDS = 900;

export interface IamTokenExpectation {
  /** The replication group id (or serverless cache name) the client connects to. */
  cacheName: string;
  /** The id of the ElastiCache user the client authenticates as. */
  userId: string;
  /** A serverless cache: the token must say ResourceType=ServerlessCache (and must not otherwise). */
  serverless?: boolean;
  /** The credentials the emulator knows. */
  credentials: readonly KnownCredentials[];
  /** The time to check the token against (ms since the epoch); now by default. */
  now?: number;
  /** A key not among `credentials` passes, its signature unchecked (lenient mode); refused by default. */
  acceptUnknownKeys?: boolean;
}

export type IamTokenVerdict =
  | { ok: true; accessKeyId: string; region: string; expiresAt: Date; signatureChecked: boolean }
  | { ok: false; reason: string };

const refuse = (reason: string): IamTokenVerdict => ({ ok: false, reason });

export async function verifyIamAuthToken(token: string, expected: IamTokenExpectation): Promise<IamTokenVerdict> {
  const bare = token.replace(/^https?:\/\//i, '');
  const slash = bare.indexOf('/');
  const question = bare.indexOf('?');
  if (slash <= 0 || question < slash) return refuse('the token is not a presigned connect request (host/?query)');
  const host = bare.slice(0, slash);
  const path = bare.slice(slash, question);
  const query = new URLSearchParams(bare.slice(question + 1));
  if (path !== '/') return refuse(`the token's path is ${path}, not /`);
  if (host.toLowerCase() !== expected.cacheName.toLowerCase())
    return refuse(`the token is for ${host}, not for ${expected.cacheName}`);
  if (query.get('Action') !== 'connect') return refuse('the token does not ask for Action=connect');
  if (query.get('User') !== expected.userId) return refuse(`the token is for user ${query.get('User')}`);
  const resourceType = query.get('ResourceType');
  if (expected.serverless ? resourceType !== 'ServerlessCache' : resourceType !== null)
    return refuse(`the token's ResourceType ${resourceType ?? '(none)'} does not match the cache`);
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return refuse('the token is not signed with SigV4');

  const scope = parseCredentialScope(query.get('X-Amz-Credential') ?? '');
  if (!scope) return refuse('the token has no valid X-Amz-Credential');
  if (scope.service !== 'elasticache') return refuse(`the token is signed for ${scope.service}, not elasticache`);
  const known = expected.credentials.find((c) => c.accessKeyId === scope.accessKeyId);
  if (!known && !expected.acceptUnknownKeys) return refuse(`the access key ${scope.accessKeyId} is not known`);

  const amzDate = query.get('X-Amz-Date') ?? '';
  const date = parseAmzDate(amzDate);
  if (!date || amzDate.slice(0, 8) !== scope.day) return refuse('the token has no valid X-Amz-Date');
  const expiresText = query.get('X-Amz-Expires') ?? '';
  const expires = Number(expiresText);
  if (!/^\d+$/.test(expiresText) || expires < 1 || expires > IAM_TOKEN_MAX_SECONDS)
    return refuse(`X-Amz-Expires must be 1 to ${IAM_TOKEN_MAX_SECONDS} seconds`);
  const now = expected.now ?? Date.now();
  const expiresAt = new Date(date.getTime() + expires * 1000);
  if (now > expiresAt.getTime()) return refuse(`the token expired at ${expiresAt.toISOString()}`);
  if (date.getTime() - now > SIGNATURE_WINDOW_MS) return refuse('the token is dated more than 15 minutes ahead');

  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (signedHeaders.length !== 1 || signedHeaders[0] !== 'host') return refuse('the token must sign the host only');
  const signature = query.get('X-Amz-Signature') ?? '';
  if (!known)
    return { ok: true, accessKeyId: scope.accessKeyId, region: scope.region, expiresAt, signatureChecked: false };
  query.delete('X-Amz-Signature');
  const parts = { method: 'GET', path: '/', query: queryRecord(query), headers: { host }, body: '' };
  const wanted = await presignedSignature(parts, known, {
    date,
    region: scope.region,
    service: 'elasticache',
    expiresInSeconds: expires,
  });
  if (!sameSignature(wanted, signature)) return refuse('the signature does not match');
  return { ok: true, accessKeyId: known.accessKeyId, region: scope.region, expiresAt, signatureChecked: true };
}
