import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TestContext, appOn as appOnDir } from './helpers.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_TIMEOUT_MS = 20_000;

const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** Kills the CLI processes still running and removes the temporary directories; for `after`. */
export function cleanUp(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'butaca-cli-'));
  dirs.push(dir);
  return dir;
}

/** The environment of the test run minus anything that configures Butaca, plus `vars`. */
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
  return { ...env, ...vars };
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

/** An app over the database file (and media directory) the CLI wrote, built as `serve` builds it. */
export function appOn(dataDir: string): Promise<TestContext> {
  return appOnDir(dataDir, { DATABASE_URL: `sqlite:${path.join(dataDir, 'butaca.db')}` });
}
