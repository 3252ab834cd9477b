/**
 * DescribeCacheEngineVersions: the engine versions of the catalog, as AWS lists them. Filters narrow the list;
 * an engine or version nobody offers gives an empty list, never an error (the operation has no modeled errors
 * besides paging).
 */
import type {
  CacheEngineVersion,
  CacheEngineVersionMessage,
  DescribeCacheEngineVersionsMessage,
} from '@aws-sdk/client-elasticache';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import type { Engine } from '../../common/engines.js';
import { ENGINE_VERSIONS, type EngineVersionInfo } from '../../domain/elasticache/catalog.js';
import { paginate } from './pagination.js';

const ENGINE_DESCRIPTIONS: Record<Engine, string> = {
  redis: 'Redis',
  valkey: 'Valkey',
  memcached: 'memcached',
};

function present(info: EngineVersionInfo): CacheEngineVersion {
  return {
    Engine: info.engine,
    EngineVersion: info.version,
    CacheParameterGroupFamily: info.family,
    CacheEngineDescription: ENGINE_DESCRIPTIONS[info.engine],
    CacheEngineVersionDescription: `${info.engine} version ${info.fullVersion}`,
  };
}

const majorOf = (version: string) => version.split('.')[0];

/** The newest entry of each engine, in catalog order (the catalog lists each engine oldest first). */
function newestPerEngine(versions: EngineVersionInfo[]): EngineVersionInfo[] {
  const newest = new Map<Engine, EngineVersionInfo>();
  for (const info of versions) newest.set(info.engine, info);
  return versions.filter((info) => newest.get(info.engine) === info);
}

export function selectEngineVersions(input: DescribeCacheEngineVersionsMessage): EngineVersionInfo[] {
  const engine = input.Engine?.toLowerCase();
  const family = input.CacheParameterGroupFamily?.toLowerCase();
  const requested = input.EngineVersion;
  let versions = ENGINE_VERSIONS.filter(
    (info) => (engine === undefined || info.engine === engine) && (family === undefined || info.family === family),
  );
  if (input.DefaultOnly) {
    // "Only the default version of the specified engine or engine and major version combination."
    if (requested !== undefined) versions = versions.filter((info) => majorOf(info.version) === majorOf(requested));
    return newestPerEngine(versions);
  }
  if (requested !== undefined) {
    versions = versions.filter((info) => info.version === requested || info.fullVersion === requested);
  }
  return versions;
}

export function engineVersionHandlers(): HandlerTable {
  const DescribeCacheEngineVersions = (
    input: DescribeCacheEngineVersionsMessage,
    _ctx: RequestContext,
  ): CacheEngineVersionMessage => {
    const { page, marker } = paginate(selectEngineVersions(input).map(present), input);
    return { Marker: marker, CacheEngineVersions: page };
  };

  return { DescribeCacheEngineVersions };
}
