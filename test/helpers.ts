import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.js';
import { hashPassword } from '../src/auth/passwords.js';
import { type Config, loadConfig } from '../src/config.js';
import { type Db, connect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { insertUser } from '../src/routes/users/data.js';

export interface TestContext {
  app: FastifyInstance;
  db: Db;
  config: Config;
  close: () => Promise<void>;
}

/**
 * A real app on a fresh SQLite database in a temporary directory, migrated as `serve` does.
 * `env` takes the same variables as the server (e.g. LOGIN_MAX_FAILURES).
 */
export async function startApp(env: Record<string, string> = {}): Promise<TestContext> {
  const dir = mkdtempSync(path.join(tmpdir(), 'butaca-test-'));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', ...env });
  const db = connect(config.database);
  await migrateToLatest(db);
  const app = await buildApp(config, { db, logger: false });
  await app.ready();
  return {
    app,
    db,
    config,
    close: async () => {
      await app.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = 'correct-horse-battery';

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export function json<T = unknown>(res: LightMyRequestResponse): T {
  return res.json<T>();
}

export async function register(app: FastifyInstance, username: string, password = PASSWORD): Promise<{ id: number; username: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { username, password } });
  if (res.statusCode !== 201) throw new Error(`register ${username}: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function token(app: FastifyInstance, username: string, password = PASSWORD): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/auth', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`token ${username}: ${res.statusCode} ${res.body}`);
  return res.json<{ access_token: string }>().access_token;
}

/** Registers a user and returns a bearer token for them. */
export async function userToken(app: FastifyInstance, username: string): Promise<string> {
  await register(app, username);
  return token(app, username);
}

/** An administrator, made the way an operator makes one (directly, as `butaca user create --admin`). */
export async function adminToken(ctx: TestContext, username = 'admin'): Promise<string> {
  await insertUser(ctx.db, username, await hashPassword(PASSWORD), 'admin');
  return token(ctx.app, username);
}

export async function createMovie(
  app: FastifyInstance,
  adminBearer: string,
  body: { title: string; year?: number | null; synopsis?: string | null },
): Promise<{ id: number; title: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(adminBearer), payload: body });
  if (res.statusCode !== 201) throw new Error(`create movie: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** The session cookie `name=value` from a login response, ready for a Cookie header. */
export function sessionCookie(res: LightMyRequestResponse): string {
  const cookie = res.cookies.find((c) => c.name === 'butaca_session');
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return `${cookie.name}=${cookie.value}`;
}

/** A 422 whose detail lists exactly these locations (in any order), each with a msg and type. */
export function assertInvalid(res: LightMyRequestResponse, locs: (string | number)[][]): void {
  assert.equal(res.statusCode, 422, res.body);
  const detail = res.json<{ detail: { loc: (string | number)[]; msg: string; type: string }[] }>().detail;
  const key = (loc: (string | number)[]) => JSON.stringify(loc);
  assert.deepEqual(detail.map((d) => key(d.loc)).sort(), locs.map(key).sort());
  for (const d of detail) {
    assert.equal(typeof d.msg, 'string');
    assert.ok(d.msg.length > 0);
    assert.equal(typeof d.type, 'string');
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export interface CallOptions {
  token?: string | undefined;
  payload?: unknown;
}

/** One request, with a bearer token when given. */
export function callAs(app: FastifyInstance, method: Method, url: string, opts: CallOptions = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: opts.token === undefined ? {} : bearer(opts.token),
    ...(opts.payload === undefined ? {} : { payload: opts.payload as object }),
  });
}
