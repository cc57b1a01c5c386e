import { rmSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { type CountersDatabase, ensureCountersTable } from './sql-schema.js';
import { SqlCounterStore } from './sql-store.js';

/** The side database beside the main SQLite file: `<main>.counters`, or in memory for an in-memory main. */
export function sideDatabasePath(mainPath: string): string {
  return mainPath === ':memory:' ? ':memory:' : `${mainPath}.counters`;
}

function open(file: string): SQLite.Database {
  const sqlite = new SQLite(file);
  try {
    // Counters are rewritten on every request: an fsync each (the main database's FULL) would
    // cost more than the request. Losing the last counts to a power cut is acceptable; WAL still
    // keeps the file consistent when a process dies, and the busy timeout lets the processes of
    // one machine (WORKERS) queue for the write lock instead of failing.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = OFF');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.prepare('SELECT count(*) FROM sqlite_master').get();
    return sqlite;
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

function isDamaged(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

/**
 * The counters of a SQLite deployment, in their own file so that per-request writes neither
 * fsync nor hold the main database's write lock. A damaged file (synchronous=OFF after a power
 * cut) is only counters: it is removed and started afresh.
 */
export async function openSqliteCounters(mainPath: string, onSweepError?: (err: unknown) => void): Promise<SqlCounterStore> {
  const file = sideDatabasePath(mainPath);
  let sqlite: SQLite.Database;
  try {
    sqlite = open(file);
  } catch (err) {
    if (!isDamaged(err)) throw err;
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    sqlite = open(file);
  }
  const db = new Kysely<CountersDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
  await ensureCountersTable(db);
  return new SqlCounterStore(db, () => db.destroy(), onSweepError);
}
