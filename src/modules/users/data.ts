import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { locksRows, nowIso } from '../../db/connect.js';
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
 *
 * Under concurrent writes (PostgreSQL): the user's row is locked first, so no new review of theirs
 * can be inserted (and then silently cascaded away) before the user goes; the reviews are deleted
 * with RETURNING, so the scores subtracted are the ones deleted, after any concurrent edit; and
 * the movies are adjusted in id order, as every other multi-movie writer would, so two account
 * deletions cannot deadlock.
 */
export async function deleteUser(db: Db, userId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .selectFrom('users')
      .select('id')
      .where('id', '=', userId)
      .$if(locksRows(trx), (qb) => qb.forUpdate())
      .execute();
    const gone = await trx.deleteFrom('reviews').where('user_id', '=', userId).returning(['movie_id', 'score']).execute();
    const perMovie = new Map<number, { n: number; total: number }>();
    for (const { movie_id, score } of gone) {
      const m = perMovie.get(movie_id) ?? { n: 0, total: 0 };
      m.n += 1;
      m.total += score;
      perMovie.set(movie_id, m);
    }
    for (const [movieId, { n, total }] of [...perMovie].sort(([a], [b]) => a - b)) {
      await adjustScores(trx, movieId, -n, -total);
    }
    await trx.deleteFrom('users').where('id', '=', userId).execute();
  });
}
