/**
 * A memcached node's data as a file, and back: what a serverless memcached cache's snapshot holds (memcached keeps
 * no file of its own, unlike redis's RDB). The dump lists every key (`lru_crawler metadump all`), reads each item's
 * value, flags and remaining TTL (`mg <key> k v f t`), and writes them as the storage commands that put them back
 * (`set <key> <flags> <exptime> <bytes> noreply`); loading streams that file to a fresh node and waits for it to
 * have read it all (`mn`, the meta no-op, answers once every command before it is done).
 */
import { createWriteStream, createReadStream } from 'node:fs';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface MemcachedTarget {
  host: string;
  port: number;
  /** A TLS node: the CA its certificate is checked against. */
  tls?: { authority: string };
}

/** Keys asked for per round trip. */
const BATCH = 200;
/** memcached takes an exptime above 30 days as a Unix time. */
const RELATIVE_LIMIT = 30 * 24 * 3600;
const TIMEOUT_MS = 30_000;
const CRLF = Buffer.from('\r\n');
const LF = 0x0a;

/** A socket read as lines and counted byte blocks. */
class Conversation {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      this.wake();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the memcached node closed the connection')));
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error('the memcached node did not answer in time')));
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  private async more(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve) => (this.waiting = resolve));
    if (this.failure && this.buffered.length === 0) throw this.failure;
  }

  /** One line, without its end: metadump ends its lines with LF alone, every other answer with CRLF. */
  async line(): Promise<string> {
    for (;;) {
      const end = this.buffered.indexOf(LF);
      if (end >= 0) {
        const text = this.buffered.subarray(0, end).toString('latin1');
        this.buffered = this.buffered.subarray(end + 1);
        return text.endsWith('\r') ? text.slice(0, -1) : text;
      }
      await this.more();
    }
  }

  /** `n` bytes and the CRLF after them. */
  async block(n: number): Promise<Buffer> {
    while (this.buffered.length < n + 2) await this.more();
    const data = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n + 2);
    return data;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }
}

async function open(target: MemcachedTarget): Promise<Conversation> {
  const socket = target.tls
    ? connectTls({
        host: target.host,
        port: target.port,
        ca: target.tls.authority,
        checkServerIdentity: () => undefined,
      })
    : connect({ host: target.host, port: target.port });
  await once(socket, target.tls ? 'secureConnect' : 'connect');
  return new Conversation(socket);
}

/** metadump's keys are URL-encoded (%XX for bytes memcached would not print). */
function decodeKey(encoded: string): string {
  return encoded.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

async function listKeys(conversation: Conversation): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    conversation.write('lru_crawler metadump all\r\n');
    const keys: string[] = [];
    for (;;) {
      const line = await conversation.line();
      if (line === 'END') return keys;
      // Another crawl is running: ask again shortly.
      if (line.startsWith('BUSY') && attempt < 50) break;
      if (line.startsWith('ERROR') || line.startsWith('CLIENT_ERROR') || line.startsWith('BUSY'))
        throw new Error(`memcached refused the key listing: ${line}`);
      const match = /^key=(\S+)/.exec(line);
      if (match) keys.push(decodeKey(match[1]));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Writes every item of the node into `file`; returns how many. */
export async function dumpMemcached(target: MemcachedTarget, file: string): Promise<number> {
  const conversation = await open(target);
  const out = createWriteStream(file);
  let items = 0;
  try {
    const keys = await listKeys(conversation);
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < keys.length; i += BATCH) {
      const batch = keys.slice(i, i + BATCH);
      conversation.write(batch.map((key) => `mg ${key} k v f t\r\n`).join(''));
      for (let j = 0; j < batch.length; j++) {
        const header = await conversation.line();
        // An item gone since the listing (expired or evicted).
        if (header === 'EN') continue;
        const match = /^VA (\d+)(.*)$/.exec(header);
        if (!match) throw new Error(`memcached answered mg with: ${header}`);
        const data = await conversation.block(Number(match[1]));
        const flags = Object.fromEntries(
          match[2]
            .trim()
            .split(' ')
            .filter(Boolean)
            .map((f) => [f[0], f.slice(1)]),
        );
        const ttl = Number(flags.t ?? '-1');
        const exptime = ttl < 0 ? 0 : ttl > RELATIVE_LIMIT ? now + ttl : Math.max(ttl, 1);
        const line = `set ${flags.k} ${flags.f ?? '0'} ${exptime} ${data.length} noreply\r\n`;
        if (!out.write(Buffer.concat([Buffer.from(line, 'latin1'), data, CRLF]))) await once(out, 'drain');
        items++;
      }
    }
  } finally {
    conversation.socket.destroy();
    out.end();
    await once(out, 'close');
  }
  return items;
}

/** Puts a dump's items into a node, and returns once the node has taken them all. */
export async function loadMemcached(target: MemcachedTarget, file: string): Promise<void> {
  const conversation = await open(target);
  try {
    for await (const chunk of createReadStream(file)) {
      if (!conversation.socket.write(chunk as Buffer)) await once(conversation.socket, 'drain');
    }
    conversation.write('mn\r\n');
    for (;;) {
      const line = await conversation.line();
      if (line === 'MN') return;
      // noreply silences storage answers; an error still answers, and the load is not whole.
      throw new Error(`memcached refused part of the snapshot: ${line}`);
    }
  } finally {
    conversation.socket.destroy();
  }
}
