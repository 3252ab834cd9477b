/**
 * AWS Query protocol input: flat `Name.member.N.Field=value` pairs → a typed input object, walked from the
 * operation's input shape and validated against its traits (required, types, enums, lengths, ranges, patterns)
 * and against XML 1.0's characters, which every value must keep to (it may be echoed in any answer). No
 * per-operation code; unknown keys are ignored, as AWS does.
 */
import { AwsError, commonErrors } from './errors.js';
import { listMemberName, type Shape, type ShapeRef, type ServiceModel } from './model.js';
import { describeChar, invalidXmlCharIndex } from './xml-chars.js';

export type QueryParams = Map<string, string>;

/** Parses a urlencoded string, refusing broken percent-escapes as AWS does (MalformedQueryString). */
export function parseQueryString(raw: string, into: QueryParams = new Map()): QueryParams {
  if (!raw) return into;
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    into.set(decode(rawKey), decode(rawValue));
  }
  return into;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw commonErrors.malformedQueryString(
      `The query string contains a malformed escape sequence: ${part.slice(0, 64)}`,
    );
  }
}

export class QueryParser {
  /** EC2's flavour of the Query protocol: names from queryName / capitalised locationName, lists always `Name.N`. */
  private readonly ec2: boolean;

  constructor(private readonly model: ServiceModel) {
    this.ec2 = model.metadata.protocol === 'ec2';
  }

  private wireName(member: string, ref: ShapeRef): string {
    if (!this.ec2) return ref.locationName ?? member;
    if (ref.queryName) return ref.queryName;
    return ref.locationName ? ref.locationName[0].toUpperCase() + ref.locationName.slice(1) : member;
  }

  /** Parses the members of `shapeName` from the request's parameters (top level: no prefix). */
  parse(shapeName: string | undefined, params: QueryParams): Record<string, unknown> {
    if (!shapeName) return {};
    return (this.structure(this.model.shapes[shapeName], '', params) as Record<string, unknown>) ?? {};
  }

  private shape(name: string): Shape {
    return this.model.shapes[name];
  }

  private value(shape: Shape, key: string, params: QueryParams): unknown {
    switch (shape.type) {
      case 'structure':
        return this.structure(shape, key, params);
      case 'list':
        return this.list(shape, key, params);
      case 'map':
        return undefined; // no Query input of the services we serve has a map
      default:
        return params.has(key) ? scalar(shape, key, params.get(key)!, !this.ec2) : undefined;
    }
  }

  private structure(shape: Shape, prefix: string, params: QueryParams): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    let present = prefix === '';
    for (const [member, ref] of Object.entries(shape.members ?? {})) {
      const target = this.shape(ref.shape);
      let value = this.value(target, join(prefix, this.wireName(member, ref)), params);
      if (
        value === undefined &&
        !this.ec2 &&
        !ref.locationName &&
        target.locationName &&
        target.locationName !== member
      ) {
        // botocore names a member by its target shape's locationName when the member has none (see xml-serializer).
        value = this.value(target, join(prefix, target.locationName), params);
      }
      if (value !== undefined) {
        out[member] = value;
        present = true;
      }
    }
    if (!present) return undefined;
    for (const member of shape.required ?? []) {
      const value = out[member];
      if (value === undefined || value === '') {
        const wire = join(prefix, this.wireName(member, shape.members![member]));
        // EC2 says MissingParameter; ElastiCache and the other Query services InvalidParameterValue.
        throw this.ec2
          ? new AwsError('MissingParameter', `The request must contain the parameter ${wire}`)
          : commonErrors.missingParameter(wire);
      }
    }
    return out;
  }

  private list(shape: Shape, key: string, params: QueryParams): unknown[] | undefined {
    const memberShape = this.shape(shape.member!.shape);
    const itemPrefix = shape.flattened || this.ec2 ? `${key}.` : `${key}.${listMemberName(shape)}.`;
    const indices = new Set<number>();
    for (const name of params.keys()) {
      if (!name.startsWith(itemPrefix)) continue;
      const index = name.slice(itemPrefix.length).split('.', 1)[0];
      if (!/^[1-9]\d{0,4}$/.test(index)) {
        throw commonErrors.invalidParameterValue(`The list index in parameter ${name} is not a positive integer.`);
      }
      indices.add(Number(index));
    }
    if (indices.size === 0) {
      // botocore sends an empty list as a bare `Name=`.
      return params.get(key) === '' ? checkLength(shape, key, []) : undefined;
    }
    const items = [...indices].sort((a, b) => a - b).map((i) => this.value(memberShape, `${itemPrefix}${i}`, params));
    return checkLength(
      shape,
      key,
      items.filter((item) => item !== undefined),
    );
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function checkLength<T extends { length: number }>(shape: Shape, key: string, value: T): T {
  if (shape.min !== undefined && value.length < shape.min) {
    throw commonErrors.invalidParameterValue(
      `The parameter ${key} must have at least ${shape.min} ${shape.type === 'list' ? 'member(s)' : 'character(s)'}.`,
    );
  }
  if (shape.max !== undefined && value.length > shape.max) {
    throw commonErrors.invalidParameterValue(
      `The parameter ${key} must have at most ${shape.max} ${shape.type === 'list' ? 'member(s)' : 'character(s)'}.`,
    );
  }
  return value;
}

const patterns = new Map<string, RegExp>();

/** @param checkEnum false for EC2, whose model lists only some of the values the service takes. */
function scalar(shape: Shape, key: string, raw: string, checkEnum: boolean): unknown {
  // First, for every type: no later check may echo such a value in its message, and no handler may store it.
  const bad = invalidXmlCharIndex(raw);
  if (bad >= 0) {
    throw commonErrors.invalidParameterValue(
      `The parameter ${key} holds ${describeChar(raw, bad)} at position ${bad + 1}, a character XML 1.0 cannot ` +
        'carry (below U+0020 only tab, line feed and carriage return are allowed; U+FFFE, U+FFFF and unpaired ' +
        'surrogates never are).',
    );
  }
  const invalid = (expected: string) =>
    commonErrors.invalidParameterValue(`Value '${raw.slice(0, 256)}' for parameter ${key} is invalid. ${expected}`);
  switch (shape.type) {
    case 'string': {
      if (checkEnum && shape.enum && !shape.enum.includes(raw))
        throw invalid(`Valid values: ${shape.enum.join(', ')}.`);
      if (raw !== '') checkLength(shape, key, raw);
      if (shape.pattern && raw !== '') {
        let re = patterns.get(shape.pattern);
        if (!re) patterns.set(shape.pattern, (re = new RegExp(`^(?:${shape.pattern})$`, 's')));
        if (!re.test(raw)) throw invalid(`It must match the pattern ${shape.pattern}.`);
      }
      return raw;
    }
    case 'integer':
    case 'long': {
      if (!/^[-+]?\d{1,15}$/.test(raw.trim())) throw invalid('It must be an integer.');
      const n = Number(raw);
      if (shape.type === 'integer' && (n > 2147483647 || n < -2147483648)) throw invalid('It is out of range.');
      if (shape.min !== undefined && n < shape.min) throw invalid(`It must be at least ${shape.min}.`);
      if (shape.max !== undefined && n > shape.max) throw invalid(`It must be at most ${shape.max}.`);
      return n;
    }
    case 'double':
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw invalid('It must be a number.');
      return n;
    }
    case 'boolean': {
      const lower = raw.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw invalid('It must be true or false.');
      return lower === 'true';
    }
    case 'timestamp': {
      const date = /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
      if (raw === '' || Number.isNaN(date.getTime())) throw invalid('It must be an ISO 8601 timestamp.');
      return date;
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}
