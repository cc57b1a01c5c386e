/**
 * The benchmark: Butaca against the physical limit of this machine, side by side in one run.
 *
 *   npm run bench                                  # medium scale, 32 connections, 10 s per endpoint
 *   npm run bench -- --scale small,large --only movies-page,movies-last,movies-rating
 *   npm run bench -- --seconds 5 --connections 64 --skip-build
 *   npm run bench -- --database postgres       # on BENCH_POSTGRES_URL (default: local, user postgres)
 *   npm run bench -- --only peer --variants node24   # the side-by-side table; its Butaca variants
 *                                                    # (default postgres,node24; '' for none)
 *   npm run bench -- --only peer --soak 0            # without the 10 minutes of the mix for memory
 *
 * For each scale: seeds a fresh SQLite database through the data layer (bench/seed-catalogue.ts;
 * kept in the system's temp directory between runs, keyed by the code that makes it), starts
 * `node bin/butaca.js serve` as a real process pinned to core 0 with taskset, and drives it from
 * core 1 with wrk (or autocannon when wrk is not installed): a warm-up, then a fixed connection
 * count for a bounded time per endpoint. In the same run, a bare node:http server on the same core
 * answers from memory exactly the bytes Butaca answered for the first endpoint (and for the poster
 * and the trailer range): the limit each ratio is measured against. Also measured: the cold start
 * to /readyz on an empty database, and the server's peak RSS (VmHWM). The table is printed and
 * written to bench/results/<date>-<scale>.md; with several scales, the p50 growth of the paging
 * and search endpoints from the first scale to the last is added.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import sharp from 'sharp';
import { connect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { type LoadResult, type LoadSpec, type Tool, availableTool, runLoad } from './load.js';
import { mp4Body, mp4Head } from './mp4.js';
import { BENCH_PASSWORD, SCALES, type Scale, seedCatalogue } from './seed-catalogue.js';
import { compareHttp2 } from './h2.js';
import { comparePeer } from './peer.js';
import { seedKey, seededDatabase } from './seeded.js';
import { ROOT, freePort, pinned, readMemory, resetPeak, runCli, stop, waitReady } from './server-process.js';

const MiB = 1024 * 1024;
/** Users whose (user, movie) pairs the POST benchmark walks through: warm-up and run each get half. */
const POSTING_USERS = 100;
const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const out = (text: string) => process.stdout.write(`${text}\n`);

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'medium' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    only: { type: 'string' },
    tool: { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    database: { type: 'string', default: 'sqlite' },
    // The side-by-side table's variants of Butaca (bench/peer.ts): `postgres` (`postgres-unnamed` adds DATABASE_PREPARED_STATEMENTS=off beside it), `nodeNN`; '' for none.
    variants: { type: 'string', default: 'postgres,node24' },
    // Minutes of the mix after the side-by-side table, RSS every 30 s (issue 18's memory target); 0: none.
    soak: { type: 'string', default: '10' },
  },
});
if (values.database !== 'sqlite' && values.database !== 'postgres') throw new Error('--database: sqlite or postgres');
const onPostgres = values.database === 'postgres';
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const urlOf = (database: string): string => {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
};
const scales = values.scale.split(',').map((s) => s.trim()) as Scale[];
for (const s of scales) if (!(s in SCALES)) throw new Error(`--scale: expected small, medium or large, got "${s}"`);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
if (!(seconds > 0 && seconds <= 120 && warmup >= 0 && warmup <= 30 && connections >= 1 && connections <= 1024)) {
  throw new Error('--seconds must be 1–120, --warmup 0–30, --connections 1–1024');
}
const tool: Tool = values.tool === 'wrk' || values.tool === 'autocannon' ? values.tool : availableTool();
const canPin = !values['no-pin'] && spawnSync('taskset', ['-c', '0', 'true']).status === 0 && os.availableParallelism() >= 2;
const serverCpu = canPin ? SERVER_CPU : undefined;
const clientCpu = canPin ? CLIENT_CPU : undefined;

// ---------------------------------------------------------------------------------------------
// The seeded database, cached by what makes it

/** Runs one statement on the PostgreSQL server's maintenance database. */
async function onServer<T extends object>(text: string, values: unknown[] = []): Promise<T[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The seeded PostgreSQL database of a scale, kept on the server between runs like the SQLite file;
 * each run works on a copy (CREATE DATABASE … TEMPLATE), since it writes.
 */
async function seededPostgres(scale: Scale): Promise<string> {
  const name = seedKey(scale);
  if ((await onServer('select 1 from pg_database where datname = $1', [name])).length > 0) return name;
  const building = `${name}_building`;
  await onServer(`drop database if exists ${building} with (force)`);
  await onServer(`create database ${building}`);
  const db = connect({ kind: 'postgres', url: urlOf(building), poolSize: 2, queryTimeout: 0, preparedStatements: true });
  await migrateToLatest(db);
  const result = await seedCatalogue(db, scale, (what) => process.stderr.write(`\r  seeding ${scale} on PostgreSQL: ${what}      `));
  // What autovacuum would have done by the time a live server has this much data: statistics, the
  // visibility map, and the GIN pending list of the reviews' search index merged.
  await sql`vacuum analyze`.execute(db);
  await db.destroy();
  process.stderr.write('\n');
  await onServer(`alter database ${building} rename to ${name}`);
  out(`  seeded ${scale} on PostgreSQL: ${result.movies} movies, ${result.users} users, ${result.reviews} reviews in ${result.seconds.toFixed(1)} s`);
  return name;
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Running {
  child: ChildProcess;
  base: string;
  log: () => string;
}

/** The database the server of a run uses: the SQLite file in its DATA_DIR, or its PostgreSQL copy. */
let runDatabaseUrl: string | undefined;

function serverEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    DATABASE_URL: runDatabaseUrl ?? `sqlite:${path.join(dataDir, 'butaca.db')}`,
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ENV: 'production',
  };
}

async function startButaca(dataDir: string, readyEveryMs = 100, env: NodeJS.ProcessEnv = {}): Promise<Running & { readyMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const [command, args] = pinned(serverCpu, process.execPath, [path.join(ROOT, 'bin/butaca.js'), 'serve']);
  const child = spawn(command, args, { cwd: dataDir, env: { ...serverEnv(dataDir, port), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readyz`, child, () => log, readyEveryMs);
  return { child, base, log: () => log, readyMs: performance.now() - started };
}

async function startBare(answersFile: string): Promise<Running> {
  const [command, args] = pinned(serverCpu, process.execPath, [path.join(ROOT, 'bench/bare-server.mjs'), answersFile]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /listening (\d+)/.exec(chunk.toString());
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}`, log: () => '' };
}

/** Cold start: an empty DATA_DIR to /readyz 200, polled every 5 ms; the median of three. */
async function coldStart(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'butaca-cold-'));
    try {
      const server = await startButaca(dir, 5);
      times.push(server.readyMs);
      await stop(server.child);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return times.sort((a, b) => a - b)[1]!;
}

// ---------------------------------------------------------------------------------------------
// HTTP from the benchmark itself (set-up and capturing answers)

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function fetchRaw(base: string, urlPath: string, method = 'GET', headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(base + urlPath, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const kept: Record<string, string> = {};
        // The bare server's node:http adds these itself, as Butaca's does.
        for (const [k, v] of Object.entries(res.headers)) if (!['date', 'connection', 'keep-alive'].includes(k) && typeof v === 'string') kept[k] = v;
        resolve({ status: res.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function json<T>(base: string, method: string, urlPath: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(base + urlPath, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function tokenFor(base: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  if (!res.ok) throw new Error(`token for ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

// ---------------------------------------------------------------------------------------------
// One scale

interface Row {
  name: string;
  what: string;
  result: LoadResult;
  /** The endpoint of the bare server this one is compared with. */
  limit?: string;
}

interface ScaleReport {
  scale: Scale;
  rows: Row[];
  notes: string[];
  peakRss: number;
  coldStartMs: number;
  counts: { movies: number; reviews: number };
}

async function prepare(base: string, dataDir: string, scale: Scale) {
  const env = serverEnv(dataDir, 0);
  await runCli(['user', 'create', 'benchadmin', '--admin'], env, dataDir, `${BENCH_PASSWORD}\n`);
  const admin = await tokenFor(base, 'benchadmin', BENCH_PASSWORD);
  // A real poster (1000×1500 JPEG with detail) and an 8 MiB trailer on movie 1.
  const poster = await sharp({ create: { width: 1000, height: 1500, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 85 })
    .toBuffer();
  const up1 = await fetchRaw(base, '/api/v1/movies/1/poster', 'PUT', { authorization: `Bearer ${admin}`, 'content-type': 'image/jpeg' }, poster);
  if (up1.status >= 300) throw new Error(`poster upload: ${up1.status} ${up1.body.toString()}`);
  const trailer = Buffer.concat([...mp4Body(8 * MiB, mp4Head())]);
  const up2 = await fetchRaw(base, '/api/v1/movies/1/trailer', 'PUT', { authorization: `Bearer ${admin}`, 'content-type': 'video/mp4' }, trailer);
  if (up2.status >= 300) throw new Error(`trailer upload: ${up2.status} ${up2.body.toString()}`);
  const movie = await json<{ poster_url: string; trailer_url: string }>(base, 'GET', '/api/v1/movies/1');

  // user1 has 20 reviews (the seed gives every user 20): "my reviews" and the PUT use them.
  const user1 = await tokenFor(base, 'user1', BENCH_PASSWORD);
  const mine = await json<{ id: number }[]>(base, 'GET', '/api/v1/users/reviews', undefined, user1);
  // Fresh users for POST: each (user, movie) pair is new for the whole run.
  const posters: string[] = [];
  for (let i = 0; i < POSTING_USERS; i++) {
    await json(base, 'POST', '/api/v1/users', { username: `poster${i}`, password: BENCH_PASSWORD });
    posters.push(await tokenFor(base, `poster${i}`, BENCH_PASSWORD));
  }
  const total = Number((await fetchRaw(base, '/api/v1/movies?page=1&limit=10')).headers['x-total-count']);
  const reviewsTotal = Number((await fetchRaw(base, '/api/v1/reviews?page=1&limit=1')).headers['x-total-count']);
  return { movie, user1, mine, posters, lastPage: Math.ceil(total / 10), counts: { movies: total, reviews: reviewsTotal }, movies: SCALES[scale].movies };
}

/** Diary entries logged through the API, `inFlight` at a time (the diary scenarios' members). */
async function logViewings(base: string, token: string, count: number, movies: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const watched = new Date(Date.UTC(1990, 0, 1) + ((n * 7919) % 13000) * 86_400_000).toISOString().slice(0, 10);
      await json(base, 'POST', '/api/v1/diary', { movie_id: 1 + (n % movies), watched_on: watched, rating: ((n % 10) + 1) / 2 }, token);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Two members, one who logged 10 viewings and one who logged 10,000: the diary's page should cost the same for both. */
async function prepareDiaries(base: string, movies: number) {
  const ids: number[] = [];
  for (const [name, count] of [['diary10', 10], ['diary10k', 10_000]] as const) {
    const user = await json<{ id: number }>(base, 'POST', '/api/v1/users', { username: name, password: BENCH_PASSWORD });
    await logViewings(base, await tokenFor(base, name, BENCH_PASSWORD), count, movies);
    ids.push(user.id);
  }
  return { small: ids[0]!, big: ids[1]! };
}

/**
 * Two members' feeds in one database: one follows 1,000 members who did 1,000,000 things (a
 * diary entry each, interleaved in time as members' doings are), the other follows 10 members
 * who did 2 each. Written straight into the database (through the API it would take hours): the
 * rows are what the service writes (entries, their activities, follows and the fan-out of
 * feed_items), made by INSERT … SELECT.
 */
async function prepareFeeds(base: string, dataDir: string, movies: number) {
  const tokens: string[] = [];
  for (const name of ['feedbig', 'feedsmall']) {
    await json(base, 'POST', '/api/v1/users', { username: name, password: BENCH_PASSWORD });
    tokens.push(await tokenFor(base, name, BENCH_PASSWORD));
  }
  const db = onPostgres ? connect({ kind: 'postgres', url: runDatabaseUrl!, poolSize: 1, queryTimeout: 0, preparedStatements: true }) : connect({ kind: 'sqlite', path: path.join(dataDir, 'butaca.db') });
  const started = Date.now();
  try {
    const now = new Date().toISOString();
    await db.transaction().execute(async (trx) => {
      const members = await trx.selectFrom('users').select(['id', 'username']).where('username', 'in', ['feedbig', 'feedsmall']).execute();
      const big = members.find((m) => m.username === 'feedbig')!.id;
      const small = members.find((m) => m.username === 'feedsmall')!.id;
      await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 1010)
        insert into users (username, password_hash, role, created_at) select 'feedactor' || i, 'x', 'user', ${now} from n`.execute(trx);
      const first = (await trx.selectFrom('users').select('id').where('username', '=', 'feedactor1').executeTakeFirstOrThrow()).id;
      // 1,000 entries by each of the first 1,000 actors, round by round; 2 by each of the last 10.
      await sql`with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
        insert into diary_entries (user_id, movie_id, watched_on, rewatch, halves, liked, tags, created_at, updated_at)
        select u.id, 1 + ((u.id * 7 + n.i) % ${movies}), '2020-01-01', 0, null, 0, '[]', ${now}, ${now}
          from n, users u where u.id between ${first} and ${first + 1009} and (u.id < ${first + 1000} or n.i <= 2)
         order by n.i, u.id`.execute(trx);
      await sql`insert into activities (user_id, type, created_at, movie_id, diary_id)
        select user_id, 'diary', created_at, movie_id, id from diary_entries where user_id between ${first} and ${first + 1009} order by id`.execute(trx);
      await sql`insert into follows (follower_id, followed_id, created_at)
        select ${big}, id, ${now} from users where id between ${first} and ${first + 999}
        union all select ${small}, id, ${now} from users where id between ${first + 1000} and ${first + 1009}`.execute(trx);
      await sql`insert into feed_items (member_id, activity_id, actor_id)
        select f.follower_id, a.id, a.user_id from follows f join activities a on a.user_id = f.followed_id where f.follower_id in (${big}, ${small})`.execute(trx);
    });
    await sql.raw(onPostgres ? 'vacuum analyze' : 'analyze').execute(db);
  } finally {
    await db.destroy();
  }
  process.stderr.write(`  feeds written in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  // A cursor half-way down the big feed: a page read after 50,000 "load more".
  const top = await json<{ id: number }[]>(base, 'GET', '/api/v1/users/me/feed?limit=1', undefined, tokens[0]);
  const deep = Buffer.from(`f1.${top[0]!.id - 500_000}`).toString('base64url');
  return { big: tokens[0]!, small: tokens[1]!, deep };
}

/**
 * Searches as members type them, over the seeded catalogue (bench/seed-catalogue.ts): whole titles
 * and their beginnings, directors with and without accents, two words of a title, rotated, with
 * the read cache off (searches seldom repeat; a cache would answer them from memory); `-latency` is the same
 * at one connection (a request's own time, without the queue of 32). `search-common` is one word
 * in 1 of 12 titles, every match ranked: the dearest search there is on this catalogue.
 */
const SEARCHES = [
  'night river 12', 'silent city 345', 'golden empire 7', 'shadow garden 1001', 'iron letter 88', 'winter 4321', 'glass summer 99', 'storm mirror 2024',
  'nig riv', 'sil cit', 'gold emp', 'shad gard', 'iron let', 'wint', 'mirr sto', 'paper dream',
  'agnes varda 4', 'almodovar 12', 'pedro almodóvar 31', 'akira kurosawa 50', 'bollain 7', 'lucía martel 3', 'chantal akerman 60', 'bong joon 9',
  'harbor stranger', 'wild blue', 'secret road', 'last summer', 'blue 77', 'road 1500', 'letter 250', 'dream paper 66',
];

function searchEndpoints(): { name: string; what: string; spec: LoadSpec; limit: string; fresh: true }[] {
  const movies = SEARCHES.map((q) => `/api/v1/movies?q=${encodeURIComponent(q)}&limit=10`);
  const all = SEARCHES.map((q) => `/api/v1/search?q=${encodeURIComponent(q)}`);
  const rotate = (paths: string[], connections?: number): LoadSpec => ({ method: 'GET', path: paths[0]!, headers: {}, vary: { kind: 'paths', paths }, ...(connections ? { connections } : {}) });
  return [
    { name: 'search-movies', what: `GET /api/v1/movies?q=…, ${SEARCHES.length} searches in rotation`, spec: rotate(movies), limit: 'limit-json', fresh: true },
    { name: 'search-movies-latency', what: 'the same, one connection', spec: rotate(movies, 1), limit: 'limit-json', fresh: true },
    { name: 'search-all', what: `GET /api/v1/search?q=…, ${SEARCHES.length} searches in rotation`, spec: rotate(all), limit: 'limit-json', fresh: true },
    { name: 'search-all-latency', what: 'the same, one connection', spec: rotate(all, 1), limit: 'limit-json', fresh: true },
    { name: 'search-common', what: 'GET /api/v1/movies?q=night (a word of 1 title in 12), one connection', spec: rotate(['/api/v1/movies?q=night&limit=10', '/api/v1/movies?q=river&limit=10'], 1), limit: 'limit-json', fresh: true },
  ];
}

async function benchScale(scale: Scale, only: Set<string> | undefined, cold: number): Promise<ScaleReport> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `butaca-bench-${scale}-`));
  const running: ChildProcess[] = [];
  const runDatabase = `butaca_bench_run_${process.pid}`;
  try {
    if (onPostgres) {
      const template = await seededPostgres(scale);
      await onServer(`drop database if exists ${runDatabase} with (force)`);
      await onServer(`create database ${runDatabase} template ${template}`);
      runDatabaseUrl = urlOf(runDatabase);
    } else {
      copyFileSync(await seededDatabase(scale), path.join(dataDir, 'butaca.db'));
    }
    const server = await startButaca(dataDir);
    running.push(server.child);
    const p = await prepare(server.base, dataDir, scale);
    const reviewId = Math.ceil(p.counts.reviews / 2);
    // Made only when a diary scenario runs: 10,000 entries take a while to log.
    const diaries = !only || [...only].some((name) => name.startsWith('diary')) ? await prepareDiaries(server.base, p.movies) : undefined;
    // Made only when a feed scenario runs: a million activities.
    const feeds = !only || [...only].some((name) => name.startsWith('feed')) ? await prepareFeeds(server.base, dataDir, p.movies) : undefined;
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    // `cached`: a public read that the read cache (READ_CACHE_MB) answers again from memory while
    // the data is unchanged, as it is during its run. On SQLite each is measured a second time
    // with the cache off (`<name>-uncached`): the cost of the query, serialization and ETag.
    // `fresh`: measured with the read cache off only (on SQLite; PostgreSQL has none): loads that
    // stand for requests seldom repeated, such as searches, which a cache would answer unfairly.
    const endpoints: { name: string; what: string; spec: LoadSpec; limit?: string; cached?: boolean; fresh?: boolean }[] = [
      { name: 'movies-page', what: 'GET /api/v1/movies?page=1&limit=10', spec: { method: 'GET', path: '/api/v1/movies?page=1&limit=10', headers: {} }, limit: 'limit-json', cached: true },
      { name: 'movies-rating', what: 'GET /api/v1/movies?sort=rating', spec: { method: 'GET', path: '/api/v1/movies?page=1&limit=10&sort=rating', headers: {} }, limit: 'limit-json', cached: true },
      { name: 'movies-last', what: `GET /api/v1/movies?page=${p.lastPage} (last page)`, spec: { method: 'GET', path: `/api/v1/movies?page=${p.lastPage}&limit=10`, headers: {} }, limit: 'limit-json', cached: true },
      { name: 'review-by-id', what: 'GET /api/v1/reviews/{id}', spec: { method: 'GET', path: `/api/v1/reviews/${reviewId}`, headers: {} }, limit: 'limit-json', cached: true },
      { name: 'reviews-page', what: 'GET /api/v1/reviews?page=1', spec: { method: 'GET', path: '/api/v1/reviews?page=1&limit=10', headers: {} }, limit: 'limit-json', cached: true },
      { name: 'my-reviews', what: 'GET /api/v1/users/reviews (bearer)', spec: { method: 'GET', path: '/api/v1/users/reviews', headers: bearer(p.user1) }, limit: 'limit-json' },
      {
        name: 'put-review',
        what: 'PUT /api/v1/reviews/{id} (bearer)',
        spec: { method: 'PUT', path: `/api/v1/reviews/${p.mine[0]!.id}`, headers: { ...bearer(p.user1), 'content-type': 'application/json' }, vary: { kind: 'put-score', review: 'Better on a second viewing.' } },
        limit: 'limit-json',
      },
      {
        name: 'post-review',
        what: 'POST /api/v1/reviews (bearer)',
        spec: { method: 'POST', path: '/api/v1/reviews', headers: { 'content-type': 'application/json' }, vary: { kind: 'post-review', tokens: p.posters, movies: p.movies, first: 0 } },
        limit: 'limit-json',
      },
      ...(diaries
        ? [
            { name: 'diary-10', what: 'GET /api/v1/users/{id}/diary, a member with 10 entries', spec: { method: 'GET' as const, path: `/api/v1/users/${diaries.small}/diary?page=1&limit=10`, headers: {} }, limit: 'limit-json' },
            { name: 'diary-10k', what: 'GET /api/v1/users/{id}/diary, a member with 10,000 entries', spec: { method: 'GET' as const, path: `/api/v1/users/${diaries.big}/diary?page=1&limit=10`, headers: {} }, limit: 'limit-json' },
            {
              name: 'diary-10k-last',
              what: 'GET …/diary?page=1000, the last page of 10,000 entries',
              spec: { method: 'GET' as const, path: `/api/v1/users/${diaries.big}/diary?page=1000&limit=10`, headers: {} },
              limit: 'limit-json',
            },
          ]
        : []),
      ...(feeds
        ? [
            { name: 'feed-small', what: 'GET /api/v1/users/me/feed, following 10 members, 20 activities', spec: { method: 'GET' as const, path: '/api/v1/users/me/feed?limit=20', headers: bearer(feeds.small) }, limit: 'limit-json', cached: true },
            { name: 'feed-1m', what: 'GET /api/v1/users/me/feed, following 1,000 members, 1,000,000 activities', spec: { method: 'GET' as const, path: '/api/v1/users/me/feed?limit=20', headers: bearer(feeds.big) }, limit: 'limit-json', cached: true },
            {
              name: 'feed-1m-deep',
              what: 'GET …/feed?before=…, a page half-way down the 1,000,000',
              spec: { method: 'GET' as const, path: `/api/v1/users/me/feed?limit=20&before=${feeds.deep}`, headers: bearer(feeds.big) },
              limit: 'limit-json',
              cached: true,
            },
          ]
        : []),
      ...searchEndpoints(),
      { name: 'poster-320', what: 'GET poster ?w=320 (JPEG)', spec: { method: 'GET', path: `${p.movie.poster_url}&w=320`, headers: {} }, limit: 'limit-poster' },
      { name: 'trailer-range', what: 'GET trailer, Range: 1 MiB', spec: { method: 'GET', path: p.movie.trailer_url, headers: { range: `bytes=${MiB}-${2 * MiB - 1}` } }, limit: 'limit-trailer' },
    ];

    // The limit answers exactly what Butaca answered, byte for byte.
    const answers: Record<string, { status: number; headers: Record<string, string>; body: string }> = {};
    const capture = async (url: string, target: string, headers: Record<string, string> = {}) => {
      const a = await fetchRaw(server.base, target, 'GET', headers);
      answers[url] = { status: a.status, headers: a.headers, body: a.body.toString('base64') };
    };
    await capture('/limit-json', '/api/v1/movies?page=1&limit=10');
    await capture('/limit-poster', `${p.movie.poster_url}&w=320`);
    await capture('/limit-trailer', p.movie.trailer_url, { range: `bytes=${MiB}-${2 * MiB - 1}` });

    const rows: Row[] = [];
    /** Sentences printed under the table (what a pair of rows measured). */
    const notes: string[] = [];
    const load = async (base: string, spec: LoadSpec): Promise<LoadResult> => {
      if (warmup > 0) await runLoad(tool, spec, { base, connections, seconds: warmup, cpu: clientCpu });
      // The measured run's new reviews must not repeat the warm-up's (they would be 409s).
      const measured = spec.vary?.kind === 'post-review' ? { ...spec, vary: { ...spec.vary, first: (POSTING_USERS * p.movies) / 2 } } : spec;
      return runLoad(tool, measured, { base, connections, seconds, cpu: clientCpu });
    };
    resetPeak(server.child.pid!);
    for (const e of endpoints) {
      if (only && !only.has(e.name)) continue;
      if (e.fresh && !onPostgres) continue;
      process.stderr.write(`  ${scale} ${e.name}…\n`);
      rows.push({ name: e.name, what: e.what, result: await load(server.base, e.spec), ...(e.limit ? { limit: e.limit } : {}) });
    }
    const peakRss = readMemory(server.child.pid!).hwm;
    await stop(server.child);

    const uncached = endpoints.filter((e) => e.cached && !onPostgres && (only ? only.has(`${e.name}-uncached`) : true));
    const fresh = endpoints.filter((e) => e.fresh && !onPostgres && (only ? only.has(e.name) : true));
    if (uncached.length > 0 || fresh.length > 0) {
      const plain = await startButaca(dataDir, 100, { READ_CACHE_MB: '0' });
      running.push(plain.child);
      for (const e of fresh) {
        process.stderr.write(`  ${scale} ${e.name}…\n`);
        rows.push({ name: e.name, what: `${e.what}, read cache off`, result: await load(plain.base, e.spec), limit: 'limit-json' });
      }
      for (const e of uncached) {
        process.stderr.write(`  ${scale} ${e.name}-uncached…\n`);
        rows.push({ name: `${e.name}-uncached`, what: `${e.what}, read cache off`, result: await load(plain.base, e.spec), limit: 'limit-json' });
      }
      await stop(plain.child);
    }

    // What counting for /metrics costs: a server with METRICS=off (no hook at all) against one at the
    // default, on the cheapest answers (/healthz, and a page from the read cache), where a
    // per-request cost weighs most. A cost of 2% is far inside one run's noise on a shared machine,
    // so the two alternate over several short runs (on first, then off first, so a drift of the
    // machine's speed falls on both) and the medians are compared.
    if (!only || only.has('metrics-cost')) {
      const on = await startButaca(dataDir, 100);
      const off = await startButaca(dataDir, 100, { METRICS: 'off' });
      running.push(on.child, off.child);
      const rounds = 6;
      const short = Math.max(2, Math.round(seconds / 2));
      const targets = [
        { name: 'healthz', what: 'GET /healthz', spec: { method: 'GET' as const, path: '/healthz', headers: {} } },
        { name: 'movies-page', what: endpoints.find((x) => x.name === 'movies-page')!.what, spec: endpoints.find((x) => x.name === 'movies-page')!.spec },
      ];
      for (const t of targets) {
        const runs = { on: [] as LoadResult[], off: [] as LoadResult[] };
        for (const server of [on, off]) if (warmup > 0) await runLoad(tool, t.spec, { base: server.base, connections, seconds: warmup, cpu: clientCpu });
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
          for (const label of order) {
            process.stderr.write(`  ${scale} ${t.name} metrics ${label} (${round + 1}/${rounds})…\n`);
            runs[label].push(await runLoad(tool, t.spec, { base: (label === 'on' ? on : off).base, connections, seconds: short, cpu: clientCpu }));
          }
        }
        const median = (list: LoadResult[]) => [...list].sort((x, y) => x.perSecond - y.perSecond)[Math.floor(list.length / 2)]!;
        for (const label of ['on', 'off'] as const) {
          rows.push({
            name: `${t.name}-metrics-${label}`,
            what: `${t.what}, counting for /metrics ${label === 'on' ? 'on (the default)' : 'off (METRICS=off)'}: median of ${rounds} alternating runs of ${short} s`,
            result: median(runs[label]),
            ...(t.name === 'movies-page' ? { limit: 'limit-json' } : {}),
          });
        }
        const cost = 1 - median(runs.on).perSecond / median(runs.off).perSecond;
        const pairs = runs.on.map((r, i) => 1 - r.perSecond / runs.off[i]!.perSecond).sort((x, y) => x - y);
        notes.push(
          `Counting for /metrics on ${t.what}: ${fmt(100 * cost, 1)}% of throughput (medians on/off); ` +
            `run by run ${pairs.map((x) => `${fmt(100 * x, 1)}%`).join(', ')}.`,
        );
      }
      await stop(on.child);
      await stop(off.child);
    }

    const answersFile = path.join(dataDir, 'answers.json');
    writeFileSync(answersFile, JSON.stringify(answers));
    const bare = await startBare(answersFile);
    running.push(bare.child);
    const limits: [string, string][] = [
      ['limit-json', 'node:http, same bytes as movies-page'],
      ['limit-poster', 'node:http, same bytes as poster-320'],
      ['limit-trailer', 'node:http, same bytes as trailer-range'],
    ];
    for (const [name, what] of limits) {
      if (only && !rows.some((r) => r.limit === name)) continue;
      process.stderr.write(`  ${scale} ${name}…\n`);
      rows.push({ name, what, result: await load(bare.base, { method: 'GET', path: `/${name}`, headers: {} }) });
    }
    await stop(bare.child);
    return { scale, rows, notes, peakRss, coldStartMs: cold, counts: p.counts };
  } finally {
    for (const child of running) await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
    if (onPostgres) {
      runDatabaseUrl = undefined;
      await onServer(`drop database if exists ${runDatabase} with (force)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The report

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(report: ScaleReport): string {
  const byName = new Map(report.rows.map((r) => [r.name, r]));
  const lines = [
    '| endpoint | requests/s | p50 ms | p99 ms | errors | ratio to limit |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of report.rows) {
    const limit = row.limit ? byName.get(row.limit) : undefined;
    const ratio = limit ? `${fmt((100 * row.result.perSecond) / limit.result.perSecond, 1)}%` : '—';
    lines.push(`| ${row.what} | ${fmt(row.result.perSecond)} | ${fmt(row.result.p50, 2)} | ${fmt(row.result.p99, 2)} | ${row.result.errors} | ${ratio} |`);
  }
  return lines.join('\n');
}

function growth(reports: ScaleReport[]): string {
  const first = reports[0]!;
  const last = reports[reports.length - 1]!;
  const lines = [`| endpoint | p50 ${first.scale} | p50 ${last.scale} | growth |`, '|---|---:|---:|---:|'];
  // With the read cache on, a repeated page costs the same at any scale: the growth that tells
  // whether the queries stay flat is the uncached one, when it was measured.
  for (const name of ['movies-page', 'movies-last', 'movies-rating', 'reviews-page', 'search-movies-latency', 'search-all-latency', 'search-common']) {
    const row = (report: ScaleReport) => report.rows.find((r) => r.name === `${name}-uncached`) ?? report.rows.find((r) => r.name === name);
    const a = row(first);
    const b = row(last);
    if (a && b) lines.push(`| ${a.name} | ${fmt(a.result.p50, 2)} ms | ${fmt(b.result.p50, 2)} ms | ${fmt(b.result.p50 / a.result.p50, 2)}× |`);
  }
  return lines.join('\n');
}

function commit(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return `${r.stdout.trim() || 'unknown'}${dirty ? ' (with uncommitted changes in src/)' : ''}`;
}

// ---------------------------------------------------------------------------------------------

if (!values['skip-build']) {
  out('building the server (npm run build:server)…');
  const built = spawnSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
// The course's FastAPI app side by side (bench/peer.ts): once, on its own data, before the scales.
const variants = values.variants.split(',').map((s) => s.trim()).filter(Boolean);
for (const v of variants) if (v !== 'postgres' && v !== 'postgres-unnamed' && !/^node\d+$/.test(v)) throw new Error(`--variants: postgres, postgres-unnamed or nodeNN (node24), got "${v}"`);
const peerOptions = {
  tool, connections, seconds, warmup, serverCpu, clientCpu,
  postgresUrl: variants.includes('postgres') || variants.includes('postgres-unnamed') ? POSTGRES_URL : undefined,
  postgresUnnamed: variants.includes('postgres-unnamed'),
  nodeLines: variants.filter((v) => v.startsWith('node')).map((v) => Number(v.slice(4))),
  soakMinutes: Number(values.soak),
};
if (!(peerOptions.soakMinutes >= 0 && peerOptions.soakMinutes <= 60)) throw new Error('--soak: minutes, 0–60');
const peer = !only || only.has('peer') ? await comparePeer(peerOptions, (line) => process.stderr.write(`${line}\n`)) : undefined;
const http2 = !only || only.has('http2') ? await compareHttp2({ connections, seconds, warmup, serverCpu, clientCpu }, (line) => process.stderr.write(`${line}\n`)) : undefined;
const cold = await coldStart();
const reports: ScaleReport[] = [];
// `--only peer,http2` is those comparisons alone.
if (!only || [...only].some((name) => name !== 'peer' && name !== 'http2')) for (const scale of scales) reports.push(await benchScale(scale, only, cold));

const date = new Date().toISOString().slice(0, 10);
const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.arch();
const header = [
  `Machine: ${os.availableParallelism()} × ${cpu}, Node ${process.version}; commit ${commit()}.`,
  `Load: ${tool}, ${connections} connections, ${warmup} s warm-up + ${seconds} s per endpoint; ` +
    (canPin ? `server pinned to CPU ${SERVER_CPU}, load generator to CPU ${CLIENT_CPU} (taskset).` : 'NOT pinned (taskset or a second core missing).'),
  `Database: ${onPostgres ? `PostgreSQL at ${new URL(POSTGRES_URL).host} (pool of 10 per process)` : 'SQLite (WAL, synchronous=FULL)'}, seeded through the data layer. ` +
    `Cold start (empty SQLite database → /readyz 200, median of 3): ${fmt(cold)} ms.`,
].join('\n');
mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
if (peer) {
  const text = [`# Butaca and the course's FastAPI app, side by side, ${date}`, '', header, '', peer, '', 'Made by `npm run bench` (bench/run.ts, bench/peer.ts).', ''].join('\n');
  out(`\n${text}`);
  writeFileSync(path.join(ROOT, 'bench/results', `${date}-peer.md`), text);
}
if (http2) {
  const text = [`# HTTP/2 and HTTP/1.1 over TLS, ${date}`, '', header, '', http2, '', 'Made by `npm run bench` (bench/run.ts, bench/h2.ts).', ''].join('\n');
  out(`\n${text}`);
  writeFileSync(path.join(ROOT, 'bench/results', `${date}-http2.md`), text);
}
for (const report of reports) {
  const text = [
    `# Butaca benchmark — ${report.scale} scale${onPostgres ? ', PostgreSQL' : ''}, ${date}`,
    '',
    header,
    `Catalogue: ${fmt(report.counts.movies)} movies, ${fmt(report.counts.reviews)} reviews. Server peak RSS (VmHWM) during the run: ${fmt(report.peakRss / MiB, 1)} MiB.`,
    '',
    table(report),
    '',
    ...(report.notes.length > 0 ? [...report.notes, ''] : []),
    ...(reports.length > 1 ? [`p50 growth ${reports[0]!.scale} → ${reports[reports.length - 1]!.scale}:`, '', growth(reports), ''] : []),
    'Made by `npm run bench` (bench/run.ts).',
    '',
  ].join('\n');
  out(`\n${text}`);
  writeFileSync(path.join(ROOT, 'bench/results', `${date}-${report.scale}${onPostgres ? '-postgres' : ''}${only ? '-partial' : ''}.md`), text);
}
