import type { Db } from './connect.js';
import { prepared } from './prepared.js';

const countOf = prepared((db, table: 'movies' | 'reviews', _v: Record<string, never>) =>
  db
    .selectFrom('row_counts')
    .select((eb) => eb.fn.sum<number | string | null>('n').as('n'))
    .where('name', '=', table),
);

/** The exact number of rows of a table, from the counts its triggers keep (migration 0004). */
export async function rowCount(db: Db, table: 'movies' | 'reviews'): Promise<number> {
  const [row] = await countOf(db, table, {});
  // PostgreSQL's sum of a bigint is a numeric, which pg returns as a string.
  return Number(row?.n ?? 0);
}
