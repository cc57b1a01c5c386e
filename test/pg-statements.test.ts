import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ConfigError, loadConfig } from '../src/config.js';
import { type OpenDatabase, openDatabase } from '../src/db/connect.js';
import { type TestPgDatabase, createTestDatabase, testDatabaseKind } from './support/pg.js';

// Named prepared statements on PostgreSQL (src/db/pg-statements.ts): each pooled connection
// parses a statement once. A pool of one connection, so that what it prepared can be read back
// from pg_prepared_statements (which shows the session's own).
describe('DATABASE_PREPARED_STATEMENTS', () => {
  it('is on by default, and takes on or off, refusing anything else by name', () => {
    const url = 'postgres://u@127.0.0.1/db';
    const kindOf = (env: Record<string, string>) => loadConfig({ DATABASE_URL: url, ...env }).database;
    assert.deepEqual([kindOf({}), kindOf({ DATABASE_PREPARED_STATEMENTS: 'off' }), kindOf({ DATABASE_PREPARED_STATEMENTS: 'ON' })].map((d) => d.kind === 'postgres' && d.preparedStatements), [true, false, true]);
    assert.throws(() => kindOf({ DATABASE_PREPARED_STATEMENTS: 'yes' }), (err: unknown) => err instanceof ConfigError && /DATABASE_PREPARED_STATEMENTS: must be on or off/.test(err.message));
  });
});

describe('named prepared statements on PostgreSQL', { skip: testDatabaseKind() !== 'postgres' && 'PostgreSQL only (run by npm run test:pg)' }, () => {
  let database: TestPgDatabase;
  const open = (preparedStatements: boolean): OpenDatabase => openDatabase({ kind: 'postgres', url: database.url, poolSize: 1, queryTimeout: 0, preparedStatements });
  const prepared = async (db: OpenDatabase['db']) => (await sql<{ statement: string }>`select statement from pg_prepared_statements order by prepare_time`.execute(db)).rows.map((r) => r.statement);

  before(async () => {
    database = await createTestDatabase();
    const db = open(false);
    await sql`create table t (id int primary key, title text)`.execute(db.db);
    await sql`insert into t values (1, 'uno'), (2, 'dos')`.execute(db.db);
    await db.close();
  });
  after(async () => database.drop());

  it('parses a statement with parameters once per connection, and leaves those without alone', async () => {
    const db = open(true);
    try {
      const titleOf = (id: number) => db.db.selectFrom('t' as never).select('title' as never).where('id' as never, '=', id as never).executeTakeFirst() as Promise<{ title: string } | undefined>;
      assert.deepEqual(await Promise.all([titleOf(1), titleOf(2), titleOf(1)]), [{ title: 'uno' }, { title: 'dos' }, { title: 'uno' }]);
      assert.deepEqual(await prepared(db.db), ['select "title" from "t" where "id" = $1'], 'one statement for three calls; the parameterless ones unnamed');
    } finally {
      await db.close();
    }
  });

  it('prepares nothing with DATABASE_PREPARED_STATEMENTS=off', async () => {
    const db = open(false);
    try {
      assert.equal((await sql<{ title: string }>`select title from t where id = ${2}`.execute(db.db)).rows[0]?.title, 'dos');
      assert.deepEqual(await prepared(db.db), []);
    } finally {
      await db.close();
    }
  });

  it('prepares afresh once another process changed the columns a statement returns', async () => {
    const db = open(true);
    const other = open(false);
    try {
      const row = () => sql<Record<string, unknown>>`select * from t where id = ${1}`.execute(db.db).then((r) => r.rows[0]);
      assert.deepEqual(await row(), { id: 1, title: 'uno' });
      await sql`alter table t add column year int`.execute(other.db);
      // PostgreSQL refuses a named statement whose result columns changed (0A000) at most once:
      // the connection drops that name, and the next call prepares the new shape.
      const first = await row().catch((err: { code?: string }) => err);
      if (!(first && 'id' in first)) assert.equal((first as { code?: string }).code, '0A000');
      assert.deepEqual(await row(), { id: 1, title: 'uno', year: null });
    } finally {
      await other.close();
      await db.close();
    }
  });

  it('prepares afresh after a value that could not be sent (pg closes the statement on the server)', async () => {
    const db = open(true);
    try {
      const titleOf = (id: unknown) => sql<{ title: string }>`select title from t where id = ${id}`.execute(db.db).then((r) => r.rows[0]?.title);
      assert.equal(await titleOf(1), 'uno');
      const unsendable = {
        toPostgres() {
          throw new Error('cannot be sent');
        },
      };
      await assert.rejects(titleOf(unsendable), /cannot be sent/);
      assert.equal(await titleOf(2), 'dos', 'the same text works again on the same connection');
      assert.equal(await titleOf(1), 'uno');
    } finally {
      await db.close();
    }
  });
});
