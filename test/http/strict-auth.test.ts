/**
 * `--auth strict`: real clients (the AWS SDK for JavaScript v3, boto3, the AWS CLI) signing with the keys the
 * emulator was given are served on every API it serves; a wrong secret, an unknown key, a stale date, no signature
 * and a tampered or expired presigned URL are refused with AWS's codes and statuses. Lenient mode (the default)
 * still accepts anything.
 */
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeCacheClustersCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, defaultConfig, readConfig } from '../../src/config.js';
import { awsCli, findOnPath } from '../fixtures/aws-cli.js';
import { failure, rawCall, sdkClient, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import type { Emulator } from '../../src/server.js';

const KEY = 'AKIAELASTICACHELOCAL';
const SECRET = 'kS3cr3t/forStrictMode+Tests0123456789abc';
const ACCOUNT_KEY = 'AKIAACCOUNTKEY000001';

const strict = (t: Parameters<typeof startTestEmulator>[0]) =>
  startTestEmulator(t, {
    auth: 'strict',
    credentials: [
      { accessKeyId: KEY, secretAccessKey: SECRET },
      { accessKeyId: ACCOUNT_KEY, secretAccessKey: SECRET, accountId: '111122223333' },
    ],
  });

const errorCode = (body: string) => /<Code>([^<]+)<\/Code>/.exec(body)?.[1];

/** A request signed by the SDK's own signer, as a hand-written client would send it. */
async function signedFetch(
  emulator: Emulator,
  params: Record<string, string>,
  options: { secret?: string; date?: Date; service?: string } = {},
) {
  const url = new URL(emulator.url);
  const body = new URLSearchParams(params).toString();
  const signer = new SignatureV4({
    credentials: { accessKeyId: KEY, secretAccessKey: options.secret ?? SECRET },
    region: 'us-east-1',
    service: options.service ?? 'elasticache',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    },
    { signingDate: options.date },
  );
  const response = await fetch(`${emulator.url}/`, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body,
  });
  return { status: response.status, body: await response.text() };
}

async function presignedUrl(emulator: Emulator, query: Record<string, string>, date?: Date, expiresIn = 300) {
  const url = new URL(emulator.url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: KEY, secretAccessKey: SECRET },
    region: 'eu-west-1',
    service: 'elasticache',
    sha256: Hash.bind(null, 'sha256'),
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query,
      headers: { host: url.host },
    },
    { signingDate: date, expiresIn },
  );
  const search = new URLSearchParams(presigned.query as Record<string, string>).toString();
  return `${emulator.url}/?${search}`;
}

t.test('strict: the SDK with known keys is served by every API; the account comes from the key', async (t) => {
  const emulator = await strict(t);
  const credentials = { accessKeyId: KEY, secretAccessKey: SECRET };
  const elasticache = new ElastiCacheClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });
  const clusters = await elasticache.send(new DescribeCacheClustersCommand({}));
  t.same(clusters.CacheClusters, [], 'ElastiCache');
  const ec2 = new EC2Client({ endpoint: emulator.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  t.ok((await ec2.send(new DescribeVpcsCommand({}))).Vpcs, 'EC2');
  const sts = new STSClient({ endpoint: emulator.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  t.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, '000000000000', 'STS');
  const iam = new IAMClient({ endpoint: emulator.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  t.equal((await iam.send(new GetUserCommand({}))).User?.UserName, 'root', 'IAM');

  const inAccount = new STSClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: ACCOUNT_KEY, secretAccessKey: SECRET },
    maxAttempts: 1,
  });
  t.equal(
    (await inAccount.send(new GetCallerIdentityCommand({}))).Account,
    '111122223333',
    'a key given with an account acts in that account',
  );
});

t.test('strict: wrong secret, unknown key, stale date and no signature are refused as AWS refuses them', async (t) => {
  const emulator = await strict(t);
  const wrongSecret = new STSClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: KEY, secretAccessKey: 'not-the-secret' },
    maxAttempts: 1,
  });
  const mismatch = await failure(wrongSecret.send(new GetCallerIdentityCommand({})));
  t.equal(mismatch?.name, 'SignatureDoesNotMatch');
  t.equal(mismatch?.$metadata?.httpStatusCode, 403);
  t.match(mismatch?.message, /signature we calculated does not match/);

  const unknown = sdkClient(emulator, { accessKeyId: 'AKIANOTKNOWN00000000' });
  const unknownError = await failure(unknown.send(new DescribeCacheClustersCommand({})));
  t.equal(unknownError?.name, 'InvalidClientTokenId');
  t.equal(unknownError?.$metadata?.httpStatusCode, 403);

  const params = { Action: 'DescribeCacheClusters', Version: '2015-02-02' };
  const fresh = await signedFetch(emulator, params);
  t.equal(fresh.status, 200, 'a request signed now by the SDK signer is served');
  const stale = await signedFetch(emulator, params, { date: new Date(Date.now() - 20 * 60_000) });
  t.equal(stale.status, 400);
  t.equal(errorCode(stale.body), 'RequestExpired', 'an X-Amz-Date 20 minutes old');
  const future = await signedFetch(emulator, params, { date: new Date(Date.now() + 20 * 60_000) });
  t.equal(errorCode(future.body), 'RequestExpired', 'an X-Amz-Date 20 minutes ahead');
  const wrong = await signedFetch(emulator, params, { secret: 'wrong' });
  t.equal(wrong.status, 403);
  t.equal(errorCode(wrong.body), 'SignatureDoesNotMatch');

  const unsigned = await rawCall(emulator, params);
  t.equal(unsigned.status, 403);
  t.equal(errorCode(unsigned.body), 'MissingAuthenticationToken');
  const partial = await rawCall(emulator, params, {
    authorization: `AWS4-HMAC-SHA256 Credential=${KEY}/20260101/us-east-1/elasticache/aws4_request`,
    'x-amz-date': '20260101T000000Z',
  });
  t.equal(partial.status, 400);
  t.equal(errorCode(partial.body), 'IncompleteSignature', 'an Authorization header without its signature');
  const noSignature = await fetch(`${emulator.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: 'x',
  });
  t.equal(noSignature.status, 403, 'a body that is no request at all, unsigned');

  t.equal((await fetch(`${emulator.url}/_elasticache_local/health`)).status, 200, 'admin routes are not signed');
});

t.test('strict: a presigned URL is served until it expires; a changed one is refused', async (t) => {
  const emulator = await strict(t);
  const query = { Action: 'DescribeCacheClusters', Version: '2015-02-02' };
  const url = await presignedUrl(emulator, query);
  const good = await fetch(url);
  t.equal(good.status, 200, await good.clone().text());
  t.match(await good.text(), /<DescribeCacheClustersResponse/);

  const changed = await fetch(url.replace('DescribeCacheClusters', 'DescribeReplicationGroups'));
  t.equal(changed.status, 403);
  t.equal(errorCode(await changed.text()), 'SignatureDoesNotMatch');

  const old = await presignedUrl(emulator, query, new Date(Date.now() - 10 * 60_000), 60);
  const expired = await fetch(old);
  t.equal(expired.status, 400);
  t.equal(errorCode(await expired.text()), 'RequestExpired', 'signed 10 minutes ago for 60 seconds');
});

t.test('lenient (the default): any key, any signature, or none', async (t) => {
  const emulator = await startTestEmulator(t);
  const anyKey = sdkClient(emulator, { accessKeyId: 'whatever' });
  t.same((await anyKey.send(new DescribeCacheClustersCommand({}))).CacheClusters, []);
  const unsigned = await rawCall(emulator, { Action: 'DescribeCacheClusters', Version: '2015-02-02' });
  t.equal(unsigned.status, 200);
  const wrong = await signedFetch(
    emulator,
    { Action: 'DescribeCacheClusters', Version: '2015-02-02' },
    {
      secret: 'wrong',
      date: new Date(Date.now() - 60 * 60_000),
    },
  );
  t.equal(wrong.status, 200, 'a stale, wrongly signed request is still served');
});

t.test('boto3 and the AWS CLI in strict mode', async (t) => {
  const emulator = await strict(t);
  const probe = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    if (process.env.CI) t.fail(`boto3 is required in CI: ${probe.stderr || probe.error}`);
    else t.pass('skipped loudly: no boto3');
  } else {
    const script = [
      'import sys, json, boto3, botocore',
      'url, key, secret = sys.argv[1:4]',
      "c = boto3.client('elasticache', endpoint_url=url, region_name='us-east-1', aws_access_key_id=key,",
      "    aws_secret_access_key=secret, config=botocore.config.Config(retries={'max_attempts': 1}))",
      'try:',
      "    print(json.dumps({'clusters': c.describe_cache_clusters()['CacheClusters']}))",
      'except botocore.exceptions.ClientError as e:',
      "    print(json.dumps({'error': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}))",
    ].join('\n');
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
    Object.assign(env, { AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' });
    const python = (secret: string) =>
      new Promise<any>((resolve) => {
        const child = spawn('python3', ['-c', script, emulator.url, KEY, secret], { env });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', () => resolve(out.trim() ? JSON.parse(out.trim()) : { stderr: err }));
      });
    t.same(await python(SECRET), { clusters: [] }, 'boto3 with the right keys');
    t.same(await python('wrong'), { error: 'SignatureDoesNotMatch', status: 403 }, 'boto3 with a wrong secret');
  }

  const executable = findOnPath('aws');
  if (!executable) {
    if (process.env.CI) t.fail('the AWS CLI is required in CI');
    else t.pass('skipped loudly: no aws CLI');
    return;
  }
  const cli = awsCli(t, executable);
  const keys = { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET };
  const right = await cli.run(['--endpoint-url', emulator.url, 'elasticache', 'describe-cache-clusters'], keys);
  t.equal(right.code, 0, `the CLI with the right keys (${right.stderr.trim()})`);
  t.same(right.json?.CacheClusters, []);
  const wrong = await cli.run(['--endpoint-url', emulator.url, 'sts', 'get-caller-identity'], {
    ...keys,
    AWS_SECRET_ACCESS_KEY: 'wrong',
  });
  t.not(wrong.code, 0);
  t.match(wrong.stderr, /SignatureDoesNotMatch/);
});

t.test('configuration: --auth, --credentials, the environment and a credentials file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'credentials');
  writeFileSync(
    file,
    [
      '[default]',
      'aws_access_key_id = AKIAFILEDEFAULT',
      'aws_secret_access_key = fileSecret1',
      '',
      '# a comment',
      '[profile other]',
      'aws_access_key_id=AKIAFILEOTHER',
      'aws_secret_access_key=fileSecret2',
      'aws_account_id = 444455556666',
      '[empty]',
      'region = us-east-1',
    ].join('\n'),
  );
  const fromFile = readConfig(['--auth', 'strict', '--credentials-file', file], {});
  t.not(fromFile, 'help');
  if (fromFile === 'help') return;
  t.equal(fromFile.auth, 'strict');
  t.same(fromFile.credentials, [
    { accessKeyId: 'AKIAFILEDEFAULT', secretAccessKey: 'fileSecret1' },
    { accessKeyId: 'AKIAFILEOTHER', secretAccessKey: 'fileSecret2', accountId: '444455556666' },
  ]);
  const repeated = readConfig(['--auth=strict', '--credentials', 'A:B', '--credentials', 'C:D:123456789012'], {});
  t.same(repeated !== 'help' && repeated.credentials, [
    { accessKeyId: 'A', secretAccessKey: 'B' },
    { accessKeyId: 'C', secretAccessKey: 'D', accountId: '123456789012' },
  ]);
  const fromEnv = readConfig([], { ELASTICACHE_LOCAL_AUTH: 'strict', ELASTICACHE_LOCAL_CREDENTIALS: 'E:F, G:H' });
  t.same(fromEnv !== 'help' && [fromEnv.auth, fromEnv.credentials.map((c) => c.accessKeyId)], ['strict', ['E', 'G']]);
  t.equal(defaultConfig().auth, 'lenient');
  const refused = (argv: string[]) => {
    try {
      readConfig(argv, {});
    } catch (error) {
      return error instanceof ConfigError ? error.message : `not a ConfigError: ${error}`;
    }
    return 'accepted';
  };
  t.match(refused(['--auth', 'strict']), /--auth strict needs the credentials/);
  t.match(refused(['--auth', 'paranoid']), /--auth must be one of lenient, strict/);
  t.match(refused(['--credentials', 'only-a-key']), /KEY:SECRET/);
  t.match(refused(['--credentials-file', join(dir, 'missing')]), /cannot read/);
});
