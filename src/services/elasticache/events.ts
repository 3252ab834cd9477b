/**
 * DescribeEvents: the events the services and the reconciler recorded, newest first. The window defaults to the
 * last hour; StartTime / EndTime / Duration (minutes, up to 14 days) move or widen it.
 */
import type { DescribeEventsMessage, Event, EventsMessage } from '@aws-sdk/client-elasticache';
import type { Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { invalidValue } from '../../domain/elasticache/faults.js';
import { paginate } from './pagination.js';
import { isBackingId } from '../../domain/elasticache/serverless.js';

const MINUTE = 60_000;
export const DEFAULT_EVENT_WINDOW_MINUTES = 60;
/** 14 days: how long ElastiCache keeps events, and the largest Duration it accepts. */
export const MAX_EVENT_WINDOW_MINUTES = 14 * 24 * 60;

/**
 * The [start, end] window in epoch ms. Explicit StartTime / EndTime win; Duration fills in the missing side
 * (end = start + Duration, or start = end - Duration); with neither, the window ends now.
 */
export function eventWindow(input: DescribeEventsMessage, now = Date.now()): { start: number; end: number } {
  if (input.Duration !== undefined && (input.Duration < 1 || input.Duration > MAX_EVENT_WINDOW_MINUTES)) {
    throw invalidValue(
      `Invalid value for Duration: ${input.Duration}. It must be between 1 and ${MAX_EVENT_WINDOW_MINUTES} minutes.`,
    );
  }
  const duration = (input.Duration ?? DEFAULT_EVENT_WINDOW_MINUTES) * MINUTE;
  const startTime = input.StartTime?.getTime();
  const endTime = input.EndTime?.getTime();
  if (startTime !== undefined && endTime !== undefined) {
    if (startTime > endTime) throw invalidValue('The parameter StartTime must be earlier than EndTime.');
    return { start: startTime, end: endTime };
  }
  if (startTime !== undefined) {
    return { start: startTime, end: input.Duration !== undefined ? startTime + duration : now };
  }
  const end = endTime ?? now;
  return { start: end - duration, end };
}

export function eventHandlers(store: Store): HandlerTable {
  const DescribeEvents = (input: DescribeEventsMessage, ctx: RequestContext): EventsMessage => {
    const { start, end } = eventWindow(input);
    // AWS documents no rule tying SourceIdentifier to SourceType: either narrows the list on its own.
    // Identifiers are matched without regard to case, as ElastiCache lowercases the ids it stores.
    const identifier = input.SourceIdentifier?.toLowerCase();
    const events: Event[] = store.events
      .query(ctx, start, end)
      .filter(
        (event) =>
          // A serverless cache's backing group and its nodes are no resources the API shows.
          !isBackingId(event.SourceIdentifier) &&
          (input.SourceType === undefined || event.SourceType === input.SourceType) &&
          (identifier === undefined || event.SourceIdentifier.toLowerCase() === identifier),
      )
      .map((event) => ({
        SourceIdentifier: event.SourceIdentifier,
        SourceType: event.SourceType as Event['SourceType'],
        Message: event.Message,
        Date: event.Date,
      }));
    const { page, marker } = paginate(events, input);
    return { Marker: marker, Events: page };
  };

  return { DescribeEvents };
}
