/**
 * AWS Query protocol output: a typed output object → `<OpResponse><OpResult>…</OpResult><ResponseMetadata>`,
 * with element names, order and scalar formats taken from the output shape. Members the shape does not
 * declare are never written, so internal fields cannot leak. Errors: `<ErrorResponse>` as AWS sends them.
 *
 * Generic and model-driven, and fast where a Describe over a hundred resources writes thousands of elements
 * (walking the model's JSON for each of them was once the largest cost of the API path):
 * - the model is read once per shape: the first time a structure is written, its members are compiled into
 *   straight-line code (see compileMembersWriter) calling element writers that know their tags;
 * - the wire bytes are encoded chunk by chunk into pooled buffers (ByteOutput, OutputBuffers, in
 *   output-buffers.ts), never as one large string;
 * - an operation's last large result is remembered with its trace (Trace, in result-trace.ts): a result that
 *   traces equal, as a polled Describe mostly does, is sent from the remembered bytes without being written again.
 * response() writes the same document as a string, without the last two (tests compare the two).
 */
import { listMemberName, type Operation, type Shape, type ShapeRef, type ServiceModel } from './model.js';
import {
  ByteOutput,
  CHUNK,
  type OutputBuffers,
  type XmlBytes,
  type XmlOutput,
  type XmlParts,
} from './output-buffers.js';
import { ResultTracers, Trace } from './result-trace.js';
// Every value and message written goes through escapeXml, so no document written here can hold a character XML
// cannot carry, whatever was stored or echoed (xml-chars.ts).
import { escapeXmlText as escapeXml } from './xml-chars.js';

// http/app.ts takes the pool and the bytes type from here, with the serializer.
export { OutputBuffers, type XmlBytes, type XmlParts } from './output-buffers.js';

/** AWS writes timestamps as ISO 8601 UTC with milliseconds. */
export function formatTimestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  // Stored as text by an older build, perhaps: written as any other text.
  return escapeXml(String(value));
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
  if (members.some(([other, otherRef]) => other !== member && (otherRef.locationName ?? other) === alias))
    return undefined;
  return alias;
}

/** Writes one value as the element(s) `name` (a flattened list writes one element per item). */
type ElementWriter = (value: unknown, out: XmlOutput) => void;
/** Writes the members of a structure value, without the structure's own tags. */
type MembersWriter = (value: unknown, out: XmlOutput) => void;

interface CompiledMember {
  member: string;
  write: ElementWriter;
  /** The same value again under the botocore name, where the clients disagree on it. */
  writeAlias?: ElementWriter;
}

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
  /** The writers' twins, which trace a result to tell it equal to the last one. */
  private readonly tracers: ResultTracers;
  /** Results of this size or more are remembered, by operation, with their trace. */
  private readonly memos = new Map<string, Memo>();
  /** Operations whose last result was large, and so worth remembering. */
  private readonly largeResults = new Set<string>();

  constructor(private readonly model: ServiceModel) {
    this.namespace = model.metadata.xmlNamespace ?? '';
    this.ec2 = model.metadata.protocol === 'ec2';
    this.tracers = new ResultTracers(model);
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

  /**
   * The document of an answer whose result content (from responseBytes with keepResult) is sent again: the kept
   * bytes themselves, between the envelope's start and end, so the result is not copied for every answer.
   */
  responseWithResult(operation: Operation, result: Buffer, requestId: string): XmlParts {
    const head: string[] = [];
    const tail: string[] = [];
    let out = head;
    this.write(operation, requestId, { push: (piece) => out.push(piece) }, () => {
      out = tail;
    });
    const start = Buffer.from(head.join(''), 'utf8');
    const end = Buffer.from(tail.join(''), 'utf8');
    return { parts: [start, result, end], length: start.length + result.length + end.length };
  }

  /** Writes a result that was large last time: the remembered bytes when its trace is unchanged. */
  private rememberedResult(name: string, shape: string, output: unknown, out: ByteOutput): void {
    const memo = this.memos.get(name);
    const trace = new Trace(memo?.trace);
    this.tracers.tracer(shape)(output, trace);
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

  private compileMembers(shape: Shape): CompiledMember[] {
    const members = Object.entries(shape.members ?? {});
    return members.map(([member, ref]) => {
      const target = this.model.shapes[ref.shape];
      const alias = shapeLevelName(members, member, ref, target);
      return {
        member,
        write: this.elementWriter(ref.shape, ref.locationName ?? member, ref.flattened === true),
        writeAlias: alias === undefined ? undefined : this.elementWriter(ref.shape, alias, ref.flattened === true),
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
}
