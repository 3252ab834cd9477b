/**
 * Opens the emulator's SQLite database (WAL) and brings its schema up to date. The schema is an ordered list of
 * migrations tracked by PRAGMA user_version; a database written by a newer emulator is refused, not guessed at.
 * Its dir and files are private to the user (private-files.ts).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { migrations } from './migrations/index.js';
import { privateDatabaseFiles, privateDir } from './private-files.js';

export type Db = Database.Database;

export function openDatabase(dataDir: string): Db {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    privateDir(dataDir);
    file = join(dataDir, 'elasticache-local.sqlite');
    privateDatabaseFiles(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // SQLite gives the -wal and -shm it creates the database file's mode; made sure of, since they hold its data too.
  if (file !== ':memory:') privateDatabaseFiles(file);
  // NORMAL would lose the last transactions on power loss; FULL keeps every acknowledged call.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `The database schema is version ${current}, newer than this emulator knows (${latest}). ` +
        'Use a newer elasticache-local or another --data-dir.',
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.up);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
