/**
 * The data dir is private to the user who runs the emulator: the database holds AUTH tokens and the emulator's own
 * admin secret in plain text. The dir is 0700 and the database's files 0600, whatever umask created them and
 * whatever an earlier build left (0755 / 0644): existing ones are tightened at every start.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/** The SQLite files of a database: the file itself, its write-ahead log and its shared-memory index. */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

/** Creates the data dir private, or makes an existing one private. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(dir, PRIVATE_DIR);
}

/**
 * Makes the database's existing files private, creating the database file first when there is none: SQLite
 * creates the -wal and -shm files with the mode of the database file, so they are born private too.
 */
export function privateDatabaseFiles(file: string): void {
  // 'a' creates the file when it is missing and leaves an existing one as it is.
  closeSync(openSync(file, 'a', PRIVATE_FILE));
  for (const path of databaseFiles(file)) {
    try {
      chmodSync(path, PRIVATE_FILE);
    } catch (error) {
      // No -wal or -shm: the last run closed cleanly (SQLite removes them), or none ran yet.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
