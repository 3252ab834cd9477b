/** Tags, by resource ARN, kept in the order they were first added. */
import type { CallTracker } from '../call-tracker.js';
import type { Db } from '../database.js';
import type { Tag } from '../records.js';

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
