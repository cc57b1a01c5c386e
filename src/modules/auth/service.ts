import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { CounterStore } from '../../counters/store.js';
import type { Db } from '../../db/connect.js';
import { DomainError, type ErrorCode } from '../../domain/errors.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../../security/passwords.js';
import { inTransaction } from '../../db/transaction.js';
import { loginFailures, loginThrottled } from '../../metrics/registry.js';
import { type Account, findCredentials, findPasswordHash, setPasswordHash } from '../users/index.js';
import { type SessionPolicy, deleteResetsOf, deleteSessionsOf } from './data.js';
import { LoginThrottle, addressKey, usernameKey } from './throttle.js';

/** What checking passwords needs, handed over once by the module's plugin: no service locator. */
export interface AuthDeps {
  db: Db;
  counters: CounterStore;
  config: Pick<Config, 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress' | 'loginWindow' | 'sessionIdleTimeout' | 'sessionMaxAge'>;
  log: FastifyBaseLogger;
}

/** The two kinds of password check, and what each says when refused or when it cannot be throttled. */
const CHECKS = {
  login: { throttled: 'login_throttled', unavailable: 'login_check_unavailable' },
  password: { throttled: 'password_throttled', unavailable: 'password_check_unavailable' },
} as const satisfies Record<string, { throttled: ErrorCode; unavailable: ErrorCode }>;

export interface AuthService {
  policy: SessionPolicy;
  /** A username and password, throttled per username and per client address; `invalid_credentials` either way they are wrong. */
  checkCredentials(ip: string, username: string, password: string): Promise<Account>;
  /** A signed-in user's password again (password change, account deletion), under the same throttle; `refusal` when wrong. */
  confirmPassword(ip: string, user: { userId: number; username: string }, password: string, refusal: ErrorCode): Promise<void>;
}

export function createAuthService({ db, counters, config, log }: AuthDeps): AuthService {
  const throttle = new LoginThrottle(counters, config.loginWindow);
  const limits = { maxPerUser: config.loginMaxFailuresPerUser, maxPerAddress: config.loginMaxFailuresPerAddress };

  /**
   * Counts a password attempt against the username and the client address before any waiting,
   * and refuses (429) when either is over its limit. Counting up front matters: attempts sent in
   * parallel would otherwise all pass the check while the first ones are still being hashed. When
   * the shared counters cannot be reached the attempt is refused (503): an unthrottled password
   * check is what an attacker would wait for.
   */
  async function takeAttempt(userKey: string, addrKey: string, check: keyof typeof CHECKS): Promise<void> {
    let wait: number;
    try {
      wait = await throttle.take([
        { key: userKey, max: limits.maxPerUser },
        { key: addrKey, max: limits.maxPerAddress },
      ]);
    } catch (err) {
      log.error({ err }, 'login throttle store unavailable; refusing password checks');
      throw new DomainError(CHECKS[check].unavailable, { retry_after: 5 });
    }
    if (wait > 0) {
      loginThrottled.inc();
      throw new DomainError(CHECKS[check].throttled, { retry_after: wait });
    }
  }

  /** A right password clears the username's count and gives the address its attempt back; a store failure here costs at most a stale count. */
  async function attemptSucceeded(userKey: string, addrKey: string): Promise<void> {
    await Promise.all([throttle.reset(userKey), throttle.forgive(addrKey)]).catch((err: unknown) => {
      log.warn({ err }, 'could not clear login attempt counts');
    });
  }

  return {
    policy: { idleTimeout: config.sessionIdleTimeout, maxAge: config.sessionMaxAge },

    // Unknown user and wrong password get the same answer after the same amount of hashing work.
    async checkCredentials(ip, username, password) {
      const [userKey, addrKey] = [usernameKey(username), addressKey(ip)];
      await takeAttempt(userKey, addrKey, 'login');
      const found = await findCredentials(db, username);
      const ok = found ? await verifyPassword(found.password_hash, password) : await verifyAgainstDummy(password);
      if (!found || !ok) {
        loginFailures.inc();
        throw new DomainError('invalid_credentials');
      }
      await attemptSucceeded(userKey, addrKey);
      return { id: found.id, username: found.username, role: found.role, created_at: found.created_at };
    },

    // A stolen session must not become a way to guess the password.
    async confirmPassword(ip, user, password, refusal) {
      const [userKey, addrKey] = [usernameKey(user.username), addressKey(ip)];
      await takeAttempt(userKey, addrKey, 'password');
      const hash = await findPasswordHash(db, user.userId);
      if (hash === undefined || !(await verifyPassword(hash, password))) {
        loginFailures.inc();
        throw new DomainError(refusal);
      }
      await attemptSucceeded(userKey, addrKey);
    },
  };
}

/**
 * Sets a member's password and ends every session of theirs, in one transaction: whoever held a
 * session (perhaps the reason for the reset) is out at once, and no session outlives the change.
 */
export async function resetPassword(db: Db, userId: number, password: string): Promise<void> {
  const hash = await hashPassword(password);
  await inTransaction(db, async (trx) => {
    await setPasswordHash(trx, userId, hash);
    await deleteSessionsOf(trx, userId);
    await deleteResetsOf(trx, userId);
  });
}
