import { type Kysely, sql } from 'kysely';
import type { CounterState, CounterStore } from './store.js';
import type { CountersDatabase } from './sql-schema.js';

const SWEEP_EVERY_MS = 60_000;

/**
 * Counters in a SQL table, on SQLite or PostgreSQL alike. A hit is one upsert with RETURNING, so
 * concurrent hits from any number of processes each see their own count. Times come from this
 * process's clock; instances on different hosts are assumed to keep theirs in sync (NTP).
 */
export class SqlCounterStore implements CounterStore {
  private readonly sweeper: NodeJS.Timeout;

  /** `onClose` releases what the store owns (a side database); a shared one is left alone. */
  constructor(
    private readonly db: Kysely<CountersDatabase>,
    private readonly onClose: () => Promise<void> = async () => {},
    onSweepError: (err: unknown) => void = () => {},
  ) {
    // Expired rows are dead weight only (hit() restarts an expired window in place), so a rare
    // sweep from every instance is enough, and it must not keep the process alive.
    this.sweeper = setInterval(() => {
      this.sweep().catch(onSweepError);
    }, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  async hit(key: string, windowMs: number): Promise<CounterState> {
    const now = Date.now();
    const expired = sql<boolean>`${sql.ref('counters.reset_at')} <= ${now}`;
    const row = await this.db
      .insertInto('counters')
      .values({ key, count: 1, reset_at: now + windowMs })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          count: sql<number>`CASE WHEN ${expired} THEN 1 ELSE ${sql.ref('counters.count')} + 1 END`,
          reset_at: sql<number>`CASE WHEN ${expired} THEN ${sql.ref('excluded.reset_at')} ELSE ${sql.ref('counters.reset_at')} END`,
        }),
      )
      .returning(['count', 'reset_at'])
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), resetAt: Number(row.reset_at) };
  }

  async peek(key: string): Promise<CounterState | null> {
    const row = await this.db
      .selectFrom('counters')
      .select(['count', 'reset_at'])
      .where('key', '=', key)
      .where('reset_at', '>', Date.now())
      .executeTakeFirst();
    return row ? { count: Number(row.count), resetAt: Number(row.reset_at) } : null;
  }

  async forgive(key: string): Promise<void> {
    await this.db
      .updateTable('counters')
      .set({ count: sql<number>`count - 1` })
      .where('key', '=', key)
      .where('count', '>', 0)
      .where('reset_at', '>', Date.now())
      .execute();
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('counters').where('key', '=', key).execute();
  }

  async sweep(): Promise<number> {
    const result = await this.db.deleteFrom('counters').where('reset_at', '<=', Date.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.onClose();
  }
}
