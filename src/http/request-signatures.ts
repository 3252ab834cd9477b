/**
 * Strict authentication (`--auth strict`): every API request must carry a SigV4 signature, in its Authorization
 * header or its query string (a presigned URL), made with credentials the emulator was given. The signature is
 * signed again with the known secret (common/sigv4-signatures.ts) and compared. The refusals are AWS's common
 * errors, with their codes and HTTP statuses: no signature at all MissingAuthenticationToken (403), a malformed
 * one IncompleteSignature (400), an unknown access key InvalidClientTokenId (403), a wrong signature
 * SignatureDoesNotMatch (403), a date outside the 15-minute window (or a presigned URL past its expiry)
 * RequestExpired (400).
 */
import { createHash } from 'node:crypto';
import {
  SIGNATURE_WINDOW_MS,
  headerSignature,
  parseAmzDate,
  parseCredentialScope,
  presignedSignature,
  queryRecord,
  sameSignature,
  type CredentialScope,
  type KnownCredentials,
  type SignedParts,
} from '../common/sigv4-signatures.js';
import { AwsError } from '../protocol/errors.js';

export const AUTH_MODES = ['lenient', 'strict'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface AuthOptions {
  mode: AuthMode;
  /** The credentials strict mode accepts. */
  credentials: readonly KnownCredentials[];
}

/** What the verifier needs of an HTTP request, as it arrived. */
export interface ArrivedRequest {
  method: string;
  /** The request target: path and query string, still encoded. */
  url: string;
  /** Node's headers: lower-case names; a repeated header's values joined. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;

export const authErrors = {
  missing: () => new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403),
  incomplete: (why: string) => new AwsError('IncompleteSignature', why, 400),
  unknownKey: () => new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
  mismatch: () =>
    new AwsError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
        'Access Key and signing method. Consult the service documentation for details.',
      403,
    ),
  expired: (why: string) => new AwsError('RequestExpired', `Request has expired: ${why}`, 400),
};

/** Verifies a request's signature; resolves with the credentials it was signed with, or rejects with an AwsError. */
export class RequestVerifier {
  private readonly byKey = new Map<string, KnownCredentials>();

  constructor(
    credentials: readonly KnownCredentials[],
    private readonly now: () => number = Date.now,
  ) {
    for (const known of credentials) this.byKey.set(known.accessKeyId, known);
  }

  async verify(arrived: ArrivedRequest): Promise<KnownCredentials> {
    const authorization = header(arrived.headers, 'authorization');
    const { path, query } = splitTarget(arrived.url);
    if (authorization !== undefined) return this.verifyHeader(arrived, authorization, path, query);
    if (query.has('X-Amz-Signature') || query.has('X-Amz-Credential')) return this.verifyQuery(arrived, path, query);
    throw authErrors.missing();
  }

  private async verifyHeader(
    arrived: ArrivedRequest,
    authorization: string,
    path: string,
    query: URLSearchParams,
  ): Promise<KnownCredentials> {
    const space = authorization.indexOf(' ');
    const algorithm = space < 0 ? authorization : authorization.slice(0, space);
    if (algorithm !== 'AWS4-HMAC-SHA256') {
      throw authErrors.incomplete(
        `Unsupported authorization algorithm ${algorithm || '(none)'}: only AWS4-HMAC-SHA256 (SigV4) is accepted.`,
      );
    }
    const fields = new Map<string, string>();
    for (const part of authorization.slice(space + 1).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !fields.get(name));
    if (missing.length > 0) {
      throw authErrors.incomplete(
        missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ') +
          ` Authorization=${authorization}`,
      );
    }
    const amzDate = header(arrived.headers, 'x-amz-date');
    if (amzDate === undefined) {
      throw authErrors.incomplete(
        `Authorization header requires existence of a 'X-Amz-Date' header. Authorization=${authorization}`,
      );
    }
    const scope = this.scopeOf(fields.get('Credential')!);
    const known = this.known(scope);
    const date = this.dateOf(amzDate, scope);
    const skew = Math.abs(this.now() - date.getTime());
    if (skew > SIGNATURE_WINDOW_MS) {
      throw authErrors.expired(`its date ${amzDate} is more than 15 minutes from the server's ${stamp(this.now())}.`);
    }
    const signedHeaders = fields.get('SignedHeaders')!.split(';');
    const parts = this.parts(arrived, path, query, signedHeaders);
    this.checkPayloadHash(parts);
    const expected = await headerSignature(parts, known, { date, region: scope.region, service: scope.service });
    if (!sameSignature(expected, fields.get('Signature')!)) throw authErrors.mismatch();
    return known;
  }

  private async verifyQuery(arrived: ArrivedRequest, path: string, query: URLSearchParams): Promise<KnownCredentials> {
    const required = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
    const missing = required.filter((name) => !query.get(name));
    if (missing.length > 0) {
      throw authErrors.incomplete(
        `A presigned request requires the query parameters ${required.join(', ')}; missing: ${missing.join(', ')}.`,
      );
    }
    if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
      throw authErrors.incomplete(`X-Amz-Algorithm must be AWS4-HMAC-SHA256, got ${query.get('X-Amz-Algorithm')}.`);
    }
    const scope = this.scopeOf(query.get('X-Amz-Credential')!);
    const known = this.known(scope);
    const amzDate = query.get('X-Amz-Date')!;
    const date = this.dateOf(amzDate, scope);
    const expiresText = query.get('X-Amz-Expires') ?? '900';
    const expires = Number(expiresText);
    if (!/^\d+$/.test(expiresText) || expires < 1 || expires > MAX_PRESIGNED_SECONDS) {
      throw authErrors.incomplete(`X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGNED_SECONDS}.`);
    }
    const now = this.now();
    if (date.getTime() - now > SIGNATURE_WINDOW_MS) {
      throw authErrors.expired(`its date ${amzDate} is more than 15 minutes after the server's ${stamp(now)}.`);
    }
    if (now > date.getTime() + expires * 1000) {
      throw authErrors.expired(`it was signed at ${amzDate} for ${expires} seconds; it is ${stamp(now)} now.`);
    }
    const signature = query.get('X-Amz-Signature')!;
    query.delete('X-Amz-Signature');
    const parts = this.parts(arrived, path, query, query.get('X-Amz-SignedHeaders')!.split(';'));
    const expected = await presignedSignature(parts, known, {
      date,
      region: scope.region,
      service: scope.service,
      expiresInSeconds: expires,
    });
    if (!sameSignature(expected, signature)) throw authErrors.mismatch();
    return known;
  }

  private scopeOf(credential: string): CredentialScope {
    const scope = parseCredentialScope(credential);
    if (!scope) {
      throw authErrors.incomplete(
        `Credential must have the form <AccessKeyId>/<yyyymmdd>/<region>/<service>/aws4_request, got ${credential}.`,
      );
    }
    return scope;
  }

  private known(scope: CredentialScope): KnownCredentials {
    const known = this.byKey.get(scope.accessKeyId);
    if (!known) throw authErrors.unknownKey();
    return known;
  }

  private dateOf(amzDate: string, scope: CredentialScope): Date {
    const date = parseAmzDate(amzDate);
    if (!date) throw authErrors.incomplete(`X-Amz-Date must have the form yyyyMMddTHHmmssZ, got ${amzDate}.`);
    // The scope names the day the signing key was derived for: another day than the date's cannot match.
    if (amzDate.slice(0, 8) !== scope.day) throw authErrors.mismatch();
    return date;
  }

  private parts(arrived: ArrivedRequest, path: string, query: URLSearchParams, signed: string[]): SignedParts {
    const headers: Record<string, string> = {};
    for (const name of signed) {
      const value = header(arrived.headers, name);
      // A header listed as signed that did not arrive: the request is not the one that was signed.
      if (value === undefined) throw authErrors.mismatch();
      headers[name] = value;
    }
    return { method: arrived.method, path, query: queryRecord(query), headers, body: arrived.body };
  }

  /** A client that sent its payload's hash must have sent that payload: the signer takes the hash on trust. */
  private checkPayloadHash(parts: SignedParts): void {
    const claimed = parts.headers['x-amz-content-sha256'];
    if (claimed === undefined || claimed === 'UNSIGNED-PAYLOAD') return;
    if (claimed !== sha256Hex(parts.body)) throw authErrors.mismatch();
  }
}

function sha256Hex(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

function header(headers: ArrivedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The decoded path and the query parameters of a request target. A form body is not part of the query: it is
 * signed as the payload.
 */
function splitTarget(url: string) {
  const queryIndex = url.indexOf('?');
  const rawPath = queryIndex >= 0 ? url.slice(0, queryIndex) : url;
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // A path that is not valid percent-encoding is signed as it is.
  }
  const query = new URLSearchParams(queryIndex >= 0 ? url.slice(queryIndex + 1) : '');
  return { path, query };
}

function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
