/**
 * The local certificate authority of in-transit encryption: made once per directory and kept (its key private),
 * issuing certificates whose chain and names a TLS client checks.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:tls';
import { join } from 'node:path';
import t from 'tap';
import { loadOrCreateAuthority } from '../../src/control/certificates.js';
import { tempDir } from '../fixtures/emulator.js';

t.test('made once, kept, its key private', async (t) => {
  const dir = join(tempDir(t), 'tls');
  const first = loadOrCreateAuthority(dir);
  t.equal(first.path, join(dir, 'ca.pem'));
  t.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600, 'the key is readable by its owner alone');
  t.equal(statSync(dir).mode & 0o777, 0o700);
  const again = loadOrCreateAuthority(dir);
  t.equal(again.certificate, first.certificate, 'a second load keeps the same CA');
  const ca = new X509Certificate(readFileSync(first.path));
  t.ok(ca.ca, 'a CA certificate');
  t.ok(ca.checkIssued(ca), 'self-signed');
});

t.test('issued certificates: signed by the CA, for the names asked plus 127.0.0.1 and localhost', async (t) => {
  const authority = loadOrCreateAuthority(join(tempDir(t), 'tls'));
  const served = authority.issue(['127.88.0.7', '::1', 'node.example']);
  const cert = new X509Certificate(served.certificate);
  const ca = new X509Certificate(authority.certificate);
  t.notOk(cert.ca);
  t.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'signed by the CA');
  for (const ip of ['127.88.0.7', '127.0.0.1', '::1']) t.equal(cert.checkIP(ip), ip, `valid for ${ip}`);
  t.equal(cert.checkHost('localhost'), 'localhost');
  t.equal(cert.checkHost('node.example'), 'node.example');
  t.equal(cert.checkIP('127.88.0.8'), undefined, 'not for another address');
  t.equal(authority.issue(['node.example', '::1', '127.88.0.7']), served, 'the same names give the same certificate');

  // A TLS client that checks the chain and the address accepts it.
  const server = createServer({ cert: served.certificate, key: served.key }, (socket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: authority.certificate }, () => undefined);
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  t.equal(answer, 'hello', 'verified by a client trusting the CA');
});
