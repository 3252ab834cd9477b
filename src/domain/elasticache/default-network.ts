/**
 * The default VPC every account has in every region, as ElastiCache sees it: its id, one default subnet per
 * availability zone and the default security group. Ids are derived from account and region so they are the
 * same on every start and on every machine (the EC2 subset serves the same ones).
 */
import { createHash } from 'node:crypto';
import type { Scope } from '../../store/store.js';
import { availabilityZones } from '../regions.js';

function hexId(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 17)}`;
}

export interface DefaultNetwork {
  vpcId: string;
  subnets: { subnetId: string; availabilityZone: string }[];
  securityGroupId: string;
}

export function defaultNetwork(scope: Scope): DefaultNetwork {
  return {
    vpcId: hexId('vpc', scope.account, scope.region, 'default-vpc'),
    subnets: availabilityZones(scope.region).map((zone) => ({
      subnetId: hexId('subnet', scope.account, scope.region, 'default-subnet', zone),
      availabilityZone: zone,
    })),
    securityGroupId: hexId('sg', scope.account, scope.region, 'default-sg'),
  };
}
