/**
 * A memcached client's connection through an endpoint that answers Auto Discovery's `config get cluster` itself
 * (on ElastiCache every node of a memcached cluster answers it, as does the configuration endpoint) and forwards
 * everything else to the node.
 *
 * The text protocol is followed just far enough to keep both streams in step: a storage command's data block is
 * never read as a command, nor a value's bytes as an answer. Before anything else has gone to the node, a
 * `config get cluster` is answered at once (a poller's connection never reaches the node). Later ones must take
 * their place among the node's answers to the commands before them, so the node is sent `version` in their stead
 * and the VERSION line that answers it is replaced by the cluster's configuration; every VERSION line the node
 * sends is counted, the client's own ones too, so each is matched to its request in order.
 *
 * A connection whose first byte is the binary protocol's request magic is forwarded untouched (the binary
 * protocol has no `config get cluster` here), and so is the rest of a line longer than memcached itself reads.
 */
import type { Socket } from 'node:net';
import { isConfigGetCluster } from './auto-discovery.js';

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const BINARY_REQUEST_MAGIC = 0x80;
/** memcached reads no further for a command's end; only a long multi-get line goes on (and has no data block). */
const LINE_LIMIT = 2048;
/** The longest key memcached takes: a storage command with a longer one is refused, its data block not read. */
const KEY_LIMIT = 250;
const VERSION_REQUEST = Buffer.from('version\r\n', 'latin1');

/** What to do with a complete line: pass it (undefined), replace it with other bytes, or drop it (null). */
type LineOutcome = Buffer | null | undefined;

/**
 * One direction of the stream as lines and counted data blocks. An unfinished line is held until its end comes
 * (or it grows past LINE_LIMIT, when it goes on unread); everything else goes on in the slices it came in.
 */
abstract class LineStream {
  /** Bytes of a data block still to pass unread. */
  protected dataLeft = 0;
  private held: Buffer | undefined;
  private passingLongLine = false;

  /** Called for each complete line (its bytes, from start up to and including the LF at end - 1). */
  protected abstract line(bytes: Buffer, start: number, end: number): LineOutcome;

  /** The bytes to send on for a chunk, in order. */
  feed(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    if (this.held) {
      const lf = chunk.indexOf(LF);
      if (lf < 0) {
        this.hold(Buffer.concat([this.held, chunk]), out);
        return out;
      }
      const whole = Buffer.concat([this.held, chunk.subarray(0, lf + 1)]);
      this.held = undefined;
      const outcome = this.line(whole, 0, whole.length);
      if (outcome === undefined) out.push(whole);
      else if (outcome !== null) out.push(outcome);
      pos = lf + 1;
    }
    // Bytes from `from` to `pos` go on as one slice unless a line is replaced or dropped.
    let from = pos;
    while (pos < chunk.length) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - pos);
        this.dataLeft -= n;
        pos += n;
        continue;
      }
      const lf = chunk.indexOf(LF, pos);
      if (this.passingLongLine) {
        this.passingLongLine = lf < 0;
        pos = lf < 0 ? chunk.length : lf + 1;
        continue;
      }
      if (lf < 0) {
        if (from < pos) out.push(chunk.subarray(from, pos));
        this.hold(Buffer.from(chunk.subarray(pos)), out);
        return out;
      }
      const outcome = this.line(chunk, pos, lf + 1);
      if (outcome !== undefined) {
        if (from < pos) out.push(chunk.subarray(from, pos));
        if (outcome !== null) out.push(outcome);
        from = lf + 1;
      }
      pos = lf + 1;
    }
    if (from < chunk.length) out.push(from === 0 ? chunk : chunk.subarray(from));
    return out;
  }

  /** What is still held when the stream ends: an unfinished line, sent on as it is. */
  flush(): Buffer | undefined {
    const held = this.held;
    this.held = undefined;
    return held;
  }

  private hold(partial: Buffer, out: Buffer[]): void {
    if (partial.length <= LINE_LIMIT) {
      this.held = partial;
      return;
    }
    out.push(partial);
    this.held = undefined;
    this.passingLongLine = true;
  }
}

/**
 * A line's words as memcached splits them (on spaces, a run of them counting as one; the CR LF dropped): their
 * bounds go into `bounds` (start, end, start, end, ...), reused from line to line; returns how many there are.
 */
function splitWords(bytes: Buffer, start: number, end: number, bounds: number[]): number {
  let stop = end;
  if (stop > start && bytes[stop - 1] === LF) stop--;
  if (stop > start && bytes[stop - 1] === CR) stop--;
  let count = 0;
  let at = start;
  while (at < stop) {
    while (at < stop && bytes[at] === SPACE) at++;
    if (at === stop) break;
    const wordStart = at;
    while (at < stop && bytes[at] !== SPACE) at++;
    bounds[2 * count] = wordStart;
    bounds[2 * count + 1] = at;
    count++;
  }
  return count;
}

function wordIs(bytes: Buffer, bounds: number[], index: number, word: string): boolean {
  const from = bounds[2 * index];
  if (bounds[2 * index + 1] - from !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (bytes[from + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** The word as a byte count, or -1 when it is not one. */
function countIn(bytes: Buffer, bounds: number[], index: number): number {
  const [from, to] = [bounds[2 * index], bounds[2 * index + 1]];
  if (to - from > 15) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = bytes[i] - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

const CLUSTER = 'cluster';

/** Whether a line (trailing CR LF and blanks aside) ends in "cluster", as both Auto Discovery requests do. */
function endsInCluster(bytes: Buffer, start: number, end: number): boolean {
  let last = end - 1;
  while (last >= start && (bytes[last] === LF || bytes[last] === CR || bytes[last] === SPACE || bytes[last] === TAB))
    last--;
  if (last - start < CLUSTER.length - 1) return false;
  for (let i = 0; i < CLUSTER.length; i++)
    if ((bytes[last - CLUSTER.length + 1 + i] | 0x20) !== CLUSTER.charCodeAt(i)) return false;
  return true;
}

const STORAGE_COMMANDS = ['set', 'add', 'replace', 'append', 'prepend'];

/**
 * The data block a storage command line announces (set, add, replace, append, prepend, cas; the meta ms), in
 * bytes with its CR LF; 0 for every other line, and for one memcached refuses without reading its block.
 */
function dataBlockOf(bytes: Buffer, start: number, end: number, bounds: number[]): number {
  const first = bytes[start];
  // s(et), a(dd / ppend), r(eplace), p(repend), c(as), m(s): no other command has a data block.
  if (first !== 0x73 && first !== 0x61 && first !== 0x72 && first !== 0x70 && first !== 0x63 && first !== 0x6d)
    return 0;
  const count = splitWords(bytes, start, end, bounds);
  if (count >= 3 && wordIs(bytes, bounds, 0, 'ms')) return blockWithEnd(countIn(bytes, bounds, 2));
  const cas = wordIs(bytes, bounds, 0, 'cas');
  if (!cas && !STORAGE_COMMANDS.some((name) => wordIs(bytes, bounds, 0, name))) return 0;
  const words = cas ? 6 : 5;
  if (count !== words && count !== words + 1) return 0;
  if (bounds[3] - bounds[2] > KEY_LIMIT) return 0;
  return blockWithEnd(countIn(bytes, bounds, 4));
}

const blockWithEnd = (size: number): number => (size < 0 ? 0 : size + 2);

/** The data block an answer line announces (VALUE of get, VA of the meta commands), in bytes with its CR LF. */
function valueBlockOf(bytes: Buffer, start: number, end: number, bounds: number[]): number {
  if (bytes[start] !== 0x56 || bytes[start + 1] !== 0x41) return 0; // "VA..."
  const count = splitWords(bytes, start, end, bounds);
  if (count >= 4 && wordIs(bytes, bounds, 0, 'VALUE')) return blockWithEnd(countIn(bytes, bounds, 3));
  if (count >= 2 && wordIs(bytes, bounds, 0, 'VA')) return blockWithEnd(countIn(bytes, bounds, 1));
  return 0;
}

const VERSION_ANSWER = 'VERSION ';

function isVersionAnswer(bytes: Buffer, start: number, end: number): boolean {
  if (end - start < VERSION_ANSWER.length) return false;
  for (let i = 0; i < VERSION_ANSWER.length; i++) if (bytes[start + i] !== VERSION_ANSWER.charCodeAt(i)) return false;
  return true;
}

const isVersionRequest = (bytes: Buffer, start: number, end: number, bounds: number[]): boolean =>
  bytes[start] === 0x76 && splitWords(bytes, start, end, bounds) > 0 && wordIs(bytes, bounds, 0, 'version');

/** The client's commands on their way to the node. */
class Commands extends LineStream {
  private readonly bounds: number[] = [];

  constructor(private readonly session: Session) {
    super();
  }

  protected line(bytes: Buffer, start: number, end: number): LineOutcome {
    if (endsInCluster(bytes, start, end) && isConfigGetCluster(bytes.toString('latin1', start, end)))
      return this.session.discoveryRequest();
    if (isVersionRequest(bytes, start, end, this.bounds)) this.session.versionRequested();
    this.dataLeft = dataBlockOf(bytes, start, end, this.bounds);
    this.session.sentToNode = true;
    return undefined;
  }
}

/** The node's answers on their way to the client. */
class Answers extends LineStream {
  private readonly bounds: number[] = [];

  constructor(private readonly session: Session) {
    super();
  }

  protected line(bytes: Buffer, start: number, end: number): LineOutcome {
    if (isVersionAnswer(bytes, start, end)) return this.session.versionAnswered();
    this.dataLeft = valueBlockOf(bytes, start, end, this.bounds);
    return undefined;
  }
}

class Session {
  /** Something has gone (or is going, with this chunk) to the node: answers of ours must wait for its turn. */
  sentToNode = false;
  /** For each VERSION line the node still owes: whether it stands for a `config get cluster`. */
  private readonly owed: boolean[] = [];
  private node: Socket | undefined;
  private readonly commands = new Commands(this);
  private readonly answers = new Answers(this);

  constructor(
    private readonly client: Socket,
    private readonly openNode: () => Socket | undefined,
    private readonly discovery: () => string,
  ) {}

  start(): void {
    let first = true;
    const onData = (chunk: Buffer) => {
      const binary = first && chunk[0] === BINARY_REQUEST_MAGIC;
      first = false;
      if (binary) {
        this.client.off('data', onData);
        this.client.off('end', onEnd);
        this.forwardUntouched(chunk);
        return;
      }
      const out = this.commands.feed(chunk);
      if (out.length > 0) this.toNode(out);
    };
    const onEnd = () => {
      const rest = this.commands.flush();
      if (rest && this.sentToNode) this.toNode([rest]);
      if (this.node) this.node.end();
      else this.client.end();
    };
    this.client.on('data', onData);
    this.client.on('end', onEnd);
  }

  /** A `config get cluster`: answered at once while nothing went to the node yet, else in the node's turn. */
  discoveryRequest(): LineOutcome {
    if (!this.sentToNode) {
      this.client.write(this.discovery());
      return null;
    }
    this.owed.push(true);
    return VERSION_REQUEST;
  }

  /** The client's own `version`: its answer goes to the client as it is. */
  versionRequested(): void {
    this.owed.push(false);
  }

  versionAnswered(): LineOutcome {
    return this.owed.shift() ? Buffer.from(this.discovery()) : undefined;
  }

  /** Sends on to the node, connecting first; a node that cannot keep up pauses the client. */
  private toNode(out: Buffer[]): void {
    const node = this.node ?? this.connect();
    if (!node) return;
    let flowing = true;
    for (const bytes of out) flowing = node.write(bytes);
    if (!flowing) {
      this.client.pause();
      node.once('drain', () => this.client.resume());
    }
  }

  private connect(): Socket | undefined {
    if (this.client.destroyed) return undefined;
    const node = this.openNode();
    if (!node) return undefined;
    this.node = node;
    node.on('data', (chunk: Buffer) => {
      let flowing = true;
      for (const bytes of this.answers.feed(chunk)) flowing = this.client.write(bytes);
      if (!flowing) {
        node.pause();
        this.client.once('drain', () => node.resume());
      }
    });
    node.on('end', () => {
      const rest = this.answers.flush();
      if (rest) this.client.write(rest);
      this.client.end();
    });
    return node;
  }

  private forwardUntouched(first: Buffer): void {
    const node = this.openNode();
    if (!node) return;
    node.write(first);
    this.client.pipe(node);
    node.pipe(this.client);
  }
}

/**
 * Serves a memcached client through an endpoint: `openNode` connects to the node (undefined when none runs, the
 * client then cut off), `discovery` gives the current answer to `config get cluster`.
 */
export function relayMemcached(client: Socket, openNode: () => Socket | undefined, discovery: () => string): void {
  new Session(client, openNode, discovery).start();
}
