/**
 * Repositories over the SQLite schema. Everything is scoped by account and region, as resources are on AWS.
 * Calls are synchronous (better-sqlite3); `transaction` makes one API call one transaction.
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

export class ResourceRepository {
  private readonly getStmt;
  private readonly listStmt;
  private readonly listAllStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
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
  }

  get<T>(scope: Scope, kind: string, id: string): StoredResource<T> | undefined {
    const row = this.getStmt.get(scope.account, scope.region, kind, id);
    return row ? toResource<T>(row) : undefined;
  }

  list<T>(scope: Scope, kind: string): StoredResource<T>[] {
    return this.listStmt.all(scope.account, scope.region, kind).map((row) => toResource<T>(row));
  }

  /** Every resource of a kind in every account and region, with its scope (for the reconciler). */
  listEverywhere<T>(kind: string): (StoredResource<T> & { scope: Scope })[] {
    return this.listAllStmt
      .all(kind)
      .map((row: any) => ({ ...toResource<T>(row), scope: { account: row.account, region: row.region } }));
  }

  /** Inserts a new resource; false when one with this id already exists (the loser of a race). */
  insert<T>(scope: Scope, kind: string, id: string, state: T, internal: Record<string, any> = {}, createdAt = Date.now()) {
    const result = this.insertStmt.run(
      scope.account,
      scope.region,
      kind,
      id,
      JSON.stringify(state),
      JSON.stringify(internal),
      createdAt,
    );
    return result.changes === 1;
  }

  update<T>(scope: Scope, kind: string, id: string, state: T, internal: Record<string, any>): void {
    this.updateStmt.run(JSON.stringify(state), JSON.stringify(internal), scope.account, scope.region, kind, id);
  }

  delete(scope: Scope, kind: string, id: string): void {
    this.deleteStmt.run(scope.account, scope.region, kind, id);
  }
}

export class TagRepository {
  private readonly listStmt;
  private readonly upsertStmt;
  private readonly removeStmt;
  private readonly removeAllStmt;
  private readonly nextPositionStmt;

  constructor(db: Db) {
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
    return this.listStmt.all(arn).map((row: any) => ({ Key: row.key, Value: row.value }));
  }

  put(arn: string, tags: Tag[]): void {
    let position = (this.nextPositionStmt.get(arn) as { next: number }).next;
    for (const tag of tags) this.upsertStmt.run(arn, tag.Key, tag.Value, position++);
  }

  remove(arn: string, keys: string[]): void {
    for (const key of keys) this.removeStmt.run(arn, key);
  }

  removeAll(arn: string): void {
    this.removeAllStmt.run(arn);
  }
}

export class EventRepository {
  private readonly insertStmt;
  private readonly queryStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      'INSERT INTO events (account, region, source_type, source_id, message, date) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.queryStmt = db.prepare(
      `SELECT * FROM events WHERE account = ? AND region = ? AND date >= ? AND date <= ?
       ORDER BY date DESC, seq DESC`,
    );
  }

  record(scope: Scope, sourceType: string, sourceId: string, message: string, date = Date.now()): void {
    this.insertStmt.run(scope.account, scope.region, sourceType, sourceId, message, date);
  }

  /** Newest first, within [start, end]. */
  query(scope: Scope, start: number, end: number): StoredEvent[] {
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
  private readonly dueSinceStmt;
  private readonly lastIdStmt;
  private readonly statusStmt;

  constructor(db: Db) {
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
    this.dueSinceStmt = db.prepare(
      "SELECT id FROM jobs WHERE id > ? AND status = 'pending' AND run_after <= ? ORDER BY id",
    );
    this.lastIdStmt = db.prepare('SELECT coalesce(max(id), 0) AS last FROM jobs');
    this.statusStmt = db.prepare('SELECT status FROM jobs WHERE id = ?');
    this.cancelStmt = db.prepare(
      `UPDATE jobs SET status = 'done', updated_at = ?
       WHERE status = 'pending' AND account = ? AND region = ? AND kind = ? AND resource_id = ? AND action = ?`,
    );
  }

  enqueue(scope: Scope, kind: string, resourceId: string, action: string, payload: object = {}, runAfter = 0): void {
    const now = Date.now();
    this.insertStmt.run(scope.account, scope.region, kind, resourceId, action, JSON.stringify(payload), runAfter, now, now);
  }

  due(now = Date.now()): Job[] {
    return this.dueStmt.all(now).map(toJob);
  }

  /** The newest job's id (0 when there is none). */
  lastId(): number {
    return (this.lastIdStmt.get() as { last: number }).last;
  }

  /** Jobs added after `id` that are due now (not those waiting for a maintenance window). */
  dueSince(id: number, now = Date.now()): number[] {
    return this.dueSinceStmt.all(id, now).map((row: any) => row.id as number);
  }

  isPending(id: number): boolean {
    return (this.statusStmt.get(id) as { status: string } | undefined)?.status === 'pending';
  }

  /** When the earliest pending job wants to run, or undefined when none is pending. */
  nextRunAt(): number | undefined {
    return (this.nextRunStmt.get() as { next: number | null }).next ?? undefined;
  }

  done(id: number): void {
    this.doneStmt.run(Date.now(), id);
  }

  fail(id: number, error: string): void {
    this.failStmt.run(error, Date.now(), id);
  }

  retry(id: number, error: string, runAfter: number): void {
    this.retryStmt.run(error, runAfter, Date.now(), id);
  }

  /** Drops pending jobs of one action for one resource (a pending change superseded by a newer one). */
  cancel(scope: Scope, kind: string, resourceId: string, action: string): void {
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
    const existing = this.getStmt.get(scope.account, scope.region, ownerKind, ownerId, role) as EndpointAllocation;
    if (existing) return existing;
    const chosen = this.allocator.choose(this.takenStmt.all() as EndpointAllocation[], port);
    if (!chosen) throw new Error(`No free endpoint address left for port ${port}`);
    this.insertStmt.run(chosen.address, chosen.port, scope.account, scope.region, ownerKind, ownerId, role);
    return chosen;
  }

  /** Frees one role's endpoint, or all of the owner's when no role is given. */
  release(scope: Scope, ownerKind: string, ownerId: string, role?: string): void {
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

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT value FROM settings WHERE name = ?');
    this.insertStmt = db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING');
  }

  /** The setting's value, storing `create()` first when it has none. */
  getOrCreate(name: string, create: () => string): string {
    const row = this.getStmt.get(name) as { value: string } | undefined;
    if (row) return row.value;
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

  constructor(
    readonly db: Db,
    allocator: EndpointAllocator,
  ) {
    this.resources = new ResourceRepository(db);
    this.tags = new TagRepository(db);
    this.events = new EventRepository(db);
    this.jobs = new JobRepository(db);
    this.endpoints = new EndpointRepository(db, allocator);
    this.settings = new SettingsRepository(db);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
