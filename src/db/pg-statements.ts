import type pg from 'pg';

/** Distinct statements one connection names, at most; past it, the rest are sent unnamed. */
const MAX_NAMED = 1000;

/** PostgreSQL's feature_not_supported: what a named statement whose result columns changed under it (a `select *` after ALTER TABLE) answers. */
const CACHED_PLAN_CHANGED = '0A000';

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * Named prepared statements on a pooled connection. Kysely's driver sends `client.query(text,
 * values)`, which pg sends unnamed: PostgreSQL parses and plans it again on every call. Named
 * (one name per distinct text, per connection), it is parsed once and then only bound and
 * executed. Statements without parameters (BEGIN, COMMIT) keep the simple protocol, one message.
 *
 * The texts are Kysely's (`prepared()` and the builders, values always as parameters), so they are
 * few; a connection names at most MAX_NAMED and sends the rest unnamed. A named statement that
 * fails because its result's columns changed (DDL by another process) makes this connection forget
 * every name, so the next call prepares afresh. A pooler that does not keep named statements per
 * client (PgBouncer in transaction mode before 1.21, or without max_prepared_statements) needs
 * DATABASE_PREPARED_STATEMENTS=off.
 */
export function nameStatements(client: pg.PoolClient): void {
  const names = new Map<string, string>();
  let generation = 0;
  const query = client.query.bind(client) as Query;
  (client as unknown as { query: Query }).query = (config, values, callback) => {
    if (typeof config !== 'string' || !Array.isArray(values) || values.length === 0 || callback !== undefined) return query(config, values, callback);
    let name = names.get(config);
    if (name === undefined) {
      if (names.size >= MAX_NAMED) return query(config, values);
      name = `b${generation}_${names.size}`;
      names.set(config, name);
    }
    return (query({ name, text: config, values }) as Promise<unknown>).catch((err: unknown) => {
      if ((err as { code?: unknown } | null)?.code === CACHED_PLAN_CHANGED) {
        names.clear();
        generation += 1;
      }
      throw err;
    });
  };
}
