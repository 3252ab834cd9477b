/**
 * Hash slots as the API writes them: a shard's `Slots` is "0-5461" or "0-100,200-300"; together the shards of a
 * cluster-mode group cover 0-16383 exactly once.
 */
import { invalidValue } from './faults.js';

export const SLOT_COUNT = 16384;

export type SlotRange = [number, number];

/** The even split AWS makes: shard sizes differ by at most one slot, the larger ones first (0-5461, 5462-10922, ...). */
export function evenSlotRanges(shards: number): SlotRange[] {
  const ranges: SlotRange[] = [];
  let start = 0;
  for (let i = 0; i < shards; i++) {
    const size = Math.floor(SLOT_COUNT / shards) + (i < SLOT_COUNT % shards ? 1 : 0);
    ranges.push([start, start + size - 1]);
    start += size;
  }
  return ranges;
}

export function formatSlots(ranges: SlotRange[]): string {
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}

export function parseSlots(value: string, parameter = 'Slots'): SlotRange[] {
  const ranges: SlotRange[] = [];
  for (const part of value.split(',')) {
    const match = /^\s*(\d{1,5})(?:-(\d{1,5}))?\s*$/.exec(part);
    const start = match ? Number(match[1]) : NaN;
    const end = match ? Number(match[2] ?? match[1]) : NaN;
    if (!match || start > end || end >= SLOT_COUNT) {
      throw invalidValue(`Invalid ${parameter}: ${value}. Use ranges of hash slots between 0 and ${SLOT_COUNT - 1}, like 0-5461,5462-10922.`);
    }
    ranges.push([start, end]);
  }
  return ranges;
}

/** Slot numbers of a `Slots` string. */
export function slotsOf(value: string | undefined): number[] {
  if (!value) return [];
  return parseSlots(value).flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
}

/** Ranges from slot numbers (sorted, merged). */
export function rangesOf(slots: number[]): SlotRange[] {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const ranges: SlotRange[] = [];
  for (const slot of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === slot - 1) last[1] = slot;
    else ranges.push([slot, slot]);
  }
  return ranges;
}

/** Shards' requested slots must cover every slot exactly once. */
export function checkCoverage(shards: string[]): void {
  const owned = new Uint8Array(SLOT_COUNT);
  for (const value of shards) {
    for (const slot of slotsOf(value)) {
      if (owned[slot]) throw invalidValue(`Slot ${slot} is assigned to more than one node group.`);
      owned[slot] = 1;
    }
  }
  const missing = owned.indexOf(0);
  if (missing >= 0) throw invalidValue(`The node groups' slots must cover all slots from 0 to ${SLOT_COUNT - 1}; slot ${missing} is not assigned.`);
}

/**
 * The slots each shard should own after shards are added or removed: an even split over the remaining shards,
 * where a shard keeps as many of its own slots as it can, so that as few slots (and keys) as possible move.
 */
export function rebalancedSlots(current: Record<string, number[]>, shardIds: string[]): Record<string, number[]> {
  const sizes = evenSlotRanges(shardIds.length).map(([a, b]) => b - a + 1);
  // The biggest current owners get the bigger even shares.
  const order = [...shardIds].sort((a, b) => (current[b]?.length ?? 0) - (current[a]?.length ?? 0) || a.localeCompare(b));
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
