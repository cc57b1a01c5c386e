/**
 * `npx butaca backup` on a benchmark database, measured on the real server:
 *
 *   npm run bench:backup                      # the medium database (bench/seeded.ts); --scale, --seconds, --skip-build
 *
 * Copies the seeded SQLite database of the scale into a fresh DATA_DIR, starts
 * `node bin/butaca.js serve` (compiled) on it, and times `node bin/butaca.js backup FILE` as an
 * operator runs it: once with the server idle, then while wrk keeps one member's review being
 * rewritten (PUT, 32 connections) for --seconds, the backup starting a third of the way in. Reports
 * the database's size, each copy's size and wall time (the copy, SQLite's integrity check of it and
 * the fsyncs), and the writes a second during the load against the same load without a backup.
 * Printed as markdown and written to bench/results/backup-<date>-<scale>.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { availableTool, runLoad, type LoadResult, type LoadSpec } from './load.js';
import { BENCH_PASSWORD, SCALES, type Scale } from './seed-catalogue.js';
import { seededDatabase } from './seeded.js';
import { ROOT, freePort, pinned, stop, waitReady } from './server-process.js';

const MiB = 1024 * 1024;
const out = (text: string) => process.stdout.write(`${text}\n`);
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

const { values } = parseArgs({
  options: { scale: { type: 'string', default: 'medium' }, seconds: { type: 'string', default: '15' }, 'skip-build': { type: 'boolean', default: false } },
});
const scale = values.scale as Scale;
if (!(scale in SCALES)) throw new Error(`--scale: expected small, medium or large, got "${values.scale}"`);
const seconds = Number(values.seconds);
if (!(seconds >= 6 && seconds <= 120)) throw new Error('--seconds: 6 to 120');
const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && os.availableParallelism() >= 2;

if (!values['skip-build']) {
  out('building the server (npm run build:server)…');
  if (spawnSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) process.exit(1);
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'butaca-bench-backup-'));
const dbPath = path.join(dataDir, 'butaca.db');
const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, DATABASE_URL: `sqlite:${dbPath}`, NODE_ENV: 'production' };

/** `butaca backup FILE` from start to exit, as an operator's shell sees it. */
function backup(file: string): Promise<{ ms: number; bytes: number; said: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/butaca.js'), 'backup', file], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`butaca backup exited ${code}: ${output}`));
      else resolve({ ms: performance.now() - started, bytes: statSync(file).size, said: output.trim() });
    });
  });
}

async function api<T>(base: string, method: string, url: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(base + url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

let server: ChildProcess | undefined;
try {
  copyFileSync(await seededDatabase(scale), dbPath);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [command, args] = pinned(canPin ? 0 : undefined, process.execPath, [path.join(ROOT, 'bin/butaca.js'), 'serve']);
  server = spawn(command, args, { cwd: dataDir, env: { ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  await waitReady(`${base}/readyz`, server, () => log);

  // A member with one review, which the load rewrites.
  await api(base, 'POST', '/api/v1/users', { username: 'backupbench', password: BENCH_PASSWORD });
  const auth = await fetch(`${base}/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'backupbench', password: BENCH_PASSWORD }) });
  const token = ((await auth.json()) as { access_token: string }).access_token;
  const review = await api<{ id: number }>(base, 'POST', '/api/v1/reviews', { movie_id: 1, review: 'Before the backup.', score: 3 }, token);
  const spec: LoadSpec = {
    method: 'PUT',
    path: `/api/v1/reviews/${review.id}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    vary: { kind: 'put-score', review: 'Rewritten during the backup.' },
  };
  const load = (): Promise<LoadResult> => runLoad(availableTool(), spec, { base, connections: 32, seconds, cpu: canPin ? 1 : undefined });

  const size = statSync(dbPath).size;
  const idle = await backup(path.join(dataDir, 'idle.db'));
  const alone = await load();
  const during = load();
  await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / 3));
  const busy = await backup(path.join(dataDir, 'busy.db'));
  const loaded = await during;

  const date = new Date().toISOString().slice(0, 10);
  const cpu = (/model name\s*:\s*(.*)/.exec(spawnSync('cat', ['/proc/cpuinfo'], { encoding: 'utf8' }).stdout) ?? [])[1] ?? os.arch();
  const text = [
    `# Butaca backup — ${scale} database, ${date}`,
    '',
    `Machine: ${os.availableParallelism()} × ${cpu}, Node ${process.version}. ${canPin ? 'Server on CPU 0, wrk and the backup on CPU 1 with the rest.' : 'Not pinned.'}`,
    `Database: ${SCALES[scale].movies.toLocaleString('en-US')} movies, ${SCALES[scale].reviews.toLocaleString('en-US')} reviews; the file is ${mib(size)}.`,
    '',
    '| backup | wall time | copy size | PUT /reviews/{id} a second (32 connections) | errors |',
    '|---|---:|---:|---:|---:|',
    `| server idle | ${(idle.ms / 1000).toFixed(2)} s | ${mib(idle.bytes)} | — | — |`,
    `| no backup (the load alone) | — | — | ${Math.round(alone.perSecond).toLocaleString('en-US')} | ${alone.errors} |`,
    `| during the load | ${(busy.ms / 1000).toFixed(2)} s | ${mib(busy.bytes)} | ${Math.round(loaded.perSecond).toLocaleString('en-US')} | ${loaded.errors} |`,
    '',
    `The command said: \`${busy.said}\``,
    '',
    'Made by `npm run bench:backup` (bench/backup.ts).',
    '',
  ].join('\n');
  out(`\n${text}`);
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results', `backup-${date}-${scale}.md`), text);
} finally {
  if (server) await stop(server);
  rmSync(dataDir, { recursive: true, force: true });
}
