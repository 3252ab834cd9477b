/** Events (DescribeEvents) of every resource, by account and region. */
import type { CallTracker } from '../call-tracker.js';
import type { Db } from '../database.js';
import type { Scope, StoredEvent } from '../records.js';

export class EventRepository {
  private readonly insertStmt;
  private readonly queryStmt;
  private readonly recentStmt;

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
    this.recentStmt = db.prepare('SELECT * FROM events ORDER BY date DESC, seq DESC LIMIT ?');
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

  /** The newest `limit` events of every account and region, newest first, each with its scope (for the console). */
  recentEverywhere(limit: number): (StoredEvent & { scope: Scope })[] {
    this.tracker.readOther();
    return this.recentStmt.all(limit).map((row: any) => ({
      SourceIdentifier: row.source_id,
      SourceType: row.source_type,
      Message: row.message,
      Date: new Date(row.date),
      scope: { account: row.account, region: row.region },
    }));
  }
}
