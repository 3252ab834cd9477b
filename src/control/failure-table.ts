/**
 * A kind's failure handlers as the reconciler looks them up, by `kind:action`; keyed here by the kind's actions
 * (domain/elasticache/jobs.ts), so a handler for an action no job has does not compile.
 */
import { jobKey, type JobAction, type JobKind } from '../domain/elasticache/jobs.js';
import type { JobFailureHandler } from './reconciler.js';

export function failureTable<K extends JobKind>(
  kind: K,
  handlers: Partial<Record<JobAction<K>, JobFailureHandler>>,
): Record<string, JobFailureHandler> {
  const table: Record<string, JobFailureHandler> = {};
  for (const [action, handler] of Object.entries<JobFailureHandler | undefined>(handlers)) {
    if (handler) table[jobKey(kind, action)] = handler;
  }
  return table;
}
