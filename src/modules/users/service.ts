import type { Db } from '../../db/connect.js';
import type { Role } from '../../domain/enums.js';
import { hashPassword } from '../../security/passwords.js';
import type { MediaStore } from '../../storage/store.js';
import { type WarnLog, deleteAvatar, removeFiles } from '../media/index.js';
import { deleteRatingsOfUser } from '../reviews/index.js';
import { deleteUserRow, findEmail, findUserById, insertUser, lockAccountRows, updateProfile } from './data.js';
import type { ProfileChanges, User } from './schemas.js';

/** Registers a user (the API) or makes one (the command line, an administrator too): argon2id first, then the row. */
export async function createUser(db: Db, username: string, password: string, role: Role = 'user', email: string | null = null): Promise<User> {
  const account = await insertUser(db, username, await hashPassword(password), role, email === null ? null : email.trim());
  const user = (await findUserById(db, account.id))!;
  return withEmail(user, email === null ? null : email.trim());
}

/**
 * A profile with its email, when it has one: only answers to the member and to administrators
 * carry it, and a member without one (every account of the course's clients) gets the course's
 * User object unchanged.
 */
const withEmail = (user: User, email: string | null | undefined): User => (email ? { ...user, email } : user);

/** The member's profile with their email: for themselves and administrators only. */
export async function findUserWithEmail(db: Db, userId: number): Promise<User | undefined> {
  const [user, email] = await Promise.all([findUserById(db, userId), findEmail(db, userId)]);
  return user && withEmail(user, email);
}

/** A profile field as stored: trimmed already (the route's hook), and an empty one is none. */
const orNull = (value: string | null): string | null => (value === null || value === '' ? null : value);

/** Changes the profile fields sent (an empty or null one clears it) and answers the profile. */
export async function changeProfile(db: Db, userId: number, body: ProfileChanges): Promise<User> {
  const current = await findUserById(db, userId);
  if (!current) throw new Error(`user ${userId} vanished under its own session`);
  const changes: ProfileChanges = {};
  // Only what differs is written: a PATCH of what is already there changes nothing.
  if (body.display_name !== undefined && orNull(body.display_name) !== current.display_name) changes.display_name = orNull(body.display_name);
  if (body.bio !== undefined && orNull(body.bio) !== current.bio) changes.bio = orNull(body.bio);
  const email = await findEmail(db, userId);
  if (body.email !== undefined && orNull(body.email) !== email) changes.email = orNull(body.email);
  await updateProfile(db, userId, changes);
  const { email: newEmail, ...profile } = changes;
  return withEmail({ ...current, ...profile }, newEmail === undefined ? email : newEmail);
}

/**
 * Deletes an account and everything of it, in one transaction: the user's row is locked first
 * with its neighbours' (no new review of theirs can slip in), their ratings and reviews go through the reviews module,
 * which keeps each movie's aggregates exact, and the cascade takes the rest (sessions, diary,
 * watchlist, likes, comments, follows, lists, activity), its counts' rows locked first in one order
 * (`lockAccountRows`). The avatar's files go once the rows are gone.
 */
export async function deleteAccount(db: Db, store: MediaStore, log: WarnLog, userId: number): Promise<void> {
  const avatar = await db.transaction().execute(async (trx) => {
    // The member's row among the others, in id order (not first): see lockAccountRows.
    await lockAccountRows(trx, userId);
    await deleteRatingsOfUser(trx, userId);
    const prefix = await deleteAvatar(trx, userId);
    await deleteUserRow(trx, userId);
    return prefix;
  });
  if (avatar) await removeFiles(store, log, [avatar]);
}
