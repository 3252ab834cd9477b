/**
 * Tags on EC2 resources: kept in each resource's stored shape (`Tags`), set at creation through
 * TagSpecifications or later with CreateTags / DeleteTags, listed by DescribeTags. The resource type is read from
 * the id's prefix, and a missing resource answers its own NotFound code, as EC2 does.
 */
import type {
  CreateTagsRequest,
  DeleteTagsRequest,
  DescribeTagsRequest,
  DescribeTagsResult,
  Tag,
  TagDescription,
  TagSpecification,
} from '@aws-sdk/client-ec2';
import type { AwsError } from '../../protocol/errors.js';
import type { Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { ec2Errors } from './errors.js';
import { applyFilters } from './filters.js';
import { EC2_KIND, type Ec2Kind } from './kinds.js';
import { ensureDefaultNetwork } from './network.js';
import { paginate } from './pagination.js';

export const MAX_TAGS = 50;

interface TaggableType {
  prefix: string;
  resourceType: string;
  kind: Ec2Kind;
  notFound: (id: string) => AwsError;
}

/** Longest prefixes first, so `sgr-` is not taken for `sg-`. */
const TAGGABLE: TaggableType[] = [
  { prefix: 'vpc-', resourceType: 'vpc', kind: EC2_KIND.vpc, notFound: ec2Errors.vpcNotFound },
  { prefix: 'subnet-', resourceType: 'subnet', kind: EC2_KIND.subnet, notFound: ec2Errors.subnetNotFound },
  {
    prefix: 'sgr-',
    resourceType: 'security-group-rule',
    kind: EC2_KIND.securityGroupRule,
    notFound: ec2Errors.ruleNotFound,
  },
  { prefix: 'sg-', resourceType: 'security-group', kind: EC2_KIND.securityGroup, notFound: ec2Errors.groupNotFound },
  { prefix: 'rtb-', resourceType: 'route-table', kind: EC2_KIND.routeTable, notFound: ec2Errors.routeTableNotFound },
  { prefix: 'acl-', resourceType: 'network-acl', kind: EC2_KIND.networkAcl, notFound: ec2Errors.networkAclNotFound },
];

function validateTag(tag: Tag): Tag {
  const key = tag.Key ?? '';
  if (key === '') throw ec2Errors.invalidValue('Tag key must be provided and must not be blank.');
  if (key.length > 128)
    throw ec2Errors.invalidValue(`Tag key exceeds the maximum length of 128 characters: ${key.slice(0, 32)}...`);
  if (key.toLowerCase().startsWith('aws:')) {
    throw ec2Errors.invalidValue(`Tag keys starting with 'aws:' are reserved for internal use: ${key}`);
  }
  const value = tag.Value ?? '';
  if (value.length > 256)
    throw ec2Errors.invalidValue(`Tag value exceeds the maximum length of 256 characters for key ${key}`);
  return { Key: key, Value: value };
}

/** Tags set on a key, in order, later values replacing earlier ones. */
export function mergeTags(existing: Tag[] | undefined, added: Tag[]): Tag[] {
  const merged = [...(existing ?? [])];
  for (const tag of added.map(validateTag)) {
    const index = merged.findIndex((t) => t.Key === tag.Key);
    if (index >= 0) merged[index] = tag;
    else merged.push(tag);
  }
  if (merged.length > MAX_TAGS) throw ec2Errors.tagLimit();
  return merged;
}

/** The tags a create call's TagSpecifications give the resource of `resourceType`. */
export function tagsFromSpecifications(specs: TagSpecification[] | undefined, resourceType: string): Tag[] {
  let tags: Tag[] = [];
  for (const spec of specs ?? []) {
    if (spec.ResourceType === undefined)
      throw ec2Errors.missing('The request must contain the parameter TagSpecification.ResourceType');
    if (spec.ResourceType !== resourceType) {
      throw ec2Errors.invalidValue(`'${spec.ResourceType}' is not a valid taggable resource type for this operation.`);
    }
    tags = mergeTags(tags, spec.Tags ?? []);
  }
  return tags;
}

function typeOf(id: string): TaggableType {
  const type = TAGGABLE.find((t) => id.startsWith(t.prefix));
  if (!type) throw ec2Errors.invalidId(id);
  return type;
}

export function tagHandlers(store: Store): HandlerTable {
  const resolve = (ctx: RequestContext, ids: string[]) =>
    ids.map((id) => {
      const type = typeOf(id);
      const resource = store.resources.get<{ Tags?: Tag[] }>(ctx, type.kind, id);
      if (!resource) throw type.notFound(id);
      return { type, resource };
    });

  const CreateTags = (input: CreateTagsRequest, ctx: RequestContext) => {
    ensureDefaultNetwork(store, ctx);
    const resources = resolve(ctx, input.Resources ?? []);
    for (const { type, resource } of resources) {
      const state = { ...resource.state, Tags: mergeTags(resource.state.Tags, input.Tags ?? []) };
      store.resources.update(ctx, type.kind, resource.id, state, resource.internal);
    }
    return {};
  };

  const DeleteTags = (input: DeleteTagsRequest, ctx: RequestContext) => {
    ensureDefaultNetwork(store, ctx);
    const resources = resolve(ctx, input.Resources ?? []);
    for (const { type, resource } of resources) {
      // No tags: remove them all. A tag without a value: remove that key. With a value: only when it matches.
      const remaining = (resource.state.Tags ?? []).filter((tag) => {
        if (!input.Tags || input.Tags.length === 0) return false;
        return !input.Tags.some((d) => d.Key === tag.Key && (d.Value === undefined || d.Value === tag.Value));
      });
      store.resources.update(ctx, type.kind, resource.id, { ...resource.state, Tags: remaining }, resource.internal);
    }
    return {};
  };

  const DescribeTags = (input: DescribeTagsRequest, ctx: RequestContext): DescribeTagsResult => {
    ensureDefaultNetwork(store, ctx);
    const all: (TagDescription & { Tags: Tag[] })[] = [];
    for (const type of TAGGABLE) {
      for (const resource of store.resources.list<{ Tags?: Tag[] }>(ctx, type.kind)) {
        const tags = resource.state.Tags ?? [];
        for (const tag of tags) {
          all.push({
            ResourceId: resource.id,
            ResourceType: type.resourceType as any,
            Key: tag.Key,
            Value: tag.Value,
            Tags: tags,
          });
        }
      }
    }
    all.sort((a, b) => (a.ResourceId! < b.ResourceId! ? -1 : a.ResourceId! > b.ResourceId! ? 1 : 0));
    const filtered = applyFilters(all, input.Filters, {
      fields: {
        'resource-id': (t) => t.ResourceId,
        'resource-type': (t) => t.ResourceType,
        key: (t) => t.Key,
        value: (t) => t.Value,
      },
      tags: (t) => t.Tags,
    });
    const { page, nextToken } = paginate(filtered, input);
    return {
      Tags: page.map(({ ResourceId, ResourceType, Key, Value }) => ({ ResourceId, ResourceType, Key, Value })),
      NextToken: nextToken,
    };
  };

  return { CreateTags, DeleteTags, DescribeTags };
}
