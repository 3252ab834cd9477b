/**
 * The store: one SQLite database behind six repositories (repositories/), every row scoped by account and region,
 * as resources are on AWS. Calls are synchronous (better-sqlite3); `transaction` makes one API call one
 * transaction, `read` runs a read-only call without one, and `readRecorded` stamps what such a call read so its
 * answer can be kept while `unchanged`. Resources are served from memory between writes: see resource-cache.ts.
 *
 * The row types and repository classes are re-exported here: callers import everything from store.js.
 */
import { CallTracker } from './call-tracker.js';
import type { Db } from './database.js';
import type { ReadStamp } from './resource-cache.js';
import { EndpointRepository } from './repositories/endpoints.js';
import type { EndpointAllocator } from '../common/endpoint-addresses.js';
import { EventRepository } from './repositories/events.js';
import { JobRepository } from './repositories/jobs.js';
import { ResourceRepository } from './repositories/resources.js';
import { SettingsRepository } from './repositories/settings.js';
import { TagRepository } from './repositories/tags.js';

export type { EndpointAllocation, Job, Scope, StoredEvent, StoredResource, Tag } from './records.js';
export type { ReadStamp } from './resource-cache.js';
export type { EndpointAllocator } from '../common/endpoint-addresses.js';
export { EndpointRepository, EventRepository, JobRepository, ResourceRepository, SettingsRepository, TagRepository };

export class Store {
  readonly resources: ResourceRepository;
  readonly tags: TagRepository;
  readonly events: EventRepository;
  readonly jobs: JobRepository;
  readonly endpoints: EndpointRepository;
  readonly settings: SettingsRepository;
  /** One wrapper for every call: db.transaction() builds four functions each time; BEGIN or SAVEPOINT is still decided per call. */
  private readonly runInTransaction: (fn: () => unknown) => unknown;
  private readonly tracker: CallTracker;

  constructor(
    readonly db: Db,
    allocator: EndpointAllocator,
  ) {
    this.tracker = new CallTracker(db);
    this.resources = new ResourceRepository(db, this.tracker);
    this.tags = new TagRepository(db, this.tracker);
    this.events = new EventRepository(db, this.tracker);
    this.jobs = new JobRepository(db, this.tracker);
    this.endpoints = new EndpointRepository(db, allocator, this.tracker);
    this.settings = new SettingsRepository(db, this.tracker);
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.runInTransaction(fn) as T;
    } finally {
      this.resources.transactionEnded();
    }
  }

  /**
   * Runs a call expected only to read (a Describe, a List) without opening a transaction. Should it write after
   * all, its first write opens one, committed when it returns and rolled back when it throws, as `transaction`
   * would. Reads before that first write see the same data a transaction would: this process is SQLite's only
   * writer, and the call runs without yielding.
   */
  read<T>(fn: () => T): T {
    if (this.db.inTransaction || this.tracker.deferring) return this.transaction(fn);
    this.tracker.deferring = true;
    this.tracker.opened = false;
    let committed = false;
    try {
      const result = fn();
      if (this.tracker.opened) this.db.exec('COMMIT');
      committed = true;
      return result;
    } finally {
      this.tracker.deferring = false;
      if (this.tracker.opened) {
        this.tracker.opened = false;
        if (!committed && this.db.inTransaction) this.db.exec('ROLLBACK');
        this.resources.transactionEnded();
      }
    }
  }

  /**
   * Store.read, recording what the call read: its result with a stamp of the resource kinds it read, or no stamp
   * when it read anything else (tags, events, ...) or wrote. A caller that keeps the call's answer may reuse it
   * while `unchanged(stamp)`: the same call would read the same data.
   */
  readRecorded<T>(fn: () => T): { result: T; stamp: ReadStamp | undefined } {
    if (this.tracker.kinds) return { result: this.read(fn), stamp: undefined };
    const kinds = new Set<string>();
    this.tracker.kinds = kinds;
    this.tracker.unstampable = false;
    try {
      const result = this.read(fn);
      return { result, stamp: this.tracker.unstampable ? undefined : this.resources.stamp(kinds) };
    } finally {
      this.tracker.kinds = undefined;
    }
  }

  /** True while no resource kind a stamp names has been written since it was taken. */
  unchanged(stamp: ReadStamp): boolean {
    return this.resources.unchanged(stamp);
  }

  /**
   * Deletes every resource, tag, event, job and endpoint of every account and region (a reset between tests). The
   * settings (the instance's identity and keys) stay.
   */
  clearAll(): void {
    this.transaction(() => {
      this.db.exec(
        'DELETE FROM resources; DELETE FROM tags; DELETE FROM events; DELETE FROM jobs; DELETE FROM endpoints;',
      );
    });
    this.resources.forgetAll();
  }

  close(): void {
    this.db.close();
  }
}
