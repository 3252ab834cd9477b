/**
 * Marker / MaxRecords paging. Markers are opaque to clients: the offset of the next item, base64-encoded.
 * Limits differ per operation (20-100 for most, 20-50 for DescribeSnapshots).
 */
import { invalidValue } from '../../domain/elasticache/faults.js';

export interface PageLimits {
  min: number;
  max: number;
  default: number;
}

export const STANDARD_LIMITS: PageLimits = { min: 20, max: 100, default: 100 };

export function paginate<T>(
  items: T[],
  input: { Marker?: string; MaxRecords?: number },
  limits: PageLimits = STANDARD_LIMITS,
): { page: T[]; marker?: string } {
  const size = input.MaxRecords ?? limits.default;
  if (size < limits.min || size > limits.max) {
    throw invalidValue(`MaxRecords must be between ${limits.min} and ${limits.max}.`);
  }
  let offset = 0;
  if (input.Marker !== undefined && input.Marker !== '') {
    const decoded = Buffer.from(input.Marker, 'base64').toString('utf8');
    const match = /^offset:(\d+)$/.exec(decoded);
    if (!match) throw invalidValue(`Invalid marker: ${input.Marker}`);
    offset = Number(match[1]);
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return { page, marker: next < items.length ? Buffer.from(`offset:${next}`).toString('base64') : undefined };
}
