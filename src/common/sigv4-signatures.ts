/**
 * Recomputes the SigV4 signature a request should carry, with @smithy/signature-v4 (the signer of the AWS SDK for
 * JavaScript): the API's strict mode (http/request-signatures.ts) and the IAM auth tokens of Redis users
 * (domain/elasticache/iam-auth-token.ts) both verify a signature by signing the same request again with the secret
 * the emulator knows and comparing. No part of the algorithm is written here; this module only gives the signer the
 * request exactly as the client signed it.
 */
import type { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';

/** Credentials the emulator accepts: an access key, its secret, and optionally the account it belongs to. */
export interface KnownCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** The account the key acts in; without it, a 12-digit key is its own account and any other the default. */
  accountId?: string;
}

/** How long a signature stays valid around its date (and the most an IAM auth token may live): 15 minutes. */
export const SIGNATURE_WINDOW_MS = 15 * 60 * 1000;

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytesOf = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** SHA-256 (and its HMAC) from node:crypto, in the shape the signer asks for (@smithy/types' Checksum). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    throw new Error('not resettable');
  }
}

/** A request as signed: lower-case names of the signed headers only, decoded path and query. */
export interface SignedParts {
  method: string;
  /** The URL path, percent-decoded. */
  path: string;
  /** Decoded query parameters, without X-Amz-Signature; a repeated name has a list. */
  query: Record<string, string | string[]>;
  /** Exactly the headers the client signed (SignedHeaders), keys lower-case. */
  headers: Record<string, string>;
  body: string;
}

export interface SignatureScope {
  /** The request's X-Amz-Date. */
  date: Date;
  region: string;
  service: string;
}

/** One signer per access key: the signer keeps the derived signing keys of the dates, regions and services seen. */
const signers = new WeakMap<KnownCredentials, SignatureV4>();

/** Loaded at the first signature checked: lenient auth never needs it, so it stays off the path to the first answer. */
let signerModule: Promise<typeof import('@smithy/signature-v4')> | undefined;

async function signerFor(credentials: KnownCredentials): Promise<SignatureV4> {
  let signer = signers.get(credentials);
  if (!signer) {
    const { SignatureV4 } = await (signerModule ??= import('@smithy/signature-v4'));
    signer = signers.get(credentials);
    if (signer) return signer;
    signer = new SignatureV4({
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      region: 'us-east-1',
      service: 'elasticache',
      sha256: Sha256,
      // The client's own x-amz-content-sha256, when it sent one, is among the signed headers already.
      applyChecksum: false,
    });
    signers.set(credentials, signer);
  }
  return signer;
}

const request = (parts: SignedParts) => ({
  method: parts.method,
  protocol: 'http:',
  hostname: parts.headers.host ?? '',
  path: parts.path,
  query: parts.query,
  headers: { ...parts.headers },
  body: parts.body,
});

/** The Authorization-header signature the request should carry. */
export async function headerSignature(
  parts: SignedParts,
  credentials: KnownCredentials,
  scope: SignatureScope,
): Promise<string> {
  const signed = await (
    await signerFor(credentials)
  ).sign(request(parts), {
    signingDate: scope.date,
    signingRegion: scope.region,
    signingService: scope.service,
    // Whatever the client chose to sign counts, even a header the signer would leave out by default (user-agent).
    signableHeaders: new Set(Object.keys(parts.headers)),
  });
  return /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
}

/** The X-Amz-Signature a presigned request (query authentication) should carry. */
export async function presignedSignature(
  parts: SignedParts,
  credentials: KnownCredentials,
  scope: SignatureScope & { expiresInSeconds: number },
): Promise<string> {
  const headerNames = new Set(Object.keys(parts.headers));
  const signed = await (
    await signerFor(credentials)
  ).presign(request(parts), {
    signingDate: scope.date,
    signingRegion: scope.region,
    signingService: scope.service,
    expiresIn: scope.expiresInSeconds,
    signableHeaders: headerNames,
    // A signed x-amz-* header stayed a header: the client did not move it into the query.
    unhoistableHeaders: headerNames,
  });
  const signature = signed.query?.['X-Amz-Signature'];
  return typeof signature === 'string' ? signature : '';
}

/** Decoded query parameters as the signer takes them: a repeated name has a list of its values. */
export function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    const before = record[name];
    record[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return record;
}

/** Compares two hex signatures in constant time. */
export function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** X-Amz-Date's basic ISO 8601 form (20260102T030405Z) as a Date; undefined when it is not one. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const match = value && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The parts of a credential scope: <AccessKeyId>/<yyyymmdd>/<region>/<service>/aws4_request. */
export interface CredentialScope {
  accessKeyId: string;
  day: string;
  region: string;
  service: string;
}

export function parseCredentialScope(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1])) return undefined;
  const [accessKeyId, day, region, service] = parts;
  if (!accessKeyId || !region || !service) return undefined;
  return { accessKeyId, day, region, service };
}
