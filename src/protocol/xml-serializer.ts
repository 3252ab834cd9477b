/**
 * AWS Query protocol output: a typed output object → `<OpResponse><OpResult>…</OpResult><ResponseMetadata>`,
 * with element names, order and scalar formats taken from the output shape. Members the shape does not
 * declare are never written, so internal fields cannot leak. Errors: `<ErrorResponse>` as AWS sends them.
 *
 * Generic and model-driven, and fast where a Describe over a hundred resources writes thousands of elements
 * (walking the model's JSON for each of them was once the largest cost of the API path):
 * - the model is read once per shape: the first time a structure is written, its members are compiled into
 *   straight-line code (see compileMembersWriter) calling element writers that know their tags;
 * - the wire bytes are encoded chunk by chunk into pooled buffers (ByteOutput, OutputBuffers), never as one
 *   large string;
 * - an operation's last large result is remembered with its trace (Trace): a result that traces equal, as a
 *   polled Describe mostly does, is sent from the remembered bytes without being written again.
 * response() writes the same document as a string, without the last two (tests compare the two).
 */
import { listMemberName, type Operation, type Shape, type ShapeRef, type ServiceModel } from './model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const NEEDS_ESCAPE = /[&<>"']/;
const ESCAPABLE = /[&<>"']/g;
const escapeChar = (c: string) => ESCAPES[c];

export function escapeXml(text: string): string {
  // Most values (ids, statuses, numbers) have nothing to escape: testing is cheaper than replacing.
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPABLE, escapeChar) : text;
}

/** AWS writes timestamps as ISO 8601 UTC with milliseconds. */
export function formatTimestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  return String(value);
}

/**
 * A member whose target shape carries its own locationName (the model's PendingLogDeliveryConfigurationList
 * does) is named differently by the clients: botocore (AWS CLI, boto3) takes the shape's name, the
 * Smithy-generated SDKs (JS v3; Go v2, so Terraform, comes from the same Smithy model) the member's. Such a
 * member is written under both names, so every client reads it; clients ignore elements they do not model.
 * Undefined where the names agree, where the member names itself, for flattened lists (their items carry the
 * name), or where the alias is the name of another member.
 */
function shapeLevelName(
  members: [string, ShapeRef][],
  member: string,
  ref: ShapeRef,
  target: Shape,
): string | undefined {
  const alias = target.locationName;
  if (!alias || ref.locationName || alias === member || ref.flattened || target.flattened) return undefined;
  if (members.some(([other, otherRef]) => other !== member && (otherRef.locationName ?? other) === alias)) return undefined;
  return alias;
}

/** Writes one value as the element(s) `name` (a flattened list writes one element per item). */
type ElementWriter = (value: unknown, out: XmlOutput) => void;
/** Writes the members of a structure value, without the structure's own tags. */
type MembersWriter = (value: unknown, out: XmlOutput) => void;

/** Where the writers put the document, piece by piece: a string[] to join, or ByteOutput. */
interface XmlOutput {
  push(piece: string): void;
}

/**
 * Reusable buffers for large answers. A Describe over a hundred resources is some 150 KB; allocating that much
 * afresh for every answer (as one string, or one Buffer) costs more than writing it: large strings land in
 * V8's large-object space, large Buffers are fresh memory the kernel has to fault in, and both press the GC.
 * A buffer is taken for one answer and given back once the answer has been handed to the OS.
 */
export class OutputBuffers {
  private readonly free: Buffer[] = [];

  /** @param keep how many idle buffers to keep (about one per concurrent large answer). */
  constructor(private readonly keep = 16) {}

  take(minBytes: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i].length >= minBytes) return this.free.splice(i, 1)[0];
    }
    let size = 64 * 1024;
    while (size < minBytes) size *= 2;
    return Buffer.allocUnsafeSlow(size);
  }

  give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}

/** An answer's bytes, and how to give their buffer back once they have been sent (a no-op when not pooled). */
export interface XmlBytes {
  bytes: Buffer;
  release(): void;
}

const nothingToRelease = () => {};

/** Small pieces are joined into chunks of this many characters before they are encoded. */
const CHUNK = 16 * 1024;

/**
 * The document as UTF-8 bytes, encoded chunk by chunk into a pooled buffer as it is written: it never exists as
 * one string. An answer that fits in one chunk (most of them) is simply encoded on its own.
 */
class ByteOutput implements XmlOutput {
  private text = '';
  private buffer: Buffer | undefined;
  private length = 0;

  constructor(private readonly pool: OutputBuffers) {}

  push(piece: string): void {
    this.text += piece;
    if (this.text.length >= CHUNK) this.flush();
  }

  /** Bytes already encoded, written as they are. */
  pushBytes(bytes: Buffer): void {
    this.flush();
    this.reserve(bytes.length);
    this.length += bytes.copy(this.buffer!, this.length);
  }

  /** The byte offset reached so far (the document goes to a pooled buffer from here on). */
  mark(): number {
    this.flush();
    this.reserve(0);
    return this.length;
  }

  /** A copy of bytes [start, end) written so far, of its own (not pooled). */
  copy(start: number, end: number): Buffer {
    return Buffer.from(this.buffer!.subarray(start, end));
  }

  /** Whether the document outgrew one chunk (and so went to a pooled buffer). */
  get large(): boolean {
    return this.buffer !== undefined;
  }

  private flush(): void {
    if (this.text === '') return;
    const text = this.text;
    this.text = '';
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    this.reserve(text.length * 3);
    this.length += this.buffer!.write(text, this.length, 'utf8');
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (this.buffer && needed <= this.buffer.length) return;
    const bigger = this.pool.take(needed);
    if (this.buffer) {
      this.buffer.copy(bigger, 0, 0, this.length);
      this.pool.give(this.buffer);
    }
    this.buffer = bigger;
  }

  finish(): XmlBytes {
    if (!this.buffer) return { bytes: Buffer.from(this.text, 'utf8'), release: nothingToRelease };
    this.flush();
    const buffer = this.buffer;
    this.buffer = undefined;
    let released = false;
    return {
      bytes: buffer.subarray(0, this.length),
      release: () => {
        if (released) return;
        released = true;
        this.pool.give(buffer);
      },
    };
  }
}

interface CompiledMember {
  member: string;
  write: ElementWriter;
  /** The same value again under the botocore name, where the clients disagree on it. */
  writeAlias?: ElementWriter;
  trace: Tracer;
  /** Written as String(value) (no timestamp, blob, structure, list or map): traced inline. */
  plainScalar: boolean;
}

/**
 * Everything a document's result depends on, value by value, in writing order: whether each member is present,
 * each list's length, each scalar as it is. The writers are a function of the shape and of these values alone,
 * so two equal traces make the same bytes. A value whose text cannot be told from the value itself (maps,
 * blobs, objects where a scalar belongs) is traced as a fresh object, equal to nothing.
 *
 * A trace is taken over the previous one, in place: a value equal to the one already at its position is left
 * there (nothing to compare or write, whether the two traces still agree or not), any other is written and marks
 * the trace changed. The generated tracers do the same inline (see compileStructureTracer).
 */
class Trace {
  position = 0;
  changed = false;

  constructor(readonly values: unknown[] = []) {}

  step(value: unknown): void {
    const at = this.position++;
    if (at < this.values.length && this.values[at] === value) return;
    this.changed = true;
    this.values[at] = value;
  }

  /** Ends the trace; true when it equals the previous one. */
  end(): boolean {
    const same = !this.changed && this.position === this.values.length;
    this.values.length = this.position;
    return same;
  }
}

/** Takes the trace of a value of one shape (the twin of its writer). */
type Tracer = (value: unknown, trace: Trace) => void;

const untraceable = (_value: unknown, trace: Trace) => trace.step({});

/** A scalar's text is String(value): a primitive is its own trace. */
const traceScalar: Tracer = (value, trace) => {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') trace.step({});
  else trace.step(value);
};

/** formatTimestamp: a plain Date writes as its time would as a number. */
const traceTimestamp: Tracer = (value, trace) => {
  if (value instanceof Date && Object.getPrototypeOf(value) === Date.prototype) trace.step(value.getTime());
  else traceScalar(value, trace);
};

/** The last large result of one operation, kept with its trace so an unchanged result is not written again. */
interface Memo {
  trace: unknown[];
  body: Buffer;
}

export class XmlSerializer {
  private readonly namespace: string;
  private readonly ec2: boolean;
  /** Members writers by structure shape name, compiled on first use. */
  private readonly structures = new Map<string, MembersWriter>();
  /** Element writers by shape name, element name and flattening. */
  private readonly elements = new Map<string, ElementWriter>();
  /** Tracers by shape name, compiled on first use. */
  private readonly tracers = new Map<string, Tracer>();
  /** Results of this size or more are remembered, by operation, with their trace. */
  private readonly memos = new Map<string, Memo>();
  /** Operations whose last result was large, and so worth remembering. */
  private readonly largeResults = new Set<string>();

  constructor(private readonly model: ServiceModel) {
    this.namespace = model.metadata.xmlNamespace ?? '';
    this.ec2 = model.metadata.protocol === 'ec2';
  }

  response(operation: Operation, output: unknown, requestId: string): string {
    const out: string[] = [];
    this.write(operation, requestId, out, (shape) => this.membersWriter(shape)(output, out));
    return out.join('');
  }

  /**
   * The same document as response(), as the UTF-8 bytes sent on the wire, written into a buffer of `pool` when
   * it is large: call release() once the bytes have been sent (not before: the buffer is then reused).
   *
   * A large result equal to the operation's previous one (a client polling a Describe) is not written again:
   * its trace, taken in a fraction of the time writing costs, shows it equal, and its bytes are reused.
   */
  responseBytes(operation: Operation, output: unknown, requestId: string, pool: OutputBuffers): XmlBytes;
  /** With `keepResult`, also a copy of the result element's content, to be sent again by responseWithResult. */
  responseBytes(
    operation: Operation,
    output: unknown,
    requestId: string,
    pool: OutputBuffers,
    keepResult: boolean,
  ): XmlBytes & { result?: Buffer };
  responseBytes(operation: Operation, output: unknown, requestId: string, pool: OutputBuffers, keepResult = false) {
    const out = new ByteOutput(pool);
    let result: Buffer | undefined;
    this.write(operation, requestId, out, (shape) => {
      const start = keepResult ? out.mark() : 0;
      if (this.largeResults.has(operation.name)) this.rememberedResult(operation.name, shape, output, out);
      else {
        this.membersWriter(shape)(output, out);
        if (out.large) this.largeResults.add(operation.name);
      }
      if (keepResult) result = out.copy(start, out.mark());
    });
    const bytes = out.finish();
    return keepResult ? { ...bytes, result } : bytes;
  }

  /** The document of an answer whose result content (from responseBytes with keepResult) is sent again. */
  responseWithResult(operation: Operation, result: Buffer, requestId: string, pool: OutputBuffers): XmlBytes {
    const out = new ByteOutput(pool);
    this.write(operation, requestId, out, () => out.pushBytes(result));
    return out.finish();
  }

  /** Writes a result that was large last time: the remembered bytes when its trace is unchanged. */
  private rememberedResult(name: string, shape: string, output: unknown, out: ByteOutput): void {
    const memo = this.memos.get(name);
    const trace = new Trace(memo?.trace);
    this.tracer(shape)(output, trace);
    if (trace.end() && memo) {
      out.pushBytes(memo.body);
      return;
    }
    // Forgotten first: should writing fail, no memo is left with another result's trace.
    this.memos.delete(name);
    const start = out.mark();
    this.membersWriter(shape)(output, out);
    const end = out.mark();
    if (end - start >= CHUNK) this.memos.set(name, { trace: trace.values, body: out.copy(start, end) });
    else this.largeResults.delete(name);
  }

  /** The document around its result; `result` writes the result's members (of shape `shape`). */
  private write(operation: Operation, requestId: string, out: XmlOutput, result: (shape: string) => void): void {
    if (this.ec2) {
      // EC2: no result wrapper, the request id first; operations without output say `<return>true</return>`.
      out.push(`<${operation.name}Response xmlns="${this.namespace}"><requestId>${requestId}</requestId>`);
      if (operation.output) result(operation.output.shape);
      else out.push('<return>true</return>');
      out.push(`</${operation.name}Response>`);
      return;
    }
    out.push(`<${operation.name}Response xmlns="${this.namespace}">`);
    if (operation.output) {
      const wrapper = operation.output.resultWrapper ?? `${operation.name}Result`;
      out.push(`<${wrapper}>`);
      result(operation.output.shape);
      out.push(`</${wrapper}>`);
    }
    out.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation.name}Response>`);
  }

  error(code: string, message: string, type: 'Sender' | 'Receiver', requestId: string): string {
    if (this.ec2) {
      return (
        `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
        `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
      );
    }
    return (
      `<ErrorResponse xmlns="${this.namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
    );
  }

  /** The writer of a structure's members; a recursive shape finds its own writer through the map. */
  private membersWriter(shapeName: string): MembersWriter {
    const known = this.structures.get(shapeName);
    if (known) return known;
    let compiled: MembersWriter | undefined;
    // Compiled on first use; through the map first, so a recursive shape finds itself.
    const write: MembersWriter = (value, out) => (compiled ??= this.compileMembersWriter(shapeName))(value, out);
    this.structures.set(shapeName, write);
    return write;
  }

  /**
   * A structure's members writer, generated as straight-line code: one read of each member by its name, in the
   * model's order, then its element writer (and its alias's). Reading `value[name]` with the name in a variable
   * is a megamorphic lookup, the costliest step of writing thousands of members; a name written in the code is
   * an inline-cached read. Only member names (as JSON string literals) and indexes come from the model.
   */
  private compileMembersWriter(shapeName: string): MembersWriter {
    const members = this.compileMembers(this.model.shapes[shapeName]);
    const code = [
      ...members.map((m, i) => `const w${i} = members[${i}].write, a${i} = members[${i}].writeAlias;`),
      'return function writeMembers(value, out) {',
      "  if (value === null || typeof value !== 'object') return;",
      '  let v;',
      ...members.map(
        (m, i) =>
          `  v = value[${JSON.stringify(m.member)}]; if (v !== undefined && v !== null) { w${i}(v, out);${m.writeAlias ? ` a${i}(v, out);` : ''} }`,
      ),
      '};',
    ];
    return new Function('members', code.join('\n'))(members) as MembersWriter;
  }

  /**
   * A structure's tracer, generated like its members writer. Trace.step is inlined for plain scalars: the
   * position is kept in a local, and a value equal to the one already there only moves it on.
   */
  private compileStructureTracer(shape: Shape): Tracer {
    const members = this.compileMembers(shape);
    const step = 'if (p < values.length && values[p] === v) p++; else { t.position = p; t.step(v); p = t.position; }';
    const code = [
      ...members.map((m, i) => `const t${i} = members[${i}].trace;`),
      'return function traceMembers(value, t) {',
      // A structure that is no object writes no members (and an element of it, empty tags).
      "  if (value === null || typeof value !== 'object') { t.step(false); return; }",
      '  t.step(true);',
      '  const values = t.values;',
      '  let p = t.position, v;',
      ...members.map((m, i) => {
        const read = `  v = value[${JSON.stringify(m.member)}];`;
        // traceScalar, inline: most members are plain scalars.
        if (m.plainScalar) {
          return `${read} if (v === null) v = undefined; else if (typeof v === 'object' || typeof v === 'function') v = {}; ${step}`;
        }
        return `${read} if (v === undefined || v === null) { v = undefined; ${step} } else { t.position = p; t${i}(v, t); p = t.position; }`;
      }),
      '  t.position = p;',
      '};',
    ];
    return new Function('members', code.join('\n'))(members) as Tracer;
  }

  private compileMembers(shape: Shape): CompiledMember[] {
    const members = Object.entries(shape.members ?? {});
    return members.map(([member, ref]) => {
      const target = this.model.shapes[ref.shape];
      const alias = shapeLevelName(members, member, ref, target);
      return {
        member,
        write: this.elementWriter(ref.shape, ref.locationName ?? member, ref.flattened === true),
        writeAlias: alias === undefined ? undefined : this.elementWriter(ref.shape, alias, ref.flattened === true),
        trace: this.tracer(ref.shape),
        plainScalar: !['structure', 'list', 'map', 'timestamp', 'blob'].includes(target.type),
      };
    });
  }

  private elementWriter(shapeName: string, name: string, flattened: boolean): ElementWriter {
    const key = `${shapeName}\u0000${name}\u0000${flattened}`;
    const known = this.elements.get(key);
    if (known) return known;
    const write = this.compileElement(shapeName, name, flattened);
    this.elements.set(key, write);
    return write;
  }

  private compileElement(shapeName: string, name: string, flattened: boolean): ElementWriter {
    const shape = this.model.shapes[shapeName];
    const open = `<${name}>`;
    const close = `</${name}>`;
    switch (shape.type) {
      case 'structure': {
        const members = this.membersWriter(shapeName);
        return (value, out) => {
          out.push(open);
          members(value, out);
          out.push(close);
        };
      }
      case 'list': {
        const itemShape = shape.member!.shape;
        if (flattened || shape.flattened) {
          let item: ElementWriter | undefined;
          return (value, out) => {
            if (!Array.isArray(value)) return;
            item ??= this.elementWriter(itemShape, shape.member!.locationName ?? name, false);
            for (let i = 0; i < value.length; i++) item(value[i], out);
          };
        }
        const empty = `<${name}/>`;
        let item: ElementWriter | undefined;
        return (value, out) => {
          if (!Array.isArray(value) || value.length === 0) {
            out.push(empty);
            return;
          }
          item ??= this.elementWriter(itemShape, listMemberName(shape), false);
          out.push(open);
          for (let i = 0; i < value.length; i++) item(value[i], out);
          out.push(close);
        };
      }
      case 'map': {
        const valueShape = (shape as any).value.shape as string;
        let entryValue: ElementWriter | undefined;
        return (value, out) => {
          entryValue ??= this.elementWriter(valueShape, 'value', false);
          out.push(open);
          for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
            out.push(`<entry><key>${escapeXml(key)}</key>`);
            entryValue(entry, out);
            out.push('</entry>');
          }
          out.push(close);
        };
      }
      case 'timestamp':
        return (value, out) => {
          out.push(open + formatTimestamp(value) + close);
        };
      case 'blob':
        return (value, out) => {
          out.push(open + (Buffer.isBuffer(value) ? value.toString('base64') : escapeXml(String(value))) + close);
        };
      default:
        return (value, out) => {
          out.push(open + escapeXml(String(value)) + close);
        };
    }
  }

  /** The tracer of a shape: the twin of its writers, stepping through exactly what they read. */
  private tracer(shapeName: string): Tracer {
    const known = this.tracers.get(shapeName);
    if (known) return known;
    let compiled: Tracer | undefined;
    // Through the map first, so a recursive shape finds itself.
    const trace: Tracer = (value, t) => (compiled ??= this.compileTracer(shapeName))(value, t);
    this.tracers.set(shapeName, trace);
    return trace;
  }

  private compileTracer(shapeName: string): Tracer {
    const shape = this.model.shapes[shapeName];
    switch (shape.type) {
      case 'structure':
        return this.compileStructureTracer(shape);
      case 'list': {
        const item = this.tracer(shape.member!.shape);
        return (value, t) => {
          // No array writes as an empty one.
          if (!Array.isArray(value)) {
            t.step(0);
            return;
          }
          t.step(value.length);
          for (let i = 0; i < value.length; i++) item(value[i], t);
        };
      }
      case 'map':
      case 'blob':
        return untraceable;
      case 'timestamp':
        return traceTimestamp;
      default:
        return traceScalar;
    }
  }
}
