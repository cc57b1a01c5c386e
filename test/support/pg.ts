import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL half of the suite. With TEST_DATABASE=postgres, startApp() gives every app a
 * fresh database on the server at TEST_POSTGRES_URL (default: the local one, trust auth), made
 * with CREATE DATABASE and dropped WITH (FORCE) when the app closes.
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function testDatabaseKind(): 'sqlite' | 'postgres' {
  const kind = process.env.TEST_DATABASE ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`TEST_DATABASE must be sqlite or postgres, not "${kind}"`);
  return kind;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestPgDatabase {
  url: string;
  drop: () => Promise<void>;
}

/** A new, empty database on the test server; `drop` removes it (closing whatever is still connected). */
export async function createTestDatabase(): Promise<TestPgDatabase> {
  const name = `butaca_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      admin(async (c) => {
        // A closed pool's connections may still be on their way out: let them go before forcing.
        for (let i = 0; i < 100; i++) {
          const left = await c.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (Number(left.rows[0]?.n) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

/** True when the test server accepts a connection within `timeoutMs`. */
export async function postgresAnswers(timeoutMs = 1000): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
