/**
 * Hash slots as the API checks them: a shard's `Slots` is "0-5461" or "0-100,200-300"; together the shards of a
 * cluster-mode group cover 0-16383 exactly once. The arithmetic is dataplane/slot-ranges.ts; this adds the API's
 * faults and wording.
 */
import {
  parseSlotRanges,
  rangesToSlots,
  SLOT_COUNT,
  SlotRangesError,
  type SlotRanges,
} from '../../common/slot-ranges.js';
import { invalidValue } from './faults.js';

export function parseSlots(value: string, parameter = 'Slots'): SlotRanges {
  try {
    // Overlaps pass here: checkCoverage names the slot given twice.
    return parseSlotRanges(value, { overlapping: true });
  } catch (error) {
    if (!(error instanceof SlotRangesError)) throw error;
    throw invalidValue(
      `Invalid ${parameter}: ${value}. Use ranges of hash slots between 0 and ${SLOT_COUNT - 1}, like 0-5461,5462-10922.`,
    );
  }
}

/** Slot numbers of a `Slots` string. */
export function slotsOf(value: string | undefined): number[] {
  if (!value) return [];
  return rangesToSlots(parseSlots(value));
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
  if (missing >= 0)
    throw invalidValue(
      `The node groups' slots must cover all slots from 0 to ${SLOT_COUNT - 1}; slot ${missing} is not assigned.`,
    );
}
