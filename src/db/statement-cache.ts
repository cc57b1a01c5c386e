import type SQLite from 'better-sqlite3';

/** Prepared statements kept per connection: more than every query shape the service makes. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew, and preparing (parsing and planning the SQL)
 * cost as much as running the service's small indexed queries (9% of the CPU of a movie-list
 * request, bench/profile-summary.ts). The SQL of a query shape is the same on every request
 * (values are bound parameters), so each statement is prepared once and reused. Bounded, oldest
 * out first, in case some shape varies without end.
 */
export function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
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
