import type { Db } from '../../db/connect.js';
import type { Role } from '../../domain/enums.js';
import { hashPassword } from '../../security/passwords.js';
import { deleteReviewsOfUser } from '../reviews/index.js';
import { deleteUserRow, insertUser, lockUser } from './data.js';
import type { User } from './schemas.js';

/** Registers a user (the API) or makes one (the command line, an administrator too): argon2id first, then the row. */
export async function createUser(db: Db, username: string, password: string, role: Role = 'user'): Promise<User> {
  return insertUser(db, username, await hashPassword(password), role);
}

/**
 * Deletes an account and everything of it, in one transaction: the user's row is locked first
 * (no new review of theirs can slip in), their reviews go through the reviews module, which
 * keeps each movie's aggregates exact, and the cascade takes the sessions.
 */
export async function deleteAccount(db: Db, userId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockUser(trx, userId);
    await deleteReviewsOfUser(trx, userId);
    await deleteUserRow(trx, userId);
  });
}
