/**
 * The botocore service model as the protocol layer needs it: operations, shapes and their traits, error codes.
 * Knows nothing about ElastiCache: any awsQuery (or ec2) service model loads through here. The vendored JSON in
 * api-models/ stays pristine; corrections are JSON overlays merged at load time.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ShapeRef {
  shape: string;
  locationName?: string;
  /** EC2 only: the member's name on the wire, where it differs from its capitalised locationName. */
  queryName?: string;
  flattened?: boolean;
  deprecated?: boolean;
}

export interface Shape {
  type:
    | 'structure'
    | 'list'
    | 'map'
    | 'string'
    | 'integer'
    | 'long'
    | 'double'
    | 'float'
    | 'boolean'
    | 'timestamp'
    | 'blob';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  flattened?: boolean;
  locationName?: string;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  exception?: boolean;
  sensitive?: boolean;
}

export interface Operation {
  name: string;
  input?: { shape: string };
  output?: { shape: string; resultWrapper?: string };
  errors?: { shape: string }[];
}

export interface ModelError {
  shapeName: string;
  code: string;
  httpStatus: number;
  type: 'Sender' | 'Receiver';
}

export interface Paginator {
  input_token: string | string[];
  output_token: string | string[];
  limit_key?: string;
  result_key?: string | string[];
}

export interface ServiceModel {
  metadata: {
    apiVersion: string;
    xmlNamespace?: string;
    protocol: string;
    endpointPrefix: string;
    signingName?: string;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
  paginators: Record<string, Paginator>;
  /** Modeled errors by shape name, with the wire code and status the model gives them. */
  errors: Map<string, ModelError>;
}

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Deep-merges an overlay into the model: objects merge, everything else replaces. */
function applyOverlay(target: any, overlay: any): any {
  if (overlay === null || typeof overlay !== 'object' || Array.isArray(overlay)) return overlay;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(overlay)) out[key] = applyOverlay(out[key], value);
  return out;
}

/** The project's api-models/ folder, found upwards from a module (works from src/ and from dist/src/). */
export function findModelsDir(fromModuleUrl: string): string {
  let dir = dirname(fileURLToPath(fromModuleUrl));
  for (;;) {
    const candidate = join(dir, 'api-models');
    if (existsSync(join(candidate, 'SOURCE.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('api-models/ not found above ' + fileURLToPath(fromModuleUrl));
    dir = parent;
  }
}

export function loadServiceModel(modelsDir: string, service: string, apiVersion: string): ServiceModel {
  const dir = join(modelsDir, service, apiVersion);
  let raw = readJson(join(dir, 'service-2.json'));
  const overlayPath = join(modelsDir, 'overlays', `${service}-${apiVersion}.json`);
  if (existsSync(overlayPath)) raw = applyOverlay(raw, readJson(overlayPath));
  const paginatorPath = join(dir, 'paginators-1.json');
  const paginators = existsSync(paginatorPath) ? readJson(paginatorPath).pagination : {};

  const errors = new Map<string, ModelError>();
  for (const [name, shape] of Object.entries<Shape>(raw.shapes)) {
    if (!shape.exception) continue;
    errors.set(name, {
      shapeName: name,
      code: shape.error?.code ?? name,
      httpStatus: shape.error?.httpStatusCode ?? 400,
      type: shape.error?.senderFault === false ? 'Receiver' : 'Sender',
    });
  }
  return { metadata: raw.metadata, operations: raw.operations, shapes: raw.shapes, paginators, errors };
}

/** The element / wire name of a list's items: the member's locationName, else `member`. */
export function listMemberName(list: Shape): string {
  return list.member?.locationName ?? 'member';
}
