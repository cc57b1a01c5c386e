import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError, unauthorized } from '../http/errors.js';
import { type UserRow, findCredentials } from '../routes/users/data.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';

export interface LoginLimits {
  maxPerUser: number;
  maxPerAddress: number;
}

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
  const userKey = `user:${username.toLowerCase()}`;
  const addressKey = `addr:${request.ip}`;
  const wait = Math.max(
    app.loginThrottle.retryAfter(userKey, limits.maxPerUser),
    app.loginThrottle.retryAfter(addressKey, limits.maxPerAddress),
  );
  if (wait > 0) {
    throw new HttpError(429, 'Too many failed login attempts; try again later', { 'retry-after': String(wait) });
  }
  const found = await findCredentials(app.db, username);
  const ok = found ? await verifyPassword(found.password_hash, password) : await verifyAgainstDummy(password);
  if (!found || !ok) {
    app.loginThrottle.fail(userKey);
    app.loginThrottle.fail(addressKey);
    throw unauthorized('Incorrect username or password');
  }
  app.loginThrottle.reset(userKey);
  const { password_hash: _hash, ...user } = found;
  return user;
}
