/**
 * XmlSerializer.responseBytes writes large answers into pooled buffers and remembers each operation's last large
 * result, reusing its bytes when the next result traces equal. Whatever it sends must be, byte for byte, what
 * response() writes afresh: for every operation of every model we serve, through a long run of small changes
 * (a scalar edited, a member removed or nulled, a list shortened, another result in between), and after its
 * buffers have gone back to the pool and been reused.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { findModelsDir, loadServiceModel, type Operation, type ServiceModel } from '../../src/protocol/model.js';
import { OutputBuffers, type XmlBytes } from '../../src/protocol/output-buffers.js';
import { XmlSerializer } from '../../src/protocol/xml-serializer.js';
import { elastiCacheModel } from '../../src/services/elasticache/index.js';
import { ShapeValues } from '../fixtures/shape-values.js';

const modelsDir = findModelsDir(import.meta.url);
const models: ServiceModel[] = [elastiCacheModel()];
for (const service of ['ec2', 'sts', 'iam']) {
  const [version] = readdirSync(join(modelsDir, service));
  models.push(loadServiceModel(modelsDir, service, version));
}

/** A deterministic pseudo-random sequence, so a failure reproduces. */
function random(seed: number) {
  return (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
}

type Path = (string | number)[];

/** Every path into a value (objects, arrays and leaves). */
function paths(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (path.length > 0) out.push(path);
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    for (const key of Object.keys(value))
      paths((value as any)[key], [...path, Array.isArray(value) ? Number(key) : key], out);
  }
  return out;
}

function at(value: any, path: Path): any {
  for (const key of path) value = value[key];
  return value;
}

function put(value: any, path: Path, to: unknown): void {
  at(value, path.slice(0, -1))[path[path.length - 1]] = to;
}

/** A sample output value, or undefined where the sample generator cannot satisfy the shape's traits. */
function sample(model: ServiceModel, operation: Operation, listLength?: number): unknown {
  try {
    return new ShapeValues(model, { listLength }).value(operation.output!.shape);
  } catch {
    return undefined;
  }
}

/** An output value of the operation that writes as a large answer (over the memo threshold), if the shape allows. */
function largeValue(model: ServiceModel, serializer: XmlSerializer, operation: Operation): unknown {
  for (const listLength of [4, 8, 16, 40, 100]) {
    const value = sample(model, operation, listLength);
    if (value === undefined) return undefined;
    const size = serializer.response(operation, value, 'x').length;
    if (size >= 3_000_000) return undefined;
    if (size > 20_000) return value;
  }
  return undefined;
}

t.test('responseBytes sends what response() writes, through changes and reuse', async (t) => {
  const next = random(7);
  let checked = 0;
  let large = 0;
  for (const model of models) {
    const serializer = new XmlSerializer(model);
    const pool = new OutputBuffers(2);
    const sent: XmlBytes[] = [];
    const check = (operation: Operation, value: unknown, what: string) => {
      const requestId = `request-${checked++}`;
      const expected = Buffer.from(serializer.response(operation, value, requestId));
      const answer = serializer.responseBytes(operation, value, requestId, pool);
      if (!answer.bytes.equals(expected)) t.fail(`${model.metadata.endpointPrefix} ${operation.name}: ${what}`);
      // Give buffers back late and out of order, as concurrent answers do.
      sent.push(answer);
      if (sent.length > 2) sent.splice(next(sent.length), 1)[0].release();
    };
    for (const operation of Object.values(model.operations)) {
      if (!operation.output) continue;
      const small = sample(model, operation);
      if (small === undefined) continue;
      check(operation, small, 'a small answer');
      const value = largeValue(model, serializer, operation);
      if (value === undefined) continue;
      large++;
      const other = sample(model, operation, 3);
      for (let i = 0; i < 3; i++) check(operation, value, `unchanged, call ${i + 1}`);
      for (let i = 0; i < 25; i++) {
        const all = paths(value);
        const path = all[next(all.length)];
        const current = at(value, path);
        const change = next(6);
        const where = path.join('.');
        let what: string;
        if (change === 0) {
          put(value, path, undefined);
          what = `${where} removed`;
        } else if (change === 1) {
          put(value, path, null);
          what = `${where} null`;
        } else if (change === 2 && Array.isArray(current)) {
          current.pop();
          what = `${where} shortened`;
        } else if (typeof current === 'number') {
          put(value, path, current + 1);
          what = `${where} + 1`;
        } else if (typeof current === 'boolean') {
          put(value, path, !current);
          what = `${where} flipped`;
        } else if (typeof current === 'string') {
          put(value, path, `${current}<&'"`);
          what = `${where} edited`;
        } else {
          put(value, path, 'text');
          what = `${where} replaced`;
        }
        check(operation, value, what);
        check(operation, value, `${what}, again`);
        if (i % 8 === 0) {
          check(operation, other, 'another result');
          check(operation, value, 'back to the first');
        }
      }
    }
    for (const answer of sent) answer.release();
  }
  t.ok(large > 20, `${large} operations with large answers exercised`);
  t.pass(`${checked} answers checked`);
});

t.test('results that differ only in where a value sits are told apart', async (t) => {
  const model = elastiCacheModel();
  const serializer = new XmlSerializer(model);
  const pool = new OutputBuffers();
  const operation = model.operations.DescribeCacheClusters;
  const clusters = (member: string) => ({
    CacheClusters: Array.from({ length: 300 }, (_, i) => ({ CacheClusterId: `cluster-${i}`, [member]: 'redis' })),
  });
  for (const value of [clusters('Engine'), clusters('Engine'), clusters('CacheNodeType'), clusters('Engine')]) {
    const answer = serializer.responseBytes(operation, value, 'r', pool);
    t.equal(answer.bytes.toString(), serializer.response(operation, value, 'r'));
    answer.release();
  }
  // Absent (undefined, null) against text that reads the same, and objects where a string belongs.
  const engine = (value: unknown) => ({
    CacheClusters: Array.from({ length: 300 }, (_, i) => ({
      CacheClusterId: `cluster-${i}`,
      Engine: i === 150 ? value : 'redis',
    })),
  });
  for (const value of [
    null,
    'null',
    null,
    undefined,
    'undefined',
    undefined,
    { toString: () => 'x' },
    'x',
    ['x'],
    'x',
    0,
    '0',
    false,
    'false',
  ]) {
    for (let twice = 0; twice < 2; twice++) {
      const result = engine(value);
      const answer = serializer.responseBytes(operation, result, 'r', pool);
      t.equal(
        answer.bytes.toString(),
        serializer.response(operation, result, 'r'),
        `Engine ${typeof value} ${String(value)}`,
      );
      answer.release();
    }
  }
  const nodes = (first: string[], second: string[]) => ({
    CacheClusters: Array.from({ length: 300 }, (_, i) => ({
      CacheClusterId: `cluster-${i}`,
      PendingModifiedValues: { CacheNodeIdsToRemove: i === 0 ? first : second },
    })),
  });
  for (const value of [
    nodes(['0001', '0002'], ['0003']),
    nodes(['0001', '0002'], ['0003']),
    nodes(['0001'], ['0002', '0003']),
  ]) {
    const answer = serializer.responseBytes(operation, value, 'r', pool);
    t.equal(answer.bytes.toString(), serializer.response(operation, value, 'r'));
    answer.release();
  }
});

t.test('items that move from one list to the next are told apart', async (t) => {
  // IpRanges and Ipv6Ranges sit side by side, and their items trace alike: only the lists' lengths differ.
  const model = models.find((m) => m.metadata.endpointPrefix === 'ec2')!;
  const serializer = new XmlSerializer(model);
  const pool = new OutputBuffers();
  const operation = model.operations.DescribeSecurityGroups;
  const groups = (ipv4: string[], ipv6: string[]) => ({
    SecurityGroups: Array.from({ length: 200 }, (_, i) => ({
      GroupId: `sg-${i}`,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          IpRanges: ipv4.map((CidrIp) => ({ CidrIp })),
          Ipv6Ranges: ipv6.map((CidrIpv6) => ({ CidrIpv6 })),
        },
      ],
    })),
  });
  for (const value of [groups(['a', 'b'], []), groups(['a', 'b'], []), groups(['a'], ['b']), groups([], ['a', 'b'])]) {
    const answer = serializer.responseBytes(operation, value, 'r', pool);
    t.equal(answer.bytes.toString(), serializer.response(operation, value, 'r'));
    answer.release();
  }
});

t.test('a timestamp traces by its time, whatever form it takes', async (t) => {
  const model = elastiCacheModel();
  const serializer = new XmlSerializer(model);
  const pool = new OutputBuffers();
  const operation = model.operations.DescribeEvents;
  const events = (date: unknown) => ({
    Events: Array.from({ length: 400 }, (_, i) => ({
      SourceIdentifier: `cluster-${i}`,
      SourceType: 'cache-cluster',
      Message: 'Cache cluster created',
      Date: date,
    })),
  });
  const time = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
  for (const date of [
    new Date(time),
    new Date(time),
    time,
    new Date(time + 1),
    '2026-01-02T03:04:05.006Z',
    new Date(time),
  ]) {
    const value = events(date);
    const answer = serializer.responseBytes(operation, value, 'r', pool);
    t.equal(
      answer.bytes.toString(),
      serializer.response(operation, value, 'r'),
      `Date as ${typeof date}: ${String(date)}`,
    );
    answer.release();
  }
});

t.test('a released buffer is reused; one still being sent is not', async (t) => {
  const pool = new OutputBuffers(4);
  const first = pool.take(100_000);
  pool.give(first);
  t.equal(pool.take(100_000), first, 'given back, taken again');
  const held = pool.take(100_000);
  t.not(pool.take(100_000), held, 'a buffer not given back is never handed out twice');
});
