/**
 * The files a node container gets and gives through the Docker Engine's archive API (putArchive / getArchive take
 * and give tars): its private config and TLS files before it starts, the RDB it starts from, and a snapshot's RDB
 * read back out of it.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import { RDB_FILE, tlsFiles } from './engines.js';
import { nodeConfigFile } from './node-access.js';
import type { NodeSpec } from './runtime.js';

/** Where a node's private config file (its credentials) is put, before the container starts. */
const CONFIG_DIR = 'etc/elasticache-local';
export const CONFIG_FILE = `/${CONFIG_DIR}/node.conf`;
/**
 * The file's owner: the official redis and valkey images run the server as uid 999 (their entrypoint drops root),
 * the offline images as root; 0600 and this owner let both read it and nothing else in the container.
 */
const ENGINE_UID = 999;
/** The official memcached image runs memcached as uid 11211 (the offline one as root). */
const MEMCACHED_UID = 11211;

/** A small tar, whole in memory, for putArchive: each entry owned by the engine's user. */
function archiveOf(
  entries: { name: string; mode: number; directory?: boolean; content?: string | Buffer }[],
  uid = ENGINE_UID,
) {
  const archive = pack();
  for (const { name, mode, directory, content } of entries) {
    const header = {
      name,
      mode,
      uid,
      gid: uid,
      ...(directory ? { type: 'directory' as const } : {}),
    };
    if (content === undefined) archive.entry(header);
    else archive.entry(header, content);
  }
  archive.finalize();
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    archive.on('data', (chunk: Buffer) => chunks.push(chunk));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
}

/**
 * A tar holding the node's private files, for putArchive (the only way into a container not yet started): its
 * config file (redis / valkey) and its TLS certificate, key and CA (with in-transit encryption).
 */
export function configArchive(spec: NodeSpec): Promise<Buffer> {
  const entries: Parameters<typeof archiveOf>[0] = [{ name: CONFIG_DIR, mode: 0o700, directory: true }];
  if (spec.engine !== 'memcached') {
    const text = nodeConfigFile(spec.access, spec.engineVersion, spec.authToken);
    entries.push({ name: `${CONFIG_DIR}/node.conf`, mode: 0o600, content: text });
  }
  if (spec.tls) {
    const files = tlsFiles(CONFIG_FILE);
    entries.push(
      { name: files.certificate.slice(1), mode: 0o600, content: spec.tls.certificate },
      { name: files.key.slice(1), mode: 0o600, content: spec.tls.key },
      { name: files.authority.slice(1), mode: 0o600, content: spec.tls.authority },
    );
  }
  return archiveOf(entries, spec.engine === 'memcached' ? MEMCACHED_UID : ENGINE_UID);
}

/**
 * A tar for a claimed warm spare (docker-spares.ts): its member's TLS files, in a directory of their own (the engine
 * reloads its certificate when the paths it is given change), and the member it now is (`claim`), which its
 * container's labels, set at its creation, cannot tell.
 */
export function claimArchive(spec: NodeSpec, dir: string, claim: string): Promise<Buffer> {
  const entries: Parameters<typeof archiveOf>[0] = [{ name: dir.slice(1), mode: 0o700, directory: true }];
  if (spec.tls) {
    const files = tlsFiles(`${dir}/node.conf`);
    entries.push(
      { name: files.certificate.slice(1), mode: 0o600, content: spec.tls.certificate },
      { name: files.key.slice(1), mode: 0o600, content: spec.tls.key },
      { name: files.authority.slice(1), mode: 0o600, content: spec.tls.authority },
    );
  }
  entries.push({ name: CLAIM_FILE.slice(1), mode: 0o600, content: claim });
  return archiveOf(entries);
}

/** Where a claimed spare's container records the member it became. */
export const CLAIM_FILE = `/${CONFIG_DIR}/claimed-as.json`;

/** The engine's data directory in a container (its --dir). */
export const DATA_DIR = 'data';

/** A tar holding one host file as the node's RDB, streamed (a snapshot may be large), for putArchive. */
export function rdbArchive(source: string): Readable {
  const archive = pack();
  const entry = archive.entry(
    { name: `${DATA_DIR}/${RDB_FILE}`, size: statSync(source).size, mode: 0o600, uid: ENGINE_UID, gid: ENGINE_UID },
    (error) => (error ? archive.destroy(error) : archive.finalize()),
  );
  createReadStream(source)
    .on('error', (error) => archive.destroy(error))
    .pipe(entry);
  return archive;
}

/**
 * An RDB holding no key, in the oldest format every engine version loads (version 6: header, EOF, a zero checksum,
 * which tells the engine not to check it).
 */
const EMPTY_RDB = Buffer.concat([Buffer.from('REDIS0006', 'latin1'), Buffer.from([0xff]), Buffer.alloc(8)]);

export function emptyRdbArchive(): Promise<Buffer> {
  return archiveOf([{ name: `${DATA_DIR}/${RDB_FILE}`, mode: 0o600, content: EMPTY_RDB }]);
}

/** Writes the first file of a tar stream (getArchive's answer) to destination, readable by its owner alone. */
export async function extractFirstFile(tar: NodeJS.ReadableStream, destination: string): Promise<void> {
  const reader = extract();
  let wrote = false;
  reader.on('entry', (header, body, next) => {
    if (wrote || header.type !== 'file') {
      body.on('end', next).resume();
      return;
    }
    wrote = true;
    pipeline(body, createWriteStream(destination, { mode: 0o600 })).then(
      () => next(),
      (error) => reader.destroy(error),
    );
  });
  await pipeline(tar, reader);
  if (!wrote) throw new Error(`no file in the archive for ${destination}`);
}

/** The first file of a tar stream (getArchive's answer), whole in memory: a small file only. */
export async function readFirstFile(tar: NodeJS.ReadableStream): Promise<Buffer> {
  const reader = extract();
  let content: Buffer | undefined;
  reader.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => content === undefined && header.type === 'file' && chunks.push(chunk));
    body.on('end', () => {
      if (content === undefined && header.type === 'file') content = Buffer.concat(chunks);
      next();
    });
  });
  await pipeline(tar, reader);
  if (content === undefined) throw new Error('no file in the archive');
  return content;
}
