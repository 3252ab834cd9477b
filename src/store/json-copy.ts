/**
 * Deep copies of values parsed from JSON, by generated code. The resource cache hands out a copy on every read, and
 * a Describe copies every resource it answers with, so this is on the hot path of every poll.
 *
 * Two tiers. deepCopierFor compiles one function for the whole layout of a value (a cluster's state, nested
 * objects and arrays included), shared by every value of that layout. Values it declines (too large, odd keys,
 * too many layouts) fall back to copyJson, which copies object by object, each object with a copier generated for
 * its own keys (copierFor), or a spread for objects that one declines too.
 */

/**
 * A deep copy of a value parsed from JSON (plain objects, arrays, strings, numbers, booleans, null): what
 * JSON.parse of the stored text would give again, in a fraction of its time. The general copy, for values too
 * large or odd for deepCopierFor: each cached object carries (under a symbol, not enumerable, so invisible to
 * spreads, keys and JSON) a copier for its own keys; see copierFor.
 */
function copyJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const length = value.length;
    const out = new Array(length);
    for (let i = 0; i < length; i++) out[i] = copyJson(value[i]);
    return out as T;
  }
  const copier: Copier = (value as any)[COPIER] ?? copierFor(value);
  return copier(value) as T;
}

export type Copier = (value: any) => unknown;
const COPIER = Symbol('copier');

/** Any object: a spread (which keeps an own "__proto__" key an own property, as JSON.parse made it), then its object members copied. */
function copyAnyObject(value: any): unknown {
  const out: Record<string, unknown> = { ...value };
  for (const key in out) {
    const member = out[key];
    if (typeof member === 'object' && member !== null) out[key] = copyJson(member);
  }
  return out;
}

/** Copiers by layout: the keys in order, each marked as holding an object (copied deeply) or a primitive. */
const copiers = new Map<string, Copier>();
const MAX_COMPILED_KEYS = 64;
const MAX_COPIERS = 2000;

/**
 * The copier of a cached object, attached to it: for an object of up to 64 keys, generated code that builds the
 * copy as one object literal with the keys in their order, primitives read as they are, objects copied. That beats
 * a spread and a for-in over it by far, and a Describe copies thousands of objects. Layouts
 * are shared (every cluster has the same); odd objects (many keys, a "__proto__" key, too many layouts seen)
 * get copyAnyObject. Cached objects never change, so a copier made for one stays right for it.
 */
function copierFor(value: object): Copier {
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let copier: Copier = copyAnyObject;
  if (keys.length <= MAX_COMPILED_KEYS && !keys.includes('__proto__')) {
    const holdsObject = keys.map((key) => typeof record[key] === 'object' && record[key] !== null);
    const layout = JSON.stringify(keys) + holdsObject.map((object) => (object ? '+' : '-')).join('');
    const known = copiers.get(layout);
    if (known) copier = known;
    else if (copiers.size < MAX_COPIERS) {
      const members = keys.map((key, i) => {
        const name = JSON.stringify(key);
        return `${name}: ${holdsObject[i] ? `copy(v[${name}])` : `v[${name}]`}`;
      });
      copier = new Function('copy', `return function copyObject(v) { return { ${members.join(', ')} }; };`)(
        copyJson,
      ) as Copier;
      copiers.set(layout, copier);
    }
  }
  Object.defineProperty(value, COPIER, { value: copier });
  return copier;
}

/** Deep copiers by the whole layout of a value: keys in order, nesting, array lengths. */
const deepCopiers = new Map<string, Copier>();
const MAX_DEEP_NODES = 400;
const MAX_DEEP_COPIERS = 1000;

/**
 * A copier for the exact layout of one value, as one generated expression that builds the whole copy (every
 * nested object and array) with no per-object dispatch: a cluster's state, some sixty values deep in nested
 * objects, copies in one call. Values of the same layout (every cluster of a Describe) share it. Large or odd
 * values (over 400 values, a "__proto__" key, too many layouts seen) get copyJson.
 */
export function deepCopierFor(value: unknown): Copier {
  let nodes = 0;
  const describe = (v: unknown, path: string): { layout: string; code: string } | undefined => {
    if (++nodes > MAX_DEEP_NODES) return undefined;
    if (typeof v !== 'object' || v === null) return { layout: '_', code: path };
    const array = Array.isArray(v);
    const keys = array ? [] : Object.keys(v);
    if (keys.includes('__proto__')) return undefined;
    const parts: { layout: string; code: string }[] = [];
    const count = array ? v.length : keys.length;
    for (let i = 0; i < count; i++) {
      const key = array ? undefined : JSON.stringify(keys[i]);
      const part = describe(array ? v[i] : (v as Record<string, unknown>)[keys[i]], `${path}[${key ?? i}]`);
      if (!part) return undefined;
      parts.push(key === undefined ? part : { layout: `${key}:${part.layout}`, code: `${key}: ${part.code}` });
    }
    const layouts = parts.map((part) => part.layout).join(',');
    const codes = parts.map((part) => part.code).join(', ');
    return array ? { layout: `[${layouts}]`, code: `[${codes}]` } : { layout: `{${layouts}}`, code: `{ ${codes} }` };
  };
  const described = describe(value, 'v');
  if (!described) return copyJson;
  const known = deepCopiers.get(described.layout);
  if (known) return known;
  if (deepCopiers.size >= MAX_DEEP_COPIERS) return copyJson;
  const copier = new Function(`return function copyLayout(v) { return ${described.code}; };`)() as Copier;
  deepCopiers.set(described.layout, copier);
  return copier;
}
