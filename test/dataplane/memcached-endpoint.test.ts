/**
 * The endpoint forwarder in front of a real memcached process (no mocks): a client that half-closes still gets
 * its answer, on a plain endpoint and on one that answers Auto Discovery; `config get cluster` is answered in
 * order among pipelined commands, however the stream is cut into segments, and never read out of a value; the
 * binary protocol goes through untouched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import t from 'tap';
import { configGetClusterReply } from '../../src/dataplane/auto-discovery.js';
import { EndpointProxy } from '../../src/dataplane/endpoint-proxy.js';
import { waitUntilReady } from '../../src/runtime/engines.js';
import { freePort } from '../fixtures/free-port.js';

const DISCOVERY = configGetClusterReply(7, [
  { host: 'mc.0001.use1.cache.amazonaws.com', ip: '127.0.0.1', port: 11211 },
  { host: 'mc.0002.use1.cache.amazonaws.com', ip: '127.0.0.2', port: 11211 },
]);

/** Sends each segment (the socket flushed and a moment left between them), half-closes, and resolves with all it got back. */
function exchange(port: number, segments: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const received: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no end of the answer within 10 s')));
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      resolve(Buffer.concat(received));
    });
    socket.on('connect', async () => {
      for (const segment of segments) {
        await new Promise<void>((done) => socket.write(segment, () => done()));
        await new Promise((done) => setImmediate(done));
      }
      socket.end();
    });
  });
}

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Values that look like protocol lines, or hold line ends, or anything at all. */
const TRICKY = [
  'config get cluster\r\n',
  'VERSION 1.2.3\r\n',
  'VALUE k 0 3\r\nabc\r\nEND\r\n',
  '\r\n',
  'get AmazonElastiCache:cluster\r\n',
  'set x 0 0 5\r\n',
  'END',
  'VA 2 t\r\nhi',
];

t.test('memcached behind the endpoint forwarder', async (t) => {
  if (spawnSync('memcached', ['-V']).status !== 0) {
    if (process.env.CI) t.fail('memcached is required in CI (apt-get install memcached)');
    else t.pass('SKIPPED: memcached is not on PATH');
    return;
  }
  const nodePort = await freePort();
  const args = ['-p', String(nodePort), '-l', '127.0.0.1', '-U', '0', '-m', '64'];
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  const node: ChildProcess = spawn('memcached', args, { stdio: 'ignore' });
  t.teardown(() => node.kill('SIGKILL'));
  await waitUntilReady('memcached', '127.0.0.1', nodePort, 10_000);
  const version = (await exchange(nodePort, [Buffer.from('version\r\n')])).toString('latin1');
  t.match(version, /^VERSION \S+\r\n$/, 'the node answers a half-closing client itself');

  const proxy = new EndpointProxy();
  t.teardown(() => proxy.closeAll());
  const target = () => ({ host: '127.0.0.1', port: nodePort });
  const [plainPort, discoveringPort] = [await freePort(), await freePort()];
  await proxy.open('127.0.0.1', plainPort, { target });
  await proxy.open('127.0.0.1', discoveringPort, { target, autoDiscovery: () => DISCOVERY });

  t.test('a client that half-closes gets its answer', async (t) => {
    for (const [name, port] of [
      ['plain endpoint', plainPort],
      ['Auto Discovery endpoint', discoveringPort],
    ] as const) {
      t.equal((await exchange(port, [Buffer.from('version\r\n')])).toString('latin1'), version, `${name}: version`);
      const stats = (await exchange(port, [Buffer.from('stats\r\n')])).toString('latin1');
      t.match(stats, /^STAT pid \d+\r\n[\s\S]*END\r\n$/, `${name}: the whole of a long answer (stats)`);
    }
    t.equal(
      (await exchange(discoveringPort, [Buffer.from('config get cluster\r\n')])).toString('latin1'),
      DISCOVERY,
      'config get cluster alone, then the end: answered without the node',
    );
    const big = 'x'.repeat(300_000);
    const answer = await exchange(plainPort, [Buffer.from(`set big 0 0 ${big.length}\r\n${big}\r\nget big\r\n`)]);
    t.equal(answer.toString('latin1'), `STORED\r\nVALUE big 0 ${big.length}\r\n${big}\r\nEND\r\n`, 'a 300 KB value');
  });

  t.test('config get cluster takes its turn among pipelined commands, however the stream is cut', async (t) => {
    const next = random(13);
    for (let round = 0; round < 30; round++) {
      const stored = new Map<string, string>();
      let request = '';
      let expected = '';
      const commands = 5 + Math.floor(next() * 40);
      for (let i = 0; i < commands; i++) {
        const key = `r${round}k${Math.floor(next() * 6)}`;
        const pick = next();
        if (pick < 0.3) {
          const value = TRICKY[Math.floor(next() * TRICKY.length)].repeat(1 + Math.floor(next() * 3));
          request += `set ${key} ${i} 0 ${Buffer.byteLength(value, 'latin1')}\r\n${value}\r\n`;
          expected += 'STORED\r\n';
          stored.set(key, `${i} ${Buffer.byteLength(value, 'latin1')}\r\n${value}`);
        } else if (pick < 0.55) {
          request += `get ${key}\r\n`;
          expected += stored.has(key) ? `VALUE ${key} ${stored.get(key)}\r\nEND\r\n` : 'END\r\n';
        } else if (pick < 0.65) {
          request += 'version\r\n';
          expected += version;
        } else if (pick < 0.7) {
          request += `set ${key} 0 0 -1\r\n`;
          expected += 'CLIENT_ERROR bad command line format\r\n';
        } else {
          request += next() < 0.5 ? 'config get cluster\r\n' : 'get AmazonElastiCache:cluster\r\n';
          expected += DISCOVERY;
        }
      }
      const bytes = Buffer.from(request, 'latin1');
      const segments: Buffer[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(next() * (next() < 0.5 ? 8 : 200));
        segments.push(bytes.subarray(at, at + size));
        at += size;
      }
      const answer = (await exchange(discoveringPort, segments)).toString('latin1');
      if (answer !== expected) {
        t.equal(answer, expected, `round ${round}: the answers in order`);
        return;
      }
    }
    t.pass('30 rounds of pipelined commands cut at random: every answer in its place');
  });

  t.test('a multi-get line longer than memcached reads at once goes through', async (t) => {
    const keys = Array.from({ length: 400 }, (_, i) => `long-line-key-${i}`);
    const answer = await exchange(discoveringPort, [
      Buffer.from('set long-line-key-7 0 0 2\r\nhi\r\n'),
      Buffer.from(`get ${keys.join(' ')}\r\nconfig get cluster\r\n`),
    ]);
    t.equal(answer.toString('latin1'), `STORED\r\nVALUE long-line-key-7 0 2\r\nhi\r\nEND\r\n${DISCOVERY}`);
  });

  t.test('the binary protocol goes through untouched', async (t) => {
    // A binary-protocol Version request: magic 0x80, opcode 0x0b, everything else zero.
    const request = Buffer.alloc(24);
    request[0] = 0x80;
    request[1] = 0x0b;
    const answer = await exchange(discoveringPort, [request]);
    t.equal(answer[0], 0x81, 'a binary response');
    t.equal(answer[1], 0x0b, 'to Version');
    t.equal(answer.subarray(24).toString('latin1'), version.slice('VERSION '.length, -2), 'with the version');
  });
});
