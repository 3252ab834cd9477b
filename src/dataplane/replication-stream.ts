/**
 * A replica's side of the redis replication protocol, spoken by the emulator itself: it asks a node for a full
 * resynchronisation (PSYNC), skips the snapshot the node sends (the caller copies the data key by key instead), and
 * then hands over every write command the node propagates, acknowledging its offset as a replica must (a primary
 * drops a replica that stops acknowledging). Used where a node cannot itself be a replica of the source: a
 * cluster-mode node refuses REPLICAOF (dataplane/shard-relay.ts).
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { ADMIN_USER } from '../runtime/node-access.js';
import type { AdminTarget } from './node-admin.js';

export interface ReplicationStreamHandlers {
  /** The snapshot has been received (and skipped): from here the commands follow the data as it was then. */
  onFullSync(): void;
  /** One propagated command, its name and arguments as the node sent them. */
  onCommand(args: Buffer[]): void;
  /** The connection is over (closed, refused, or a protocol error): the caller starts again. */
  onEnd(error: Error): void;
}

/** How often the stream acknowledges its offset (redis replicas do it every second). */
const ACK_INTERVAL_MS = 1000;

const CRLF = Buffer.from('\r\n');

function encode(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

type Phase = 'handshake' | 'snapshot-header' | 'snapshot' | 'stream';

/** One replication connection to `source`; `close` ends it. */
export class ReplicationStream {
  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private phase: Phase = 'handshake';
  private readonly replies: string[] = [];
  private pendingReplies: number;
  private snapshotLeft = 0;
  private snapshotMark: Buffer | undefined;
  private offset = 0;
  private readonly ackTimer: NodeJS.Timeout;
  private ended = false;

  constructor(
    source: AdminTarget,
    private readonly handlers: ReplicationStreamHandlers,
  ) {
    const handshake: (string | Buffer)[][] = [];
    if (source.access.mode === 'acl') handshake.push(['AUTH', ADMIN_USER, source.access.adminPassword]);
    else if (source.authToken) handshake.push(['AUTH', source.authToken]);
    // No `capa eof`: the node then sends a snapshot with its length, at once, rather than after its diskless delay.
    handshake.push(['REPLCONF', 'capa', 'psync2']);
    this.pendingReplies = handshake.length;
    const onConnect = () => this.socket.write(Buffer.concat(handshake.map(encode)));
    this.socket = source.tls
      ? connectTls(
          { host: source.host, port: source.port, ca: source.tls.authority, checkServerIdentity: () => undefined },
          onConnect,
        )
      : connectTcp({ host: source.host, port: source.port }, onConnect);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      try {
        this.consume();
      } catch (error) {
        this.end(error as Error);
      }
    });
    this.socket.on('error', (error) => this.end(error));
    this.socket.on('close', () => this.end(new Error('the replication connection closed')));
    this.ackTimer = setInterval(() => this.ack(), ACK_INTERVAL_MS);
    this.ackTimer.unref();
  }

  close(): void {
    this.ended = true;
    clearInterval(this.ackTimer);
    this.socket.destroy();
  }

  private end(error: Error): void {
    if (this.ended) return;
    this.close();
    this.handlers.onEnd(error);
  }

  private ack(): void {
    if (this.phase === 'stream' && !this.ended) this.socket.write(encode(['REPLCONF', 'ACK', String(this.offset)]));
  }

  /** A line ending in CRLF at the buffer's start, consumed; undefined until it has all arrived. */
  private line(): string | undefined {
    const end = this.buffer.indexOf(CRLF);
    if (end < 0) return undefined;
    const text = this.buffer.subarray(0, end).toString('latin1');
    this.buffer = this.buffer.subarray(end + 2);
    return text;
  }

  private consume(): void {
    for (;;) {
      if (this.phase === 'handshake' || this.phase === 'snapshot-header') {
        // Bare newlines keep the connection alive while the node prepares its snapshot.
        let skip = 0;
        while (skip < this.buffer.length && this.buffer[skip] === 0x0a) skip++;
        this.buffer = this.buffer.subarray(skip);
        const line = this.line();
        if (line === undefined) return;
        if (line.startsWith('-')) throw new Error(`the node refused replication: ${line.slice(1)}`);
        if (this.phase === 'handshake') this.handshakeReply(line);
        else this.snapshotHeader(line);
      } else if (this.phase === 'snapshot') {
        if (!this.skipSnapshot()) return;
      } else {
        const command = this.command();
        if (!command) return;
        this.streamed(command);
      }
    }
  }

  private handshakeReply(line: string): void {
    if (this.pendingReplies > 0) {
      this.replies.push(line);
      // PSYNC is refused while earlier replies are unread: it goes once they have all come.
      if (--this.pendingReplies === 0) this.socket.write(encode(['PSYNC', '?', '-1']));
      return;
    }
    const full = /^\+FULLRESYNC \S+ (\d+)$/.exec(line);
    if (!full) throw new Error(`unexpected answer to PSYNC: ${line}`);
    this.offset = Number(full[1]);
    this.phase = 'snapshot-header';
  }

  private snapshotHeader(line: string): void {
    if (!line.startsWith('$')) throw new Error(`unexpected snapshot header: ${line}`);
    if (line.startsWith('$EOF:')) this.snapshotMark = Buffer.from(line.slice(5), 'latin1');
    else this.snapshotLeft = Number(line.slice(1));
    this.phase = 'snapshot';
  }

  /** Drops snapshot bytes; true once it has all gone by. */
  private skipSnapshot(): boolean {
    if (this.snapshotMark) {
      const at = this.buffer.indexOf(this.snapshotMark);
      if (at < 0) {
        // Keep what could be the start of the mark.
        this.buffer = this.buffer.subarray(Math.max(0, this.buffer.length - this.snapshotMark.length));
        return false;
      }
      this.buffer = this.buffer.subarray(at + this.snapshotMark.length);
    } else {
      const taken = Math.min(this.snapshotLeft, this.buffer.length);
      this.snapshotLeft -= taken;
      this.buffer = this.buffer.subarray(taken);
      if (this.snapshotLeft > 0) return false;
    }
    this.phase = 'stream';
    this.handlers.onFullSync();
    // A diskless primary starts streaming once the replica has acknowledged.
    this.ack();
    return true;
  }

  /** One whole command at the buffer's start (consumed, counted in the offset); undefined until it has arrived. */
  private command(): Buffer[] | undefined {
    const data = this.buffer;
    let at = 0;
    const readLine = (): string | undefined => {
      const end = data.indexOf(CRLF, at);
      if (end < 0) return undefined;
      const text = data.subarray(at, end).toString('latin1');
      at = end + 2;
      return text;
    };
    const header = readLine();
    if (header === undefined) return undefined;
    if (!header.startsWith('*')) throw new Error(`unexpected data in the replication stream: ${header.slice(0, 40)}`);
    const count = Number(header.slice(1));
    const args: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const size = readLine();
      if (size === undefined) return undefined;
      const length = Number(size.slice(1));
      if (data.length < at + length + 2) return undefined;
      args.push(Buffer.from(data.subarray(at, at + length)));
      at += length + 2;
    }
    this.buffer = data.subarray(at);
    this.offset += at;
    return args;
  }

  private streamed(args: Buffer[]): void {
    const name = args[0]?.toString('latin1').toLowerCase();
    if (name === 'replconf') {
      if (args[1]?.toString('latin1').toLowerCase() === 'getack') this.ack();
      return;
    }
    this.handlers.onCommand(args);
  }
}
