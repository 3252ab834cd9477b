/**
 * Every answer is XML a client can read, whatever characters a request or the store holds (issue 18): a value with
 * a character XML 1.0 cannot carry (the C0 controls but tab, LF and CR; U+FFFE, U+FFFF; an unpaired surrogate)
 * is refused as InvalidParameterValue for its parameter and changes nothing; what error messages echo and what an
 * older database holds is written with such characters replaced; tab, LF, CR and DEL come back as they were sent.
 * Each answer is read by botocore (strict: one bad character fails the whole answer) and by the JS SDK.
 */
import * as elasticache from '@aws-sdk/client-elasticache';
import * as ec2 from '@aws-sdk/client-ec2';
import * as iam from '@aws-sdk/client-iam';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import type { Emulator } from '../../src/server.js';
import {
  botocoreCalls,
  botocoreParse,
  type BotocoreCall,
  type BotocoreCallResult,
  type BotocoreParseCase,
} from '../fixtures/botocore-calls.js';
import { CREDENTIALS, rawCall, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import { stripRequestIds } from '../fixtures/query-fuzz.js';
import { HttpResponse, sdkParseResponse } from '../fixtures/real-clients.js';

const EC_VERSION = '2015-02-02';
const EC2_VERSION = '2016-11-15';
/** What no XML document may hold (as in src/protocol/xml-chars.ts, written again here to check it). */
const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
/** Every character XML 1.0 cannot carry that a URL-encoded form can: C0 controls but tab/LF/CR, U+FFFE, U+FFFF. */
const REFUSED = [
  ...Array.from({ length: 0x20 }, (_, c) => c).filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d),
  0xfffe,
  0xffff,
].map((c) => String.fromCharCode(c));
/** Values XML carries that a careless writer would mangle: whitespace controls, DEL, markup, a surrogate pair. */
const KEPT = [
  'tab\there',
  'line\nfeed',
  'carriage\rreturn',
  'crlf\r\nend',
  'del\u007fhere',
  ' \t mixed\r\n\t\u007f ends with CR\r',
  'markup <&>"\' and 😀 and \u0085\u2028',
];

type Service = 'elasticache' | 'ec2' | 'iam';
const sdkModules: Record<Service, Record<string, any>> = { elasticache, ec2, iam };

function sdkClients(emulator: Emulator) {
  const config = { endpoint: emulator.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 };
  return {
    elasticache: new elasticache.ElastiCacheClient(config),
    ec2: new ec2.EC2Client(config),
    iam: new iam.IAMClient(config),
  } as Record<Service, { send(command: any): Promise<any>; destroy(): void }>;
}

/** A call through the JS SDK: its output, or the error it raised. */
async function sdkCall(
  clients: ReturnType<typeof sdkClients>,
  service: Service,
  operation: string,
  params: Record<string, unknown>,
): Promise<{ output?: any; error?: any }> {
  const Command = sdkModules[service][`${operation}Command`];
  try {
    return { output: await clients[service].send(new Command(params)) };
  } catch (error) {
    return { error };
  }
}

interface Fixtures {
  clusterArn: string;
  subnetId: string;
  vpcId: string;
}

async function createFixtures(emulator: Emulator, clients: ReturnType<typeof sdkClients>): Promise<Fixtures> {
  const ec = clients.elasticache;
  const created = await ec.send(
    new elasticache.CreateCacheClusterCommand({
      CacheClusterId: 'xml-redis',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
    }),
  );
  await ec.send(
    new elasticache.CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'xml-pg',
      CacheParameterGroupFamily: 'redis7',
      Description: 'xml',
    }),
  );
  const subnets = await ec.send(new elasticache.DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'default' }));
  const vpcs = await clients.ec2.send(new ec2.DescribeVpcsCommand({}));
  await emulator.reconciler.idle();
  return {
    clusterArn: created.CacheCluster.ARN,
    subnetId: subnets.CacheSubnetGroups[0].Subnets[0].SubnetIdentifier,
    vpcId: vpcs.Vpcs[0].VpcId,
  };
}

/** What a refused request must not change, read through the raw protocol, request ids removed. */
async function snapshot(emulator: Emulator, fixtures: Fixtures): Promise<Record<string, string>> {
  await emulator.reconciler.idle();
  const calls: [string, Record<string, string>][] = [
    ['DescribeCacheClusters', { Version: EC_VERSION, MaxRecords: '100' }],
    ['DescribeReplicationGroups', { Version: EC_VERSION, MaxRecords: '100' }],
    ['DescribeCacheParameterGroups', { Version: EC_VERSION, MaxRecords: '100' }],
    ['DescribeCacheParameters', { Version: EC_VERSION, CacheParameterGroupName: 'xml-pg', Source: 'user' }],
    ['DescribeCacheSubnetGroups', { Version: EC_VERSION, MaxRecords: '100' }],
    ['DescribeCacheSecurityGroups', { Version: EC_VERSION, MaxRecords: '100' }],
    ['ListTagsForResource', { Version: EC_VERSION, ResourceName: fixtures.clusterArn }],
    ['DescribeSecurityGroups', { Version: EC2_VERSION }],
    ['DescribeTags', { Version: EC2_VERSION }],
  ];
  const out: Record<string, string> = {};
  for (const [action, params] of calls) {
    const answer = await rawCall(emulator, { Action: action, ...params });
    // EC2 names its request id in lower case.
    out[action] = `${answer.status} ${stripRequestIds(answer.body).replace(/<requestId>[^<]*<\/requestId>/, '')}`;
  }
  return out;
}

interface Field {
  name: string;
  service: Service;
  operation: string;
  /** The parameter the error must name (a part of its wire name). */
  parameter: string;
  params: (value: string) => Record<string, unknown>;
}

/** Free-text members, ids and tags of a representative set of operations of every API served. */
function fields(f: Fixtures): Field[] {
  const redis = { Engine: 'redis', CacheNodeType: 'cache.t3.micro' };
  return [
    {
      name: 'parameter group Description',
      service: 'elasticache',
      operation: 'CreateCacheParameterGroup',
      parameter: 'Description',
      params: (v) => ({ CacheParameterGroupName: 'pg-new', CacheParameterGroupFamily: 'redis7', Description: v }),
    },
    {
      name: 'parameter group name',
      service: 'elasticache',
      operation: 'CreateCacheParameterGroup',
      parameter: 'CacheParameterGroupName',
      params: (v) => ({ CacheParameterGroupName: v, CacheParameterGroupFamily: 'redis7', Description: 'd' }),
    },
    {
      name: 'subnet group description',
      service: 'elasticache',
      operation: 'CreateCacheSubnetGroup',
      parameter: 'CacheSubnetGroupDescription',
      params: (v) => ({ CacheSubnetGroupName: 'sn-new', CacheSubnetGroupDescription: v, SubnetIds: [f.subnetId] }),
    },
    {
      name: 'cache security group Description',
      service: 'elasticache',
      operation: 'CreateCacheSecurityGroup',
      parameter: 'Description',
      params: (v) => ({ CacheSecurityGroupName: 'csg-new', Description: v }),
    },
    {
      name: 'replication group description',
      service: 'elasticache',
      operation: 'CreateReplicationGroup',
      parameter: 'ReplicationGroupDescription',
      params: (v) => ({ ReplicationGroupId: 'rg-new', ReplicationGroupDescription: v, ...redis }),
    },
    {
      name: 'tag value',
      service: 'elasticache',
      operation: 'AddTagsToResource',
      parameter: 'Value',
      params: (v) => ({ ResourceName: f.clusterArn, Tags: [{ Key: 'k', Value: v }] }),
    },
    {
      name: 'tag key',
      service: 'elasticache',
      operation: 'AddTagsToResource',
      parameter: 'Key',
      params: (v) => ({ ResourceName: f.clusterArn, Tags: [{ Key: v, Value: 'v' }] }),
    },
    {
      name: 'tag value on create',
      service: 'elasticache',
      operation: 'CreateCacheCluster',
      parameter: 'Value',
      params: (v) => ({ CacheClusterId: 'cc-new', ...redis, Tags: [{ Key: 'k', Value: v }] }),
    },
    {
      name: 'parameter value',
      service: 'elasticache',
      operation: 'ModifyCacheParameterGroup',
      parameter: 'ParameterValue',
      params: (v) => ({
        CacheParameterGroupName: 'xml-pg',
        ParameterNameValues: [{ ParameterName: 'maxmemory-policy', ParameterValue: v }],
      }),
    },
    {
      name: 'cluster id that would be echoed as not found',
      service: 'elasticache',
      operation: 'DescribeCacheClusters',
      parameter: 'CacheClusterId',
      params: (v) => ({ CacheClusterId: v }),
    },
    {
      name: 'EC2 security group description',
      service: 'ec2',
      operation: 'CreateSecurityGroup',
      parameter: 'GroupDescription',
      params: (v) => ({ GroupName: 'ec2-new', Description: v }),
    },
    {
      name: 'EC2 tag value',
      service: 'ec2',
      operation: 'CreateTags',
      parameter: 'Value',
      params: (v) => ({ Resources: [f.vpcId], Tags: [{ Key: 'k', Value: v }] }),
    },
    {
      name: 'EC2 VPC id that would be echoed as not found',
      service: 'ec2',
      operation: 'DescribeVpcs',
      parameter: 'VpcId',
      params: (v) => ({ VpcIds: [v] }),
    },
    {
      name: 'IAM user name',
      service: 'iam',
      operation: 'GetUser',
      parameter: 'UserName',
      params: (v) => ({ UserName: v }),
    },
  ];
}

/** `bad`, inside a value that is otherwise fine for the field (ids must start with a letter). */
const around = (bad: string) => `x${bad}y`;

t.test('a character XML cannot carry is refused in every field, by every API, and changes nothing', async (t) => {
  const emulator = await startTestEmulator(t);
  const clients = sdkClients(emulator);
  t.teardown(() => Object.values(clients).forEach((c) => c.destroy()));
  const fixtures = await createFixtures(emulator, clients);
  const before = await snapshot(emulator, fixtures);

  const cases = fields(fixtures).flatMap((field) =>
    REFUSED.map((bad) => ({ id: `${field.name} ${hex(bad)}`, field, value: around(bad) })),
  );

  // JS SDK v3: each call fails with InvalidParameterValue (ElastiCache models it as InvalidParameterValueException).
  const sdkProblems: string[] = [];
  for (const c of cases) {
    const { error } = await sdkCall(clients, c.field.service, c.field.operation, c.field.params(c.value));
    const status = error?.$metadata?.httpStatusCode;
    if (!error || !/^InvalidParameterValue(Exception)?$/.test(error.name) || status !== 400) {
      sdkProblems.push(`${c.id}: ${error ? `${error.name} ${status} ${error.message}` : 'succeeded'}`);
    } else if (!error.message.includes(c.field.parameter) || NOT_XML.test(error.message)) {
      sdkProblems.push(`${c.id}: message does not name ${c.field.parameter} cleanly: ${JSON.stringify(error.message)}`);
    }
  }
  t.same(sdkProblems, [], `JS SDK: ${cases.length} calls, each a 400 InvalidParameterValue naming its parameter`);
  t.same(await snapshot(emulator, fixtures), before, 'JS SDK calls: nothing created or changed');

  // botocore: the same calls by real clients, whose strict parser fails an answer holding any such character.
  const calls: BotocoreCall[] = cases.map((c) => ({
    id: c.id,
    service: c.field.service,
    operation: c.field.operation,
    params: c.field.params(c.value),
  }));
  const results = await botocoreCalls(t, emulator.url, calls);
  if (results) {
    const problems: string[] = [];
    for (const c of cases) {
      const r: BotocoreCallResult | undefined = results.get(c.id);
      if (!r || r.failure || r.code !== 'InvalidParameterValue' || r.status !== 400) {
        problems.push(`${c.id}: ${JSON.stringify(r)}`);
      } else if (!r.message?.includes(c.field.parameter)) problems.push(`${c.id}: message ${r.message}`);
    }
    t.same(problems, [], `botocore: ${cases.length} calls, each a 400 InvalidParameterValue it could read`);
    t.same(await snapshot(emulator, fixtures), before, 'botocore calls: nothing created or changed');
  }
});

/** An EC2 client whose transport answers `xml`: the SDK's own parse of an answer no client could request. */
async function sdkParseEc2(xml: string, statusCode: number): Promise<any> {
  const client = new ec2.EC2Client({
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: new HttpResponse({
          statusCode,
          headers: { 'content-type': 'text/xml' },
          body: Readable.from([Buffer.from(xml, 'utf8')]),
        }),
      }),
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
    } as any,
  });
  try {
    return await client.send(new ec2.DescribeVpcsCommand({}));
  } catch (error) {
    return error;
  } finally {
    client.destroy();
  }
}

async function sdkParseElastiCache(xml: string, statusCode: number): Promise<any> {
  return sdkParseResponse('DescribeCacheClusters', xml, statusCode).catch((error) => error);
}

t.test('error messages that echo what the client sent are readable XML', async (t) => {
  const emulator = await startTestEmulator(t);
  const clients = sdkClients(emulator);
  t.teardown(() => Object.values(clients).forEach((c) => c.destroy()));
  const fixtures = await createFixtures(emulator, clients);
  const before = await snapshot(emulator, fixtures);

  interface Echo {
    name: string;
    service: 'elasticache' | 'ec2';
    code: string;
    send: (bad: string) => ReturnType<typeof rawCall>;
  }
  const form = (pairs: [string, string][]) =>
    pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const echoes: Echo[] = [
    {
      name: 'an unknown action',
      service: 'elasticache',
      code: 'InvalidAction',
      send: (bad) => rawCall(emulator, { Action: `Nope${bad}`, Version: EC_VERSION }),
    },
    {
      name: 'an unknown EC2 action',
      service: 'ec2',
      code: 'InvalidAction',
      send: (bad) => rawCall(emulator, { Action: `Nope${bad}`, Version: EC2_VERSION }),
    },
    {
      name: 'a credential scope naming an unknown service',
      service: 'elasticache',
      code: 'InvalidAction',
      send: (bad) =>
        rawCall(emulator, {
          Action: 'DescribeCacheClusters',
          Version: EC_VERSION,
          'X-Amz-Credential': `test/20240101/us-east-1/svc${bad}/aws4_request`,
        }),
    },
    {
      name: 'a list index that is no number',
      service: 'elasticache',
      code: 'InvalidParameterValue',
      send: (bad) =>
        rawCall(
          emulator,
          form([
            ['Action', 'AddTagsToResource'],
            ['Version', EC_VERSION],
            ['ResourceName', fixtures.clusterArn],
            [`Tags.Tag.1${bad}.Key`, 'k'],
          ]),
        ),
    },
    {
      name: 'a broken escape next to a raw control character',
      service: 'elasticache',
      code: 'MalformedQueryString',
      // Not encoded: the raw character sits in the part the message quotes.
      send: (bad) => rawCall(emulator, `Action=DescribeCacheClusters&Version=${EC_VERSION}&CacheClusterId=a${bad}%zz`),
    },
  ];

  const answers: { id: string; echo: Echo; status: number; body: string }[] = [];
  for (const echo of echoes) {
    for (const bad of REFUSED) {
      const answer = await echo.send(bad);
      answers.push({ id: `${echo.name} ${hex(bad)}`, echo, status: answer.status, body: answer.body });
    }
  }
  const raw = answers.filter((a) => a.status < 400 || a.status > 499 || NOT_XML.test(a.body)).map((a) => a.id);
  t.same(raw, [], `${answers.length} answers: each a 4xx holding only characters XML carries`);

  const sdkProblems: string[] = [];
  for (const a of answers) {
    const parsed =
      a.echo.service === 'ec2' ? await sdkParseEc2(a.body, a.status) : await sdkParseElastiCache(a.body, a.status);
    const code = parsed?.Code ?? parsed?.name;
    if (!(parsed instanceof Error) || !code?.startsWith(a.echo.code)) {
      sdkProblems.push(`${a.id}: ${parsed?.name} ${parsed?.message}`);
    }
  }
  t.same(sdkProblems, [], 'the JS SDK reads each as the error it is');

  const cases: BotocoreParseCase[] = answers.map((a) => ({
    id: a.id,
    service: a.echo.service,
    operation: a.echo.service === 'ec2' ? 'DescribeVpcs' : 'DescribeCacheClusters',
    status: a.status,
    xml: a.body,
  }));
  const parsed = await botocoreParse(t, cases);
  if (parsed) {
    const problems = answers
      .filter((a) => parsed.get(a.id)?.parsed?.Error?.Code !== a.echo.code)
      .map((a) => `${a.id}: ${JSON.stringify(parsed.get(a.id))}`);
    t.same(problems, [], "botocore's parser reads each, with its code");
  }

  // An unpaired surrogate cannot be sent at all: percent-encoded as UTF-8 it is a broken escape.
  const surrogate = await rawCall(
    emulator,
    `Action=CreateCacheParameterGroup&Version=${EC_VERSION}&CacheParameterGroupName=pg-new` +
      '&CacheParameterGroupFamily=redis7&Description=a%ED%A0%80b',
  );
  t.equal(surrogate.status >= 400 && surrogate.status < 500, true, `an encoded surrogate: a 4xx (${surrogate.status})`);
  t.match(surrogate.body, /<Code>MalformedQueryString<\/Code>/);
  t.same(await snapshot(emulator, fixtures), before, 'nothing created or changed');
});

t.test('tab, LF, CR and DEL are accepted and come back as they were sent', async (t) => {
  const emulator = await startTestEmulator(t);
  const clients = sdkClients(emulator);
  t.teardown(() => Object.values(clients).forEach((c) => c.destroy()));
  const fixtures = await createFixtures(emulator, clients);
  const ec = clients.elasticache;
  const groupName = (i: number) => `kept-${i}`;
  for (const [i, value] of KEPT.entries()) {
    await ec.send(
      new elasticache.CreateCacheParameterGroupCommand({
        CacheParameterGroupName: groupName(i),
        CacheParameterGroupFamily: 'redis7',
        Description: value,
      }),
    );
  }
  // ElastiCache's tags take letters, digits, spaces and a few signs only, as AWS's do: EC2's take any text.
  await clients.ec2.send(
    new ec2.CreateTagsCommand({
      Resources: [fixtures.vpcId],
      Tags: KEPT.map((value, i) => ({ Key: `k${i}`, Value: value })),
    }),
  );

  const groups = await ec.send(new elasticache.DescribeCacheParameterGroupsCommand({ MaxRecords: 100 }));
  const descriptions = (list: any[]) =>
    KEPT.map((_, i) => list.find((g) => g.CacheParameterGroupName === groupName(i))?.Description);
  t.same(descriptions(groups.CacheParameterGroups), KEPT, 'JS SDK: every Description as it was sent');
  const tagValues = (list: any[]) => KEPT.map((_, i) => list.find((tag) => tag.Key === `k${i}`)?.Value);
  const ec2Tags = await clients.ec2.send(
    new ec2.DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [fixtures.vpcId] }] }),
  );
  t.same(tagValues(ec2Tags.Tags), KEPT, 'JS SDK: every EC2 tag value as it was sent');

  const results = await botocoreCalls(t, emulator.url, [
    { id: 'groups', service: 'elasticache', operation: 'DescribeCacheParameterGroups', params: { MaxRecords: 100 } },
    {
      id: 'ec2-tags',
      service: 'ec2',
      operation: 'DescribeTags',
      params: { Filters: [{ Name: 'resource-id', Values: [fixtures.vpcId] }] },
    },
  ]);
  if (results) {
    t.same(descriptions(results.get('groups')?.response?.CacheParameterGroups ?? []), KEPT, 'botocore: Descriptions');
    t.same(tagValues(results.get('ec2-tags')?.response?.Tags ?? []), KEPT, 'botocore: EC2 tag values');
  }
});

t.test('values an older database holds with characters XML cannot carry still make readable answers', async (t) => {
  const dataDir = tempDir(t);
  const first = await startTestEmulator(t, { dataDir });
  let clients = sdkClients(first);
  const ec = clients.elasticache;
  const group = await ec.send(
    new elasticache.CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'stored-pg',
      CacheParameterGroupFamily: 'redis7',
      Description: 'placeholder',
    }),
  );
  const groupArn = group.CacheParameterGroup.ARN;
  await ec.send(
    new elasticache.AddTagsToResourceCommand({ ResourceName: groupArn, Tags: [{ Key: 'k', Value: 'placeholder' }] }),
  );
  await clients.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: 'stored-sg', Description: 'placeholder' }));
  Object.values(clients).forEach((c) => c.destroy());
  await first.close();

  // As an older build, which checked nothing, would have stored them. Unpaired surrogates survive in the JSON of a
  // resource's state, as escapes; a column of their own (tags) would store them as U+FFFD already.
  const stored = 'old\u0001\u001f\u0000 \uFFFE\uFFFF \uD800 \uDC00 value\r\n';
  const written = 'old\uFFFD\uFFFD\uFFFD \uFFFD\uFFFD \uFFFD \uFFFD value\r\n';
  const storedTag = 'old\u0001\u001f\u0000 \uFFFE\uFFFF value\r\n';
  const writtenTag = 'old\uFFFD\uFFFD\uFFFD \uFFFD\uFFFD value\r\n';
  const db = new Database(join(dataDir, 'elasticache-local.sqlite'));
  const rows = db.prepare("SELECT rowid, state FROM resources WHERE state LIKE '%stored-%'").all() as {
    rowid: number;
    state: string;
  }[];
  t.equal(rows.length, 2, 'the parameter group and the security group are stored');
  for (const row of rows) {
    const state = JSON.parse(row.state);
    state.Description = stored;
    if (state.GroupName === 'stored-sg') state.Tags = [{ Key: 'k', Value: stored }];
    db.prepare('UPDATE resources SET state = ? WHERE rowid = ?').run(JSON.stringify(state), row.rowid);
  }
  t.equal(db.prepare('UPDATE tags SET value = ? WHERE arn = ?').run(storedTag, groupArn).changes, 1, 'the tag too');
  db.close();

  const second = await startTestEmulator(t, { dataDir });
  clients = sdkClients(second);
  t.teardown(() => Object.values(clients).forEach((c) => c.destroy()));
  const groups = await clients.elasticache.send(new elasticache.DescribeCacheParameterGroupsCommand({}));
  const described = groups.CacheParameterGroups?.find((g: any) => g.CacheParameterGroupName === 'stored-pg');
  t.equal(described?.Description, written, 'JS SDK: the whole list reads, the bad characters replaced');
  const tags = await clients.elasticache.send(new elasticache.ListTagsForResourceCommand({ ResourceName: groupArn }));
  t.equal(tags.TagList?.[0]?.Value, writtenTag, 'JS SDK: the tag reads');
  const sgs = await clients.ec2.send(new ec2.DescribeSecurityGroupsCommand({}));
  const sg = sgs.SecurityGroups?.find((g: any) => g.GroupName === 'stored-sg');
  t.equal(sg?.Description, written, 'JS SDK: the EC2 security groups read');
  t.equal(sg?.Tags?.[0]?.Value, written, 'JS SDK: with their tags');

  const results = await botocoreCalls(t, second.url, [
    { id: 'groups', service: 'elasticache', operation: 'DescribeCacheParameterGroups', params: {} },
    { id: 'tags', service: 'elasticache', operation: 'ListTagsForResource', params: { ResourceName: groupArn } },
    { id: 'sgs', service: 'ec2', operation: 'DescribeSecurityGroups', params: {} },
    { id: 'ec2-tags', service: 'ec2', operation: 'DescribeTags', params: {} },
  ]);
  if (results) {
    for (const [id, r] of results) t.notOk(r.failure ?? r.code, `botocore reads ${id}`, { result: r });
    const pg = results
      .get('groups')
      ?.response?.CacheParameterGroups?.find((g: any) => g.CacheParameterGroupName === 'stored-pg');
    t.equal(pg?.Description, written, 'botocore: the Description, replaced');
    t.equal(results.get('tags')?.response?.TagList?.[0]?.Value, writtenTag, 'botocore: the tag');
    const botoSg = results.get('sgs')?.response?.SecurityGroups?.find((g: any) => g.GroupName === 'stored-sg');
    t.equal(botoSg?.Description, written, 'botocore: the EC2 security group');
    t.ok(
      results.get('ec2-tags')?.response?.Tags?.some((tag: any) => tag.Value === written),
      'botocore: the EC2 tag',
    );
  }
});
