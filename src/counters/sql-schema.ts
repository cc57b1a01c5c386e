import type { Kysely } from 'kysely';

export interface CountersTable {
  /** What is counted, e.g. `login:addr:203.0.113.7`; usernames appear only hashed. */
  key: string;
  count: number;
  /** End of the current window, epoch milliseconds (bigint: comes back as a string from pg). */
  reset_at: number | string;
}

export type CountersDatabase = {
  counters: CountersTable;
};

/**
 * The table in the side SQLite database of counters (sqlite-side.ts), which no migration reaches.
 * The main database gets the same table from migration 0003.
 */
export async function ensureCountersTable(db: Kysely<CountersDatabase>): Promise<void> {
  await db.schema
    .createTable('counters')
    .ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('reset_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('counters_reset_at').ifNotExists().on('counters').column('reset_at').execute();
}
