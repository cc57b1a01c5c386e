import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type LogConfig, PostgresAdapter, PostgresDialect } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type pgModule from 'pg';
import { setDataVersion, sqliteDataVersion } from './data-version.js';
import { GroupCommitSqliteDialect } from './group-commit.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

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

/** Prepared statements kept per connection: more than every query shape the service makes. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew, and preparing (parsing and planning the SQL)
 * cost as much as running the service's small indexed queries (9% of the CPU of a movie-list
 * request, bench/profile-summary.ts). The SQL of a query shape is the same on every request
 * (values are bound parameters), so each statement is prepared once and reused. Bounded, oldest
 * out first, in case some shape varies without end.
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver) as unknown;
      return (source: string) => {
        let statement = cache.get(source);
        if (statement === undefined) {
          statement = prepare(source);
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
          cache.set(source, statement);
        }
        return statement;
      };
    },
  });
}

/** `log` sees every query (the query-plan tests read the SQL the data layer really runs). */
export function connect(config: DatabaseConfig, options: { log?: LogConfig } = {}): Db {
  const log = options.log === undefined ? {} : { log: options.log };
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
    pool.on('connect', (client) => client.on('error', () => {}));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...log });
  }
  const sqlite = openSqlite(config.path);
  const dialect = new GroupCommitSqliteDialect({ database: withStatementCache(sqlite) });
  const db = new Kysely<Database>({ dialect, ...log });
  setDataVersion(db, sqliteDataVersion(sqlite, dialect.rollbacks));
  return db;
}

/**
 * True on PostgreSQL, where concurrent transactions really interleave (READ COMMITTED) and a row
 * that must not change under a transaction is locked with FOR UPDATE. SQLite runs one write
 * transaction at a time and has no FOR UPDATE.
 */
export function locksRows(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** How long a request waits for a PostgreSQL connection before it is answered 503. */
const CONNECT_TIMEOUT_MS = 5000;

// PostgreSQL's "the server cannot take you now" classes (admin shutdown, starting up, too many
// connections), and what pg and Node say when the server cannot be reached or stops answering.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'SQLITE_BUSY']);
const UNAVAILABLE_MESSAGES = /^(timeout exceeded when trying to connect|Connection terminated|Query read timeout)/;

/**
 * True when the database could not serve the query at all (unreachable, overloaded, shutting
 * down, or on SQLite locked by another process past the busy timeout): a 503 to try again, not a
 * fault of the request nor a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  return (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) || (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message));
}

/** True when a write failed on a UNIQUE constraint, on SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

export function nowIso(): string {
  return new Date().toISOString();
}
