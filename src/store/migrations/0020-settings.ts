import type { Migration } from './index.js';

/**
 * settings: facts about this emulator instance that must outlive a restart: its id (which tells its containers
 * and processes from another instance's) and the secret its renamed admin commands carry.
 */
export const settingsTable: Migration = {
  version: 20,
  up: `
    CREATE TABLE settings (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;
  `,
};
