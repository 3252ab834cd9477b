/**
 * Resources (clusters, groups, parameter groups, ...): each a row of its account, region and kind, holding the
 * API-shaped state and the emulator's internal data as JSON. Resources are read far more often than written (every
 * Describe, every waiter poll), so reads go through the ResourceCache and hand out copies: SQLite stays the only
 * truth, and every write still goes to it at once, in the caller's transaction.
 */
import type { CallTracker } from '../call-tracker.js';
import type { Db } from '../database.js';
import type { Scope, StoredResource } from '../records.js';
import { CachedResource, ResourceCache, type ReadStamp } from '../resource-cache.js';

function toResource<T>(row: any): StoredResource<T> {
  return { id: row.id, state: JSON.parse(row.state), internal: JSON.parse(row.internal), createdAt: row.created_at };
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

  /** Drops what is kept in memory: every row was just deleted by Store.clearAll. */
  forgetAll(): void {
    this.cache.forgetAll();
  }

  /** Every resource of a kind in every account and region, with its scope (for the reconciler). */
  listEverywhere<T>(kind: string): (StoredResource<T> & { scope: Scope })[] {
    this.tracker.readOther();
    return this.listAllStmt
      .all(kind)
      .map((row: any) => ({ ...toResource<T>(row), scope: { account: row.account, region: row.region } }));
  }

  /** Inserts a new resource; false when one with this id already exists (the loser of a race). */
  insert<T>(
    scope: Scope,
    kind: string,
    id: string,
    state: T,
    internal: Record<string, any> = {},
    createdAt = Date.now(),
  ) {
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
