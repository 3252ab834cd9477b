/**
 * The emulator's local certificate authority, for in-transit encryption: generated once per data dir and kept there
 * (`<data-dir>/tls/ca.pem`, its key beside it, readable by the emulator's user alone), so clients configured with
 * its certificate keep verifying across restarts. It issues the certificates nodes and endpoints present, valid for
 * the addresses they are served on (IP SANs) and `localhost`.
 *
 * Certificates are built here in DER from Node's own crypto (ECDSA P-256 keys and signatures): the X.509 subset a
 * server certificate needs is small, and no library is needed for it.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { privateDir } from '../store/private-files.js';

/** What a node or an endpoint presents: its certificate and key (PEM), and the authority clients verify it with. */
export interface ServedCertificate {
  certificate: string;
  key: string;
  /** The CA certificate (PEM). */
  authority: string;
}

export interface CertificateAuthority {
  /** Where the CA certificate is, for clients (`redis-cli --tls --cacert <path>`). */
  readonly path: string;
  readonly certificate: string;
  /** A certificate for these addresses and names (plus 127.0.0.1 and localhost); the same one for the same names. */
  issue(names: string[]): ServedCertificate;
}

// DER: tag, length, contents.
function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const sequence = (...parts: Buffer[]) => der(0x30, ...parts);
const set = (...parts: Buffer[]) => der(0x31, ...parts);
const octets = (bytes: Buffer) => der(0x04, bytes);
const bits = (bytes: Buffer, unused = 0) => der(0x03, Buffer.from([unused]), bytes);
const utf8 = (text: string) => der(0x0c, Buffer.from(text, 'utf8'));
const explicit = (n: number, inner: Buffer) => der(0xa0 + n, inner);
const TRUE = der(0x01, Buffer.from([0xff]));

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps the sign bit clear). */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return der(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime after, as RFC 5280 asks. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(iso.slice(2))) : der(0x18, Buffer.from(iso));
}

const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));
const name = (commonName: string) => sequence(set(sequence(oid('2.5.4.3'), utf8(commonName))));
const extension = (id: string, value: Buffer, critical = false) =>
  sequence(oid(id), ...(critical ? [TRUE] : []), octets(value));

/** An IP SAN's bytes: four for IPv4, sixteen for IPv6. */
function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...Array<string>(address.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

function subjectAltNames(names: string[]): Buffer {
  return sequence(...names.map((n) => (isIP(n) ? der(0x87, ipBytes(n)) : der(0x82, Buffer.from(n, 'ascii')))));
}

interface Signer {
  key: ReturnType<typeof createPrivateKey>;
  subject: Buffer;
  keyId: Buffer;
}

const keyIdOf = (spki: Buffer) => createHash('sha1').update(spki).digest();

function certificate(
  subject: Buffer,
  spki: Buffer,
  issuer: Signer | 'self',
  self: ReturnType<typeof createPrivateKey> | undefined,
  validDays: number,
  extensions: Buffer[],
): string {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + validDays * 24 * 60 * 60 * 1000);
  const signer = issuer === 'self' ? { key: self!, subject, keyId: keyIdOf(spki) } : issuer;
  const tbs = sequence(
    explicit(0, der(0x02, Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    ECDSA_WITH_SHA256,
    signer.subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    spki,
    explicit(
      3,
      sequence(
        ...extensions,
        extension('2.5.29.14', octets(keyIdOf(spki))),
        extension('2.5.29.35', sequence(der(0x80, signer.keyId))),
      ),
    ),
  );
  const signature = sign('sha256', tbs, signer.key);
  const body = sequence(tbs, ECDSA_WITH_SHA256, bits(signature)).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function newKey() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

const spkiOf = (publicKey: ReturnType<typeof createPublicKey>) =>
  publicKey.export({ type: 'spki', format: 'der' }) as Buffer;

/** The CA of a data dir: read from `<dir>/ca.pem` and `<dir>/ca.key`, or generated there on first use. */
export function loadOrCreateAuthority(dir: string): CertificateAuthority {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key');
  privateDir(dir);
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const { privateKey, publicKey } = newKey();
    const pem = certificate(name('elasticache-local CA'), spkiOf(publicKey), 'self', privateKey, 3650, [
      extension('2.5.29.19', sequence(TRUE), true),
      // keyCertSign and cRLSign (bits 5 and 6; the last bit is unused).
      extension('2.5.29.15', bits(Buffer.from([0x06]), 1), true),
    ]);
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    writeFileSync(certPath, pem, { mode: 0o644 });
  }
  chmodSync(keyPath, 0o600);
  const authorityPem = readFileSync(certPath, 'utf8');
  const key = createPrivateKey(readFileSync(keyPath, 'utf8'));
  const caCert = new X509Certificate(authorityPem);
  const signer: Signer = {
    key,
    subject: name('elasticache-local CA'),
    keyId: keyIdOf(spkiOf(caCert.publicKey)),
  };
  const issued = new Map<string, ServedCertificate>();
  return {
    path: certPath,
    certificate: authorityPem,
    issue(names) {
      const all = [...new Set(['127.0.0.1', 'localhost', ...names])].sort();
      const cacheKey = all.join(',');
      const known = issued.get(cacheKey);
      if (known) return known;
      const { privateKey, publicKey } = newKey();
      const pem = certificate(name(names[0] ?? 'localhost'), spkiOf(publicKey), signer, undefined, 825, [
        extension('2.5.29.19', sequence(), true),
        // digitalSignature (bit 0; seven unused), all an ECDSA key does in TLS.
        extension('2.5.29.15', bits(Buffer.from([0x80]), 7), true),
        // Server and client authentication: nodes are clients of each other (replication, the cluster bus).
        extension('2.5.29.37', sequence(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
        extension('2.5.29.17', subjectAltNames(all)),
      ]);
      const served = {
        certificate: pem,
        key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        authority: authorityPem,
      };
      issued.set(cacheKey, served);
      return served;
    },
  };
}

/** For tests and tools: the directory under a data dir where the CA lives. */
export const authorityDir = (dataDir: string): string => join(dataDir, 'tls');
