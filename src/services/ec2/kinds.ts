/** The EC2 resource kinds kept in the store's resources table (beside ElastiCache's, never clashing with them). */
export const EC2_KIND = {
  vpc: 'ec2-vpc',
  subnet: 'ec2-subnet',
  securityGroup: 'ec2-security-group',
  securityGroupRule: 'ec2-security-group-rule',
  routeTable: 'ec2-route-table',
  networkAcl: 'ec2-network-acl',
  /** One per account+region once its default VPC has been materialised (so a deleted default VPC stays deleted). */
  defaultNetworkMarker: 'ec2-default-network',
} as const;

export type Ec2Kind = (typeof EC2_KIND)[keyof typeof EC2_KIND];
