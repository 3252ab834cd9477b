import type { Migration } from './index.js';

/**
 * resources: every resource in its API shape (state) plus what the API does not show (internal), one row per
 *   account/region/kind/id. The primary key is what makes two concurrent creates of one id end in one winner.
 * tags: by ARN, in the order they were added (AWS lists them that way).
 * events: what DescribeEvents returns.
 * jobs: work the reconciler owes the world; unfinished rows are resumed after a restart.
 * endpoints: host addresses handed out to node endpoints, unique so two endpoints never share address:port.
 */
export const initialSchema: Migration = {
  version: 10,
  up: `
    CREATE TABLE resources (
      account TEXT NOT NULL,
      region TEXT NOT NULL,
      kind TEXT NOT NULL,
      id TEXT NOT NULL,
      state TEXT NOT NULL,
      internal TEXT NOT NULL DEFAULT '{}',
      created_at INTEGER NOT NULL,
      PRIMARY KEY (account, region, kind, id)
    ) STRICT;

    CREATE TABLE tags (
      arn TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (arn, key)
    ) STRICT;

    CREATE TABLE events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      account TEXT NOT NULL,
      region TEXT NOT NULL,
      source_type TEXT NOT NULL,
      source_id TEXT NOT NULL,
      message TEXT NOT NULL,
      date INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX events_by_scope_date ON events (account, region, date);

    CREATE TABLE jobs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      account TEXT NOT NULL,
      region TEXT NOT NULL,
      kind TEXT NOT NULL,
      resource_id TEXT NOT NULL,
      action TEXT NOT NULL,
      payload TEXT NOT NULL DEFAULT '{}',
      status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
      run_after INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX jobs_by_status ON jobs (status, run_after, id);

    CREATE TABLE endpoints (
      address TEXT NOT NULL,
      port INTEGER NOT NULL,
      account TEXT NOT NULL,
      region TEXT NOT NULL,
      owner_kind TEXT NOT NULL,
      owner_id TEXT NOT NULL,
      role TEXT NOT NULL,
      PRIMARY KEY (address, port),
      UNIQUE (account, region, owner_kind, owner_id, role)
    ) STRICT;
  `,
};
