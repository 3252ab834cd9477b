/**
 * Tags on every taggable ElastiCache resource, by ARN: AddTagsToResource, RemoveTagsFromResource,
 * ListTagsForResource, and the tags given at create time. Each call answers with the full list after it.
 */
import type { Store, Tag } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { partitionOf } from '../../domain/regions.js';
import { arn, parseArn, type ArnType } from '../../domain/elasticache/arns.js';
import { fault, invalidValue, requireValue } from '../../domain/elasticache/faults.js';

export const TAG_LIMIT = 50;
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** How each ARN type finds its resource, and the error AWS gives when it is not there. */
export interface TaggableResolver {
  exists(ctx: RequestContext, name: string): boolean;
  notFound(name: string): Error;
  /** Refuses tagging in states AWS refuses it (e.g. a replication group that is not available). */
  checkState?(ctx: RequestContext, name: string): void;
}

/** Tags as a request carries them: either part may be missing and is checked here. */
export type RequestTag = { Key?: string; Value?: string };

export function validateTags(tags: RequestTag[] | undefined): Tag[] {
  const list = (tags ?? []).map((tag) => ({ Key: requireValue(tag.Key, 'Tags.Tag.Key'), Value: tag.Value ?? '' }));
  for (const tag of list) {
    if (tag.Key.length > 128 || !ALLOWED.test(tag.Key)) throw invalidValue(`Invalid tag key: ${tag.Key}`);
    if (tag.Value.length > 256 || !ALLOWED.test(tag.Value)) throw invalidValue(`Invalid tag value for key ${tag.Key}`);
    if (tag.Key.toLowerCase().startsWith('aws:') || tag.Value.toLowerCase().startsWith('aws:')) {
      throw invalidValue("Tag keys and values may not begin with 'aws:'.");
    }
  }
  return list;
}

/** Applies tags to an ARN within the caller's transaction, enforcing the 50-tag limit on the result. */
export function applyTags(store: Store, resourceArn: string, tags: RequestTag[] | undefined): Tag[] {
  const valid = validateTags(tags);
  const current = store.tags.list(resourceArn);
  const keys = new Set([...current.map((t) => t.Key), ...valid.map((t) => t.Key)]);
  if (keys.size > TAG_LIMIT) {
    throw fault(
      'TagQuotaPerResourceExceeded',
      `The request cannot be processed because it would exceed the allowed number of tags (${TAG_LIMIT}) for the resource.`,
    );
  }
  store.tags.put(resourceArn, valid);
  return store.tags.list(resourceArn);
}

export function tagHandlers(store: Store, resolvers: Partial<Record<ArnType, TaggableResolver>>): HandlerTable {
  const resolve = (ctx: RequestContext, resourceName: string | undefined) => {
    const value = requireValue(resourceName, 'ResourceName');
    const parsed = parseArn(value);
    const resolver = resolvers[parsed.type];
    if (!resolver) throw fault('InvalidARNFault', `The ARN ${value} is not valid.`);
    // Identifiers are stored lowercase and matched without regard to case (reserved node ids are kept as given),
    // so the tags of one resource are kept under one canonical ARN, the one its create and delete use.
    const name = parsed.type === 'reserved-instance' ? parsed.name : parsed.name.toLowerCase();
    // A resource of another account or region does not exist for this caller.
    const here =
      parsed.account === ctx.account &&
      parsed.region === ctx.region &&
      partitionOf(parsed.region) === value.split(':')[1];
    if (!here || !resolver.exists(ctx, name)) throw resolver.notFound(name);
    resolver.checkState?.(ctx, name);
    return arn(ctx, parsed.type, name);
  };
  return {
    ListTagsForResource: (input, ctx) => ({ TagList: store.tags.list(resolve(ctx, input.ResourceName)) }),
    AddTagsToResource: (input, ctx) => {
      const resourceArn = resolve(ctx, input.ResourceName);
      return { TagList: applyTags(store, resourceArn, input.Tags) };
    },
    RemoveTagsFromResource: (input, ctx) => {
      const resourceArn = resolve(ctx, input.ResourceName);
      const present = new Set(store.tags.list(resourceArn).map((t) => t.Key));
      const keys: string[] = input.TagKeys ?? [];
      const missing = keys.find((key) => !present.has(key));
      if (missing !== undefined) throw fault('TagNotFoundFault', `The tag ${missing} was not found on ${resourceArn}.`);
      store.tags.remove(resourceArn, keys);
      return { TagList: store.tags.list(resourceArn) };
    },
  };
}
