/**
 * EC2's generic filters (`Filter.N.Name` / `Filter.N.Value.M`): filters are ANDed, the values of one filter ORed,
 * values may use the `*` and `?` wildcards (a backslash escapes them). Besides each resource's own filter names,
 * every taggable resource knows `tag:<key>`, `tag-key` and `tag-value`. An unknown filter name is refused, as
 * EC2 does.
 */
import type { Filter, Tag } from '@aws-sdk/client-ec2';
import { ec2Errors } from './errors.js';

export type FilterScalar = string | number | boolean | undefined | null;
export type FilterField<T> = (item: T) => FilterScalar | FilterScalar[];

export interface FilterSpec<T> {
  fields: Record<string, FilterField<T>>;
  /** The item's tags, for `tag:<key>`, `tag-key` and `tag-value`; absent for resources without tags. */
  tags?: (item: T) => Tag[] | undefined;
}

const compiled = new Map<string, RegExp>();

function pattern(value: string): RegExp {
  let re = compiled.get(value);
  if (!re) {
    let source = '';
    for (let i = 0; i < value.length; i++) {
      const c = value[i];
      if (c === '\\' && i + 1 < value.length) source += escapeRegExp(value[++i]);
      else if (c === '*') source += '.*';
      else if (c === '?') source += '.';
      else source += escapeRegExp(c);
    }
    re = new RegExp(`^${source}$`, 's');
    compiled.set(value, re);
  }
  return re;
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function matchesAny(actual: FilterScalar | FilterScalar[], wanted: string[]): boolean {
  const values = (Array.isArray(actual) ? actual : [actual]).filter((v) => v !== undefined && v !== null);
  return values.some((value) => wanted.some((w) => pattern(w).test(String(value))));
}

/** Throws for a filter name the resource does not know. */
function predicate<T>(filter: Filter, spec: FilterSpec<T>): (item: T) => boolean {
  const name = filter.Name ?? '';
  const wanted = filter.Values ?? [];
  if (!name) throw ec2Errors.invalidValue('The filter name must be provided and must not be blank.');
  if (wanted.length === 0) return () => true;
  if (spec.tags) {
    const tags = spec.tags;
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      return (item) =>
        matchesAny(
          (tags(item) ?? []).filter((t) => t.Key === key).map((t) => t.Value ?? ''),
          wanted,
        );
    }
    if (name === 'tag-key')
      return (item) =>
        matchesAny(
          (tags(item) ?? []).map((t) => t.Key),
          wanted,
        );
    if (name === 'tag-value')
      return (item) =>
        matchesAny(
          (tags(item) ?? []).map((t) => t.Value ?? ''),
          wanted,
        );
  }
  const field = Object.hasOwn(spec.fields, name) ? spec.fields[name] : undefined;
  if (!field) throw ec2Errors.invalidValue(`The filter '${name}' is invalid`);
  return (item) => matchesAny(field(item), wanted);
}

/**
 * What a Describe starts from: the named resources (each must exist; `find` throws its NotFound error), or all of
 * them when no id is given.
 */
export function byIdsOrAll<T>(ids: string[] | undefined, find: (id: string) => T, all: () => T[]): T[] {
  return ids && ids.length > 0 ? [...new Set(ids)].map(find) : all();
}

export function applyFilters<T>(items: T[], filters: Filter[] | undefined, spec: FilterSpec<T>): T[] {
  if (!filters || filters.length === 0) return items;
  const predicates = filters.map((f) => predicate(f, spec));
  return items.filter((item) => predicates.every((p) => p(item)));
}
