/**
 * Small helpers used by the per-engine data modules to describe how a
 * parameter-group family evolved from its predecessor (add / remove / rename /
 * change), and to materialise the wire-shaped tables.
 */
import type {
  CacheNodeTypeSpecificValue,
  NodeTypeSpecificParameterDefinition,
  ParameterChangeType,
  ParameterDataType,
  ParameterDefinition,
} from './types.js';

/** Family-independent description of one parameter. */
export interface ParamSpec {
  readonly name: string;
  /** Default value; undefined when AWS reports no ParameterValue. */
  readonly value: string | undefined;
  readonly type: ParameterDataType;
  /** AllowedValues string; undefined when AWS reports none. */
  readonly allowed: string | undefined;
  readonly modifiable: boolean;
  readonly change: ParameterChangeType;
  readonly description: string;
  /**
   * MinimumEngineVersion when it differs from the family's base version
   * (e.g. close-on-slave-write appeared in 2.8.23 inside redis2.8). Dropped
   * when a later family inherits the parameter.
   */
  readonly since?: string;
}

/** Compact constructor: p(name, value, type, allowed, modifiable, change, description, since?). */
export function p(
  name: string,
  value: string | undefined,
  type: ParameterDataType,
  allowed: string | undefined,
  modifiable: boolean,
  change: ParameterChangeType,
  description: string,
  since?: string,
): ParamSpec {
  return since === undefined
    ? { name, value, type, allowed, modifiable, change, description }
    : { name, value, type, allowed, modifiable, change, description, since };
}

export type ParamPatch = Partial<Omit<ParamSpec, 'name'>>;

export interface FamilyChanges {
  /** Parameters no longer present in the new family. */
  readonly remove?: readonly string[];
  /** old name -> new name (plus optional field changes), keeping everything else. */
  readonly rename?: Readonly<Record<string, { readonly to: string } & ParamPatch>>;
  /** Field changes to inherited parameters. */
  readonly change?: Readonly<Record<string, ParamPatch>>;
  /** Parameters new in this family. */
  readonly add?: readonly ParamSpec[];
}

/**
 * Derive a family's parameter specs from its predecessor's. Inherited
 * parameters lose their `since` override (AWS reports the new family's base
 * version for everything it inherits).
 */
export function deriveFamily(base: readonly ParamSpec[], changes: FamilyChanges): ParamSpec[] {
  const byName = new Map<string, ParamSpec>();
  for (const spec of base) {
    const { since: _dropped, ...rest } = spec;
    byName.set(spec.name, rest);
  }
  for (const name of changes.remove ?? []) {
    if (!byName.delete(name)) throw new Error(`parameter-tables: cannot remove unknown parameter ${name}`);
  }
  for (const [from, { to, ...patch }] of Object.entries(changes.rename ?? {})) {
    const old = byName.get(from);
    if (old === undefined) throw new Error(`parameter-tables: cannot rename unknown parameter ${from}`);
    byName.delete(from);
    byName.set(to, { ...old, ...patch, name: to });
  }
  for (const [name, patch] of Object.entries(changes.change ?? {})) {
    const old = byName.get(name);
    if (old === undefined) throw new Error(`parameter-tables: cannot change unknown parameter ${name}`);
    byName.set(name, { ...old, ...patch, name });
  }
  for (const spec of changes.add ?? []) {
    if (byName.has(spec.name)) throw new Error(`parameter-tables: duplicate parameter ${spec.name}`);
    byName.set(spec.name, spec);
  }
  return [...byName.values()];
}

/**
 * AWS lists parameters alphabetically, ignoring the '-' / '_' separators
 * (observed: `activedefrag` before `active-defrag-cycle-max`, and
 * `repl-backlog-ttl` before `replica-allow-chaining`).
 */
export function compareParameterNames(a: string, b: string): number {
  const ka = a.replace(/[-_]/g, '');
  const kb = b.replace(/[-_]/g, '');
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function materializeParameters(
  specs: readonly ParamSpec[],
  minimumEngineVersion: string,
): ParameterDefinition[] {
  return [...specs]
    .sort((x, y) => compareParameterNames(x.name, y.name))
    .map((s) => {
      const out: ParameterDefinition = {
        ParameterName: s.name,
        Description: s.description,
        Source: 'system',
        DataType: s.type,
        IsModifiable: s.modifiable,
        MinimumEngineVersion: s.since ?? minimumEngineVersion,
        ChangeType: s.change,
      };
      if (s.value !== undefined) out.ParameterValue = s.value;
      if (s.allowed !== undefined) out.AllowedValues = s.allowed;
      return orderParameterKeys(out);
    });
}

/** Node-type-specific parameter, family-independent. */
export interface NodeTypeParamSpec {
  readonly name: string;
  readonly type: ParameterDataType;
  readonly allowed: string | undefined;
  readonly modifiable: boolean;
  readonly change: ParameterChangeType;
  readonly description: string;
  /** [CacheNodeType, Value] pairs. */
  readonly values: ReadonlyArray<readonly [string, string]>;
}

export function materializeNodeTypeParameters(
  specs: readonly NodeTypeParamSpec[],
  minimumEngineVersion: string,
): NodeTypeSpecificParameterDefinition[] {
  return [...specs]
    .sort((x, y) => compareParameterNames(x.name, y.name))
    .map((s) => {
      // AWS sorts CacheNodeTypeSpecificValues by plain string order
      // (cache.m4.10xlarge before cache.m4.2xlarge).
      const values: CacheNodeTypeSpecificValue[] = [...s.values]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([CacheNodeType, Value]) => ({ CacheNodeType, Value }));
      const out: NodeTypeSpecificParameterDefinition = {
        ParameterName: s.name,
        Description: s.description,
        Source: 'system',
        DataType: s.type,
        IsModifiable: s.modifiable,
        MinimumEngineVersion: minimumEngineVersion,
        ChangeType: s.change,
        CacheNodeTypeSpecificValues: values,
      };
      if (s.allowed !== undefined) out.AllowedValues = s.allowed;
      return orderNodeTypeKeys(out);
    });
}

/** Stable key order matching the AWS CLI JSON rendering (cosmetic only). */
function orderParameterKeys(x: ParameterDefinition): ParameterDefinition {
  const out: ParameterDefinition = {
    ParameterName: x.ParameterName,
    ...(x.ParameterValue !== undefined ? { ParameterValue: x.ParameterValue } : {}),
    Description: x.Description,
    Source: x.Source,
    DataType: x.DataType,
    ...(x.AllowedValues !== undefined ? { AllowedValues: x.AllowedValues } : {}),
    IsModifiable: x.IsModifiable,
    MinimumEngineVersion: x.MinimumEngineVersion,
    ChangeType: x.ChangeType,
  };
  return out;
}

function orderNodeTypeKeys(x: NodeTypeSpecificParameterDefinition): NodeTypeSpecificParameterDefinition {
  return {
    ParameterName: x.ParameterName,
    Description: x.Description,
    Source: x.Source,
    DataType: x.DataType,
    ...(x.AllowedValues !== undefined ? { AllowedValues: x.AllowedValues } : {}),
    IsModifiable: x.IsModifiable,
    MinimumEngineVersion: x.MinimumEngineVersion,
    ChangeType: x.ChangeType,
    CacheNodeTypeSpecificValues: x.CacheNodeTypeSpecificValues,
  };
}
