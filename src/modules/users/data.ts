import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { isUniqueViolation } from '../../db/errors.js';
import { locksRows } from '../../db/locks.js';
import { nowIso } from '../../db/time.js';
import type { Role } from '../../domain/enums.js';
import { DomainError } from '../../domain/errors.js';
import { idSlots, idValues, prepared } from '../../db/prepared.js';
import { avatarUrl } from '../media/index.js';
import type { Account, ProfileChanges, User } from './schemas.js';
import { type FullText, indexReader, tieredPage } from '../../db/fulltext.js';

const PUBLIC_COLUMNS = ['id', 'username', 'role', 'created_at'] as const;

/**
 * Users with their profile, avatar version and counts. The counts are counted as they are read,
 * each on an index that starts with user_id, so they are exact whatever deleted what (a movie's
 * deletion cascades through everyone's reviews, ratings and diaries); a profile of 10,000 diary
 * entries costs about a millisecond more to read than an empty one (README, figures).
 */
function selectUsers(db: Db) {
  return db
    .selectFrom('users')
    .leftJoin('avatars', 'avatars.user_id', 'users.id')
    .select((eb) => [
      'users.id',
      'users.username',
      'users.role',
      'users.created_at',
      'users.display_name',
      'users.bio',
      'users.diary_count',
      'users.follower_count',
      'users.following_count',
      'avatars.version as avatar_version',
      eb.selectFrom('reviews').select(eb.fn.countAll<number | string>().as('n')).whereRef('reviews.user_id', '=', 'users.id').as('review_count'),
      eb.selectFrom('ratings').select(eb.fn.countAll<number | string>().as('n')).whereRef('ratings.user_id', '=', 'users.id').as('rating_count'),
    ]);
}

type UserRow = Awaited<ReturnType<ReturnType<typeof selectUsers>['executeTakeFirstOrThrow']>>;

// Field by field, as the other row mappers: this runs once per user listed.
function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    created_at: row.created_at,
    display_name: row.display_name,
    bio: row.bio,
    avatar_url: row.avatar_version === null ? null : avatarUrl(row.id, row.avatar_version),
    // PostgreSQL's count is a bigint, which pg returns as a string.
    review_count: Number(row.review_count),
    rating_count: Number(row.rating_count),
    diary_count: row.diary_count,
    follower_count: row.follower_count,
    following_count: row.following_count,
  };
}

const userById = prepared((db, _shape: 'by id', v: { id: number }) => selectUsers(db).where('users.id', '=', v.id));
const userByName = prepared((db, _shape: 'by name', v: { key: string }) => selectUsers(db).where(sql`lower(username)`, '=', v.key));

/** A member's public profile (and the caller's own, the same object). */
export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  const [row] = await userById(db, 'by id', { id });
  return row && toUser(row);
}

const usersByIds = prepared((db, n: number, v: Record<string, number>) => selectUsers(db).where('users.id', 'in', idSlots(v, n)));

/** These members, in the order of `ids` (those that no longer exist left out). */
export async function findUsersByIds(db: Db, ids: number[]): Promise<User[]> {
  if (ids.length === 0) return [];
  const wanted = [...new Set(ids)];
  const rows = await usersByIds(db, wanted.length, idValues(wanted));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [toUser(row)] : [];
  });
}

/** A member by username, ignoring case, through the index the uniqueness rule is on. */
export async function findUserByName(db: Db, username: string): Promise<User | undefined> {
  const [row] = await userByName(db, 'by name', { key: username.toLowerCase() });
  return row && toUser(row);
}

/** True when the member exists (what the avatar routes need to tell a missing user from a missing avatar). */
export async function userExists(db: Db, id: number): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** Changes the profile fields sent; nothing at all when none of them differs. */
export async function updateProfile(db: Db, id: number, changes: ProfileChanges): Promise<void> {
  if (Object.keys(changes).length === 0) return;
  try {
    await db.updateTable('users').set(changes).where('id', '=', id).execute();
  } catch (err) {
    if (isUniqueViolation(err) && emailViolated(err)) throw new DomainError('email_taken');
    throw err;
  }
}

/** Makes a user; a username taken ignoring case (the unique index decides, also under concurrency) is `username_taken`. */
export async function insertUser(db: Db, username: string, passwordHash: string, role: Role = 'user', email: string | null = null): Promise<Account> {
  try {
    return await db
      .insertInto('users')
      .values({ username, password_hash: passwordHash, role, created_at: nowIso(), email })
      .returning(PUBLIC_COLUMNS)
      .executeTakeFirstOrThrow();
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError(emailViolated(err) ? 'email_taken' : 'username_taken');
    throw err;
  }
}

/** Whether a unique violation is the email's index (users_email_key): PostgreSQL names the constraint, SQLite the index in its message. */
function emailViolated(err: unknown): boolean {
  const e = err as { constraint?: string; message?: string };
  return e.constraint === 'users_email_key' || /users_email_key|users\.email|lower\(email\)/.test(e.message ?? '');
}

/** The member's email (undefined: no such member). */
export async function findEmail(db: Db, userId: number): Promise<string | null | undefined> {
  return (await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst())?.email;
}

/** The member with this email, ignoring case, through the lower() expression the unique index is on. */
export async function findUserByEmail(db: Db, email: string): Promise<{ id: number; username: string; email: string } | undefined> {
  const row = await db.selectFrom('users').select(['id', 'username', 'email']).where(sql`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
  return row && row.email !== null ? { id: row.id, username: row.username, email: row.email } : undefined;
}

/** Looks a user up ignoring case, through the same lower() expression the unique index is on. */
export async function findCredentials(db: Db, username: string): Promise<(Account & { password_hash: string }) | undefined> {
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

export async function setRole(db: Db, username: string, role: Role): Promise<Account | undefined> {
  return db
    .updateTable('users')
    .set({ role })
    .where(sql`lower(username)`, '=', username.toLowerCase())
    .returning(PUBLIC_COLUMNS)
    .executeTakeFirst();
}

/**
 * Locks, before an account's deletion (PostgreSQL), every row its cascade will update, each table
 * in id order: the member and everyone on either side of their follows (the follow counts), the
 * member's ratings, then the member's reviews and the reviews they liked or commented on (the like
 * and comment counts).
 * Each deletion's triggers would otherwise update them in the order of the member's likes and
 * follows, and two members who liked each other's reviews, deleting their accounts at once, would
 * wait for each other for ever (PostgreSQL would abort one). FOR UPDATE: nothing new may point at
 * these rows (no review, like or follow of theirs) while the account goes, to be cascaded away unseen.
 */
export async function lockAccountRows(trx: Db, userId: number): Promise<void> {
  if (!locksRows(trx)) return;
  await sql`select id from users
    where id = ${userId}
       or id in (select followed_id from follows where follower_id = ${userId})
       or id in (select follower_id from follows where followed_id = ${userId})
    order by id for update`.execute(trx);
  // The reviews module's order is a member's rating row, then the review, then the movie
  // (reviews/ratings.ts): the member's ratings are locked before any review.
  await sql`select movie_id from ratings where user_id = ${userId} order by movie_id for update`.execute(trx);
  await sql`select id from reviews
    where user_id = ${userId}
       or id in (select review_id from review_likes where user_id = ${userId})
       or id in (select review_id from comments where user_id = ${userId})
    order by id for update`.execute(trx);
}

/** Deletes the row; the cascade takes what the database ties to it (sessions, and whatever else is left). */
export async function deleteUserRow(trx: Db, userId: number): Promise<void> {
  await trx.deleteFrom('users').where('id', '=', userId).execute();
}

/** The members' full-text search: the username first, then the display name (migration 0009). */
const USERS_FULL_TEXT: FullText = {
  fts: 'users_fts',
  table: 'users',
  tiers: [
    { columns: ['username'], weight: 'A' },
    { columns: ['display_name'], weight: 'B' },
  ],
};

/** The members whose username or display name has every word: username matches first, then by id, from the index alone. */
export async function searchUserIds(db: Db, words: readonly string[], limit: number): Promise<number[]> {
  return tieredPage(indexReader(db, USERS_FULL_TEXT, words), USERS_FULL_TEXT.tiers.length, limit, 0);
}
