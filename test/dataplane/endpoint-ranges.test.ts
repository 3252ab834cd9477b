/** Endpoint range claims: a free range is claimed, a running owner's is skipped, a dead owner's or the data dir's own is taken. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { claimEndpointRange, describeRange, type EndpointRange } from '../../src/dataplane/endpoint-ranges.js';
import { LoopbackAddressAllocator, PortAllocator } from '../../src/dataplane/loopback-addresses.js';
import { listeningSockets } from '../../src/dataplane/listening-sockets.js';
import { tempDir } from '../fixtures/emulator.js';

const configured: EndpointRange = { kind: 'loopback', base: '127.77.0.1' };

t.test('a second claimant skips a live owner range; the data dir re-claims its own; release frees it', async (t) => {
  const lockDir = tempDir(t);
  const first = claimEndpointRange({ configured, dataDir: '/data/one', lockDir });
  t.same(first.range, configured, 'the configured range when it is free');
  const second = claimEndpointRange({ configured, dataDir: '/data/two', lockDir });
  t.same(second.range, { kind: 'loopback', base: '127.78.0.1' }, 'the next range, as the first is held');
  t.match(second.skipped[0], /127\.77\.0\.1.*pid \d+, \/data\/one/, 'the skipped range names its owner');
  const backstageTwin = claimEndpointRange({ configured: { kind: 'loopback', base: '127.205.0.1' }, lockDir });
  t.not(backstageTwin.range, configured);
  t.same(backstageTwin.range, { kind: 'loopback', base: '127.207.0.1' }, "another's backstage range is theirs too");
  const again = claimEndpointRange({ configured, previous: second.range, dataDir: '/data/two', lockDir });
  t.same(again.range, second.range, 'the same data dir claims the range it used before');
  first.release();
  const third = claimEndpointRange({ configured, dataDir: '/data/three', lockDir });
  t.same(third.range, configured, 'a released range is free again');
  t.match(describeRange(third.range), /127\.77\.0\.1-127\.77\.255\.254 .*backstage 127\.205\.0\.x/);
});

t.test('a range whose owner no longer runs is taken over', async (t) => {
  const lockDir = tempDir(t);
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const file = join(lockDir, 'elasticache-local-range-127.77.lock');
  writeFileSync(file, JSON.stringify({ pid: Number(gone), host: hostname(), dataDir: '/elsewhere', token: 'old' }));
  const claim = claimEndpointRange({ configured, dataDir: '/data/mine', lockDir });
  t.same(claim.range, configured);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid, 'the lock file names this process now');
  claim.release();
  t.notOk(existsSync(file), 'released on close');
});

t.test('ports ranges are blocks of ports, claimed the same way', async (t) => {
  const lockDir = tempDir(t);
  const ports: EndpointRange = { kind: 'ports', first: 16379, size: 1000 };
  const a = claimEndpointRange({ configured: ports, lockDir });
  const b = claimEndpointRange({ configured: ports, lockDir });
  t.same([a.range, b.range], [ports, { ...ports, first: 17379 }]);
  t.equal(describeRange(b.range), '127.0.0.1 ports 17379-18378');
});

t.test('allocators skip an address and port something already listens on', async (t) => {
  if (!listeningSockets()) return t.pass('no /proc/net/tcp here: the range claim alone keeps emulators apart');
  const listen = (host: string, port = 0) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen({ host, port }, () => resolve(server));
    });
  const base = `127.${1 + Math.floor(Math.random() * 120)}.${Math.floor(Math.random() * 250)}.1`;
  const held = await listen(base);
  t.teardown(() => held.close());
  const port = (held.address() as { port: number }).port;
  const loopback = new LoopbackAddressAllocator(base);
  const chosen = loopback.choose([], port)!;
  t.not(chosen.address, base, 'the held address is skipped on its port');
  t.equal(chosen.port, port);
  t.same(loopback.choose([], port + 1 === 65536 ? port - 1 : port + 1)?.address, base, 'another port may use it');
  const portHeld = await listen('127.0.0.1');
  t.teardown(() => portHeld.close());
  const first = (portHeld.address() as { port: number }).port;
  t.equal(new PortAllocator('127.0.0.1', first, 10).choose([])?.port, first + 1, 'a held port is skipped');
});
