import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseConfig } from '../../src/config.js';
import { type TestContext, appOn } from './app.js';
import { TEST_POSTGRES_URL, testDatabaseKind } from './pg.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_TIMEOUT_MS = 20_000;

const children = new Set<ChildProcess>();
const dirs: string[] = [];
/** With TEST_DATABASE=postgres: the database of each DATA_DIR a test gave the CLI, by DATA_DIR. */
const databases = new Map<string, string>();

/**
 * Runs `source` (an ES module) in a separate Node process with `args`, synchronously; throws with
 * its stderr on failure. The minute allowed is for DROP DATABASE ... WITH (FORCE), which waits for
 * the backends it ends and flushes the database away: on CI's busy two-core machine one took more
 * than the 15 s this once allowed.
 */
function runNodeSync(source: string, args: string[]): void {
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', source, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) throw new Error(`node -e failed (${res.status ?? res.signal}): ${res.stderr}`);
}

const PG_ADMIN = `import pg from 'pg';
const [url, statement] = process.argv.slice(1);
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
await client.connect();
try { await client.query(statement); } finally { await client.end(); }`;

/**
 * Where the CLI keeps the data of `dataDir`: its SQLite file, or with TEST_DATABASE=postgres a
 * database of its own on the test server, made on first use (synchronously, since spawnCli is)
 * and dropped by cleanUp().
 */
export function databaseOf(dataDir: string): DatabaseConfig {
  if (testDatabaseKind() === 'sqlite') return { kind: 'sqlite', path: path.join(dataDir, 'butaca.db') };
  dataDir = path.resolve(dataDir);
  let url = databases.get(dataDir);
  if (url === undefined) {
    const name = `butaca_test_${randomBytes(6).toString('hex')}`;
    runNodeSync(PG_ADMIN, [TEST_POSTGRES_URL, `CREATE DATABASE ${name}`]);
    const made = new URL(TEST_POSTGRES_URL);
    made.pathname = `/${name}`;
    url = made.toString();
    databases.set(dataDir, url);
  }
  return { kind: 'postgres', url, poolSize: 10, queryTimeout: 30_000, preparedStatements: true };
}

/** DATABASE_URL for `databaseOf(dataDir)`. */
export function databaseUrlOf(dataDir: string): string {
  const db = databaseOf(dataDir);
  return db.kind === 'sqlite' ? `sqlite:${db.path}` : db.url;
}

/** Drops the PostgreSQL database made for `dataDir`, if any (closing what is still connected). */
export function dropDatabaseOf(dataDir: string): void {
  dataDir = path.resolve(dataDir);
  const url = databases.get(dataDir);
  if (url === undefined) return;
  databases.delete(dataDir);
  runNodeSync(PG_ADMIN, [TEST_POSTGRES_URL, `DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`]);
}

/** Kills the CLI processes still running, removes the temporary directories and their databases; for `after`. */
export function cleanUp(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  for (const dir of [...databases.keys()]) dropDatabaseOf(dir);
}

export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'butaca-cli-'));
  dirs.push(dir);
  return dir;
}

/**
 * The environment of the test run minus anything that configures Butaca, plus `vars`. Without a
 * DATABASE_URL in `vars`, one for DATA_DIR is added (see databaseOf), so the same test runs on
 * either database.
 */
export function cliEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (
      /^(HOST|PORT|DATA_DIR|DATABASE_URL|DATABASE_POOL_SIZE|MEDIA_STORE|TLS_CERT|TLS_KEY|HTTPS|WORKERS|LOG_LEVEL|TRUST_PROXY|BODY_LIMIT|POSTER_MAX_BYTES|TRAILER_MAX_BYTES)$/.test(name) ||
      name.startsWith('SESSION_') ||
      name.startsWith('LOGIN_') ||
      name.startsWith('NODE_TEST')
    ) {
      delete env[name];
    }
  }
  const database = vars.DATA_DIR !== undefined && vars.DATABASE_URL === undefined ? { DATABASE_URL: databaseUrlOf(vars.DATA_DIR) } : {};
  return { ...env, ...database, ...vars };
}

export function spawnCli(args: string[], vars: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: cliEnv(vars),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  return child;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion, with `input` on standard input, killing it after `timeoutMs`. */
export function runCli(args: string[], vars: Record<string, string>, input = '', timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
  const child = spawnCli(args, vars);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.on('error', () => {}); // the CLI may exit before reading its input
  child.stdin!.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`butaca ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Exactly one non-empty line on stderr, with no stack frames. */
export function assertOneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got: ${JSON.stringify(stderr)}`);
  assert.doesNotMatch(stderr, /^\s+at\s/m, 'stack trace on stderr');
  return lines[0]!;
}

/** An app over the database (and media directory) a CLI run wrote under `dataDir`, built as `serve` builds it. */
export function appOnCliData(dataDir: string): Promise<TestContext> {
  return appOn(dataDir, { DATABASE_URL: databaseUrlOf(dataDir) });
}
