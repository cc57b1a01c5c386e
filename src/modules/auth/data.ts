import type { Db } from '../../db/connect.js';
import { prepared } from '../../db/prepared.js';
import type { Principal } from '../../http/principal.js';
import { hashSecret, newSecret } from './tokens.js';

export interface SessionPolicy {
  /** Seconds of disuse after which a session ends. */
  idleTimeout: number;
  /** Seconds after creation after which a session ends regardless. */
  maxAge: number;
}

/** A live session and its user: the principal of a request, but for how the secret came. */
export type SessionUser = Omit<Principal, 'via'>;

// Writing last_seen_at on every request would turn each read into a write; a minute's
// precision is plenty for an idle timeout measured in hours.
const TOUCH_INTERVAL_MS = 60_000;

export async function createSession(db: Db, userId: number, policy: SessionPolicy): Promise<{ secret: string; expiresAt: Date }> {
  const secret = newSecret();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + policy.maxAge * 1000);
  await db
    .insertInto('sessions')
    .values({
      token_hash: hashSecret(secret),
      user_id: userId,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: expiresAt.toISOString(),
    })
    .execute();
  return { secret, expiresAt };
}

// Read on every signed-in request: compiled once (src/db/prepared.ts).
const sessionByHash = prepared((db, _shape: 'by hash', v: { hash: string }) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as session_id',
      'sessions.last_seen_at',
      'sessions.expires_at',
      'users.id as user_id',
      'users.username',
      'users.role',
      'users.created_at',
    ])
    .where('sessions.token_hash', '=', v.hash),
);

/** The live session a secret belongs to, or undefined; ends it on the spot if it has expired. */
export async function findSession(db: Db, secret: string, policy: SessionPolicy): Promise<SessionUser | undefined> {
  const [row] = await sessionByHash(db, 'by hash', { hash: hashSecret(secret) });
  if (!row) return undefined;
  const now = Date.now();
  const lastSeen = Date.parse(row.last_seen_at);
  if (Date.parse(row.expires_at) <= now || lastSeen + policy.idleTimeout * 1000 <= now) {
    await db.deleteFrom('sessions').where('id', '=', row.session_id).execute();
    return undefined;
  }
  // Never coarser than half the idle timeout, or a short timeout would end sessions still in use.
  if (now - lastSeen >= Math.min(TOUCH_INTERVAL_MS, (policy.idleTimeout * 1000) / 2)) {
    await db.updateTable('sessions').set({ last_seen_at: new Date(now).toISOString() }).where('id', '=', row.session_id).execute();
  }
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    username: row.username,
    role: row.role,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

export async function deleteSession(db: Db, sessionId: number): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

export async function deleteOtherSessions(db: Db, userId: number, keepSessionId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).where('id', '!=', keepSessionId).execute();
}

/** Removes sessions past either limit; run now and then so the table does not grow forever. */
export async function purgeExpiredSessions(db: Db, policy: SessionPolicy): Promise<number> {
  const now = Date.now();
  const idleCutoff = new Date(now - policy.idleTimeout * 1000).toISOString();
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', new Date(now).toISOString()), eb('last_seen_at', '<=', idleCutoff)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Ends every session of a member (a password reset). */
export async function deleteSessionsOf(db: Db, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** A member's pending reset: the newest replaces the one before (which is then spent). */
export async function putPasswordReset(db: Db, userId: number, tokenHash: string, expiresAt: string): Promise<void> {
  await db
    .insertInto('password_resets')
    .values({ user_id: userId, token_hash: tokenHash, created_at: new Date().toISOString(), expires_at: expiresAt })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ token_hash: tokenHash, created_at: new Date().toISOString(), expires_at: expiresAt }))
    .execute();
}

/** Spends the reset of this token hash, whatever its age; the member's id when it was still valid at `now`. */
export async function takePasswordReset(trx: Db, tokenHash: string, now: string): Promise<number | undefined> {
  const row = await trx.deleteFrom('password_resets').where('token_hash', '=', tokenHash).returning(['user_id', 'expires_at']).executeTakeFirst();
  return row && row.expires_at > now ? row.user_id : undefined;
}

/** Whether a reset of this token hash is pending and still valid at `now` (read only). */
export async function pendingReset(db: Db, tokenHash: string, now: string): Promise<boolean> {
  const row = await db.selectFrom('password_resets').select('expires_at').where('token_hash', '=', tokenHash).executeTakeFirst();
  return row !== undefined && row.expires_at > now;
}

/** A new email or password spends any pending reset: a link sent to the old mailbox must stop working. */
export async function deleteResetsOf(db: Db, userId: number): Promise<void> {
  await db.deleteFrom('password_resets').where('user_id', '=', userId).execute();
}
