import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { nowIso } from '../../db/connect.js';
import type { UsersTable } from '../../db/schema.js';
import { adjustScores } from '../movies/data.js';

export interface UserRow {
  id: number;
  username: string;
  role: UsersTable['role'];
  created_at: string;
}

const PUBLIC_COLUMNS = ['id', 'username', 'role', 'created_at'] as const;

export async function insertUser(db: Db, username: string, passwordHash: string, role: UsersTable['role'] = 'user'): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({ username, password_hash: passwordHash, role, created_at: nowIso() })
    .returning(PUBLIC_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Looks a user up ignoring case, through the same lower() expression the unique index is on. */
export async function findCredentials(db: Db, username: string): Promise<(UserRow & { password_hash: string }) | undefined> {
  return db
    .selectFrom('users')
    .select([...PUBLIC_COLUMNS, 'password_hash'])
    .where(sql`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
}

export async function findPasswordHash(db: Db, userId: number): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
  return row?.password_hash;
}

export async function setPasswordHash(db: Db, userId: number, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

export async function setRole(db: Db, username: string, role: UsersTable['role']): Promise<UserRow | undefined> {
  return db
    .updateTable('users')
    .set({ role })
    .where(sql`lower(username)`, '=', username.toLowerCase())
    .returning(PUBLIC_COLUMNS)
    .executeTakeFirst();
}

/**
 * Deletes a user; the cascade takes their sessions and reviews. The reviews' movies get their
 * counts and averages corrected in the same transaction, so the aggregates stay exact.
 */
export async function deleteUser(db: Db, userId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const perMovie = await trx
      .selectFrom('reviews')
      .select(['movie_id', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.sum<number>('score').as('total')])
      .where('user_id', '=', userId)
      .groupBy('movie_id')
      .execute();
    for (const { movie_id, n, total } of perMovie) {
      await adjustScores(trx, movie_id, -Number(n), -Number(total));
    }
    await trx.deleteFrom('users').where('id', '=', userId).execute();
  });
}
