/**
 * Shapes of the engine-default parameter tables.
 *
 * Field names are exactly the ElastiCache (2015-02-02) wire names of the
 * `Parameter` and `CacheNodeTypeSpecificParameter` structures, so entries can
 * be serialised as-is into DescribeEngineDefaultParameters /
 * DescribeCacheParameters output.
 */

/** DataType as ElastiCache reports it (Redis/Valkey use string|integer; Memcached also boolean|float). */
export type ParameterDataType = 'string' | 'integer' | 'boolean' | 'float';

export type ParameterChangeType = 'immediate' | 'requires-reboot';

/** `system` is what AWS reports for engine defaults; `user` for values a customer set. */
export type ParameterSource = 'system' | 'user' | 'engine-default';

export interface ParameterDefinition {
  ParameterName: string;
  /** The default value; absent when AWS reports none (e.g. notify-keyspace-events). */
  ParameterValue?: string;
  Description: string;
  Source: ParameterSource;
  DataType: ParameterDataType;
  /** AWS's allowed-values string, e.g. "yes,no", "0-", "1-10000"; absent when AWS reports none. */
  AllowedValues?: string;
  IsModifiable: boolean;
  MinimumEngineVersion: string;
  ChangeType: ParameterChangeType;
}

export interface CacheNodeTypeSpecificValue {
  CacheNodeType: string;
  Value: string;
}

export interface NodeTypeSpecificParameterDefinition {
  ParameterName: string;
  Description: string;
  Source: ParameterSource;
  DataType: ParameterDataType;
  AllowedValues?: string;
  IsModifiable: boolean;
  MinimumEngineVersion: string;
  ChangeType: ParameterChangeType;
  CacheNodeTypeSpecificValues: CacheNodeTypeSpecificValue[];
}

export interface ParameterTable {
  parameters: ParameterDefinition[];
  nodeTypeSpecificParameters: NodeTypeSpecificParameterDefinition[];
}

export type CacheEngine = 'redis' | 'valkey' | 'memcached';
