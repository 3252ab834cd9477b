/**
 * Fuzzes every operation of the ElastiCache model through the raw Query protocol: missing, empty, mistyped,
 * out-of-range, over-long and half-filled parameters, broken list indices and percent-escapes, unknown and
 * duplicated keys, random junk. Every answer must be a well-formed AWS client error (or a 200 for a request that
 * happens to be valid), carry its request id, never be a 5xx, and leave the stored state as it was.
 *
 * Deterministic: the PRNG seed is printed and can be replayed with FUZZ_SEED=<n>; FUZZ_PER_OP changes the batch size.
 */
import {
  AddTagsToResourceCommand,
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  CreateCacheSecurityGroupCommand,
  CreateCacheSubnetGroupCommand,
  DescribeCacheClustersCommand,
  DescribeCacheParameterGroupsCommand,
  DescribeCacheSecurityGroupsCommand,
  DescribeCacheSubnetGroupsCommand,
  DescribeReservedCacheNodesCommand,
  DescribeReservedCacheNodesOfferingsCommand,
  ModifyCacheParameterGroupCommand,
  PurchaseReservedCacheNodesOfferingCommand,
  type ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import t from 'tap';
import type { Emulator } from '../../src/server.js';
import { elastiCacheModel } from '../../src/services/elasticache/index.js';
import { rawCall, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import {
  QueryFuzzer,
  parseErrorEnvelope,
  prng,
  shorten,
  stripRequestIds,
  successRequestId,
  type FuzzRequest,
  type Value,
} from '../fixtures/query-fuzz.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20150202);
const PER_OP = Number(process.env.FUZZ_PER_OP ?? 15);
const VERSION = '2015-02-02';
const model = elastiCacheModel();
const operations = Object.keys(model.operations).sort();
const readOnly = (op: string) => /^(Describe|List)/.test(op);

interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** Everything wrong with one answer, as readable strings (empty when it is fine). */
function problemsWith(op: string | undefined, request: { mustFail?: boolean }, answer: Answer): string[] {
  const problems: string[] = [];
  const headerId = answer.headers.get('x-amzn-requestid');
  if (!headerId) problems.push('no x-amzn-RequestId header');
  if (!/^text\/xml\b/.test(answer.headers.get('content-type') ?? '')) {
    problems.push(`content-type is ${answer.headers.get('content-type')}, not text/xml`);
  }
  if (answer.status >= 500) problems.push(`server error ${answer.status}`);
  if (answer.status === 200) {
    if (request.mustFail) problems.push('200 for a request that is invalid for certain');
    const id = op ? successRequestId(op, answer.body) : undefined;
    if (!id) problems.push('a 200 whose body is not a <OpResponse> with ResponseMetadata');
    else if (id !== headerId) problems.push(`RequestId ${id} differs from the header's ${headerId}`);
    return problems;
  }
  if (answer.status < 400 || answer.status > 499) problems.push(`status ${answer.status} is neither 200 nor 4xx`);
  const envelope = parseErrorEnvelope(answer.body);
  if (!envelope) {
    problems.push('body is not an AWS <ErrorResponse> envelope');
    return problems;
  }
  if (envelope.type !== 'Sender') problems.push(`error Type ${envelope.type}, not Sender`);
  if (!envelope.code) problems.push('empty error Code');
  if (!envelope.message) problems.push('empty error Message');
  if (envelope.requestId !== headerId)
    problems.push(`RequestId ${envelope.requestId} differs from the header's ${headerId}`);
  if (envelope.code === 'InvalidAction' && op && !envelope.message.includes(op)) {
    problems.push(`InvalidAction whose message does not name ${op}`);
  }
  return problems;
}

function describeProblem(request: Pick<FuzzRequest, 'strategy' | 'body' | 'why'>, answer: Answer, problems: string[]) {
  return {
    strategy: request.strategy,
    why: shorten(request.why, 200),
    request: shorten(request.body, 400),
    status: answer.status,
    response: shorten(answer.body, 400),
    problems,
  };
}

async function send(emulator: Emulator, request: Pick<FuzzRequest, 'body' | 'headers'>): Promise<Answer> {
  return rawCall(emulator, request.body, request.headers ?? {});
}

interface Fixtures {
  clusterArn: string;
  parameterGroupArn: string;
  offeringId: string;
  subnetId: string;
}

async function waitStable(emulator: Emulator, client: ElastiCacheClient): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await emulator.reconciler.idle();
    const { CacheClusters = [] } = await client.send(new DescribeCacheClustersCommand({}));
    if (CacheClusters.every((c) => ['available', 'incompatible-network'].includes(c.CacheClusterStatus!))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('clusters did not settle');
}

/** Creates (or re-creates, after a fuzz request that happened to be valid removed them) the fixtures. */
async function ensureFixtures(emulator: Emulator, client: ElastiCacheClient): Promise<Fixtures> {
  await waitStable(emulator, client);
  const ok = (e: any) => {
    if (!/AlreadyExist/.test(e?.name ?? '')) throw e;
  };
  await client
    .send(
      new CreateCacheClusterCommand({ CacheClusterId: 'fuzz-redis', Engine: 'redis', CacheNodeType: 'cache.t3.micro' }),
    )
    .catch(ok);
  await client
    .send(
      new CreateCacheClusterCommand({
        CacheClusterId: 'fuzz-mc',
        Engine: 'memcached',
        CacheNodeType: 'cache.t3.micro',
        NumCacheNodes: 2,
      }),
    )
    .catch(ok);
  const pg = await client
    .send(
      new CreateCacheParameterGroupCommand({
        CacheParameterGroupName: 'fuzz-pg',
        CacheParameterGroupFamily: 'redis7',
        Description: 'fuzz',
      }),
    )
    .then(() => true, ok);
  if (pg) {
    await client.send(
      new ModifyCacheParameterGroupCommand({
        CacheParameterGroupName: 'fuzz-pg',
        ParameterNameValues: [{ ParameterName: 'maxmemory-policy', ParameterValue: 'volatile-lru' }],
      }),
    );
  }
  await client
    .send(new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'fuzz-sg', Description: 'fuzz' }))
    .catch(ok);
  const subnets = await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'default' }));
  const subnetId = subnets.CacheSubnetGroups![0].Subnets![0].SubnetIdentifier!;
  await client
    .send(
      new CreateCacheSubnetGroupCommand({
        CacheSubnetGroupName: 'fuzz-subnets',
        CacheSubnetGroupDescription: 'fuzz',
        SubnetIds: [subnetId],
      }),
    )
    .catch(ok);
  const offerings = await client.send(
    new DescribeReservedCacheNodesOfferingsCommand({ CacheNodeType: 'cache.t3.micro', MaxRecords: 20 }),
  );
  const offeringId = offerings.ReservedCacheNodesOfferings![0].ReservedCacheNodesOfferingId!;
  const reserved = await client.send(new DescribeReservedCacheNodesCommand({}));
  if (!reserved.ReservedCacheNodes?.some((r) => r.ReservedCacheNodeId === 'fuzz-ri')) {
    await client.send(
      new PurchaseReservedCacheNodesOfferingCommand({
        ReservedCacheNodesOfferingId: offeringId,
        ReservedCacheNodeId: 'fuzz-ri',
      }),
    );
  }
  await waitStable(emulator, client);
  const cluster = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'fuzz-redis' })))
    .CacheClusters![0];
  const group = (await client.send(new DescribeCacheParameterGroupsCommand({ CacheParameterGroupName: 'fuzz-pg' })))
    .CacheParameterGroups![0];
  await client.send(new AddTagsToResourceCommand({ ResourceName: cluster.ARN, Tags: [{ Key: 'fuzz', Value: 'yes' }] }));
  await client.send(new DescribeCacheSecurityGroupsCommand({ CacheSecurityGroupName: 'fuzz-sg' }));
  return { clusterArn: cluster.ARN!, parameterGroupArn: group.ARN!, offeringId, subnetId };
}

/** The read-only view of the state the fuzzing must not change, request ids removed. */
async function snapshot(emulator: Emulator, fixtures: Fixtures): Promise<Record<string, string>> {
  await emulator.reconciler.idle();
  const calls: Record<string, Record<string, string>> = {
    DescribeCacheClusters: { ShowCacheNodeInfo: 'true', MaxRecords: '100' },
    DescribeCacheParameterGroups: { MaxRecords: '100' },
    DescribeCacheSubnetGroups: { MaxRecords: '100' },
    DescribeCacheSecurityGroups: { MaxRecords: '100' },
    DescribeReservedCacheNodes: { MaxRecords: '100' },
    // Beyond the five: what tag and parameter changes would show.
    ListTagsForResource: { ResourceName: fixtures.clusterArn },
    DescribeCacheParameters: { CacheParameterGroupName: 'fuzz-pg', Source: 'user' },
  };
  const out: Record<string, string> = {};
  for (const [action, params] of Object.entries(calls)) {
    const answer = await rawCall(emulator, { Action: action, Version: VERSION, ...params });
    out[action] = `${answer.status} ${stripRequestIds(answer.body)}`;
  }
  return out;
}

t.test(`every operation survives a fuzzed batch (seed ${SEED}, ${PER_OP} per operation)`, async (t) => {
  t.equal(operations.length, 75, 'the model has 75 operations');
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  let fixtures = await ensureFixtures(emulator, client);
  const plausible: Record<string, Value> = {
    CacheClusterId: 'fuzz-redis',
    CacheClusterIds: ['fuzz-redis'],
    CacheParameterGroupName: 'fuzz-pg',
    CacheParameterGroupFamily: 'redis7',
    CacheSubnetGroupName: 'fuzz-subnets',
    CacheSecurityGroupName: 'fuzz-sg',
    CacheSecurityGroupNames: ['fuzz-sg'],
    ResourceName: fixtures.clusterArn,
    Engine: 'redis',
    CacheNodeType: 'cache.t3.micro',
    Description: 'fuzz',
    CacheSubnetGroupDescription: 'fuzz',
    SubnetIds: [fixtures.subnetId],
    ReservedCacheNodesOfferingId: fixtures.offeringId,
    ReservedCacheNodeId: 'fuzz-ri',
    CacheNodeIdsToReboot: ['0001'],
    EC2SecurityGroupName: 'default',
    EC2SecurityGroupOwnerId: '123456789012',
    ParameterNameValues: [{ ParameterName: 'maxmemory-policy', ParameterValue: 'allkeys-lru' }],
    TagKeys: ['fuzz'],
    Tags: [{ Key: 'fuzz2', Value: 'x' }],
    ServiceUpdateName: 'elasticache-20240101-001',
  };
  const fuzzer = new QueryFuzzer(model, plausible, VERSION);
  const rng = prng(SEED);
  t.comment(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);

  const accepted: string[] = [];
  const started = Date.now();
  let total = 0;
  let baseline = await snapshot(emulator, fixtures);
  for (const op of operations) {
    const batch = fuzzer.batch(op, rng, PER_OP);
    const problems: ReturnType<typeof describeProblem>[] = [];
    const okOnes: FuzzRequest[] = [];
    for (const request of batch) {
      const answer = await send(emulator, request);
      total++;
      const found = problemsWith(op, request, answer);
      if (found.length > 0) problems.push(describeProblem(request, answer, found));
      if (answer.status === 200) okOnes.push(request);
    }
    t.same(problems, [], `${op}: ${batch.length} fuzzed requests all answered with a well-formed 4xx (or a 200)`);

    const alive = await rawCall(emulator, { Action: 'DescribeCacheClusters', Version: VERSION });
    t.equal(alive.status, 200, `${op}: the server still answers afterwards`);

    const after = await snapshot(emulator, fixtures);
    if (okOnes.length > 0 && !readOnly(op)) {
      const list = okOnes.map((r) => `${r.strategy}: ${shorten(r.body, 160)}`);
      accepted.push(...list.map((l) => `${op} ← ${l}`));
      t.comment(
        `${op}: ${okOnes.length} fuzz request(s) were valid and accepted (200); state may have changed:\n  ${list.join('\n  ')}`,
      );
      fixtures = await ensureFixtures(emulator, client);
      plausible.ResourceName = fixtures.clusterArn;
      baseline = await snapshot(emulator, fixtures);
    } else {
      for (const [call, before] of Object.entries(baseline)) {
        t.equal(after[call], before, `${op}: ${call} unchanged by the fuzzing`);
      }
      baseline = after;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  t.comment(
    `${total} fuzz requests over ${operations.length} operations in ${seconds.toFixed(1)} s; ${accepted.length} mutating ones accepted`,
  );
  t.ok(seconds < 60, 'the fuzzing stays under a minute');
});

t.test('protocol basics: MissingAction, InvalidAction, GET like POST, request ids everywhere', async (t) => {
  const emulator = await startTestEmulator(t);
  const check = (what: string, answer: Answer, op?: string, request: { mustFail?: boolean } = { mustFail: true }) => {
    t.same(problemsWith(op, request, answer), [], `${what}: a well-formed answer`);
    return parseErrorEnvelope(answer.body);
  };

  const missing = await rawCall(emulator, { Version: VERSION });
  t.equal(missing.status, 400);
  t.equal(check('no Action', missing)?.code, 'MissingAction');
  const empty = await rawCall(emulator, '');
  t.equal(check('an empty body', empty)?.code, 'MissingAction');
  const blank = await rawCall(emulator, { Action: '', Version: VERSION });
  t.equal(check('a blank Action', blank)?.code, 'MissingAction');

  const nope = await rawCall(emulator, { Action: 'Nope', Version: VERSION });
  t.equal(nope.status, 400);
  const nopeError = check('Action=Nope', nope);
  t.equal(nopeError?.code, 'InvalidAction');
  t.match(nopeError?.message, /Nope/);

  const lower = await rawCall(emulator, { Action: 'describecacheclusters', Version: VERSION });
  t.equal(check('a lowercase action', lower)?.code, 'InvalidAction', 'action names are case-sensitive');

  // The same query as GET and as POST: same status, same body but for the request id.
  const query = new URLSearchParams({
    Action: 'DescribeCacheEngineVersions',
    Version: VERSION,
    Engine: 'redis',
    MaxRecords: '20',
  }).toString();
  const viaGet = await fetch(`${emulator.url}/?${query}`);
  const getBody = await viaGet.text();
  const viaPost = await rawCall(emulator, query);
  t.equal(viaGet.status, 200, 'GET with a query string works');
  t.same(
    problemsWith('DescribeCacheEngineVersions', {}, { status: viaGet.status, body: getBody, headers: viaGet.headers }),
    [],
  );
  t.equal(stripRequestIds(getBody), stripRequestIds(viaPost.body), 'GET answers exactly what POST answers');
  t.not(
    viaGet.headers.get('x-amzn-requestid'),
    viaPost.headers.get('x-amzn-requestid'),
    'every request has its own id',
  );

  const getError = await fetch(`${emulator.url}/?Action=DescribeCacheClusters&Version=${VERSION}&CacheClusterId=nope`);
  const getErrorBody = await getError.text();
  t.equal(getError.status, 404);
  t.equal(
    check('GET of a missing cluster', { status: getError.status, body: getErrorBody, headers: getError.headers })?.code,
    'CacheClusterNotFound',
  );

  const getMissing = await fetch(`${emulator.url}/?Version=${VERSION}`);
  t.equal(
    check('GET without Action', {
      status: getMissing.status,
      body: await getMissing.text(),
      headers: getMissing.headers,
    })?.code,
    'MissingAction',
  );

  // Query string and body together: parameters from both are read.
  const mixed = await fetch(`${emulator.url}/?Action=DescribeCacheClusters`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `Version=${VERSION}&CacheClusterId=nope`,
  });
  t.equal(mixed.status, 404, 'Action from the query string, parameters from the body');
  await mixed.text();

  const broken = await rawCall(emulator, `Action=DescribeCacheClusters&Version=${VERSION}&CacheClusterId=%zz`);
  t.ok(broken.status >= 400 && broken.status < 500, 'a broken escape is a client error');
  t.equal(check('a broken escape', broken)?.code, 'MalformedQueryString');

  const other = await fetch(`${emulator.url}/some/other/path?Action=DescribeCacheClusters&Version=${VERSION}`);
  t.same(
    problemsWith(
      'DescribeCacheClusters',
      {},
      { status: other.status, body: await other.text(), headers: other.headers },
    ),
    [],
    'any path is the endpoint',
  );

  const bodies = ['{"Action":"DescribeCacheClusters"}', `Action=DescribeCacheClusters&Version=${VERSION}`];
  for (const contentType of ['application/json', 'text/plain', 'application/octet-stream']) {
    for (const body of bodies) {
      const answer = await rawCall(emulator, body, { 'content-type': contentType });
      t.same(
        problemsWith('DescribeCacheClusters', { mustFail: false }, answer),
        [],
        `content-type ${contentType}, body ${body.slice(0, 20)}…: well formed`,
      );
    }
  }
  const noType = await fetch(`${emulator.url}/`, {
    method: 'POST',
    body: new Blob([`Action=DescribeCacheClusters&Version=${VERSION}`]),
  });
  t.same(
    problemsWith(
      'DescribeCacheClusters',
      {},
      { status: noType.status, body: await noType.text(), headers: noType.headers },
    ),
    [],
    'no content-type: well formed',
  );

  const huge = await rawCall(
    emulator,
    `Action=DescribeCacheClusters&Version=${VERSION}&Junk=${'x'.repeat(5 * 1024 * 1024)}`,
  );
  t.ok(huge.status >= 400 && huge.status < 500, `a 5 MB body is a client error (${huge.status})`);
  check('a 5 MB body', huge);

  const burst = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      rawCall(emulator, { Action: i % 2 ? 'DescribeCacheClusters' : 'Nope', Version: VERSION }),
    ),
  );
  const ids = burst.map((a) => a.headers.get('x-amzn-requestid'));
  t.ok(ids.every(Boolean), 'a burst: every answer has a request id');
  t.equal(new Set(ids).size, ids.length, 'a burst: all request ids differ');
  t.ok(
    burst.every((a) => a.status === 200 || a.status === 400),
    'a burst: no failure under concurrency',
  );
});

t.test('Action names that are Object.prototype members are unknown actions', async (t) => {
  const emulator = await startTestEmulator(t);
  for (const action of [
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'isPrototypeOf',
    '__defineGetter__',
  ]) {
    const answer = await rawCall(emulator, { Action: action, Version: VERSION });
    const problems = problemsWith(undefined, { mustFail: true }, answer);
    t.same(problems, [], `Action=${action}: a well-formed client error`, {
      status: answer.status,
      body: shorten(answer.body, 200),
    });
    t.equal(parseErrorEnvelope(answer.body)?.code, 'InvalidAction', `Action=${action}: InvalidAction`);
  }
  const alive = await rawCall(emulator, { Action: 'DescribeCacheClusters', Version: VERSION });
  t.equal(alive.status, 200, 'the server still answers');
});

t.test('methods other than GET and POST still get an AWS error envelope with a request id', async (t) => {
  const emulator = await startTestEmulator(t);
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const answer = await fetch(`${emulator.url}/?Action=DescribeCacheClusters&Version=${VERSION}`, { method });
    const body = await answer.text();
    t.ok(answer.status >= 400 && answer.status < 500, `${method}: a client error (${answer.status})`);
    t.same(
      problemsWith(undefined, { mustFail: true }, { status: answer.status, body, headers: answer.headers }),
      [],
      `${method}: x-amzn-RequestId and an <ErrorResponse> (got ${answer.headers.get('content-type')}: ${shorten(body, 160)})`,
    );
  }
});
