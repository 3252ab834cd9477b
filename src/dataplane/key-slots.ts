/** Which Redis Cluster hash slot a key falls in (cluster-key-slot, ioredis's own), and whether ranges hold it. */
import calculateSlot from 'cluster-key-slot';
import type { SlotRanges } from '../common/slot-ranges.js';

export const keySlot = (key: Buffer): number => calculateSlot(key);

export const inSlotRanges = (slot: number, ranges: SlotRanges): boolean =>
  ranges.some(([first, last]) => slot >= first && slot <= last);
