import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError, forbidden, unauthorized } from '../../http/errors.js';
import { type UserRow, findCredentials, findPasswordHash } from '../users/data.js';
import { addressKey, usernameKey } from './throttle.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';

export interface LoginLimits {
  maxPerUser: number;
  maxPerAddress: number;
}

/**
 * Counts a password attempt against the username and the client address before any waiting, and
 * answers 429 when either is over its limit. Counting up front matters: attempts sent in parallel
 * would otherwise all pass the check while the first ones are still being hashed. When the shared
 * counters cannot be reached the attempt is refused (503): an unthrottled password check is what
 * an attacker would wait for.
 */
async function takeAttempt(app: FastifyInstance, limits: LoginLimits, userKey: string, addrKey: string, what: string): Promise<void> {
  let wait: number;
  try {
    wait = await app.loginThrottle.take([
      { key: userKey, max: limits.maxPerUser },
      { key: addrKey, max: limits.maxPerAddress },
    ]);
  } catch (err) {
    app.log.error({ err }, 'login throttle store unavailable; refusing password checks');
    throw new HttpError(503, `Cannot check ${what} attempts right now; try again shortly`, { 'retry-after': '5' });
  }
  if (wait > 0) {
    throw new HttpError(429, `Too many failed ${what} attempts; try again later`, { 'retry-after': String(wait) });
  }
}

/**
 * A right password clears the username's count and gives the address its attempt back. A store
 * failure here costs at most a stale count, so the login stands.
 */
async function attemptSucceeded(app: FastifyInstance, userKey: string, addrKey: string): Promise<void> {
  await Promise.all([app.loginThrottle.reset(userKey), app.loginThrottle.forgive(addrKey)]).catch((err: unknown) => {
    app.log.warn({ err }, 'could not clear login attempt counts');
  });
}

const keysFor = (request: FastifyRequest, username: string) => [usernameKey(username), addressKey(request.ip)] as const;

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
  const [userKey, addrKey] = keysFor(request, username);
  await takeAttempt(app, limits, userKey, addrKey, 'login');
  const found = await findCredentials(app.db, username);
  const ok = found ? await verifyPassword(found.password_hash, password) : await verifyAgainstDummy(password);
  if (!found || !ok) throw unauthorized('Incorrect username or password');
  await attemptSucceeded(app, userKey, addrKey);
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
  const [userKey, addrKey] = keysFor(request, user.username);
  await takeAttempt(app, limits, userKey, addrKey, 'password');
  const hash = await findPasswordHash(app.db, user.userId);
  if (hash === undefined || !(await verifyPassword(hash, password))) throw forbidden(refusal);
  await attemptSucceeded(app, userKey, addrKey);
}
