import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type LogConfig, PostgresDialect } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type pgModule from 'pg';
import { queryTally } from '../metrics/registry.js';
import { type DataVersion, postgresDataVersion, sqliteDataVersion } from './data-version.js';
import { nameStatements } from './pg-statements.js';
import { WriteJournal } from './write-journal.js';
import { GroupCommitSqliteDialect } from './group-commit.js';
import type { Database } from './schema.js';
import { withStatementCache } from './statement-cache.js';

export type Db = Kysely<Database>;

/** How long a request waits for a PostgreSQL connection before it is answered 503. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * An open database: the query builder, and the data version that says whether anything changed
 * since a moment ago (src/db/data-version.ts). Whoever
 * opens it closes it (the server, a CLI command, a test), never the app that is handed it.
 */
export interface OpenDatabase {
  db: Db;
  dataVersion: DataVersion;
  /** Which rows this connection's writes touched (src/db/write-journal.ts); undefined on PostgreSQL. */
  journal: WriteJournal | undefined;
  close(): Promise<void>;
}

function openSqlite(file: string): SQLite.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL lets readers run beside the writer; FULL fsyncs every commit so an acknowledged write
  // survives power loss; the busy timeout makes a second process wait instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return sqlite;
}

/** `log` sees every query (the query-plan tests read the SQL the data layer really runs). */
export function openDatabase(config: DatabaseConfig, options: { log?: LogConfig } = {}): OpenDatabase {
  // Every query's time goes to the metrics (butaca_db_query_duration_seconds); a test's own logger sees them too.
  const given = options.log;
  const log: { log: LogConfig } = {
    log: (event) => {
      if (event.level === 'query') queryTally.observe(event.query.sql, event.queryDurationMillis / 1000);
      if (typeof given === 'function') given(event);
    },
  };
  if (config.kind === 'postgres') {
    // Loaded only here (synchronously: pg is CommonJS): a SQLite start does not pay for it (46 ms).
    const pg = createRequire(import.meta.url)('pg') as typeof pgModule;
    // Bounded waits: a PostgreSQL that is down, or that stops answering (a half-open
    // connection, a stuck server), fails the request after a while (503) instead of holding it
    // and its pooled connection for good.
    const pool = new pg.Pool({
      connectionString: config.url,
      max: config.poolSize,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      ...(config.queryTimeout > 0 ? { query_timeout: config.queryTimeout } : {}),
    });
    // An idle pooled connection that the server ends (restart, failover, pg_terminate_backend)
    // emits 'error' on the pool; without a listener that is an uncaught exception that kills the
    // process. The pool has already dropped the broken connection and opens a new one when needed.
    pool.on('error', () => {});
    // A connection lost while a request holds it (its query in flight) fails that query, which
    // answers 503, and also emits 'error' on the client, where the pool listens only while the
    // client is idle: unheard, that too would kill the process.
    pool.on('connect', (client) => {
      client.on('error', () => {});
      if (config.preparedStatements) nameStatements(client);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...log });
    return { db, dataVersion: postgresDataVersion(pool), journal: undefined, close: () => db.destroy() };
  }
  const sqlite = openSqlite(config.path);
  const dialect = new GroupCommitSqliteDialect({ database: withStatementCache(sqlite) });
  const db = new Kysely<Database>({ dialect, ...log });
  const journal = new WriteJournal(sqlite, dialect.rollbacks);
  return { db, dataVersion: sqliteDataVersion(sqlite, dialect.rollbacks, journal), journal, close: () => db.destroy() };
}

/** The query builder alone, for code that needs no data version (the CLI, migrations, tests' probes); its owner destroys it. */
export function connect(config: DatabaseConfig, options: { log?: LogConfig } = {}): Db {
  return openDatabase(config, options).db;
}
