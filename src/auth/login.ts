import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError, forbidden, unauthorized } from '../http/errors.js';
import { type UserRow, findCredentials, findPasswordHash } from '../routes/users/data.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';

export interface LoginLimits {
  maxPerUser: number;
  maxPerAddress: number;
}

/**
 * Counts a password attempt against the username and the client address before any waiting, and
 * answers 429 when either is over its limit. Counting up front matters: attempts sent in parallel
 * would otherwise all pass the check while the first ones are still being hashed.
 */
function takeAttempt(app: FastifyInstance, limits: LoginLimits, userKey: string, addressKey: string, what: string): void {
  const wait = Math.max(
    app.loginThrottle.retryAfter(userKey, limits.maxPerUser),
    app.loginThrottle.retryAfter(addressKey, limits.maxPerAddress),
  );
  if (wait > 0) {
    throw new HttpError(429, `Too many failed ${what} attempts; try again later`, { 'retry-after': String(wait) });
  }
  app.loginThrottle.fail(userKey);
  app.loginThrottle.fail(addressKey);
}

/** A right password clears the username's count and gives the address its attempt back. */
function attemptSucceeded(app: FastifyInstance, userKey: string, addressKey: string): void {
  app.loginThrottle.reset(userKey);
  app.loginThrottle.forgive(addressKey);
}

const keysFor = (request: FastifyRequest, username: string) => [`user:${username.toLowerCase()}`, `addr:${request.ip}`] as const;

/**
 * Checks a username and password, with throttling per username and per client address. Unknown
 * user and wrong password get the same answer after the same amount of hashing work.
 */
export async function checkCredentials(
  app: FastifyInstance,
  request: FastifyRequest,
  limits: LoginLimits,
  username: string,
  password: string,
): Promise<UserRow> {
  const [userKey, addressKey] = keysFor(request, username);
  takeAttempt(app, limits, userKey, addressKey, 'login');
  const found = await findCredentials(app.db, username);
  const ok = found ? await verifyPassword(found.password_hash, password) : await verifyAgainstDummy(password);
  if (!found || !ok) throw unauthorized('Incorrect username or password');
  attemptSucceeded(app, userKey, addressKey);
  const { password_hash: _hash, ...user } = found;
  return user;
}

/**
 * Checks the password of a signed-in user again (password change, account deletion), under the
 * same throttle as logins: a stolen session must not become a way to guess the password.
 */
export async function confirmPassword(
  app: FastifyInstance,
  request: FastifyRequest,
  limits: LoginLimits,
  user: { userId: number; username: string },
  password: string,
  refusal: string,
): Promise<void> {
  const [userKey, addressKey] = keysFor(request, user.username);
  takeAttempt(app, limits, userKey, addressKey, 'password');
  const hash = await findPasswordHash(app.db, user.userId);
  if (hash === undefined || !(await verifyPassword(hash, password))) throw forbidden(refusal);
  attemptSucceeded(app, userKey, addressKey);
}
