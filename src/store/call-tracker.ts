/**
 * The CallTracker: the one object of a Store that every repository tells of its reads and writes, so that Store.read
 * and Store.readRecorded know what the call in progress has done.
 */
import type { Db } from './database.js';

/**
 * Watches the API call in progress (calls are synchronous: one at a time). Two things it is told of:
 * - every write statement passes through `beforeWrite`, so a read-only call (Store.read) runs without a
 *   transaction (BEGIN and COMMIT cost more than a Describe's reads from memory) and opens one at its first write,
 *   if it ever writes (a default resource made on first sight), staying one atomic transaction;
 * - while a call is recorded (Store.readRecorded), the resource kinds it reads, and whether it read or wrote
 *   anything else, which makes its answer one that cannot be stamped.
 */
export class CallTracker {
  /** A read-only call is running and has not written yet. */
  deferring = false;
  /** The read-only call's first write opened a transaction, to be ended with the call. */
  opened = false;
  /** The cache keys of the resource kinds read by the call being recorded; undefined when none is. */
  kinds: Set<string> | undefined;
  /** The call being recorded read something other than resources, or wrote. */
  unstampable = false;

  constructor(private readonly db: Db) {}

  beforeWrite(): void {
    if (this.kinds) this.unstampable = true;
    if (this.deferring && !this.db.inTransaction) {
      this.db.exec('BEGIN IMMEDIATE');
      this.opened = true;
    }
  }

  /** A read of anything but resources (tags, events, jobs, endpoints, settings, every scope at once). */
  readOther(): void {
    if (this.kinds) this.unstampable = true;
  }
}
