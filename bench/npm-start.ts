/**
 * `npm start` with nothing changed since the last build, as a person restarting the server does:
 * from running the command to /readyz answering 200, on a database that already exists (the
 * first-ever start, which migrates a new one, is bench/run.ts's cold start). `npm start` runs
 * scripts/build.mjs --if-stale first, which must find both builds current and build nothing.
 *
 *   npm run bench:start               # 7 starts; prints the minimum, median and maximum
 *   npm run bench:start -- --runs 15
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, freePort, stop, waitReady } from './server-process.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);
const dir = mkdtempSync(path.join(os.tmpdir(), 'butaca-npm-start-'));

async function startOnce(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm, the build check and the server stop together
  });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  try {
    await waitReady(`http://127.0.0.1:${port}/readyz`, child, () => log, 5);
    if (/tsc|vite|built in/.test(log)) throw new Error(`npm start built something, so the sources are not current: run npm run build first\n${log}`);
    return performance.now() - started;
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await stop(child);
  }
}

try {
  await startOnce(); // migrates the new database: not a restart
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await startOnce());
  times.sort((a, b) => a - b);
  const ms = (n: number) => `${Math.round(n)} ms`;
  process.stdout.write(
    `npm start to /readyz 200, nothing changed, ${runs} runs on node ${process.version}: ` +
      `min ${ms(times[0]!)}, median ${ms(times[Math.floor(runs / 2)]!)}, max ${ms(times.at(-1)!)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
