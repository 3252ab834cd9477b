/**
 * Redis Cluster's 16384 hash slots as AWS writes them ("0-5461,5462-10922"): the even split, parsing and
 * formatting, and which slots move when shards come and go. Pure, and free of API error types: the API's
 * checks (services/elasticache/slots.ts) and the work on real nodes (redis-cluster.ts, the workers) share it.
 * It sits in the lowest layer so that every layer above may import it.
 */

export const SLOT_COUNT = 16384;

/** Inclusive [first, last], as AWS writes a range ("0-5461"). */
export type SlotRange = [number, number];
export type SlotRanges = SlotRange[];

/** Text that is not a list of slot ranges; the API turns it into its own InvalidParameterValue. */
export class SlotRangesError extends Error {}

/** How many slots each of `shards` gets: sizes differ by one at most, the larger ones first. */
function evenShares(total: number, shards: number): number[] {
  return Array.from({ length: shards }, (_, i) => Math.floor(total / shards) + (i < total % shards ? 1 : 0));
}

/** AWS's even split: 16384 / n each, the first shards taking one more until the remainder is spent. */
export function evenSlots(shardCount: number): SlotRanges[] {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 500) {
    throw new Error(`a cluster has 1 to 500 shards, not ${shardCount}`);
  }
  let next = 0;
  return evenShares(SLOT_COUNT, shardCount).map((size) => {
    const range: SlotRange = [next, next + size - 1];
    next += size;
    return [range];
  });
}

/**
 * "0-5461,5462-10922" (or a single slot "7") → ranges, in the order written; out-of-range slots are an error, and
 * so are overlapping ranges unless `overlapping` allows them (the API reports those in its own words).
 */
export function parseSlotRanges(text: string, options: { overlapping?: boolean } = {}): SlotRanges {
  const ranges: SlotRanges = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    // At most five digits: the API has always refused longer numbers, even zero-padded ones.
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!match)
      throw new SlotRangesError(
        `"${text}" is not a list of slot ranges like "0-5461,5462-10922": "${part}" is not a slot or a range`,
      );
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last >= SLOT_COUNT)
      throw new SlotRangesError(`slot ${last} in "${text}" is out of range: slots go from 0 to ${SLOT_COUNT - 1}`);
    if (first > last) throw new SlotRangesError(`the slot range "${part}" in "${text}" ends before it starts`);
    ranges.push([first, last]);
  }
  if (!options.overlapping) {
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i][0] <= sorted[i - 1][1])
        throw new SlotRangesError(`the slot ranges in "${text}" overlap at slot ${sorted[i][0]}`);
    }
  }
  return ranges;
}

export function formatSlotRanges(ranges: SlotRanges): string {
  return ranges.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`)).join(',');
}

export function rangesToSlots(ranges: SlotRanges): number[] {
  const slots: number[] = [];
  for (const [first, last] of ranges) for (let slot = first; slot <= last; slot++) slots.push(slot);
  return slots;
}

/** Slots (any order, repeats allowed) → the fewest sorted ranges. */
export function slotsToRanges(slots: Iterable<number>): SlotRanges {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const ranges: SlotRanges = [];
  for (const slot of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && slot === last[1] + 1) last[1] = slot;
    else ranges.push([slot, slot]);
  }
  return ranges;
}

/**
 * The slots each of shardIds should own after shards are added or removed: an even split of the slots held now,
 * where the biggest holders get the larger shares (ties: the lower id) and a shard keeps its lowest slots, so that
 * as few slots (and keys) as possible move. Freed slots go, lowest first, to the receivers in shardIds order.
 * Shards missing from shardIds own nothing afterwards and are left out of the result.
 */
export function rebalancedSlots(current: Record<string, number[]>, shardIds: string[]): Record<string, number[]> {
  const total = Object.values(current).reduce((sum, slots) => sum + slots.length, 0);
  const sizes = evenShares(total, shardIds.length);
  const order = [...shardIds].sort(
    (a, b) => (current[b]?.length ?? 0) - (current[a]?.length ?? 0) || a.localeCompare(b),
  );
  const target = new Map(order.map((id, i) => [id, sizes[i]]));
  const result: Record<string, number[]> = {};
  const freed: number[] = [];
  for (const [id, slots] of Object.entries(current)) {
    const keep = target.get(id) ?? 0;
    const sorted = [...slots].sort((a, b) => a - b);
    if (target.has(id)) result[id] = sorted.slice(0, keep);
    freed.push(...sorted.slice(keep));
  }
  freed.sort((a, b) => a - b);
  for (const id of shardIds) {
    const owned = (result[id] ??= []);
    const need = target.get(id)! - owned.length;
    if (need > 0) owned.push(...freed.splice(0, need));
    owned.sort((a, b) => a - b);
  }
  return result;
}

export interface SlotMove {
  from: string;
  to: string;
  slots: number[];
}

/**
 * The moves that take every slot from its owner to its target: one per (from, to) pair, receivers in the order of
 * targets, each move's slots in the order its receiver lists them. Slots that nobody owns cannot move and are
 * left out.
 */
export function slotMoves(owners: Record<string, number[]>, targets: Record<string, number[]>): SlotMove[] {
  const ownerOf = new Map<number, string>();
  for (const [id, slots] of Object.entries(owners)) for (const slot of slots) ownerOf.set(slot, id);
  const moves: SlotMove[] = [];
  for (const [to, slots] of Object.entries(targets)) {
    const fromHere = new Map<string, SlotMove>();
    for (const slot of slots) {
      const from = ownerOf.get(slot);
      if (from === undefined || from === to) continue;
      let move = fromHere.get(from);
      if (!move) {
        move = { from, to, slots: [] };
        fromHere.set(from, move);
        moves.push(move);
      }
      move.slots.push(slot);
    }
  }
  return moves;
}

/**
 * The moves that spread the served slots evenly over targetIds (as rebalancedSlots decides): shards not in
 * targetIds give all theirs away, new shards (in targetIds, absent from owners) receive, donors give their highest
 * slots. owners is shard id → the slot ranges it serves now.
 */
export function planRebalance(owners: Record<string, SlotRanges>, targetIds: string[]): SlotMove[] {
  if (targetIds.length === 0) throw new Error('a cluster keeps at least one shard');
  if (new Set(targetIds).size !== targetIds.length)
    throw new Error(`a shard is named twice in ${targetIds.join(', ')}`);
  const held: Record<string, number[]> = {};
  const seen = new Set<number>();
  for (const [id, ranges] of Object.entries(owners)) {
    const slots = rangesToSlots(ranges);
    for (const slot of slots) {
      if (seen.has(slot)) throw new Error(`slot ${slot} is served by two shards`);
      seen.add(slot);
    }
    held[id] = slots;
  }
  const target = rebalancedSlots(held, targetIds);
  return slotMoves(held, Object.fromEntries(targetIds.map((id) => [id, target[id]])));
}
