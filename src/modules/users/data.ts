import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { isUniqueViolation } from '../../db/errors.js';
import { locksRows } from '../../db/locks.js';
import { nowIso } from '../../db/time.js';
import type { Role } from '../../domain/enums.js';
import { DomainError } from '../../domain/errors.js';
import type { User } from './schemas.js';

const PUBLIC_COLUMNS = ['id', 'username', 'role', 'created_at'] as const;

/** Makes a user; a username taken ignoring case (the unique index decides, also under concurrency) is `username_taken`. */
export async function insertUser(db: Db, username: string, passwordHash: string, role: Role = 'user'): Promise<User> {
  try {
    return await db
      .insertInto('users')
      .values({ username, password_hash: passwordHash, role, created_at: nowIso() })
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirstOrThrow();
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError('username_taken');
    throw err;
  }
}

export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  return db.selectFrom('users').select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Looks a user up ignoring case, through the same lower() expression the unique index is on. */
export async function findCredentials(db: Db, username: string): Promise<(User & { password_hash: string }) | undefined> {
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

export async function setRole(db: Db, username: string, role: Role): Promise<User | undefined> {
  return db
    .updateTable('users')
    .set({ role })
    .where(sql`lower(username)`, '=', username.toLowerCase())
    .returning(PUBLIC_COLUMNS)
    .executeTakeFirst();
}

/**
 * Locks the user's row until the transaction ends (PostgreSQL; SQLite runs one writer at a time),
 * so that nothing of theirs can be written, and then silently cascaded away, while the account goes.
 */
export async function lockUser(trx: Db, userId: number): Promise<void> {
  await trx
    .selectFrom('users')
    .select('id')
    .where('id', '=', userId)
    .$if(locksRows(trx), (qb) => qb.forUpdate())
    .execute();
}

/** Deletes the row; the cascade takes what the database ties to it (sessions, and whatever else is left). */
export async function deleteUserRow(trx: Db, userId: number): Promise<void> {
  await trx.deleteFrom('users').where('id', '=', userId).execute();
}
