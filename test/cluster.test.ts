import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, loadConfig } from '../src/config.js';
import { assertOneLine, cleanUp, runCli, tempDir } from './support/cli.js';
import { type Served, api, apiToken, apiUser, dataDirProblems, serveProcess, withDataDb } from './support/processes.js';

/*
 * WORKERS=2: `butaca serve` as a node:cluster primary with two worker processes on one port, on
 * the test database (a shared SQLite file, or PostgreSQL with TEST_DATABASE=postgres).
 *
 * Which process answered is not exposed to clients (a pid in a header would tell an attacker
 * about the host); the tests read it from the workers' own log lines (every line carries the
 * worker's pid and id) and the process tree (/proc).
 */

const PASSWORD = 'cluster-test-password';
// LOG_LEVEL=info: the request log lines are how the tests see which worker answered.
const ENV = { WORKERS: '2', LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0', AUTH_RATE_LIMIT_MAX: '0' };
const WAIT_MS = 20_000;

/** The worker processes of a primary: its children running the CLI (not, e.g., tsx's esbuild helper). */
function workerPids(primary: number): number[] {
  let children: string;
  try {
    children = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8');
  } catch {
    return [];
  }
  return children
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('src/cli/main.ts');
      } catch {
        return false; // gone since the list was read
      }
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 100 ms until it returns a value other than undefined, at most `ms`. */
async function waitFor<T>(what: string, ms: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Pids of the workers that logged a finished request since character `from` of the output. */
function answeringPids(server: Served, from = 0): Set<number> {
  const pids = new Set<number>();
  for (const line of server.output().slice(from).split('\n')) {
    if (!line.startsWith('{') || !line.endsWith('}')) continue; // not a log line, or one still arriving
    const entry = JSON.parse(line) as { pid?: number; worker?: number; msg?: string };
    if (entry.msg === 'request completed' && entry.pid !== undefined && entry.worker !== undefined) pids.add(entry.pid);
  }
  return pids;
}

/**
 * A GET on a connection of its own, so round-robin spreads the requests over the workers (fetch
 * would reuse a kept-alive connection, always to the same worker). Rejects when the answer is cut.
 */
function getFresh(server: Served, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${server.base}${urlPath}`, { agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function healthy(server: Served, n: number): Promise<void> {
  const statuses = await Promise.all(Array.from({ length: n }, () => getFresh(server, '/healthz').then((r) => r.status)));
  assert.deepEqual(statuses, Array(n).fill(200));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('WORKERS=2 (node:cluster)', { concurrency: 1 }, () => {
  after(cleanUp);

  it('serves from two workers on one port, replaces a worker killed with -9, and drains all on SIGTERM', { timeout: 120_000 }, async (t) => {
    const dir = tempDir();
    const server = await serveProcess({ DATA_DIR: dir, ...ENV });
    const primary = server.child.pid!;
    assert.equal(server.output().match(/web client:/g)?.length, 1, 'the start-up lines are printed once, not per worker');
    assert.match(server.output(), /workers: {4}2 processes/);
    const first = await waitFor('two workers', WAIT_MS, () => {
      const pids = workerPids(primary);
      return pids.length === 2 ? pids : undefined;
    });

    // Each request on a new connection; round-robin hands them to both workers.
    await healthy(server, 20);
    const answered = await waitFor('log lines of both workers', WAIT_MS, () => {
      const pids = answeringPids(server);
      return pids.size >= 2 ? pids : undefined;
    });
    assert.deepEqual([...answered].sort(), [...first].sort(), 'the requests were answered by processes other than the two workers');

    // kill -9 one worker: once the primary has reaped it, the other answers everything, and a
    // new worker takes its place. (A connection handed to the worker as it died is lost with it.)
    const [victim, survivor] = first as [number, number];
    process.kill(victim, 'SIGKILL');
    await waitFor('the killed worker reaped', WAIT_MS, () => (existsSync(`/proc/${victim}`) ? undefined : true));
    await healthy(server, 10);
    const replaced = await waitFor('a replacement worker', WAIT_MS, () => {
      const pids = workerPids(primary);
      return pids.length === 2 && !pids.includes(victim) ? pids : undefined;
    });
    assert.ok(replaced.includes(survivor));
    const newcomer = replaced.find((pid) => pid !== survivor)!;
    const mark = server.output().length;
    await waitFor('the replacement answering', WAIT_MS, () => {
      void healthy(server, 2).catch(() => {});
      return answeringPids(server, mark).has(newcomer) ? true : undefined;
    });
    await healthy(server, 10);

    // SIGTERM to one worker alone: it drains and exits 0, and the primary starts another (only a
    // signal to the primary stops the service).
    process.kill(survivor, 'SIGTERM');
    await waitFor('the worker sent SIGTERM gone', WAIT_MS, () => (existsSync(`/proc/${survivor}`) ? undefined : true));
    const third = await waitFor('a worker in place of the one sent SIGTERM', WAIT_MS, () => {
      const pids = workerPids(primary);
      return pids.length === 2 && !pids.includes(survivor) ? pids : undefined;
    });
    assert.match(server.output(), new RegExp(`"workerPid":${survivor},"code":0,"signal":null,.*"msg":"worker exited; starting another"`));
    await healthy(server, 10);

    // SIGTERM to the primary in the middle of a burst of requests from 6 clients, each request on
    // a new connection so both workers have some in flight.
    let stop = false;
    const results: { status?: number; whole?: boolean; error?: string }[] = [];
    const clients = Array.from({ length: 6 }, async () => {
      while (!stop) {
        try {
          const res = await getFresh(server, '/api/v1/movies?limit=100');
          let whole = true;
          if (res.status === 200) {
            try {
              JSON.parse(res.body);
            } catch {
              whole = false;
            }
          }
          results.push({ status: res.status, whole });
        } catch (err) {
          results.push({ error: (err as Error).message });
          return; // refused: the listener is closed
        }
      }
    });
    // Under way first (on a loaded machine a fresh worker's first answers can take a while): then
    // SIGTERM lands in the middle of the burst rather than before it.
    await waitFor('the burst under way', WAIT_MS, () => (results.length >= 6 ? true : undefined));
    await sleep(100);
    const before = results.length;
    server.child.kill('SIGTERM');
    const ended = await Promise.race([server.exited, sleep(WAIT_MS).then(() => 'timeout' as const)]);
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(ended, { code: 0, signal: null }, server.output());
    const gone = [...replaced, ...third].filter(alive);
    assert.deepEqual(gone, [], 'workers left running after the primary exited');
    const answers = results.filter((r) => r.status !== undefined);
    assert.ok(before > 0 && answers.length >= before, `no requests answered before SIGTERM (${before})`);
    const bad = answers.filter((r) => !r.whole || (r.status! >= 500 && r.status !== 503));
    assert.deepEqual(bad, [], 'answers cut short or failed during the drain');
    t.diagnostic(`burst: ${results.length} requests, ${answers.length} answered whole, ${results.length - answers.length} refused after SIGTERM; primary exit 0`);
  });

  /** A server over a fresh DATA_DIR with an admin, `n` movies made concurrently and a user to write reviews. */
  async function withMovies(n: number): Promise<{ dir: string; server: Served; admin: string; writer: string; movieIds: number[] }> {
    const dir = tempDir();
    const made = await runCli(['user', 'create', 'admin', '--admin'], { DATA_DIR: dir }, `${PASSWORD}\n`);
    assert.equal(made.code, 0, made.stderr);
    const server = await serveProcess({ DATA_DIR: dir, ...ENV, LOG_LEVEL: 'warn' });
    const admin = await apiToken(server.base, 'admin', PASSWORD);
    const writer = await apiUser(server.base, 'writer', PASSWORD);
    const movies = await Promise.all(
      Array.from({ length: n }, (_, i) => api<{ id: number }>(server.base, 'POST', '/api/v1/movies', { token: admin, body: { title: `Cluster ${i}`, year: 2000 } })),
    );
    assert.deepEqual(movies.filter((r) => r.status !== 201), [], `movie creates that failed; server said: ${server.output().slice(0, 1000)}`);
    return { dir, server, admin, writer, movieIds: movies.map((m) => m.body.id) };
  }

  async function stopAndCheck(dir: string, server: Served): Promise<void> {
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null }, server.output());
    assert.deepEqual(await dataDirProblems(dir), []);
  }

  it('takes 100 concurrent creates through two workers without a failure, and keeps the aggregates exact', { timeout: 120_000 }, async (t) => {
    const { dir, server, writer, movieIds } = await withMovies(100);
    const reviews = await Promise.all(
      movieIds.map((id, i) => api(server.base, 'POST', '/api/v1/reviews', { token: writer, body: { movie_id: id, review: `r${i}`, score: (i % 5) + 1 } })),
    );
    assert.deepEqual(reviews.filter((r) => r.status !== 201), [], `review creates that failed; server said: ${server.output().slice(0, 1000)}`);
    // A scrape reaching either worker answers for both, summed by the primary (prom-client's cluster aggregation).
    for (let scrape = 0; scrape < 3; scrape++) {
      const text = await (await fetch(`${server.base}/metrics`)).text();
      const count = (route: string) => Number(new RegExp(`^butaca_http_requests_total\\{method="POST",route="${route}",status="2xx"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      assert.equal(count('/api/v1/reviews'), 100, text.slice(0, 500));
      assert.equal(count('/api/v1/movies'), 100);
    }
    await stopAndCheck(dir, server);
    const counts = await withDataDb(dir, async (db) => ({
      movies: Number((await db.selectFrom('movies').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
      reviews: Number((await db.selectFrom('reviews').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
    }));
    assert.deepEqual(counts, { movies: 100, reviews: 100 });
    t.diagnostic('100 movie creates and 100 review creates, all concurrent through 2 workers: all succeeded');
  });

  it('takes 100 concurrent edits (read, then write, in one transaction) through two workers without a failure', { timeout: 120_000 }, async (t) => {
    const { dir, server, writer, movieIds } = await withMovies(100);
    const reviews: { id: number }[] = [];
    for (const [i, id] of movieIds.entries()) {
      const res = await api<{ id: number }>(server.base, 'POST', '/api/v1/reviews', { token: writer, body: { movie_id: id, review: `r${i}`, score: 1 } });
      assert.equal(res.status, 201);
      reviews.push(res.body);
    }
    // An edit reads the old score, then writes: two processes' transactions that both read first
    // collide on SQLite unless a transaction takes the write lock when it begins.
    const edits = await Promise.all(reviews.map((r) => api(server.base, 'PUT', `/api/v1/reviews/${r.id}`, { token: writer, body: { review: 'edited', score: 5 } })));
    assert.deepEqual(edits.filter((r) => r.status !== 200).length, 0, `review edits that failed; server said: ${server.output().slice(0, 1500)}`);
    await stopAndCheck(dir, server);
    const sum = await withDataDb(dir, async (db) => Number((await db.selectFrom('movies').select((eb) => eb.fn.sum<string>('rating_sum').as('s')).executeTakeFirstOrThrow()).s));
    assert.equal(sum, 1000, 'every review at 5 stars: 10 half stars each'); // 100 reviews
    t.diagnostic('100 review edits, all concurrent through 2 workers: all succeeded');
  });

  it('gives up with exit 1, stopping the rest, when new workers keep dying right after they start', { timeout: 120_000 }, async () => {
    const server = await serveProcess({ DATA_DIR: tempDir(), ...ENV, LOG_LEVEL: 'warn' });
    const primary = server.child.pid!;
    const [keep] = workerPids(primary);
    assert.ok(keep !== undefined);
    const killed: number[] = [];
    // kill -9 every other worker as soon as it appears; the guard stops at 5 quick exits in a row.
    while (killed.length < 10) {
      const pid = await waitFor('a worker to kill, or the primary gone', WAIT_MS, () =>
        server.child.exitCode !== null ? null : workerPids(primary).find((p) => p !== keep && !killed.includes(p)),
      );
      if (pid === null) break;
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    }
    assert.deepEqual(await server.exited, { code: 1, signal: null }, server.output());
    assert.equal(killed.length, 5, `killed ${killed.length} workers`);
    assert.match(server.output(), /butaca: workers keep exiting within 10 s of starting \(5 in a row, last with signal SIGKILL\); stopping/);
    assert.ok(!alive(keep), 'the healthy worker outlived its primary');
  });

  it('stops with one line and exit 1 when the workers cannot listen, instead of forking forever', { timeout: 60_000 }, async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const res = await runCli(['serve'], { DATA_DIR: tempDir(), WORKERS: '2', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'silent' });
      assert.equal(res.code, 1);
      assert.match(assertOneLine(res.stderr), /cannot listen.*EADDRINUSE/);
    } finally {
      taken.close();
    }
  });

  it('reads WORKERS as auto or a whole number from 1, and refuses anything else naming WORKERS', async () => {
    assert.equal(loadConfig({}).workers, 1);
    assert.equal(loadConfig({ WORKERS: '3' }).workers, 3);
    assert.equal(loadConfig({ WORKERS: 'auto' }).workers, availableParallelism());
    for (const value of ['0', 'two', '-1', '1.5', '100000']) {
      assert.throws(() => loadConfig({ WORKERS: value }), (err: unknown) => err instanceof ConfigError && err.variable === 'WORKERS', value);
    }
    assert.throws(() => loadConfig({ WORKERS: '2', DATABASE_URL: 'sqlite::memory:' }), /WORKERS: .*share/);
    assert.equal(loadConfig({ WORKERS: '1', DATABASE_URL: 'sqlite::memory:' }).workers, 1);
    const res = await runCli(['serve'], { DATA_DIR: tempDir(), WORKERS: 'two' });
    assert.equal(res.code, 1);
    assert.match(assertOneLine(res.stderr), /^butaca: WORKERS: must be auto or a whole number/);
  });
});
