/**
 * The reconciler's work queue: jobs of one action on one resource, due at a time, retried or failed by the
 * reconciler. It also remembers the jobs an API call enqueued for at once, so the call can wait on its own work.
 */
import type { CallTracker } from '../call-tracker.js';
import type { Db } from '../database.js';
import type { Job, Scope } from '../records.js';

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
      scope.account,
      scope.region,
      kind,
      resourceId,
      action,
      JSON.stringify(payload),
      runAfter,
      now,
      now,
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
