import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { CountersDatabase } from './sql-schema.js';
import { openSqliteCounters } from './sqlite-side.js';
import { SqlCounterStore } from './sql-store.js';
import type { CounterStore } from './store.js';

/**
 * The counter store for this configuration, chosen once at start: Redis when REDIS_URL is set,
 * else the PostgreSQL database itself (table `counters`, UNLOGGED), else a side SQLite file beside
 * the main one. Every choice is shared by all instances that share the rest of the data.
 */
export async function openCounterStore(config: Config, db: Db, log: FastifyBaseLogger): Promise<CounterStore> {
  const onSweepError = (err: unknown) => log.warn({ err }, 'sweeping expired counters failed');
  if (config.redis) {
    // Imported only when configured: the Redis client is not needed to start without it.
    const [{ connectRedis }, { RedisCounterStore }] = await Promise.all([import('./redis-connect.js'), import('./redis-store.js')]);
    return new RedisCounterStore(await connectRedis(config.redis.url, log), config.redis.keyPrefix);
  }
  if (config.database.kind === 'postgres') {
    // The same pool as the data: the table comes from migration 0003, unknown to the app's schema type.
    const counters = db.withTables<CountersDatabase>() as unknown as Kysely<CountersDatabase>;
    return new SqlCounterStore(counters, undefined, onSweepError);
  }
  return openSqliteCounters(config.database.path, onSweepError);
}
