/** The schema's history, oldest first. Never edit a released migration: add the next one. */
import { initialSchema } from './0010-initial-schema.js';
import { settingsTable } from './0020-settings.js';

export interface Migration {
  version: number;
  up: string;
}

export const migrations: Migration[] = [initialSchema, settingsTable];
