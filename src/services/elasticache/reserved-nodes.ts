/**
 * Reserved cache nodes: DescribeReservedCacheNodesOfferings, PurchaseReservedCacheNodesOffering,
 * DescribeReservedCacheNodes. The offerings are a fixed catalog, the same in every region and every run: each
 * current-generation node type × 1 or 3 years × No / Partial / All Upfront × redis / memcached / valkey, with an
 * id derived from those four facts and prices derived from the node's memory (bigger costs more). A purchase is
 * kept per account and region; it is `payment-pending` in the purchase response and `active` afterwards, until
 * its term ends (`retired`).
 */
import { createHash } from 'node:crypto';
import type {
  DescribeReservedCacheNodesMessage,
  DescribeReservedCacheNodesOfferingsMessage,
  PurchaseReservedCacheNodesOfferingMessage,
  PurchaseReservedCacheNodesOfferingResult,
  RecurringCharge,
  ReservedCacheNode,
  ReservedCacheNodeMessage,
  ReservedCacheNodesOffering,
  ReservedCacheNodesOfferingMessage,
} from '@aws-sdk/client-elasticache';
import type { Scope, Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { arn } from '../../domain/elasticache/arns.js';
import { NODE_TYPES } from '../../domain/elasticache/catalog.js';
import { fault, invalidValue, requireValue } from '../../domain/elasticache/faults.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { paginate } from './pagination.js';
import { applyTags } from './tags.js';

const ONE_YEAR = 31_536_000;
const THREE_YEARS = 94_608_000;
export const OFFERING_DURATIONS: readonly number[] = [ONE_YEAR, THREE_YEARS];
export const OFFERING_TYPES = ['No Upfront', 'Partial Upfront', 'All Upfront'] as const;
export const PRODUCT_DESCRIPTIONS = ['redis', 'memcached', 'valkey'] as const;
type OfferingType = (typeof OFFERING_TYPES)[number];
type ProductDescription = (typeof PRODUCT_DESCRIPTIONS)[number];

/** Share of the on-demand price saved over the term, as AWS's reserved pricing roughly gives it. */
const DISCOUNTS: Record<number, Record<OfferingType, number>> = {
  [ONE_YEAR]: { 'No Upfront': 0.3, 'Partial Upfront': 0.35, 'All Upfront': 0.38 },
  [THREE_YEARS]: { 'No Upfront': 0.45, 'Partial Upfront': 0.52, 'All Upfront': 0.55 },
};

/** Valkey nodes are priced 20% below Redis OSS and Memcached nodes of the same type. */
const PRODUCT_FACTORS: Record<ProductDescription, number> = { redis: 1, memcached: 1, valkey: 0.8 };

const GiB = 1024 ** 3;

/** A plausible on-demand hourly price: a small base plus a per-GiB rate (cache.r6g.large ≈ $0.21). */
function onDemandHourly(memoryBytes: number, product: ProductDescription): number {
  return (0.01 + 0.0155 * (memoryBytes / GiB)) * PRODUCT_FACTORS[product];
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** A stable UUID-shaped id (version 5 layout) from the offering's defining facts. */
function offeringId(nodeType: string, duration: number, offeringType: string, product: string): string {
  const hex = createHash('sha256')
    .update(`elasticache-local:reserved-offering:${nodeType}:${duration}:${offeringType}:${product}`)
    .digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function buildOffering(
  nodeType: string,
  memoryBytes: number,
  duration: number,
  offeringType: OfferingType,
  product: ProductDescription,
): ReservedCacheNodesOffering {
  const hours = duration / 3600;
  const total = onDemandHourly(memoryBytes, product) * hours * (1 - DISCOUNTS[duration][offeringType]);
  let fixed = 0;
  let hourly = 0;
  if (offeringType === 'No Upfront') hourly = total / hours;
  if (offeringType === 'Partial Upfront') {
    fixed = Math.round(total / 2);
    hourly = (total - fixed) / hours;
  }
  if (offeringType === 'All Upfront') fixed = Math.round(total);
  const charges: RecurringCharge[] = [
    { RecurringChargeAmount: hourly === 0 ? 0 : Math.max(round(hourly, 3), 0.001), RecurringChargeFrequency: 'Hourly' },
  ];
  return {
    ReservedCacheNodesOfferingId: offeringId(nodeType, duration, offeringType, product),
    CacheNodeType: nodeType,
    Duration: duration,
    FixedPrice: fixed,
    UsagePrice: 0,
    ProductDescription: product,
    OfferingType: offeringType,
    RecurringCharges: charges,
  };
}

let catalog: { list: ReservedCacheNodesOffering[]; byId: Map<string, ReservedCacheNodesOffering> } | undefined;

/** Every offering, in node-type catalog order, then term, product and payment option. */
export function reservedOfferings(): ReservedCacheNodesOffering[] {
  if (!catalog) {
    const list: ReservedCacheNodesOffering[] = [];
    for (const type of NODE_TYPES.filter((t) => !t.previousGeneration)) {
      for (const duration of OFFERING_DURATIONS) {
        for (const product of PRODUCT_DESCRIPTIONS) {
          for (const offeringType of OFFERING_TYPES) {
            list.push(buildOffering(type.name, type.memoryBytes, duration, offeringType, product));
          }
        }
      }
    }
    catalog = { list, byId: new Map(list.map((o) => [o.ReservedCacheNodesOfferingId!, o])) };
  }
  return catalog.list;
}

export function findOffering(id: string): ReservedCacheNodesOffering | undefined {
  reservedOfferings();
  return catalog!.byId.get(id);
}

/** The Duration filter: years (`1`, `3`) or seconds; anything else is refused. */
function durationFilter(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === '1' || value === String(ONE_YEAR)) return ONE_YEAR;
  if (value === '3' || value === String(THREE_YEARS)) return THREE_YEARS;
  throw invalidValue(`Invalid value for Duration: ${value}. Valid values are: 1, 3, ${ONE_YEAR}, ${THREE_YEARS}.`);
}

interface CommonFilters {
  CacheNodeType?: string;
  Duration?: string;
  ProductDescription?: string;
  OfferingType?: string;
}

/** The filters offerings and reserved nodes share; text filters compare without regard to case. */
function matcher(input: CommonFilters) {
  const duration = durationFilter(input.Duration);
  const same = (wanted: string | undefined, actual: string | undefined) =>
    wanted === undefined || wanted === '' || wanted.toLowerCase() === actual?.toLowerCase();
  return (item: ReservedCacheNodesOffering | ReservedCacheNode) =>
    same(input.CacheNodeType, item.CacheNodeType) &&
    (duration === undefined || item.Duration === duration) &&
    same(input.ProductDescription, item.ProductDescription) &&
    same(input.OfferingType, item.OfferingType);
}

const offeringNotFound = (id: string) =>
  fault('ReservedCacheNodesOfferingNotFoundFault', `ReservedCacheNodesOffering not found: ${id}`);
const nodeNotFound = (id: string) => fault('ReservedCacheNodeNotFoundFault', `ReservedCacheNode not found: ${id}`);

/** `ri-YYYY-MM-DD-HH-MM-SS-mmm` in UTC, as AWS names a purchase made without an id. */
function generatedId(at: Date): string {
  const iso = at.toISOString(); // 2017-03-27T08:33:25.582Z
  return `ri-${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}-${iso.slice(17, 19)}-${iso.slice(20, 23)}`;
}

/** A stored reservation as the API shows it now: `retired` once its term has run out. */
function present(state: ReservedCacheNode, now = Date.now()): ReservedCacheNode {
  const start = new Date(state.StartTime as unknown as string | Date);
  const ended = start.getTime() + (state.Duration ?? 0) * 1000 <= now;
  return { ...state, StartTime: start, State: ended ? 'retired' : state.State };
}

/** For the tag handlers: whether a reservation (ARN type `reserved-instance`) exists in this account and region. */
export function reservedNodeExists(store: Store, scope: Scope, id: string): boolean {
  return store.resources.get(scope, KIND.reservedNode, id) !== undefined;
}

export function reservedNodeHandlers(store: Store): HandlerTable {
  const DescribeReservedCacheNodesOfferings = (
    input: DescribeReservedCacheNodesOfferingsMessage,
    _ctx: RequestContext,
  ): ReservedCacheNodesOfferingMessage => {
    const matches = matcher(input);
    let offerings: ReservedCacheNodesOffering[];
    if (input.ReservedCacheNodesOfferingId !== undefined && input.ReservedCacheNodesOfferingId !== '') {
      const offering = findOffering(input.ReservedCacheNodesOfferingId);
      if (!offering) throw offeringNotFound(input.ReservedCacheNodesOfferingId);
      offerings = [offering];
    } else {
      offerings = reservedOfferings();
    }
    const { page, marker } = paginate(offerings.filter(matches), input);
    return { Marker: marker, ReservedCacheNodesOfferings: page };
  };

  const PurchaseReservedCacheNodesOffering = (
    input: PurchaseReservedCacheNodesOfferingMessage,
    ctx: RequestContext,
  ): PurchaseReservedCacheNodesOfferingResult => {
    const offeringIdValue = requireValue(input.ReservedCacheNodesOfferingId, 'ReservedCacheNodesOfferingId');
    const offering = findOffering(offeringIdValue);
    if (!offering) throw offeringNotFound(offeringIdValue);
    const count = input.CacheNodeCount ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw invalidValue(`Invalid value for CacheNodeCount: ${count}. It must be a positive integer.`);
    }
    const now = new Date();
    let id = input.ReservedCacheNodeId;
    if (id === undefined || id === '') {
      // Two purchases in the same millisecond: the later one takes the next free millisecond.
      let at = now.getTime();
      while (reservedNodeExists(store, ctx, generatedId(new Date(at)))) at++;
      id = generatedId(new Date(at));
    }
    const node: ReservedCacheNode = {
      ReservedCacheNodeId: id,
      ReservedCacheNodesOfferingId: offering.ReservedCacheNodesOfferingId,
      CacheNodeType: offering.CacheNodeType,
      StartTime: now,
      Duration: offering.Duration,
      // Prices stay per node, as in the offering; CacheNodeCount says how many nodes they apply to.
      FixedPrice: offering.FixedPrice,
      UsagePrice: offering.UsagePrice,
      CacheNodeCount: count,
      ProductDescription: offering.ProductDescription,
      OfferingType: offering.OfferingType,
      State: 'active',
      RecurringCharges: offering.RecurringCharges,
      ReservationARN: arn(ctx, 'reserved-instance', id),
    };
    if (!store.resources.insert(ctx, KIND.reservedNode, id, node, {}, now.getTime())) {
      throw fault('ReservedCacheNodeAlreadyExistsFault', `ReservedCacheNode already exists with id ${id}.`);
    }
    applyTags(store, node.ReservationARN!, input.Tags);
    return { ReservedCacheNode: { ...node, State: 'payment-pending' } };
  };

  const DescribeReservedCacheNodes = (
    input: DescribeReservedCacheNodesMessage,
    ctx: RequestContext,
  ): ReservedCacheNodeMessage => {
    const matches = matcher(input);
    let nodes: ReservedCacheNode[];
    if (input.ReservedCacheNodeId !== undefined && input.ReservedCacheNodeId !== '') {
      const found = store.resources.get<ReservedCacheNode>(ctx, KIND.reservedNode, input.ReservedCacheNodeId);
      if (!found) throw nodeNotFound(input.ReservedCacheNodeId);
      nodes = [found.state];
    } else {
      nodes = store.resources.list<ReservedCacheNode>(ctx, KIND.reservedNode).map((r) => r.state);
    }
    const offering = input.ReservedCacheNodesOfferingId;
    const selected = nodes
      .filter((node) => matches(node))
      .filter((node) => offering === undefined || offering === '' || node.ReservedCacheNodesOfferingId === offering)
      .map((node) => present(node));
    const { page, marker } = paginate(selected, input);
    return { Marker: marker, ReservedCacheNodes: page };
  };

  return { DescribeReservedCacheNodesOfferings, PurchaseReservedCacheNodesOffering, DescribeReservedCacheNodes };
}
