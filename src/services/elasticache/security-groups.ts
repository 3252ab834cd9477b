/**
 * Cache security groups (the EC2-Classic kind): Create, Describe, Authorize / Revoke ingress from an EC2
 * security group, Delete. VPC clusters use EC2 security groups (SecurityGroupIds) instead.
 */
import type {
  AuthorizeCacheSecurityGroupIngressMessage,
  CacheCluster,
  CacheSecurityGroup,
  CreateCacheSecurityGroupMessage,
  DeleteCacheSecurityGroupMessage,
  DescribeCacheSecurityGroupsMessage,
  RevokeCacheSecurityGroupIngressMessage,
} from '@aws-sdk/client-elasticache';
import type { Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { arn } from '../../domain/elasticache/arns.js';
import { fault, invalidValue, requireValue } from '../../domain/elasticache/faults.js';
import { groupName } from '../../domain/elasticache/identifiers.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { paginate } from './pagination.js';
import { applyTags } from './tags.js';
import { findCacheSecurityGroup } from '../../domain/elasticache/network.js';

export const SECURITY_GROUP_QUOTA = 50;

const notFound = (name: string) => fault('CacheSecurityGroupNotFoundFault', `CacheSecurityGroup not found: ${name}`);

export function securityGroupHandlers(store: Store): HandlerTable {
  const requireGroup = (ctx: RequestContext, rawName: string | undefined) => {
    const name = requireValue(rawName, 'CacheSecurityGroupName').toLowerCase();
    const group = findCacheSecurityGroup(store, ctx, name);
    if (!group) throw notFound(name);
    return group;
  };
  const save = (ctx: RequestContext, group: CacheSecurityGroup) =>
    store.resources.update(ctx, KIND.securityGroup, group.CacheSecurityGroupName!, group, {});
  const ingress = (input: AuthorizeCacheSecurityGroupIngressMessage) => ({
    name: requireValue(input.EC2SecurityGroupName, 'EC2SecurityGroupName'),
    owner: requireValue(input.EC2SecurityGroupOwnerId, 'EC2SecurityGroupOwnerId'),
  });

  const CreateCacheSecurityGroup = (input: CreateCacheSecurityGroupMessage, ctx: RequestContext) => {
    const name = groupName(input.CacheSecurityGroupName, 'CacheSecurityGroupName', /^[a-z0-9-]+$/);
    const description = requireValue(input.Description, 'Description');
    if (name === 'default') throw invalidValue('The cache security group name "Default" is reserved.');
    if (store.resources.list(ctx, KIND.securityGroup).length >= SECURITY_GROUP_QUOTA) {
      throw fault(
        'CacheSecurityGroupQuotaExceededFault',
        `You have reached the limit of ${SECURITY_GROUP_QUOTA} cache security groups.`,
      );
    }
    const group: CacheSecurityGroup = {
      OwnerId: ctx.account,
      CacheSecurityGroupName: name,
      Description: description,
      EC2SecurityGroups: [],
      ARN: arn(ctx, 'securitygroup', name),
    };
    if (!store.resources.insert(ctx, KIND.securityGroup, name, group)) {
      throw fault('CacheSecurityGroupAlreadyExistsFault', `Cache security group ${name} already exists.`);
    }
    applyTags(store, group.ARN!, input.Tags);
    store.events.record(ctx, 'cache-security-group', name, `Cache security group ${name} created`);
    return { CacheSecurityGroup: group };
  };

  const DescribeCacheSecurityGroups = (input: DescribeCacheSecurityGroupsMessage, ctx: RequestContext) => {
    const groups =
      input.CacheSecurityGroupName !== undefined
        ? [requireGroup(ctx, input.CacheSecurityGroupName)]
        : store.resources.list<CacheSecurityGroup>(ctx, KIND.securityGroup).map((r) => r.state);
    const { page, marker } = paginate(groups, input);
    return { Marker: marker, CacheSecurityGroups: page };
  };

  const AuthorizeCacheSecurityGroupIngress = (
    input: AuthorizeCacheSecurityGroupIngressMessage,
    ctx: RequestContext,
  ) => {
    const group = requireGroup(ctx, input.CacheSecurityGroupName);
    const { name, owner } = ingress(input);
    const rules = group.EC2SecurityGroups ?? [];
    if (rules.some((r) => r.EC2SecurityGroupName === name && r.EC2SecurityGroupOwnerId === owner)) {
      throw fault(
        'AuthorizationAlreadyExistsFault',
        `EC2 security group ${name} (owner ${owner}) is already authorized.`,
      );
    }
    group.EC2SecurityGroups = [
      ...rules,
      { Status: 'authorized', EC2SecurityGroupName: name, EC2SecurityGroupOwnerId: owner },
    ];
    save(ctx, group);
    return { CacheSecurityGroup: group };
  };

  const RevokeCacheSecurityGroupIngress = (input: RevokeCacheSecurityGroupIngressMessage, ctx: RequestContext) => {
    const group = requireGroup(ctx, input.CacheSecurityGroupName);
    const { name, owner } = ingress(input);
    const rules = group.EC2SecurityGroups ?? [];
    const kept = rules.filter((r) => !(r.EC2SecurityGroupName === name && r.EC2SecurityGroupOwnerId === owner));
    if (kept.length === rules.length) {
      throw fault('AuthorizationNotFoundFault', `EC2 security group ${name} (owner ${owner}) is not authorized.`);
    }
    group.EC2SecurityGroups = kept;
    save(ctx, group);
    return { CacheSecurityGroup: { ...group, EC2SecurityGroups: [...kept] } };
  };

  const DeleteCacheSecurityGroup = (input: DeleteCacheSecurityGroupMessage, ctx: RequestContext) => {
    const group = requireGroup(ctx, input.CacheSecurityGroupName);
    const name = group.CacheSecurityGroupName!;
    const user = store.resources
      .list<CacheCluster>(ctx, KIND.cacheCluster)
      .find((c) => (c.state.CacheSecurityGroups ?? []).some((g) => g.CacheSecurityGroupName === name));
    if (user) {
      throw fault(
        'InvalidCacheSecurityGroupStateFault',
        `Cache security group ${name} is in use by cache cluster ${user.id}.`,
      );
    }
    store.resources.delete(ctx, KIND.securityGroup, name);
    store.tags.removeAll(group.ARN!);
    store.events.record(ctx, 'cache-security-group', name, `Cache security group ${name} deleted`);
    return {};
  };

  return {
    CreateCacheSecurityGroup,
    DescribeCacheSecurityGroups,
    AuthorizeCacheSecurityGroupIngress,
    RevokeCacheSecurityGroupIngress,
    DeleteCacheSecurityGroup,
  };
}
