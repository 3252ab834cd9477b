/** Replication groups' quotas, as the API reference gives them. */

export const MAX_REPLICAS = 5;
export const MAX_NODE_GROUPS = 500;
/** TestFailover: at most this many node groups in a rolling 24 hours (AWS counts per account; we count per group). */
export const FAILOVERS_PER_DAY = 15;
