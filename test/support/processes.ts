import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { type Db, connect } from '../../src/db/connect.js';
import { appOnCliData, databaseOf, spawnCli } from './cli.js';
import { dbProblemsOf } from './app.js';

/*
 * Shared by the reliability tests (fuzz, crash, shutdown, cluster): a real `butaca serve` process,
 * and the checks that a database is whole and its derived columns agree with the rows. The
 * database is the SQLite file in DATA_DIR, or with TEST_DATABASE=postgres the one made for that
 * DATA_DIR (see databaseOf in cli-helpers.ts).
 */

/**
 * What is wrong with the SQLite database at `file`, as readable lines; [] when nothing is:
 * `PRAGMA integrity_check` must say ok, `PRAGMA foreign_key_check` must find no rows, and every
 * movie's review_count / score_sum must equal a recount of its reviews (the service keeps them
 * up to date in the same transaction as each review write).
 */
export function dbProblems(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const problems: string[] = [];
    const integrity = db.prepare('PRAGMA integrity_check').pluck().all() as string[];
    if (integrity.length !== 1 || integrity[0] !== 'ok') problems.push(`integrity_check: ${integrity.join('; ')}`);
    const fk = db.prepare('PRAGMA foreign_key_check').all();
    if (fk.length > 0) problems.push(`foreign_key_check: ${JSON.stringify(fk.slice(0, 5))} (${fk.length} rows)`);
    const drift = db
      .prepare(
        `SELECT m.id, m.review_count, m.score_sum, COUNT(r.id) AS n, COALESCE(SUM(r.score), 0) AS s
           FROM movies m LEFT JOIN reviews r ON r.movie_id = m.id
          GROUP BY m.id HAVING m.review_count <> COUNT(r.id) OR m.score_sum <> COALESCE(SUM(r.score), 0)`,
      )
      .all();
    if (drift.length > 0) problems.push(`review_count/score_sum differ from a recount: ${JSON.stringify(drift.slice(0, 5))}`);
    return problems;
  } finally {
    db.close();
  }
}

/** dbProblems for the database of `dataDir`, whichever it is (on PostgreSQL: orphan rows and the recount). */
export async function dataDirProblems(dataDir: string): Promise<string[]> {
  const ctx = await appOnCliData(dataDir);
  try {
    return await dbProblemsOf(ctx);
  } finally {
    await ctx.close();
  }
}

/** Runs `fn` on a Kysely handle of the database of `dataDir`, whichever it is. */
export async function withDataDb<T>(dataDir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = connect(databaseOf(dataDir));
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

export interface Server {
  child: ChildProcess;
  port: number;
  base: string;
  /** Everything the process wrote, for failure messages. */
  output: () => string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `butaca serve` as a real process on a free loopback port (PORT=0) over `dataDir`; resolves once
 * it prints where it listens. LOG_LEVEL=silent keeps request logs out of the pipe.
 */
export function startServer(dataDir: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Server> {
  const child = spawnCli(['serve'], {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'error',
    ...env,
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /web client: (http:\/\/[^/\s]+:(\d+))\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[2]), base: m[1]!, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening: ${out}`));
    });
  });
}

export interface ApiResult<T = unknown> {
  status: number;
  body: T;
}

/** One JSON request to a running server with fetch; rejects when the connection fails (e.g. the process died). */
export async function api<T = unknown>(base: string, method: string, urlPath: string, opts: { token?: string; body?: unknown } = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + urlPath, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

/** Registers a user over HTTP and returns a bearer token for them. */
export async function apiUser(base: string, username: string, password: string): Promise<string> {
  const made = await api(base, 'POST', '/api/v1/users', { body: { username, password } });
  if (made.status !== 201) throw new Error(`register ${username}: ${made.status} ${JSON.stringify(made.body)}`);
  return apiToken(base, username, password);
}

export async function apiToken(base: string, username: string, password: string): Promise<string> {
  const res = await api<{ access_token: string }>(base, 'POST', '/auth', { body: { username, password } });
  if (res.status !== 200) throw new Error(`token ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}
