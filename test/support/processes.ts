import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { type Db, connect } from '../../src/db/connect.js';
import { appOnCliData, databaseOf, spawnCli } from './cli.js';
import { dbProblemsOf } from './app.js';
import { DRIFT_SQL } from './recount.js';

/*
 * Shared by the reliability tests (fuzz, crash, shutdown, cluster): a real `butaca serve` process,
 * and the checks that a database is whole and its derived columns agree with the rows. The
 * database is the SQLite file in DATA_DIR, or with TEST_DATABASE=postgres the one made for that
 * DATA_DIR (see databaseOf in cli-helpers.ts).
 */

/**
 * What is wrong with the SQLite database at `file`, as readable lines; [] when nothing is:
 * `PRAGMA integrity_check` must say ok, `PRAGMA foreign_key_check` must find no rows, and every
 * aggregate must equal a recount (test/support/recount.ts: the service keeps them up to date in
 * the same transaction as each write).
 */
export function dbProblems(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const problems: string[] = [];
    const integrity = db.prepare('PRAGMA integrity_check').pluck().all() as string[];
    if (integrity.length !== 1 || integrity[0] !== 'ok') problems.push(`integrity_check: ${integrity.join('; ')}`);
    const fk = db.prepare('PRAGMA foreign_key_check').all();
    if (fk.length > 0) problems.push(`foreign_key_check: ${JSON.stringify(fk.slice(0, 5))} (${fk.length} rows)`);
    const drift = db.prepare(DRIFT_SQL).pluck().all() as string[];
    if (drift.length > 0) problems.push(`aggregates differ from a recount: ${drift.slice(0, 5).join(', ')} (${drift.length} in all)`);
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

export const SERVE_TIMEOUT_MS = 20_000;

export interface Served {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Everything the process wrote, for failure messages. */
  output: () => string;
  /** `http(s)://127.0.0.1:<port>`, from the start-up lines. */
  base: string;
  /** The HTTPS (or HTTP) port from the start-up lines. */
  port: number;
  /** The redirect listener's port, when one was printed. */
  redirectPort: number | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit status; SIGKILL and a rejection if it does not end within the timeout. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `butaca serve` as a real process with `vars` (PORT=0, HOST=127.0.0.1 and LOG_LEVEL=warn unless
 * given; with DATA_DIR, the database of test/support/cli.ts for it): resolves once it has printed
 * all its start-up lines (they end with a blank line), a cluster's primary once for all workers.
 */
export async function serveProcess(vars: Record<string, string>): Promise<Served> {
  const child = spawnCli(['serve'], { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...vars });
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in ${SERVE_TIMEOUT_MS} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, SERVE_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/Butaca is running\n(?:.+\n)+\n/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early with ${code}; stderr: ${stderr}`));
    });
  });
  const web = /web client: (https?:\/\/[^ /]+:(\d+))\//.exec(stdout);
  const port = Number(web?.[2]);
  const redirect = /redirect: +http:\/\/[^ ]+:(\d+)\//.exec(stdout)?.[1];
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => stdout + stderr,
    base: web?.[1] ?? '',
    port,
    redirectPort: redirect === undefined ? undefined : Number(redirect),
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          exited,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              child.kill('SIGKILL');
              reject(new Error(`serve did not stop within ${SERVE_TIMEOUT_MS} ms of SIGTERM; stderr: ${stderr}`));
            }, SERVE_TIMEOUT_MS);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
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
