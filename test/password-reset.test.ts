import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { ensureDevCert } from '../src/tls/dev-cert.js';
import { type LogLine, type TestContext, adminToken, bearer, memoryLogger, startApp } from './support/app.js';

/*
 * community.md, "Account recovery and email", and operations.md's PUBLIC_URL, SMTP_URL,
 * MAIL_FROM: an optional email, unique ignoring case and private; a reset asked for by email,
 * answered 202 alike (and as fast) for known and unknown addresses; real mail over SMTP to an
 * SMTP server running here on loopback (smtp-server), parsed (mailparser) and its link followed;
 * the token single-use, 30 minutes, spent by a newer one; the password set and every session
 * ended; throttles; a mail server that is down; no mail server in development or production.
 */

interface Smtp {
  url: (scheme?: 'smtp' | 'smtps') => string;
  mails: ParsedMail[];
  close: () => Promise<void>;
}

const SMTP_USER = 'butaca';
const SMTP_PASS = 'smtp-secret-1';

/** An SMTP server on loopback that requires these credentials and keeps what it receives. */
async function smtpServer(tls?: { key: Buffer; cert: Buffer }): Promise<Smtp> {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    ...(tls ? { secure: true, key: tls.key, cert: tls.cert } : { allowInsecureAuth: true, disabledCommands: ['STARTTLS'] }),
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          mails.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
    logger: false,
  });
  // A client that gives up (the down-server test, a refused certificate) is that test's business, not an uncaught error.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: (scheme = tls ? 'smtps' : 'smtp') => `${scheme}://${SMTP_USER}:${SMTP_PASS}@${tls ? 'localhost' : '127.0.0.1'}:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function until<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const got = probe();
    if (got !== undefined) return got;
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const PUBLIC_URL = 'https://butaca.example.org';
let smtp: Smtp;
let ctx: TestContext;

before(async () => {
  smtp = await smtpServer();
  ctx = await startApp({ SMTP_URL: smtp.url(), PUBLIC_URL, MAIL_FROM: 'Butaca <hola@butaca.example.org>', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000' });
});
after(async () => {
  await ctx.close();
  await smtp.close();
});

const post = (url: string, payload: object, token?: string) => ctx.app.inject({ method: 'POST', url, payload, headers: token ? bearer(token) : {} });
const register = async (username: string, email?: string) => {
  const res = await post('/api/v1/users', { username, password: 'first-password-1', ...(email === undefined ? {} : { email }) });
  assert.equal(res.statusCode, 201, res.body);
  const login = await post('/auth', { username, password: 'first-password-1' });
  return { ...res.json<{ id: number; email?: string | null }>(), token: login.json<{ access_token: string }>().access_token };
};
const mailTo = (address: string, after = 0) =>
  until(`a mail to ${address}`, () => smtp.mails.slice(after).find((m) => (Array.isArray(m.to) ? m.to : [m.to]).some((t) => t?.text.includes(address))));
const tokenOf = (mail: ParsedMail): string => {
  const link = /https:\/\/butaca\.example\.org\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '');
  assert.ok(link, `no link in ${mail.text}`);
  return link[1]!;
};

describe('email on accounts', () => {
  it('is optional at registration, unique ignoring case, shown only to its owner and administrators, and changed with the password', async () => {
    const ana = await register('ana-mail', 'Ana@Example.org');
    assert.equal(ana.email, 'Ana@Example.org');
    const taken = await post('/api/v1/users', { username: 'ana-two', password: 'first-password-1', email: 'ana@example.ORG' });
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.json<{ code: string }>().code, 'email_taken');
    assert.equal((await post('/api/v1/users', { username: 'bad-mail', password: 'first-password-1', email: 'not an address' })).statusCode, 422);
    const plain = await register('no-mail');
    assert.ok(!('email' in plain), 'no email: the User object as the course has it');

    const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(ana.token) });
    assert.equal(me.json<{ email: string }>().email, 'Ana@Example.org');
    for (const url of [`/api/v1/users/${ana.id}`, '/api/v1/profiles/ana-mail']) {
      const seen = await ctx.app.inject({ method: 'GET', url, headers: bearer(plain.token) });
      assert.equal(seen.statusCode, 200);
      assert.ok(!('email' in seen.json<object>()), `${url} shows no email to another member`);
    }
    const admin = await adminToken(ctx, 'mail-admin');
    assert.equal((await ctx.app.inject({ method: 'GET', url: `/api/v1/users/${ana.id}`, headers: bearer(admin) })).json<{ email: string }>().email, 'Ana@Example.org');
    const search = await ctx.app.inject({ method: 'GET', url: '/api/v1/search?q=ana' });
    assert.doesNotMatch(search.body, /example\.org/i);

    const patch = (payload: object) => ctx.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(ana.token), payload });
    const without = await patch({ email: 'new@example.org' });
    assert.equal(without.statusCode, 422);
    assert.deepEqual(without.json<{ detail: { loc: string[] }[] }>().detail.map((d) => d.loc), [['body', 'password']]);
    assert.equal((await patch({ email: 'new@example.org', password: 'wrong-password' })).statusCode, 403);
    const changed = await patch({ email: 'new@example.org', password: 'first-password-1' });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(changed.json<{ email: string }>().email, 'new@example.org');
    assert.equal((await patch({ bio: 'No password needed for this.' })).statusCode, 200);
    const removed = await patch({ email: null, password: 'first-password-1' });
    assert.equal(removed.statusCode, 200);
    assert.ok(!('email' in removed.json<object>()), 'removed');
    // The login answer is the member's own: it carries their email (the account page shows it).
    await patch({ email: 'ana@example.org', password: 'first-password-1' });
    assert.equal((await post('/api/v1/users/login', { username: 'ana-mail', password: 'first-password-1' })).json<{ email: string }>().email, 'ana@example.org');
  });
});

describe('password reset', () => {
  it('mails a link (text and HTML, from MAIL_FROM, to PUBLIC_URL) that sets the password once and ends every session', async () => {
    const rosa = await register('rosa-reset', 'rosa@example.org');
    const before = smtp.mails.length;
    const asked = await post('/api/v1/users/password-reset', { email: 'ROSA@example.org' });
    assert.equal(asked.statusCode, 202);
    const mail = await mailTo('rosa@example.org', before);
    assert.equal(mail.subject, 'Reset your Butaca password');
    assert.match(mail.from?.text ?? '', /hola@butaca\.example\.org/);
    assert.match(String(mail.html), /<a href="https:\/\/butaca\.example\.org\/reset-password\?token=/);
    const token = tokenOf(mail);
    assert.ok(token.length >= 22, '≥ 128 bits');
    const stored = await ctx.db.selectFrom('password_resets').select('token_hash').execute();
    assert.ok(stored.every((r) => r.token_hash !== token), 'only a hash is stored');

    const confirm = await post('/api/v1/users/password-reset/confirm', { token, new_password: 'second-password-2' });
    assert.equal(confirm.statusCode, 204, confirm.body);
    assert.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(rosa.token) })).statusCode, 401, 'the session before is over');
    assert.equal((await post('/auth', { username: 'rosa-reset', password: 'first-password-1' })).statusCode, 401);
    assert.equal((await post('/auth', { username: 'rosa-reset', password: 'second-password-2' })).statusCode, 200);
    const again = await post('/api/v1/users/password-reset/confirm', { token, new_password: 'third-password-3' });
    assert.equal(again.statusCode, 422);
    assert.equal(again.json<{ detail: { type: string }[] }>().detail[0]!.type, 'reset_token_invalid');
  });

  it('answers an unknown address the same and sends nothing; a newer request spends the older link; an old link is refused', async () => {
    const before = smtp.mails.length;
    const unknown = await post('/api/v1/users/password-reset', { email: 'nobody@example.org' });
    assert.equal(unknown.statusCode, 202);
    const known = await register('kim-reset', 'kim@example.org');
    const answer = await post('/api/v1/users/password-reset', { email: 'kim@example.org' });
    assert.deepEqual(answer.json(), unknown.json(), 'the same answer');
    const first = tokenOf(await mailTo('kim@example.org', before));
    const count = smtp.mails.length;
    await post('/api/v1/users/password-reset', { email: 'kim@example.org' });
    const second = tokenOf(await mailTo('kim@example.org', count));
    assert.ok(!smtp.mails.some((m) => m.text?.includes('nobody@example.org')) && smtp.mails.every((m) => !(Array.isArray(m.to) ? m.to : [m.to]).some((t) => t?.text.includes('nobody'))), 'nothing to the unknown address');
    assert.equal((await post('/api/v1/users/password-reset/confirm', { token: first, new_password: 'kim-new-password' })).statusCode, 422, 'spent by the newer one');
    // Thirty minutes later.
    await ctx.db.updateTable('password_resets').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('user_id', '=', known.id).execute();
    assert.equal((await post('/api/v1/users/password-reset/confirm', { token: second, new_password: 'kim-new-password' })).statusCode, 422, 'expired');
    assert.equal((await post('/auth', { username: 'kim-reset', password: 'first-password-1' })).statusCode, 200, 'the password is unchanged');
  });

  it('a new email or a new password spends a link already sent', async () => {
    const lee = await register('lee-reset', 'lee@example.org');
    for (const change of ['email', 'password'] as const) {
      const count = smtp.mails.length;
      await post('/api/v1/users/password-reset', { email: change === 'email' ? 'lee@example.org' : 'lee2@example.org' });
      const token = tokenOf(await mailTo(change === 'email' ? 'lee@example.org' : 'lee2@example.org', count));
      const res =
        change === 'email'
          ? await ctx.app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(lee.token), payload: { email: 'lee2@example.org', password: 'first-password-1' } })
          : await ctx.app.inject({ method: 'PUT', url: '/api/v1/users/me/password', headers: bearer(lee.token), payload: { current_password: 'first-password-1', new_password: 'first-password-1' } });
      assert.ok(res.statusCode === 200 || res.statusCode === 204, res.body);
      assert.equal((await post('/api/v1/users/password-reset/confirm', { token, new_password: 'stolen-password-9' })).statusCode, 422, `after a new ${change}`);
    }
  });

  it("keeps a reset link's token out of the access log", async () => {
    const logs = memoryLogger('info');
    const app = await startApp({ PUBLIC_URL }, { logger: logs.logger });
    try {
      const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';
      await app.app.inject({ method: 'GET', url: `/reset-password?token=${token}` });
      await app.app.inject({ method: 'POST', url: '/api/v1/users/password-reset/confirm', payload: { token, new_password: 'whatever-password' } });
      const text = JSON.stringify(logs.lines());
      assert.match(text, /reset-password\?token=\[redacted\]/);
      assert.doesNotMatch(text, new RegExp(token));
    } finally {
      await app.close();
    }
  });

  it('takes the same time for a known and an unknown address', async () => {
    const emails: string[] = [];
    for (let i = 0; i < 15; i++) {
      await register(`timed-${i}`, `timed-${i}@example.org`);
      emails.push(`timed-${i}@example.org`);
    }
    const time = async (email: string) => {
      const started = process.hrtime.bigint();
      const res = await post('/api/v1/users/password-reset', { email });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.equal(res.statusCode, 202);
      // What happens after the answer (the lookup, and for a known address the token and the mail) is let finish, so the next request is not timed with it.
      await new Promise((resolve) => setTimeout(resolve, 60));
      return ms;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < emails.length; i++) {
      known.push(await time(emails[i]!));
      unknown.push(await time(`ghost-${i}@example.org`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const [k, u] = [median(known), median(unknown)];
    // Neither path does more before answering: the lookup, the token and the mail come after it.
    assert.ok(Math.abs(k - u) < Math.max(2, 0.5 * Math.min(k, u)), `known ${k.toFixed(2)} ms, unknown ${u.toFixed(2)} ms`);
  });

  it('throttles per address asked about (429 with Retry-After)', async () => {
    const statuses: number[] = [];
    let retry: string | undefined;
    for (let i = 0; i < 7; i++) {
      const res = await post('/api/v1/users/password-reset', { email: 'hammered@example.org' });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) retry = String(res.headers['retry-after']);
    }
    assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429, 429]);
    assert.ok(Number(retry) > 0);
  });
});

describe('mail delivery', () => {
  it('over implicit TLS (smtps://, the server’s CA from SMTP_CA_FILE) with authentication', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'butaca-smtp-tls-'));
    const cert = await ensureDevCert(dir);
    const secure = await smtpServer({ key: cert.key, cert: cert.cert });
    const app = await startApp({ SMTP_URL: secure.url('smtps'), SMTP_CA_FILE: cert.certFile, PUBLIC_URL });
    try {
      const res = await app.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'tls-user', password: 'first-password-1', email: 'tls@example.org' } });
      assert.equal(res.statusCode, 201);
      assert.equal((await app.app.inject({ method: 'POST', url: '/api/v1/users/password-reset', payload: { email: 'tls@example.org' } })).statusCode, 202);
      const mail = await until('the mail over TLS', () => secure.mails[0]);
      assert.match(mail.text ?? '', /reset-password\?token=/);
    } finally {
      await app.close();
      await secure.close();
    }
  });

  it('a mail server that is down: still 202, and the failure is logged without the address or the link', async () => {
    const down = await smtpServer();
    const url = down.url();
    await down.close();
    const logs = memoryLogger('info');
    const app = await startApp({ SMTP_URL: url, PUBLIC_URL }, { logger: logs.logger });
    try {
      await app.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'down-user', password: 'first-password-1', email: 'down@example.org' } });
      assert.equal((await app.app.inject({ method: 'POST', url: '/api/v1/users/password-reset', payload: { email: 'down@example.org' } })).statusCode, 202);
      const line = await until('the failure in the log', () => logs.lines().find((l: LogLine) => l.msg === 'password reset email failed'));
      assert.equal(line.level, 50);
      assert.doesNotMatch(JSON.stringify(logs.lines()), /down@example\.org|reset-password\?token|smtp-secret/);
    } finally {
      await app.close();
    }
  });

  it('without SMTP_URL: the link goes to the log at warn in development, never in production', async () => {
    for (const production of [false, true]) {
      const logs = memoryLogger('info');
      const app = await startApp({ PUBLIC_URL, ...(production ? { NODE_ENV: 'production' } : {}) }, { logger: logs.logger });
      try {
        await app.app.inject({ method: 'POST', url: '/api/v1/users', payload: { username: 'dev-user', password: 'first-password-1', email: 'dev@example.org' } });
        assert.equal((await app.app.inject({ method: 'POST', url: '/api/v1/users/password-reset', payload: { email: 'dev@example.org' } })).statusCode, 202);
        if (production) {
          await until('the error in the log', () => logs.lines().find((l) => /SMTP_URL is not set/.test(l.msg)));
          assert.doesNotMatch(JSON.stringify(logs.lines()), /reset-password\?token/);
        } else {
          const line = await until('the link in the log', () => logs.lines().find((l) => /not emailed/.test(l.msg)));
          assert.equal(line.level, 40);
          assert.match(String(line.link), /^https:\/\/butaca\.example\.org\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
        }
      } finally {
        await app.close();
      }
    }
  });
});
