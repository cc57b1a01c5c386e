import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { CounterStore } from '../../counters/store.js';
import type { Db } from '../../db/connect.js';
import { inTransaction } from '../../db/transaction.js';
import { DomainError } from '../../domain/errors.js';
import { invalidField } from '../../domain/issues.js';
import type { Mailer } from '../../mail/mailer.js';
import { hashPassword } from '../../security/passwords.js';
import { findUserByEmail, setPasswordHash } from '../users/index.js';
import { deleteSessionsOf, pendingReset, putPasswordReset, takePasswordReset } from './data.js';
import { RESET_TOKEN_MINUTES } from './schemas.js';
import { hashSecret, looksLikeSecret, newSecret } from './tokens.js';

export interface ResetDeps {
  db: Db;
  counters: CounterStore;
  config: Pick<Config, 'publicUrl' | 'production' | 'loginWindow' | 'loginMaxFailuresPerUser' | 'loginMaxFailuresPerAddress'>;
  log: FastifyBaseLogger;
  mailer: Mailer | null;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The email with the link: plain text and HTML saying the same. */
export function resetMail(to: string, username: string, link: string) {
  const lines = [
    `Hello ${username},`,
    '',
    `Someone (we hope you) asked to reset the password of your Butaca account. Open this link within ${RESET_TOKEN_MINUTES} minutes to choose a new one:`,
    '',
    link,
    '',
    'It works once. If you did not ask, ignore this email: your password stays as it is.',
  ];
  const html =
    `<p>Hello ${escapeHtml(username)},</p>` +
    `<p>Someone (we hope you) asked to reset the password of your Butaca account. Open this link within ${RESET_TOKEN_MINUTES} minutes to choose a new one:</p>` +
    `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>` +
    '<p>It works once. If you did not ask, ignore this email: your password stays as it is.</p>';
  return { to, subject: 'Reset your Butaca password', text: lines.join('\n'), html };
}

/**
 * A reset request, throttled per client address and per address asked about (the failed-login
 * limits), then answered at once, the same for a known and an unknown address: the lookup, the
 * token and the email happen after the answer, so neither its content nor its time tells whether
 * an account has the address. A mail server that is down or refuses is logged, never answered.
 */
export async function requestPasswordReset(deps: ResetDeps, ip: string, email: string): Promise<void> {
  const window = deps.config.loginWindow * 1000;
  let byEmail, byAddress;
  try {
    [byEmail, byAddress] = await Promise.all([deps.counters.hit(`reset:email:${email.trim().toLowerCase()}`, window), deps.counters.hit(`reset:addr:${ip}`, window)]);
  } catch (err) {
    // Unthrottled, a reset request would be a way to flood mailboxes: refused until the counters answer, as logins are.
    deps.log.error({ err }, 'counters unavailable; refusing password-reset requests');
    throw new DomainError('login_check_unavailable', { retry_after: 5 });
  }
  const over = [
    [byEmail, deps.config.loginMaxFailuresPerUser],
    [byAddress, deps.config.loginMaxFailuresPerAddress],
  ].find(([state, max]) => (state as { count: number }).count > (max as number));
  if (over) throw new DomainError('too_many_requests', { retry_after: Math.max(1, Math.ceil(((over[0] as { resetAt: number }).resetAt - Date.now()) / 1000)) });
  setImmediate(() => void sendReset(deps, email.trim()));
}

async function sendReset(deps: ResetDeps, email: string): Promise<void> {
  try {
    const user = await findUserByEmail(deps.db, email);
    if (!user) return;
    const token = newSecret();
    await putPasswordReset(deps.db, user.id, hashSecret(token), new Date(Date.now() + RESET_TOKEN_MINUTES * 60_000).toISOString());
    const link = `${deps.config.publicUrl}/reset-password?token=${token}`;
    if (deps.mailer) {
      await deps.mailer.send(resetMail(user.email, user.username, link));
      deps.log.info({ userId: user.id }, 'password reset email sent');
    } else if (!deps.config.production) {
      // Development without a mail server: the link, so the flow can be tried. Never in production.
      deps.log.warn({ userId: user.id, link }, 'password reset link (no SMTP_URL, so not emailed)');
    } else {
      deps.log.error({ userId: user.id }, 'a password reset was asked for, but SMTP_URL is not set: no email sent');
    }
  } catch (err) {
    // The member sees the same 202 as anyone; the operator sees why no email left.
    deps.log.error({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'password reset email failed');
  }
}

/**
 * Spends a reset token and sets the password: every session of the member ends with it, in one
 * transaction. A token that is unknown, spent, replaced by a newer one or older than 30 minutes is a 422.
 */
export async function confirmPasswordReset(db: Db, token: string, newPassword: string): Promise<void> {
  if (!looksLikeSecret(token)) throw invalidField(['body', 'token'], 'reset_token_invalid');
  // The token is checked before argon2id runs: made-up tokens cost a lookup, not a hash each.
  if (!(await pendingReset(db, hashSecret(token), new Date().toISOString()))) throw invalidField(['body', 'token'], 'reset_token_invalid');
  const hash = await hashPassword(newPassword);
  const done = await inTransaction(db, async (trx) => {
    const userId = await takePasswordReset(trx, hashSecret(token), new Date().toISOString());
    if (userId === undefined) return false;
    await setPasswordHash(trx, userId, hash);
    await deleteSessionsOf(trx, userId);
    return true;
  });
  if (!done) throw invalidField(['body', 'token'], 'reset_token_invalid');
}
