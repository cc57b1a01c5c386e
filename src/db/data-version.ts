import type SQLite from 'better-sqlite3';
import type { WriteJournal } from './write-journal.js';

/**
 * A value that changes whenever what the database holds may have changed: the test a cached
 * answer must pass to be served again (src/plugins/read-cache.ts).
 *
 * On SQLite it is cheap and exact: `PRAGMA data_version` changes when another connection (another
 * worker, a second instance on the same file, the CLI) commits; `total_changes()` counts every row
 * this connection has written, open batch included; and a batch that failed to COMMIT (whose
 * writes readers may already have seen, src/db/group-commit.ts) bumps `rollbacks`. PostgreSQL has
 * no such counter short of a round trip per request, so there is none there, and nothing is cached.
 */
export type DataVersion = () => string;

/** `journal`'s own read-outs (src/db/write-journal.ts) are left out of the count: they change no data. */
export function sqliteDataVersion(sqlite: SQLite.Database, rollbacks: { count: number }, journal: WriteJournal): DataVersion {
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  return () => `${String(dataVersion.get())}.${journal.dataChanges()}.${rollbacks.count}`;
}
