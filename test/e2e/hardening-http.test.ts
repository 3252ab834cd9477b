/**
 * The HTTP limits (issue 18), through raw sockets to 127.0.0.1: a request that stalls is cut off, a body too large,
 * headers too large and broken HTTP/1.1 framing are answered with the AWS XML error envelope (never Fastify's JSON),
 * with the documented status and code; and the data dir is private to its user. The timeouts are set short here,
 * through the server's own options, so a stall is cut off in a second or two.
 */
import { chmodSync, existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULT_HTTP_LIMITS } from '../../src/http/limits.js';
import type { Emulator } from '../../src/server.js';
import { botocoreParse } from '../fixtures/botocore-calls.js';
import { rawCall, startTestEmulator, tempDir } from '../fixtures/emulator.js';
import { parseErrorEnvelope } from '../fixtures/query-fuzz.js';

const VERSION = '2015-02-02';
/** Far above any limit set here: a connection still open this long was never cut off. */
const GENEROUS_MS = 20_000;

interface Exchange {
  /** Everything the server sent. */
  received: string;
  /** Whether the server closed the connection (false: the test gave up waiting). */
  closedByServer: boolean;
}

/**
 * Sends `parts` over a fresh connection (each written as it comes; a part that is a number is a pause of that many
 * ms), then reads until the server closes the connection, or GENEROUS_MS passes.
 */
function exchange(emulator: Emulator, parts: (string | Buffer | number)[]): Promise<Exchange> {
  const port = Number(new URL(emulator.url).port);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let answered = false;
    const guard = setTimeout(() => finish(false), GENEROUS_MS);
    const finish = (closedByServer: boolean) => {
      clearTimeout(guard);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks).toString('utf8'), closedByServer });
    };
    socket.on('data', (chunk) => {
      answered = true;
      chunks.push(chunk);
    });
    // A server that answers before it has read everything may reset the rest: what it sent is kept.
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (const part of parts) {
        if (answered || socket.destroyed) break;
        if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
        else await new Promise<void>((r) => socket.write(part, () => r()));
      }
    });
  });
}

interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

function parseAnswer(received: string): RawAnswer | undefined {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = received.slice(0, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: received.slice(end + 4) };
}

/** What is wrong with an answer that should be the XML error `code` with `status` (empty when nothing is). */
function problemsWith(answer: RawAnswer | undefined, status: number, code: string, closes: boolean): string[] {
  if (!answer) return ['no HTTP answer'];
  const problems: string[] = [];
  if (answer.status !== status) problems.push(`status ${answer.status}, not ${status}`);
  if (!/^text\/xml\b/.test(answer.headers.get('content-type') ?? '')) {
    problems.push(`content-type ${answer.headers.get('content-type')}`);
  }
  const envelope = parseErrorEnvelope(answer.body);
  if (!envelope) return [...problems, `not an ErrorResponse: ${answer.body.slice(0, 200)}`];
  if (envelope.code !== code) problems.push(`code ${envelope.code}, not ${code}`);
  if (!envelope.message) problems.push('no message');
  if (!envelope.requestId || envelope.requestId !== answer.headers.get('x-amzn-requestid')) {
    problems.push(`RequestId ${envelope.requestId} and x-amzn-RequestId ${answer.headers.get('x-amzn-requestid')}`);
  }
  if (Buffer.byteLength(answer.body) !== Number(answer.headers.get('content-length'))) {
    problems.push('content-length does not match the body');
  }
  if (closes && answer.headers.get('connection')?.toLowerCase() !== 'close') problems.push('no Connection: close');
  return problems;
}

const post = (headers: string, body = '') =>
  `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n${headers}\r\n${body}`;

t.test('the server enforces the documented limits by default', async (t) => {
  const emulator = await startTestEmulator(t);
  const server = emulator.app.server;
  t.equal(server.requestTimeout, DEFAULT_HTTP_LIMITS.requestTimeoutMs, `requestTimeout ${server.requestTimeout} ms`);
  t.equal(server.headersTimeout, DEFAULT_HTTP_LIMITS.headersTimeoutMs, `headersTimeout ${server.headersTimeout} ms`);
  t.ok(DEFAULT_HTTP_LIMITS.requestTimeoutMs > 0 && DEFAULT_HTTP_LIMITS.requestTimeoutMs <= 60_000, 'bounded');
});

t.test('requests that stall are cut off, with an XML 408 while one can still be written', async (t) => {
  const emulator = await startTestEmulator(t, { requestTimeoutMs: 1_000, headersTimeoutMs: 1_000 });
  const cases: [string, (string | number)[]][] = [
    ['a body that stops after 10 of 100 bytes', [post('Content-Length: 100\r\n', 'Action=Des')]],
    ['headers that stop half-way', ['POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty']],
    ['a body that trickles', [post('Content-Length: 100\r\n', 'Ac'), 600, 'ti', 600, 'on', 600, '=D', 600, 'es']],
  ];
  for (const [name, parts] of cases) {
    const { received, closedByServer } = await exchange(emulator, parts);
    t.ok(closedByServer, `${name}: the connection is closed (within ${GENEROUS_MS / 1000} s)`);
    if (received) {
      t.same(problemsWith(parseAnswer(received), 408, 'RequestTimeout', true), [], `${name}: an XML 408 first`);
    }
  }

  // The rest of a cut-off request, sent the moment the 408 arrives, must not run the call the client was told failed.
  const create = `Action=CreateCacheSecurityGroup&Version=${VERSION}&CacheSecurityGroupName=late&Description=late`;
  const late = await new Promise<string>((resolve) => {
    const socket = connect(Number(new URL(emulator.url).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      if (chunks.length === 0) socket.write(create.slice(10));
      chunks.push(chunk);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(post(`Content-Length: ${create.length}\r\n`, create.slice(0, 10)));
    setTimeout(() => socket.destroy(), GENEROUS_MS).unref();
  });
  t.same(problemsWith(parseAnswer(late), 408, 'RequestTimeout', true), [], 'a create cut off: an XML 408');
  const groups = await rawCall(emulator, { Action: 'DescribeCacheSecurityGroups', Version: VERSION });
  t.notMatch(groups.body, /<CacheSecurityGroupName>late</, 'and its rest, sent after the 408, created nothing');

  const alive = await rawCall(emulator, { Action: 'DescribeCacheClusters', Version: VERSION });
  t.equal(alive.status, 200, 'the server still answers');
});

t.test('too large, unreadable or oversized requests get XML errors with their status', async (t) => {
  const emulator = await startTestEmulator(t);
  const query = `Action=DescribeCacheClusters&Version=${VERSION}&Junk=`;
  const twentyMb = 20 * 1024 * 1024;
  const megabyte = Buffer.alloc(1024 * 1024, 'x');
  const cases: { name: string; parts: (string | Buffer | number)[]; status: number; code: string }[] = [
    {
      name: 'a 20 MB body (Content-Length)',
      parts: [post(`Content-Length: ${query.length + twentyMb}\r\n`, query), megabyte, megabyte],
      status: 413,
      code: 'RequestEntityTooLargeException',
    },
    {
      name: 'a chunked body past the limit',
      parts: [
        post('Transfer-Encoding: chunked\r\n'),
        ...Array.from({ length: 6 }, () => Buffer.concat([Buffer.from('100000\r\n'), megabyte, Buffer.from('\r\n')])),
      ],
      status: 413,
      code: 'RequestEntityTooLargeException',
    },
    {
      name: 'a chunk size that is no number',
      parts: [post('Transfer-Encoding: chunked\r\n', 'zz\r\nabc\r\n0\r\n\r\n')],
      status: 400,
      code: 'MalformedHttpRequestException',
    },
    {
      name: 'both Content-Length and Transfer-Encoding',
      parts: [post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n')],
      status: 400,
      code: 'MalformedHttpRequestException',
    },
    {
      name: 'a NUL in a header',
      parts: [post('X-Amz-Date: 2024\u00000101\r\nContent-Length: 0\r\n')],
      status: 400,
      code: 'MalformedHttpRequestException',
    },
    {
      name: 'a request line that is no HTTP',
      parts: ['HELLO THERE\r\n\r\n'],
      status: 400,
      code: 'MalformedHttpRequestException',
    },
    {
      name: 'headers past 16 KiB',
      parts: [post(`X-Padding: ${'a'.repeat(20_000)}\r\nContent-Length: 0\r\n`)],
      status: 431,
      code: 'RequestHeaderSectionTooLarge',
    },
    {
      name: 'a path that is no URL (a broken percent-escape)',
      parts: [
        `GET /%zz?Action=DescribeCacheClusters&Version=${VERSION} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ],
      status: 400,
      code: 'MalformedHttpRequestException',
    },
  ];
  const bodies: { id: string; status: number; xml: string }[] = [];
  for (const c of cases) {
    const { received, closedByServer } = await exchange(emulator, c.parts);
    const answer = parseAnswer(received);
    t.same(problemsWith(answer, c.status, c.code, true), [], `${c.name}: ${c.status} ${c.code} in XML`, {
      received: received.slice(0, 600),
    });
    t.ok(closedByServer, `${c.name}: the connection is closed`);
    if (answer) bodies.push({ id: c.name, status: answer.status, xml: answer.body });
  }

  const parsed = await botocoreParse(
    t,
    bodies.map((b) => ({ ...b, service: 'elasticache', operation: 'DescribeCacheClusters' })),
  );
  if (parsed) {
    const problems = cases
      .filter((c) => parsed.get(c.name)?.parsed?.Error?.Code !== c.code)
      .map((c) => `${c.name}: ${JSON.stringify(parsed.get(c.name))}`);
    t.same(problems, [], "botocore's parser reads every one, with its code");
  }
  const alive = await rawCall(emulator, { Action: 'DescribeCacheClusters', Version: VERSION });
  t.equal(alive.status, 200, 'the server still answers');
});

t.test('the data dir is private to its user: 0700, the database files 0600, tightened at start', async (t) => {
  const dataDir = join(tempDir(t), 'data');
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
  const files = ['elasticache-local.sqlite', 'elasticache-local.sqlite-wal', 'elasticache-local.sqlite-shm'];
  const modes = () => ({
    dir: mode(dataDir),
    ...Object.fromEntries(files.filter((f) => existsSync(join(dataDir, f))).map((f) => [f, mode(join(dataDir, f))])),
  });

  const first = await startTestEmulator(t, { dataDir });
  await rawCall(first, {
    Action: 'CreateCacheSecurityGroup',
    Version: VERSION,
    CacheSecurityGroupName: 'private',
    Description: 'written, so the WAL exists',
  });
  t.same(
    modes(),
    { dir: '700', ...Object.fromEntries(files.map((f) => [f, '600'])) },
    'created private, WAL and shared memory too',
  );
  await first.close();

  // As an earlier build left them: world-readable.
  chmodSync(dataDir, 0o755);
  for (const f of files) if (existsSync(join(dataDir, f))) chmodSync(join(dataDir, f), 0o644);
  const second = await startTestEmulator(t, { dataDir });
  const after = modes();
  t.equal(after.dir, '700', 'the dir is tightened');
  for (const f of files) if (f in after) t.equal(after[f as keyof typeof after], '600', `${f} is tightened`);
  const still = await rawCall(second, { Action: 'DescribeCacheSecurityGroups', Version: VERSION });
  t.match(still.body, /<CacheSecurityGroupName>private<\/CacheSecurityGroupName>/, 'and its data is still there');
});
