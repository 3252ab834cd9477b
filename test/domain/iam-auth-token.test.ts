/**
 * IAM auth tokens, made the way AWS's guide for ElastiCache IAM authentication makes them (a SigV4 presign of
 * `GET http://<cache>/?Action=connect&User=<user>`, service elasticache, 900 seconds, scheme removed) with the AWS
 * SDK's own signer, are accepted; each way a token can be wrong is refused with its reason.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { verifyIamAuthToken, type IamTokenExpectation } from '../../src/domain/elasticache/iam-auth-token.js';

const KNOWN = { accessKeyId: 'AKIAIAMTOKENTEST0001', secretAccessKey: 'iamTokenSecret/0123456789+abcdefghijkl' };
const SIGNED_AT = new Date('2026-03-04T05:06:07Z');

interface TokenOptions {
  cache?: string;
  user?: string;
  serverless?: boolean;
  secret?: string;
  accessKeyId?: string;
  expiresIn?: number;
  service?: string;
  region?: string;
  sessionToken?: string;
}

/** A token as the AWS guide builds one: presign the connect request, then drop the scheme. */
async function makeToken(options: TokenOptions = {}): Promise<string> {
  const cache = options.cache ?? 'my-group';
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: options.accessKeyId ?? KNOWN.accessKeyId,
      secretAccessKey: options.secret ?? KNOWN.secretAccessKey,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    },
    region: options.region ?? 'eu-central-1',
    service: options.service ?? 'elasticache',
    sha256: Hash.bind(null, 'sha256'),
  });
  const query: Record<string, string> = { Action: 'connect', User: options.user ?? 'app-user' };
  if (options.serverless) query.ResourceType = 'ServerlessCache';
  const presigned = await signer.presign(
    { method: 'GET', protocol: 'http:', hostname: cache, path: '/', query, headers: { host: cache } },
    { signingDate: SIGNED_AT, expiresIn: options.expiresIn ?? 900 },
  );
  const search = Object.entries(presigned.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
  return `http://${cache}/?${search}`.replace('http://', '');
}

const expect = (overrides: Partial<IamTokenExpectation> = {}): IamTokenExpectation => ({
  cacheName: 'my-group',
  userId: 'app-user',
  credentials: [KNOWN],
  now: SIGNED_AT.getTime() + 60_000,
  ...overrides,
});

t.test('a token made as AWS documents it is accepted', async (t) => {
  const verdict = await verifyIamAuthToken(await makeToken(), expect());
  t.same(verdict, {
    ok: true,
    accessKeyId: KNOWN.accessKeyId,
    region: 'eu-central-1',
    expiresAt: new Date(SIGNED_AT.getTime() + 900_000),
    signatureChecked: true,
  });
  const serverless = await verifyIamAuthToken(await makeToken({ serverless: true }), expect({ serverless: true }));
  t.equal(serverless.ok, true, 'a serverless cache token (ResourceType=ServerlessCache)');
  const temporary = await verifyIamAuthToken(await makeToken({ sessionToken: 'FwoGZXIvYXdzEXAMPLE' }), expect());
  t.equal(temporary.ok, true, 'temporary credentials: the session token is part of the signed query');
  const withScheme = await verifyIamAuthToken(`http://${await makeToken()}`, expect());
  t.equal(withScheme.ok, true, 'a token that kept its scheme');
  const lateButValid = await verifyIamAuthToken(await makeToken(), expect({ now: SIGNED_AT.getTime() + 899_000 }));
  t.equal(lateButValid.ok, true, 'still valid a second before it expires');
});

t.test('lenient mode: a key the emulator does not know passes unsigned, everything else still checked', async (t) => {
  const lenient = expect({ acceptUnknownKeys: true });
  const unknown = await verifyIamAuthToken(await makeToken({ accessKeyId: 'AKIAUNKNOWN' }), lenient);
  t.match(unknown, { ok: true, accessKeyId: 'AKIAUNKNOWN', signatureChecked: false });
  const forged = await verifyIamAuthToken(await makeToken({ secret: 'wrong' }), lenient);
  t.match(forged, { ok: false, reason: /signature does not match/ }, "a known key's signature is still checked");
  const expired = await verifyIamAuthToken(
    await makeToken({ accessKeyId: 'AKIAUNKNOWN' }),
    expect({ acceptUnknownKeys: true, now: SIGNED_AT.getTime() + 901_000 }),
  );
  t.match(expired, { ok: false, reason: /expired/ }, 'and so is the time window');
  const otherUser = await verifyIamAuthToken(await makeToken({ accessKeyId: 'AKIAUNKNOWN', user: 'x' }), lenient);
  t.match(otherUser, { ok: false, reason: /for user x/ }, 'and the user');
});

t.test('each way a token can be wrong is refused with its reason', async (t) => {
  const refused = async (token: string | Promise<string>, overrides: Partial<IamTokenExpectation> = {}) => {
    const verdict = await verifyIamAuthToken(await token, expect(overrides));
    return verdict.ok ? 'accepted' : verdict.reason;
  };
  t.match(await refused(makeToken({ secret: 'wrong' })), /signature does not match/, 'a wrong secret');
  t.match(await refused(makeToken({ accessKeyId: 'AKIAUNKNOWN' })), /not known/, 'an unknown key');
  t.match(await refused(makeToken({ cache: 'other-group' })), /for other-group, not for my-group/, 'another cache');
  t.match(await refused(makeToken({ user: 'someone' })), /for user someone/, 'another user');
  t.match(await refused(makeToken({ service: 'rds-db' })), /signed for rds-db/, 'another service');
  t.match(await refused(makeToken({ expiresIn: 3600 })), /X-Amz-Expires/, 'valid for more than 15 minutes');
  t.match(await refused(makeToken(), { now: SIGNED_AT.getTime() + 901_000 }), /expired/, 'past its 900 seconds');
  t.match(await refused(makeToken(), { now: SIGNED_AT.getTime() - 16 * 60_000 }), /ahead/, 'dated in the future');
  t.match(await refused(makeToken({ serverless: true })), /ResourceType/, 'a serverless token for a group');
  t.match(await refused(makeToken(), { serverless: true }), /ResourceType/, 'a group token for a serverless cache');
  const token = await makeToken();
  t.match(await refused(token.replace('User=app-user', 'User=app-user2')), /for user app-user2/);
  t.match(
    await refused(token.replace('X-Amz-Date=20260304T050607Z', 'X-Amz-Date=20260304T050608Z')),
    /signature does not match/,
    'a changed date',
  );
  t.match(await refused('not a token'), /not a presigned connect request/);
  t.match(await refused('my-group/?Action=connect&User=app-user'), /not signed with SigV4/);
});

t.test('a token made by botocore (the Python route of the AWS guide) is accepted', async (t) => {
  const script = [
    'import sys',
    'from botocore.credentials import Credentials',
    'from botocore.signers import RequestSigner',
    'from botocore.hooks import HierarchicalEmitter',
    'from botocore.model import ServiceId',
    'key, secret, cache, user = sys.argv[1:5]',
    '# the signer keeps only a weak reference to its event emitter',
    'emitter = HierarchicalEmitter()',
    "signer = RequestSigner(ServiceId('elasticache'), 'us-west-2', 'elasticache', 'v4', Credentials(key, secret), emitter)",
    "request = {'method': 'GET', 'url': f'https://{cache}/?Action=connect&User={user}', 'body': {},",
    "           'headers': {}, 'context': {}}",
    "url = signer.generate_presigned_url(request, operation_name='connect', expires_in=900, region_name='us-west-2')",
    "print(url[len('https://'):])",
  ].join('\n');
  const run = spawnSync('python3', ['-c', script, KNOWN.accessKeyId, KNOWN.secretAccessKey, 'my-group', 'app-user'], {
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    if (process.env.CI) t.fail(`botocore is required in CI: ${run.stderr}`);
    else t.pass(`skipped loudly: botocore did not run (${run.stderr.trim().split('\n').at(-1)})`);
    return;
  }
  const verdict = await verifyIamAuthToken(run.stdout.trim(), expect({ now: Date.now() }));
  t.same(verdict.ok ? { ok: true, region: verdict.region } : verdict, { ok: true, region: 'us-west-2' });
});
