/** ElastiCache ARNs: arn:<partition>:elasticache:<region>:<account>:<type>:<name>. */
import { partitionOf } from '../regions.js';
import type { Scope } from '../../store/store.js';
import { fault } from './faults.js';

export type ArnType =
  | 'cluster'
  | 'replicationgroup'
  | 'parametergroup'
  | 'subnetgroup'
  | 'securitygroup'
  | 'snapshot'
  | 'reserved-instance'
  | 'user'
  | 'usergroup'
  | 'serverlesscache'
  | 'serverlesscachesnapshot'
  | 'globalreplicationgroup';

export function arn(scope: Scope, type: ArnType, name: string): string {
  return `arn:${partitionOf(scope.region)}:elasticache:${scope.region}:${scope.account}:${type}:${name}`;
}

export interface ParsedArn {
  region: string;
  account: string;
  type: ArnType;
  name: string;
}

const TYPES: ReadonlySet<string> = new Set<ArnType>([
  'cluster',
  'replicationgroup',
  'parametergroup',
  'subnetgroup',
  'securitygroup',
  'snapshot',
  'reserved-instance',
  'user',
  'usergroup',
  'serverlesscache',
  'serverlesscachesnapshot',
]);

/** Parses a taggable ElastiCache ARN; anything else is InvalidARN, as AWS answers. */
export function parseArn(value: string): ParsedArn {
  const match = /^arn:aws[a-z-]*:elasticache:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/.exec(value);
  if (!match || !TYPES.has(match[3])) throw fault('InvalidARNFault', `The ARN ${value} is not valid.`);
  return { region: match[1], account: match[2], type: match[3] as ArnType, name: match[4] };
}
