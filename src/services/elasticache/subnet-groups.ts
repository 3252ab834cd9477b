/**
 * Cache subnet groups: Create, Describe, Modify, Delete, and the `default` group over the default VPC's subnets.
 * Subnets are looked up in a SubnetDirectory: the default VPC's subnets now, the EC2 subset's subnets once it is
 * served. All subnets of a group must be in one VPC, as on AWS.
 */
import type {
  CacheCluster,
  CacheSubnetGroup,
  CreateCacheSubnetGroupMessage,
  DeleteCacheSubnetGroupMessage,
  DescribeCacheSubnetGroupsMessage,
  ModifyCacheSubnetGroupMessage,
} from '@aws-sdk/client-elasticache';
import type { Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { arn } from '../../domain/elasticache/arns.js';
import { fault, invalidValue, requireValue } from '../../domain/elasticache/faults.js';
import { groupName } from '../../domain/elasticache/identifiers.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { paginate } from './pagination.js';
import { applyTags } from './tags.js';
import {
  DEFAULT_SUBNET_GROUP,
  defaultSubnetGroup,
  defaultVpcSubnets,
  findSubnetGroup,
  subnetGroupShape,
  type SubnetDirectory,
  type SubnetInfo,
} from '../../domain/elasticache/network.js';
import { isBackingId } from '../../domain/elasticache/serverless.js';

export const SUBNETS_PER_GROUP = 20;
export const SUBNET_GROUP_QUOTA = 300;
const notFound = (name: string) => fault('CacheSubnetGroupNotFoundFault', `Cache subnet group ${name} does not exist.`);

const NAME = /^[a-z0-9-]+$/;

export function subnetGroupHandlers(store: Store, subnets: SubnetDirectory = defaultVpcSubnets): HandlerTable {
  const resolveSubnets = (ctx: RequestContext, ids: string[] | undefined): SubnetInfo[] => {
    const unique = [...new Set(ids ?? [])];
    if (unique.length === 0) throw invalidValue('The parameter SubnetIds must be provided and must not be blank.');
    if (unique.length > SUBNETS_PER_GROUP) {
      throw fault(
        'CacheSubnetQuotaExceededFault',
        `A cache subnet group can have at most ${SUBNETS_PER_GROUP} subnets.`,
      );
    }
    const found = unique.map((id) => {
      const subnet = subnets.find(ctx, id);
      if (!subnet) throw fault('InvalidSubnet', `The subnet ID ${id} does not exist.`);
      return subnet;
    });
    if (new Set(found.map((s) => s.vpcId)).size > 1) {
      throw fault('InvalidSubnet', 'All subnets in a cache subnet group must belong to the same VPC.');
    }
    return found;
  };

  const usersOf = (ctx: RequestContext, name: string) =>
    store.resources.list<CacheCluster>(ctx, KIND.cacheCluster).filter((c) => c.state.CacheSubnetGroupName === name);

  const CreateCacheSubnetGroup = (input: CreateCacheSubnetGroupMessage, ctx: RequestContext) => {
    const name = groupName(input.CacheSubnetGroupName, 'CacheSubnetGroupName', NAME);
    const description = requireValue(input.CacheSubnetGroupDescription, 'CacheSubnetGroupDescription');
    if (name === DEFAULT_SUBNET_GROUP) {
      throw fault('CacheSubnetGroupAlreadyExistsFault', `Cache subnet group ${name} already exists.`);
    }
    const found = resolveSubnets(ctx, input.SubnetIds);
    if (store.resources.list(ctx, KIND.subnetGroup).length >= SUBNET_GROUP_QUOTA) {
      throw fault(
        'CacheSubnetGroupQuotaExceededFault',
        `You have reached the limit of ${SUBNET_GROUP_QUOTA} cache subnet groups.`,
      );
    }
    const group = subnetGroupShape(ctx, name, description, found);
    if (!store.resources.insert(ctx, KIND.subnetGroup, name, group)) {
      throw fault('CacheSubnetGroupAlreadyExistsFault', `Cache subnet group ${name} already exists.`);
    }
    applyTags(store, group.ARN!, input.Tags);
    store.events.record(ctx, 'cache-subnet-group', name, `Cache subnet group ${name} created`);
    return { CacheSubnetGroup: group };
  };

  const DescribeCacheSubnetGroups = (input: DescribeCacheSubnetGroupsMessage, ctx: RequestContext) => {
    let groups: CacheSubnetGroup[];
    if (input.CacheSubnetGroupName !== undefined) {
      const group = findSubnetGroup(store, ctx, input.CacheSubnetGroupName);
      if (!group) throw notFound(input.CacheSubnetGroupName.toLowerCase());
      groups = [group];
    } else {
      groups = [
        defaultSubnetGroup(ctx),
        ...store.resources
          .list<CacheSubnetGroup>(ctx, KIND.subnetGroup)
          // A serverless cache's subnets are its own (SubnetIds), not a subnet group the API shows.
          .filter((r) => !isBackingId(r.id))
          .map((r) => r.state),
      ];
    }
    const { page, marker } = paginate(groups, input);
    return { Marker: marker, CacheSubnetGroups: page };
  };

  const ModifyCacheSubnetGroup = (input: ModifyCacheSubnetGroupMessage, ctx: RequestContext) => {
    const name = requireValue(input.CacheSubnetGroupName, 'CacheSubnetGroupName').toLowerCase();
    const stored = store.resources.get<CacheSubnetGroup>(ctx, KIND.subnetGroup, name);
    if (!stored) {
      if (name === DEFAULT_SUBNET_GROUP) throw invalidValue('The default cache subnet group cannot be modified.');
      throw notFound(name);
    }
    let group = stored.state;
    if (input.SubnetIds !== undefined) {
      const found = resolveSubnets(ctx, input.SubnetIds);
      const kept = new Set(found.map((s) => s.subnetId));
      const dropped = (group.Subnets ?? []).filter((s) => !kept.has(s.SubnetIdentifier!));
      const inUse = usersOf(ctx, name);
      if (dropped.length > 0 && inUse.length > 0) {
        const zones = new Set(inUse.flatMap((c) => (c.state.CacheNodes ?? []).map((n) => n.CustomerAvailabilityZone)));
        const needed = dropped.find(
          (s) =>
            zones.has(s.SubnetAvailabilityZone?.Name) &&
            !found.some((f) => f.availabilityZone === s.SubnetAvailabilityZone?.Name),
        );
        if (needed) throw fault('SubnetInUse', `The subnet ${needed.SubnetIdentifier} is in use by cache nodes.`);
      }
      if (inUse.length > 0 && found[0].vpcId !== group.VpcId) {
        throw fault('InvalidSubnet', 'The subnets of a cache subnet group in use must stay in its VPC.');
      }
      group = { ...subnetGroupShape(ctx, name, group.CacheSubnetGroupDescription!, found) };
    }
    if (input.CacheSubnetGroupDescription !== undefined)
      group.CacheSubnetGroupDescription = input.CacheSubnetGroupDescription;
    store.resources.update(ctx, KIND.subnetGroup, name, group, stored.internal);
    store.events.record(ctx, 'cache-subnet-group', name, `Cache subnet group ${name} modified`);
    return { CacheSubnetGroup: group };
  };

  const DeleteCacheSubnetGroup = (input: DeleteCacheSubnetGroupMessage, ctx: RequestContext) => {
    const name = requireValue(input.CacheSubnetGroupName, 'CacheSubnetGroupName').toLowerCase();
    if (name === DEFAULT_SUBNET_GROUP) {
      throw fault('CacheSubnetGroupInUse', 'The default cache subnet group cannot be deleted.');
    }
    if (!store.resources.get(ctx, KIND.subnetGroup, name)) throw notFound(name);
    const user = usersOf(ctx, name)[0];
    if (user) throw fault('CacheSubnetGroupInUse', `Cache subnet group ${name} is in use by cache cluster ${user.id}.`);
    store.resources.delete(ctx, KIND.subnetGroup, name);
    store.tags.removeAll(arn(ctx, 'subnetgroup', name));
    store.events.record(ctx, 'cache-subnet-group', name, `Cache subnet group ${name} deleted`);
    return {};
  };

  return { CreateCacheSubnetGroup, DescribeCacheSubnetGroups, ModifyCacheSubnetGroup, DeleteCacheSubnetGroup };
}
