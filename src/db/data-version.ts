import type SQLite from 'better-sqlite3';
import type { WriteJournal } from './write-journal.js';

/**
 * A value that changes whenever what the database holds may have changed: the test a cached
 * answer must pass to be served again (src/plugins/read-cache.ts). Read before the answer is made,
 * so an answer is never kept under a version newer than the data it shows: a write between the
 * two only makes the next request miss.
 *
 * On SQLite it is cheap, exact and synchronous: `PRAGMA data_version` changes when another
 * connection (another worker, a second instance on the same file, the CLI) commits;
 * `total_changes()` counts every row this connection has written, open batch included; and a
 * batch that failed to COMMIT (whose writes readers may already have seen, src/db/group-commit.ts)
 * bumps `rollbacks`. On PostgreSQL it is a round trip (see postgresDataVersion).
 */
export type DataVersion = () => string | Promise<string>;

/** `journal`'s own read-outs (src/db/write-journal.ts) are left out of the count: they change no data. */
export function sqliteDataVersion(sqlite: SQLite.Database, rollbacks: { count: number }, journal: WriteJournal): DataVersion {
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  return () => `${String(dataVersion.get())}.${journal.dataChanges()}.${rollbacks.count}`;
}

const SNAPSHOT = { text: 'select pg_current_snapshot()::text', rowMode: 'array' as const };

/** What postgresDataVersion asks of a pg pool (a test may wrap one). */
export interface SnapshotSource {
  query(config: typeof SNAPSHOT): Promise<{ rows: unknown[][] }>;
}

/**
 * On PostgreSQL, the server's current snapshot as text (`xmin:xmax:xip,…`, 64-bit transaction ids):
 * it is the same at two moments only if no transaction committed in between, on any connection of
 * any instance. A transaction that commits was either in progress at the first moment (in its
 * list, and out of it at the second) or began after it (the second's `xmax` is past it). Read-only
 * transactions take no transaction id and move nothing; other databases of the same server do
 * (their writes only make answers here be made again, never kept too long).
 *
 * One round trip serves every lookup that asked before it was sent: a lookup that arrives while
 * one is in flight waits for the next, sent when that one is back, since the one in flight may
 * have read the snapshot before a commit this caller has already been told of. So at most one is
 * in flight, on one pooled connection, whatever the number of requests.
 */
export function postgresDataVersion(pool: SnapshotSource): DataVersion {
  let sent: Promise<string> | undefined;
  let queued: Promise<string> | undefined;
  const send = (): Promise<string> => {
    const query = pool.query(SNAPSHOT).then((result) => String(result.rows[0]![0]));
    sent = query;
    const settled = () => {
      if (sent === query) sent = undefined;
    };
    query.then(settled, settled);
    return query;
  };
  return () => {
    if (sent === undefined) return send();
    if (queued === undefined) {
      queued = sent.then(
        () => undefined,
        () => undefined,
      ).then(() => {
        queued = undefined;
        return send();
      });
    }
    return queued;
  };
}
