/**
 * What ResourceRepository has read from SQLite, kept parsed in memory, and the rules that keep it exactly what
 * SQLite would answer (see ResourceCache). Reads are handed copies (json-copy.ts), never the cached objects.
 * The cache also counts the writes to every resource kind, which is what a ReadStamp (Store.readRecorded) checks
 * to tell whether a kept answer still holds.
 */
import type { CallTracker } from './call-tracker.js';
import type { Db } from './database.js';
import { deepCopierFor, type Copier } from './json-copy.js';
import type { Scope, StoredResource } from './records.js';

/**
 * What a recorded read-only call read: the resource kinds (account, region, kind), each with the number of writes
 * it had seen. While every one of them still has that number, the call would read the same data again.
 */
export interface ReadStamp {
  epoch: number;
  kinds: [string, number][];
}

/** A resource as read from SQLite, never handed out: copies of it are, each by the copiers of its layout. */
export class CachedResource {
  private copyState: Copier | undefined;
  private copyInternal: Copier | undefined;

  constructor(readonly resource: StoredResource<unknown>) {}

  copy<T>(): StoredResource<T> {
    const { id, state, internal, createdAt } = this.resource;
    this.copyState ??= deepCopierFor(state);
    this.copyInternal ??= deepCopierFor(internal);
    return {
      id,
      state: this.copyState(state) as T,
      internal: this.copyInternal(internal) as Record<string, any>,
      createdAt,
    };
  }
}

/** The key of one account, region and kind: in the cache, and in ReadStamps. */
const kindKey = (scope: Scope, kind: string) => `${scope.account}\u0000${scope.region}\u0000${kind}`;

/** The resources of one account, region and kind that have been read: by id, and the full list once listed. */
interface CachedKind {
  byId: Map<string, CachedResource>;
  /** Every resource of the kind in the scope, in list order; set only by a list. */
  all?: CachedResource[];
}

/**
 * What ResourceRepository has read, parsed, keyed by account, region and kind. The rules that keep it exactly
 * what SQLite would answer:
 * - every write to a kind drops that kind's entry in the same call, before it returns;
 * - a write inside a transaction also stops the cache from being used (read or filled) until that transaction
 *   has ended, committed or rolled back, so a rolled-back write (or savepoint) can never be served from memory;
 * - a commit by another connection to the same file (PRAGMA data_version moves) drops everything. Only one
 *   emulator owns a data dir, but a tool or test reading or repairing the file must not see stale answers either;
 * - callers get copies, never the cached objects: handlers edit what they read before they write it back.
 */
export class ResourceCache {
  private readonly kinds = new Map<string, CachedKind>();
  /** Writes seen, by kind key: never reset, so a ReadStamp can tell whether a kind changed since it was taken. */
  private readonly generations = new Map<string, number>();
  /** Moves when another connection commits (everything may have changed). */
  private epoch = 0;
  /** A write happened in the transaction still open: the cache stands aside until it ends. */
  private uncommittedWrite = false;
  private dataVersion: number | undefined;
  private readonly dataVersionStmt;

  constructor(
    private readonly db: Db,
    private readonly tracker: CallTracker,
  ) {
    this.dataVersionStmt = db.prepare('PRAGMA data_version').pluck();
  }

  /** The kind's entry when the cache may be used now, creating it; undefined when it must stand aside. */
  entry(scope: Scope, kind: string): CachedKind | undefined {
    const key = kindKey(scope, kind);
    this.tracker.kinds?.add(key);
    if (this.uncommittedWrite) {
      if (this.db.inTransaction) return undefined;
      this.uncommittedWrite = false;
    }
    this.checkDataVersion();
    let cached = this.kinds.get(key);
    if (!cached) this.kinds.set(key, (cached = { byId: new Map() }));
    return cached;
  }

  private checkDataVersion(): void {
    const version = this.dataVersionStmt.get() as number;
    if (version !== this.dataVersion) {
      this.kinds.clear();
      this.dataVersion = version;
      this.epoch++;
    }
  }

  /** Called by every write, before it runs. */
  written(scope: Scope, kind: string): void {
    const key = kindKey(scope, kind);
    this.kinds.delete(key);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    if (this.db.inTransaction) this.uncommittedWrite = true;
  }

  stamp(kinds: Iterable<string>): ReadStamp {
    return { epoch: this.epoch, kinds: [...kinds].map((key) => [key, this.generations.get(key) ?? 0]) };
  }

  /** True while no kind of the stamp has been written (by this process or, per data_version, another) since. */
  unchanged(stamp: ReadStamp): boolean {
    if (this.uncommittedWrite && this.db.inTransaction) return false;
    this.checkDataVersion();
    if (stamp.epoch !== this.epoch) return false;
    for (const [key, generation] of stamp.kinds) if ((this.generations.get(key) ?? 0) !== generation) return false;
    return true;
  }

  /** Forgets everything read so far and every stamp given out (after every row was deleted at once). */
  forgetAll(): void {
    this.kinds.clear();
    this.epoch++;
  }

  /** Called when a transaction has ended (committed or rolled back). */
  transactionEnded(): void {
    if (!this.db.inTransaction) this.uncommittedWrite = false;
  }
}
