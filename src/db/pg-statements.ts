import type pg from 'pg';

/** Distinct statements one connection names, at most; past it, the rest are sent unnamed. */
const MAX_NAMED = 1000;

/**
 * Errors after which a connection's name for a text is no longer good: the statement is gone on
 * the server (26000, invalid_sql_statement_name: pg closes a named statement when a value fails to
 * serialize on this side, though it still counts it as parsed), or its result's columns changed
 * under it (0A000 with this message: a `select *` after ALTER TABLE by another process).
 */
function retires(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code === '26000') return true;
  if (code === '0A000') return typeof message === 'string' && message.includes('cached plan must not change result type');
  // Thrown on this side before or while sending (a value pg cannot serialize): no SQLSTATE.
  return code === undefined;
}

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * Named prepared statements on a pooled connection. Kysely's driver sends `client.query(text,
 * values)`, which pg sends unnamed: PostgreSQL parses and plans it again on every call. Named
 * (one name per distinct text, per connection), it is parsed once and then only bound and
 * executed. Statements without parameters (BEGIN, COMMIT) keep the simple protocol, one message.
 *
 * The texts are Kysely's (`prepared()` and the builders, values always as parameters), so they are
 * few; a connection names at most MAX_NAMED and sends the rest unnamed. A name that is no longer
 * good (see `retires`) is dropped, and the next call with its text prepares it afresh. A pooler
 * that does not keep named statements per client (PgBouncer in transaction mode before 1.21, or
 * without max_prepared_statements) needs DATABASE_PREPARED_STATEMENTS=off.
 */
export function nameStatements(client: pg.PoolClient): void {
  const names = new Map<string, string>();
  // Never reused: a retired name may still be known to pg (and to the server) for its old text.
  let next = 0;
  const query = client.query.bind(client) as Query;
  (client as unknown as { query: Query }).query = (config, values, callback) => {
    if (typeof config !== 'string' || !Array.isArray(values) || values.length === 0 || callback !== undefined) return query(config, values, callback);
    let name = names.get(config);
    if (name === undefined) {
      if (names.size >= MAX_NAMED) return query(config, values);
      name = `b${next++}`;
      names.set(config, name);
    }
    return (query({ name, text: config, values }) as Promise<unknown>).catch((err: unknown) => {
      // The next call with this text prepares it afresh, under a new name.
      if (retires(err) && names.get(config) === name) names.delete(config);
      throw err;
    });
  };
}
