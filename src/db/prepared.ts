import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './connect.js';

/**
 * A value not known yet: built into a query in place of a real value, compiled into the SQL's
 * parameter list like any value, and replaced there by the real one on each run.
 */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A query of a fixed shape, built and compiled by Kysely once per database dialect and then run
 * with new values. Building and compiling a query cost more than running it on SQLite (≈ 70 µs
 * against ≈ 15 µs for a page of movies, bench/profile-summary.ts), and the hot queries have the
 * same SQL on every request: only their values change.
 *
 * `build` receives `values`, whose every property is a placeholder for the value of that name
 * passed to the returned function; it must use them only as values (in `where`, `limit`,
 * `offset`, `set`…), never to decide the query's shape. What does decide the shape (a sort
 * column, a filter present or not) goes in `shape`, and each shape is compiled once.
 */
export function prepared<Shape extends string | number | boolean | Record<string, string | number | boolean>, Values extends Record<string, unknown>, Row>(
  build: (db: Db, shape: Shape, values: Values) => Compilable<Row>,
): (db: Db, shape: Shape, values: Values) => Promise<Row[]> {
  const compiled = new Map<string, CompiledQuery<Row>>();
  const placeholders = new Proxy({} as Values, { get: (_target, name) => new Slot(String(name)) });
  return async (db, shape, values) => {
    // The SQL differs between dialects, not between a database and its transactions.
    const key = `${db.getExecutor().adapter.constructor.name}:${JSON.stringify(shape)}`;
    let query = compiled.get(key);
    if (query === undefined) {
      query = build(db, shape, placeholders).compile();
      compiled.set(key, query);
    }
    const parameters = query.parameters.map((p) => (p instanceof Slot ? values[p.name] : p));
    return (await db.executeQuery<Row>({ ...query, parameters })).rows;
  };
}

/**
 * An IN list of `n` values in a prepared query: placeholders named id0 … id(n-1), so each length
 * is one shape, compiled once (a page asks for up to 100 ids). `idValues` gives them their values.
 */
export const idSlots = (values: Record<string, unknown>, n: number): number[] => Array.from({ length: n }, (_, i) => values[`id${i}`] as number);
export const idValues = (ids: readonly number[]): Record<string, number> => Object.fromEntries(ids.map((id, i) => [`id${i}`, id]));
