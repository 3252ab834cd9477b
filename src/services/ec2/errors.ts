/**
 * EC2's error codes. The EC2 model declares no errors, so every one is an AwsError with the wire code EC2 sends
 * (`InvalidVpcID.NotFound`, ...), HTTP 400, and messages worded like AWS's.
 */
import { AwsError } from '../../protocol/errors.js';

export const ec2Errors = {
  vpcNotFound: (id: string) => new AwsError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`),
  vpcMalformed: (id: string) => new AwsError('InvalidVpcID.Malformed', `Invalid id: "${id}" (expecting "vpc-...")`),
  subnetNotFound: (id: string) => new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
  subnetMalformed: (id: string) =>
    new AwsError('InvalidSubnetID.Malformed', `Invalid id: "${id}" (expecting "subnet-...")`),
  groupNotFound: (id: string) => new AwsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`),
  groupNameNotFound: (name: string, vpcId: string) =>
    new AwsError('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC '${vpcId}'`),
  groupMalformed: (id: string) => new AwsError('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`),
  differentNetworks: () =>
    new AwsError('InvalidGroup.NotFound', 'You have specified two resources that belong to different networks.'),
  groupDuplicate: (name: string, vpcId: string) =>
    new AwsError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`),
  ruleNotFound: (id: string) =>
    new AwsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`),
  permissionDuplicate: (rule: string) =>
    new AwsError('InvalidPermission.Duplicate', `the specified rule "${rule}" already exists`),
  permissionNotFound: () =>
    new AwsError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.'),
  permissionMalformed: (message: string) => new AwsError('InvalidPermission.Malformed', message),
  routeTableNotFound: (id: string) =>
    new AwsError('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`),
  networkAclNotFound: (id: string) =>
    new AwsError('InvalidNetworkAclID.NotFound', `The networkAcl ID '${id}' does not exist`),
  networkInterfaceNotFound: (id: string) =>
    new AwsError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`),
  invalidId: (id: string) => new AwsError('InvalidID', `The ID '${id}' is not valid`),
  subnetConflict: (cidr: string) =>
    new AwsError('InvalidSubnet.Conflict', `The CIDR '${cidr}' conflicts with another subnet`),
  subnetRange: (cidr: string) => new AwsError('InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`),
  vpcRange: (cidr: string) => new AwsError('InvalidVpc.Range', `The CIDR '${cidr}' is invalid.`),
  invalidValue: (message: string) => new AwsError('InvalidParameterValue', message),
  missing: (message: string) => new AwsError('MissingParameter', message),
  combination: (message: string) => new AwsError('InvalidParameterCombination', message),
  dependency: (message: string) => new AwsError('DependencyViolation', message),
  cannotDeleteDefaultGroup: (id: string) =>
    new AwsError('CannotDelete', `the specified group: "${id}" name: "default" cannot be deleted by a user`),
  noDefaultVpc: () => new AwsError('VPCIdNotSpecified', 'No default VPC for this user'),
  rulesLimit: () =>
    new AwsError(
      'RulesPerSecurityGroupLimitExceeded',
      'The maximum number of rules per security group has been reached.',
    ),
  tagLimit: () => new AwsError('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.'),
  dryRun: () => new AwsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412),
  invalidNextToken: (token: string) => new AwsError('InvalidNextToken', `The token '${token}' is invalid.`),
};
