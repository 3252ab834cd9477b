/**
 * Repositories over the SQLite schema. Everything is scoped by account and region, as resources are on AWS.
 * Calls are synchronous (better-sqlite3); `transaction` makes one API call one transaction.
 *
 * Resources are read far more often than written (every Describe, every waiter poll), so the repository keeps
 * what it has read, parsed, in memory, and hands out copies: SQLite stays the only truth, and every write still
 * goes to it at once, in the caller's transaction. See ResourceCache for when the memory is trusted.
 */
import type { Db } from './database.js';

export interface Scope {
  account: string;
  region: string;
}

export interface StoredResource<T> {
  id: string;
  state: T;
  internal: Record<string, any>;
  createdAt: number;
}

export interface Tag {
  Key: string;
  Value: string;
}

export interface StoredEvent {
  SourceIdentifier: string;
  SourceType: string;
  Message: string;
  Date: Date;
}

export interface Job {
  id: number;
  account: string;
  region: string;
  kind: string;
  resourceId: string;
  action: string;
  payload: Record<string, any>;
  runAfter: number;
  attempts: number;
}

export interface EndpointAllocation {
  address: string;
  port: number;
}

/**
 * Watches the API call in progress (calls are synchronous: one at a time). Two things it is told of:
 * - every write statement passes through `beforeWrite`, so a read-only call (Store.read) runs without a
 *   transaction (BEGIN and COMMIT cost more than a Describe's reads from memory) and opens one at its first write,
 *   if it ever writes (a default resource made on first sight), staying one atomic transaction;
 * - while a call is recorded (Store.readRecorded), the resource kinds it reads, and whether it read or wrote
 *   anything else, which makes its answer one that cannot be stamped.
 */
class CallTracker {
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

/**
 * What a recorded read-only call read: the resource kinds (account, region, kind), each with the number of writes
 * it had seen. While every one of them still has that number, the call would read the same data again.
 */
export interface ReadStamp {
  epoch: number;
  kinds: [string, number][];
}

function toResource<T>(row: any): StoredResource<T> {
  return { id: row.id, state: JSON.parse(row.state), internal: JSON.parse(row.internal), createdAt: row.created_at };
}

function toJob(row: any): Job {
  return {
    id: row.id,
    account: row.account,
    region: row.region,
    kind: row.kind,
    resourceId: row.resource_id,
    action: row.action,
    payload: JSON.parse(row.payload),
    runAfter: row.run_after,
    attempts: row.attempts,
  };
}

/**
 * A deep copy of a value parsed from JSON (plain objects, arrays, strings, numbers, booleans, null): what
 * JSON.parse of the stored text would give again, in a fraction of its time. The general copy, for values too
 * large or odd for deepCopierFor: each cached object carries (under a symbol, not enumerable, so invisible to
 * spreads, keys and JSON) a copier for its own keys; see copierFor.
 */
function copyJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const length = value.length;
    const out = new Array(length);
    for (let i = 0; i < length; i++) out[i] = copyJson(value[i]);
    return out as T;
  }
  const copier: Copier = (value as any)[COPIER] ?? copierFor(value);
  return copier(value) as T;
}

type Copier = (value: any) => unknown;
const COPIER = Symbol('copier');

/** Any object: a spread (which keeps an own "__proto__" key an own property, as JSON.parse made it), then its object members copied. */
function copyAnyObject(value: any): unknown {
  const out: Record<string, unknown> = { ...value };
  for (const key in out) {
    const member = out[key];
    if (typeof member === 'object' && member !== null) out[key] = copyJson(member);
  }
  return out;
}

/** Copiers by layout: the keys in order, each marked as holding an object (copied deeply) or a primitive. */
const copiers = new Map<string, Copier>();
const MAX_COMPILED_KEYS = 64;
const MAX_COPIERS = 2000;

/**
 * The copier of a cached object, attached to it: for an object of up to 64 keys, generated code that builds the
 * copy as one object literal with the keys in their order, primitives read as they are, objects copied. That is
 * several times faster than a spread and a for-in over it, and a Describe copies thousands of objects. Layouts
 * are shared (every cluster has the same); odd objects (many keys, a "__proto__" key, too many layouts seen)
 * get copyAnyObject. Cached objects never change, so a copier made for one stays right for it.
 */
function copierFor(value: object): Copier {
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let copier: Copier = copyAnyObject;
  if (keys.length <= MAX_COMPILED_KEYS && !keys.includes('__proto__')) {
    const holdsObject = keys.map((key) => typeof record[key] === 'object' && record[key] !== null);
    const layout = JSON.stringify(keys) + holdsObject.map((object) => (object ? '+' : '-')).join('');
    const known = copiers.get(layout);
    if (known) copier = known;
    else if (copiers.size < MAX_COPIERS) {
      const members = keys.map((key, i) => {
        const name = JSON.stringify(key);
        return `${name}: ${holdsObject[i] ? `copy(v[${name}])` : `v[${name}]`}`;
      });
      copier = new Function('copy', `return function copyObject(v) { return { ${members.join(', ')} }; };`)(copyJson) as Copier;
      copiers.set(layout, copier);
    }
  }
  Object.defineProperty(value, COPIER, { value: copier });
  return copier;
}

/** Deep copiers by the whole layout of a value: keys in order, nesting, array lengths. */
const deepCopiers = new Map<string, Copier>();
const MAX_DEEP_NODES = 400;
const MAX_DEEP_COPIERS = 1000;

/**
 * A copier for the exact layout of one value, as one generated expression that builds the whole copy (every
 * nested object and array) with no per-object dispatch: a cluster's state, some sixty values deep in nested
 * objects, copies in one call. Values of the same layout (every cluster of a Describe) share it. Large or odd
 * values (over 400 values, a "__proto__" key, too many layouts seen) get copyJson.
 */
function deepCopierFor(value: unknown): Copier {
  let nodes = 0;
  const describe = (v: unknown, path: string): { layout: string; code: string } | undefined => {
    if (++nodes > MAX_DEEP_NODES) return undefined;
    if (typeof v !== 'object' || v === null) return { layout: '_', code: path };
    const array = Array.isArray(v);
    const keys = array ? [] : Object.keys(v);
    if (keys.includes('__proto__')) return undefined;
    const parts: { layout: string; code: string }[] = [];
    const count = array ? v.length : keys.length;
    for (let i = 0; i < count; i++) {
      const key = array ? undefined : JSON.stringify(keys[i]);
      const part = describe(array ? v[i] : (v as Record<string, unknown>)[keys[i]], `${path}[${key ?? i}]`);
      if (!part) return undefined;
      parts.push(key === undefined ? part : { layout: `${key}:${part.layout}`, code: `${key}: ${part.code}` });
    }
    const layouts = parts.map((part) => part.layout).join(',');
    const codes = parts.map((part) => part.code).join(', ');
    return array ? { layout: `[${layouts}]`, code: `[${codes}]` } : { layout: `{${layouts}}`, code: `{ ${codes} }` };
  };
  const described = describe(value, 'v');
  if (!described) return copyJson;
  const known = deepCopiers.get(described.layout);
  if (known) return known;
  if (deepCopiers.size >= MAX_DEEP_COPIERS) return copyJson;
  const copier = new Function(`return function copyLayout(v) { return ${described.code}; };`)() as Copier;
  deepCopiers.set(described.layout, copier);
  return copier;
}

/** A resource as read from SQLite, never handed out: copies of it are, each by the copiers of its layout. */
class CachedResource {
  private copyState: Copier | undefined;
  private copyInternal: Copier | undefined;

  constructor(readonly resource: StoredResource<unknown>) {}

  copy<T>(): StoredResource<T> {
    const { id, state, internal, createdAt } = this.resource;
    this.copyState ??= deepCopierFor(state);
    this.copyInternal ??= deepCopierFor(internal);
    return { id, state: this.copyState(state) as T, internal: this.copyInternal(internal) as Record<string, any>, createdAt };
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
class ResourceCache {
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

  /** Called when a transaction has ended (committed or rolled back). */
  transactionEnded(): void {
    if (!this.db.inTransaction) this.uncommittedWrite = false;
  }
}

export class ResourceRepository {
  private readonly getStmt;
  private readonly listStmt;
  private readonly listAllStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;
  private readonly cache: ResourceCache;

  constructor(
    db: Db,
    private readonly tracker: CallTracker,
  ) {
    this.getStmt = db.prepare('SELECT * FROM resources WHERE account = ? AND region = ? AND kind = ? AND id = ?');
    this.listStmt = db.prepare(
      'SELECT * FROM resources WHERE account = ? AND region = ? AND kind = ? ORDER BY created_at, rowid',
    );
    this.listAllStmt = db.prepare('SELECT * FROM resources WHERE kind = ? ORDER BY created_at, rowid');
    this.insertStmt = db.prepare(
      `INSERT INTO resources (account, region, kind, id, state, internal, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    );
    this.updateStmt = db.prepare(
      'UPDATE resources SET state = ?, internal = ? WHERE account = ? AND region = ? AND kind = ? AND id = ?',
    );
    this.deleteStmt = db.prepare('DELETE FROM resources WHERE account = ? AND region = ? AND kind = ? AND id = ?');
    this.cache = new ResourceCache(db, tracker);
  }

  get<T>(scope: Scope, kind: string, id: string): StoredResource<T> | undefined {
    const cached = this.cache.entry(scope, kind);
    const hit = cached?.byId.get(id);
    if (hit) return hit.copy<T>();
    const row = this.getStmt.get(scope.account, scope.region, kind, id);
    if (!row) return undefined;
    const resource = toResource<T>(row);
    if (!cached) return resource;
    const fresh = new CachedResource(resource);
    cached.byId.set(resource.id, fresh);
    return fresh.copy<T>();
  }

  list<T>(scope: Scope, kind: string): StoredResource<T>[] {
    const cached = this.cache.entry(scope, kind);
    if (cached?.all) return cached.all.map((resource) => resource.copy<T>());
    const resources = this.listStmt.all(scope.account, scope.region, kind).map((row) => toResource<T>(row));
    if (!cached) return resources;
    cached.all = resources.map((resource) => new CachedResource(resource));
    for (const resource of cached.all) cached.byId.set(resource.resource.id, resource);
    return cached.all.map((resource) => resource.copy<T>());
  }

  /** Every resource of a kind in every account and region, with its scope (for the reconciler). */
  listEverywhere<T>(kind: string): (StoredResource<T> & { scope: Scope })[] {
    this.tracker.readOther();
    return this.listAllStmt
      .all(kind)
      .map((row: any) => ({ ...toResource<T>(row), scope: { account: row.account, region: row.region } }));
  }

  /** Inserts a new resource; false when one with this id already exists (the loser of a race). */
  insert<T>(scope: Scope, kind: string, id: string, state: T, internal: Record<string, any> = {}, createdAt = Date.now()) {
    this.tracker.beforeWrite();
    const stateJson = JSON.stringify(state);
    const internalJson = JSON.stringify(internal);
    this.cache.written(scope, kind);
    const result = this.insertStmt.run(scope.account, scope.region, kind, id, stateJson, internalJson, createdAt);
    return result.changes === 1;
  }

  update<T>(scope: Scope, kind: string, id: string, state: T, internal: Record<string, any>): void {
    this.tracker.beforeWrite();
    const stateJson = JSON.stringify(state);
    const internalJson = JSON.stringify(internal);
    this.cache.written(scope, kind);
    this.updateStmt.run(stateJson, internalJson, scope.account, scope.region, kind, id);
  }

  delete(scope: Scope, kind: string, id: string): void {
    this.tracker.beforeWrite();
    this.cache.written(scope, kind);
    this.deleteStmt.run(scope.account, scope.region, kind, id);
  }

  /** @internal Store.transaction tells the cache when the outermost transaction has ended. */
  transactionEnded(): void {
    this.cache.transactionEnded();
  }

  /** @internal See Store.readRecorded. */
  stamp(kinds: Iterable<string>): ReadStamp {
    return this.cache.stamp(kinds);
  }

  /** @internal See Store.unchanged. */
  unchanged(stamp: ReadStamp): boolean {
    return this.cache.unchanged(stamp);
  }
}

export class TagRepository {
  private readonly listStmt;
  private readonly upsertStmt;
  private readonly removeStmt;
  private readonly removeAllStmt;
  private readonly nextPositionStmt;

  constructor(
    db: Db,
    private readonly tracker: CallTracker,
  ) {
    this.listStmt = db.prepare('SELECT key, value FROM tags WHERE arn = ? ORDER BY position');
    this.upsertStmt = db.prepare(
      `INSERT INTO tags (arn, key, value, position) VALUES (?, ?, ?, ?)
       ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`,
    );
    this.removeStmt = db.prepare('DELETE FROM tags WHERE arn = ? AND key = ?');
    this.removeAllStmt = db.prepare('DELETE FROM tags WHERE arn = ?');
    this.nextPositionStmt = db.prepare('SELECT coalesce(max(position), 0) + 1 AS next FROM tags WHERE arn = ?');
  }

  list(arn: string): Tag[] {
    this.tracker.readOther();
    return this.listStmt.all(arn).map((row: any) => ({ Key: row.key, Value: row.value }));
  }

  put(arn: string, tags: Tag[]): void {
    this.tracker.beforeWrite();
    let position = (this.nextPositionStmt.get(arn) as { next: number }).next;
    for (const tag of tags) this.upsertStmt.run(arn, tag.Key, tag.Value, position++);
  }

  remove(arn: string, keys: string[]): void {
    this.tracker.beforeWrite();
    for (const key of keys) this.removeStmt.run(arn, key);
  }

  removeAll(arn: string): void {
    this.tracker.beforeWrite();
    this.removeAllStmt.run(arn);
  }
}

export class EventRepository {
  private readonly insertStmt;
  private readonly queryStmt;

  constructor(
    db: Db,
    private readonly tracker: CallTracker,
  ) {
    this.insertStmt = db.prepare(
      'INSERT INTO events (account, region, source_type, source_id, message, date) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.queryStmt = db.prepare(
      `SELECT * FROM events WHERE account = ? AND region = ? AND date >= ? AND date <= ?
       ORDER BY date DESC, seq DESC`,
    );
  }

  record(scope: Scope, sourceType: string, sourceId: string, message: string, date = Date.now()): void {
    this.tracker.beforeWrite();
    this.insertStmt.run(scope.account, scope.region, sourceType, sourceId, message, date);
  }

  /** Newest first, within [start, end]. */
  query(scope: Scope, start: number, end: number): StoredEvent[] {
    this.tracker.readOther();
    return this.queryStmt.all(scope.account, scope.region, start, end).map((row: any) => ({
      SourceIdentifier: row.source_id,
      SourceType: row.source_type,
      Message: row.message,
      Date: new Date(row.date),
    }));
  }
}

export class JobRepository {
  private readonly insertStmt;
  private readonly dueStmt;
  private readonly nextRunStmt;
  private readonly doneStmt;
  private readonly failStmt;
  private readonly retryStmt;
  private readonly cancelStmt;
  private readonly statusStmt;
  /** Ids of the jobs enqueued, due at once, since the last takeEnqueuedDue. */
  private enqueuedDue: number[] = [];

  constructor(
    db: Db,
    private readonly tracker: CallTracker,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO jobs (account, region, kind, resource_id, action, payload, run_after, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.dueStmt = db.prepare(
      "SELECT * FROM jobs WHERE status = 'pending' AND run_after <= ? ORDER BY run_after, id LIMIT 100",
    );
    this.nextRunStmt = db.prepare("SELECT min(run_after) AS next FROM jobs WHERE status = 'pending'");
    this.doneStmt = db.prepare("UPDATE jobs SET status = 'done', updated_at = ? WHERE id = ?");
    this.failStmt = db.prepare("UPDATE jobs SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?");
    this.retryStmt = db.prepare(
      'UPDATE jobs SET attempts = attempts + 1, last_error = ?, run_after = ?, updated_at = ? WHERE id = ?',
    );
    this.statusStmt = db.prepare('SELECT status FROM jobs WHERE id = ?');
    this.cancelStmt = db.prepare(
      `UPDATE jobs SET status = 'done', updated_at = ?
       WHERE status = 'pending' AND account = ? AND region = ? AND kind = ? AND resource_id = ? AND action = ?`,
    );
  }

  enqueue(scope: Scope, kind: string, resourceId: string, action: string, payload: object = {}, runAfter = 0): void {
    this.tracker.beforeWrite();
    const now = Date.now();
    const { lastInsertRowid } = this.insertStmt.run(
      scope.account, scope.region, kind, resourceId, action, JSON.stringify(payload), runAfter, now, now,
    );
    if (runAfter <= now) this.enqueuedDue.push(Number(lastInsertRowid));
  }

  /**
   * The jobs enqueued since the last call that were due at once (not those waiting for a maintenance window),
   * forgetting them. An API call takes them before and after its handler: the ids of its own new work, kept in
   * memory because two queries per call for them cost more than many a Describe.
   */
  takeEnqueuedDue(): number[] {
    const ids = this.enqueuedDue;
    this.enqueuedDue = [];
    return ids;
  }

  due(now = Date.now()): Job[] {
    this.tracker.readOther();
    return this.dueStmt.all(now).map(toJob);
  }

  isPending(id: number): boolean {
    this.tracker.readOther();
    return (this.statusStmt.get(id) as { status: string } | undefined)?.status === 'pending';
  }

  /** When the earliest pending job wants to run, or undefined when none is pending. */
  nextRunAt(): number | undefined {
    this.tracker.readOther();
    return (this.nextRunStmt.get() as { next: number | null }).next ?? undefined;
  }

  done(id: number): void {
    this.tracker.beforeWrite();
    this.doneStmt.run(Date.now(), id);
  }

  fail(id: number, error: string): void {
    this.tracker.beforeWrite();
    this.failStmt.run(error, Date.now(), id);
  }

  retry(id: number, error: string, runAfter: number): void {
    this.tracker.beforeWrite();
    this.retryStmt.run(error, runAfter, Date.now(), id);
  }

  /** Drops pending jobs of one action for one resource (a pending change superseded by a newer one). */
  cancel(scope: Scope, kind: string, resourceId: string, action: string): void {
    this.tracker.beforeWrite();
    this.cancelStmt.run(Date.now(), scope.account, scope.region, kind, resourceId, action);
  }
}

/**
 * Host addresses for node endpoints, handed out by an EndpointAllocator: normally every endpoint gets its own
 * loopback address so it can listen on the port the user asked for, as every node has its own address on AWS.
 */
export class EndpointRepository {
  private readonly takenStmt;
  private readonly insertStmt;
  private readonly getStmt;
  private readonly releaseStmt;

  constructor(
    db: Db,
    private readonly allocator: EndpointAllocator,
    private readonly tracker: CallTracker,
  ) {
    this.takenStmt = db.prepare('SELECT address, port FROM endpoints');
    this.insertStmt = db.prepare(
      `INSERT INTO endpoints (address, port, account, region, owner_kind, owner_id, role)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.getStmt = db.prepare(
      'SELECT address, port FROM endpoints WHERE account = ? AND region = ? AND owner_kind = ? AND owner_id = ? AND role = ?',
    );
    this.releaseStmt = db.prepare(
      `DELETE FROM endpoints WHERE account = ? AND region = ? AND owner_kind = ? AND owner_id = ?
       AND (? IS NULL OR role = ?)`,
    );
  }

  /** The endpoint of an owner's role (node id, "cfg", ...), allocating one on first use. */
  allocate(scope: Scope, ownerKind: string, ownerId: string, role: string, port: number): EndpointAllocation {
    this.tracker.readOther();
    const existing = this.getStmt.get(scope.account, scope.region, ownerKind, ownerId, role) as EndpointAllocation;
    if (existing) return existing;
    this.tracker.beforeWrite();
    const chosen = this.allocator.choose(this.takenStmt.all() as EndpointAllocation[], port);
    if (!chosen) throw new Error(`No free endpoint address left for port ${port}`);
    this.insertStmt.run(chosen.address, chosen.port, scope.account, scope.region, ownerKind, ownerId, role);
    return chosen;
  }

  /** The endpoint of an owner's role, if one has been allocated. */
  find(scope: Scope, ownerKind: string, ownerId: string, role: string): EndpointAllocation | undefined {
    this.tracker.readOther();
    return this.getStmt.get(scope.account, scope.region, ownerKind, ownerId, role) as EndpointAllocation | undefined;
  }

  /** Frees one role's endpoint, or all of the owner's when no role is given. */
  release(scope: Scope, ownerKind: string, ownerId: string, role?: string): void {
    this.tracker.beforeWrite();
    this.releaseStmt.run(scope.account, scope.region, ownerKind, ownerId, role ?? null, role ?? null);
  }
}

/** Picks a new endpoint's address and port, given those already handed out and the port the cluster asked for. */
export interface EndpointAllocator {
  choose(taken: EndpointAllocation[], requestedPort: number): EndpointAllocation | undefined;
}

/** Instance-wide settings, created on first use and never changed afterwards. */
export class SettingsRepository {
  private readonly getStmt;
  private readonly insertStmt;

  constructor(
    db: Db,
    private readonly tracker: CallTracker,
  ) {
    this.getStmt = db.prepare('SELECT value FROM settings WHERE name = ?');
    this.insertStmt = db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING');
  }

  /** The setting's value, storing `create()` first when it has none. */
  getOrCreate(name: string, create: () => string): string {
    this.tracker.readOther();
    const row = this.getStmt.get(name) as { value: string } | undefined;
    if (row) return row.value;
    this.tracker.beforeWrite();
    this.insertStmt.run(name, create());
    return (this.getStmt.get(name) as { value: string }).value;
  }
}

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

  close(): void {
    this.db.close();
  }
}
