/**
 * The trace of a result, for the serializer's memo of an operation's last large result: everything the written
 * bytes depend on, taken in a fraction of the time writing costs, so a result that traces equal to the last one
 * (a polled Describe, mostly) is sent from the remembered bytes instead of being written again.
 *
 * Tracers are compiled per shape from the model, as the twins of the serializer's writers: each steps through
 * exactly the values its writer reads, in the same order.
 */
import type { Shape, ServiceModel } from './model.js';

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
export class Trace {
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
export type Tracer = (value: unknown, trace: Trace) => void;

const untraceable = (_value: unknown, trace: Trace) => trace.step({});

/** A scalar's text is String(value): a primitive is its own trace. */
const traceScalar: Tracer = (value, trace) => {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') trace.step({});
  else trace.step(value);
};

/** formatTimestamp (xml-serializer.ts): a plain Date writes as its time would as a number. */
const traceTimestamp: Tracer = (value, trace) => {
  if (value instanceof Date && Object.getPrototypeOf(value) === Date.prototype) trace.step(value.getTime());
  else traceScalar(value, trace);
};

/** A structure member as its tracer sees it. */
interface TracedMember {
  member: string;
  trace: Tracer;
  /** Written as String(value) (no timestamp, blob, structure, list or map): traced inline. */
  plainScalar: boolean;
}

/** The tracers of one model's shapes, compiled on first use. */
export class ResultTracers {
  private readonly tracers = new Map<string, Tracer>();

  constructor(private readonly model: ServiceModel) {}

  /** The tracer of a shape: the twin of its writers, stepping through exactly what they read. */
  tracer(shapeName: string): Tracer {
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

  /**
   * A structure's tracer, generated like its members writer (xml-serializer.ts). Trace.step is inlined for plain
   * scalars: the position is kept in a local, and a value equal to the one already there only moves it on.
   */
  private compileStructureTracer(shape: Shape): Tracer {
    const members = this.tracedMembers(shape);
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

  /** The members of a structure, in the model's order: the order its members writer writes them in. */
  private tracedMembers(shape: Shape): TracedMember[] {
    return Object.entries(shape.members ?? {}).map(([member, ref]) => ({
      member,
      trace: this.tracer(ref.shape),
      plainScalar: !['structure', 'list', 'map', 'timestamp', 'blob'].includes(this.model.shapes[ref.shape].type),
    }));
  }
}
