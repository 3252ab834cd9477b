/**
 * Snapshot files of caches encrypted at rest are kept sealed on disk: AES-256-GCM under a key derived from the data
 * dir's own secret (the one node credentials derive from, control/node-credentials.ts), so a copied snapshot
 * directory alone does not give its data away. A sealed file is self-describing: a magic, the nonce, the
 * ciphertext and GCM's tag at the end; a file without the magic is a plain RDB (every snapshot of a cache not
 * encrypted at rest, and those an older build wrote). Files are streamed, never read whole.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MAGIC = Buffer.from('ECLSEAL1', 'latin1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + NONCE_BYTES;
/** What sealing adds to a file's size. */
export const SEAL_OVERHEAD = HEADER_BYTES + TAG_BYTES;

/** The snapshot files' key, derived from the data dir's secret: derived, not stored, like the nodes' passwords. */
export function snapshotFileKey(dataDirSecret: string): Buffer {
  return createHmac('sha256', dataDirSecret).update('at-rest/snapshot-files').digest();
}

/** Whether a file is sealed (starts with the magic). */
export async function isSealed(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, MAGIC.length, 0);
    return bytesRead === MAGIC.length && head.equals(MAGIC);
  } finally {
    await handle.close();
  }
}

/** The size of the data a file holds: a sealed file's less what sealing added. */
export async function dataSize(file: string): Promise<number> {
  const { size } = await stat(file);
  return (await isSealed(file)) ? size - SEAL_OVERHEAD : size;
}

/** Writes `from` sealed to `to` (created 0600). */
export async function sealFile(key: Buffer, from: string, to: string): Promise<void> {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const out = createWriteStream(to, { mode: 0o600 });
  let headerWritten = false;
  // The header goes first, the tag last: the tag is known only once every byte went through the cipher.
  const frame = new Transform({
    transform(chunk, _encoding, done) {
      if (!headerWritten) {
        headerWritten = true;
        this.push(Buffer.concat([MAGIC, nonce]));
      }
      done(null, chunk);
    },
    flush(done) {
      if (!headerWritten) this.push(Buffer.concat([MAGIC, nonce]));
      done(null, cipher.getAuthTag());
    },
  });
  await pipeline(createReadStream(from), cipher, frame, out);
}

/** Writes the data of a sealed file `from` to `to` (created 0600); fails when the file was changed or the key is not its. */
export async function unsealFile(key: Buffer, from: string, to: string): Promise<void> {
  const { size } = await stat(from);
  if (size < SEAL_OVERHEAD) throw new Error(`${from} is too short to be a sealed snapshot file`);
  const handle = await open(from, 'r');
  const header = Buffer.alloc(HEADER_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  try {
    await handle.read(header, 0, HEADER_BYTES, 0);
    await handle.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    await handle.close();
  }
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${from} is not a sealed snapshot file`);
  const decipher = createDecipheriv('aes-256-gcm', key, header.subarray(MAGIC.length));
  decipher.setAuthTag(tag);
  const out = createWriteStream(to, { mode: 0o600 });
  const body =
    size - SEAL_OVERHEAD > 0
      ? createReadStream(from, { start: HEADER_BYTES, end: size - TAG_BYTES - 1 })
      : Readable.from([]);
  await pipeline(body, decipher, out);
}
