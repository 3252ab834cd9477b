/** Instance-wide settings (name and value), such as the instance id and admin secret made on first start. */
import type { CallTracker } from '../call-tracker.js';
import type { Db } from '../database.js';

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
