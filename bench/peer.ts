/**
 * Butaca against the course's FastAPI app, side by side in one run (issue 18's table):
 * `../shared/reference/course_api.py` under uvicorn with uvloop and httptools and no access log
 * (Debian's python3-fastapi, -uvicorn, -uvloop, -httptools, -peewee, -jwt, -multipart), Butaca at
 * its defaults (LOG_LEVEL=info, security headers, rate limit, metrics), each on a fresh database
 * seeded with the same data through its own API, each pinned to the same core in turn, the load
 * from the other; and a bare node:http server answering /healthz's exact bytes, the limit.
 * Run by bench/run.ts (`npm run bench`, or `--only peer`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type LoadResult, type LoadSpec, type SequenceRequest, type Tool, runLoad } from './load.js';
import { type NodeLine, prepareNodeLine } from './node-line.js';
import { BENCH_PASSWORD } from './seed-catalogue.js';
import { ROOT, freePort, pinned, readMemory, runCli, stop, waitReady } from './server-process.js';

const PYTHON = '/usr/bin/python3';
const REFERENCE = path.resolve(ROOT, '../shared/reference');
/** The shared data: movies, members, and each member's reviews (distinct movies). */
const MOVIES = 1_000;
const MEMBERS = 100;
const REVIEWS_EACH = 30;
/** Members whose own review the mix and the PUT rewrite, in turn. */
const WRITERS = 30;
/** Members who POST new reviews: each (member, movie) pair once in the whole run. */
const POSTERS = 200;

export interface PeerOptions {
  tool: Tool;
  connections: number;
  seconds: number;
  warmup: number;
  serverCpu: number | undefined;
  clientCpu: number | undefined;
  /** Butaca also on this PostgreSQL server (a database of its own, made and dropped here); undefined: not. */
  postgresUrl: string | undefined;
  /** And beside it, the same with DATABASE_PREPARED_STATEMENTS=off (every statement parsed and planned on each call). */
  postgresUnnamed: boolean;
  /** Butaca also on these Node.js majors (bench/node-line.ts); those equal to this process's are left out. */
  nodeLines: number[];
  /** Minutes of the mix at the run's connections, RSS read every 30 s (0: none). */
  soakMinutes: number;
}

export interface Target {
  /** 'FastAPI', 'Butaca' (SQLite, this Node), or a variant of Butaca's ('PostgreSQL', 'Node 24'). */
  name: string;
  child: ChildProcess;
  base: string;
  /** Bearer tokens of member1…memberN, and of the posters. */
  members: string[];
  posters: string[];
  /** Each member's review ids, in the order made. */
  reviewsOf: number[][];
}

function fastapiMissing(): string | undefined {
  if (!existsSync(path.join(REFERENCE, 'course_api.py'))) return `${REFERENCE}/course_api.py is not there`;
  const probe = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, uvloop, httptools, peewee, jwt, multipart'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} lacks FastAPI, uvicorn, uvloop or httptools (apt-get install python3-fastapi python3-uvicorn python3-uvloop python3-httptools python3-peewee python3-jwt python3-multipart)`;
  return undefined;
}

async function call(base: string, method: string, url: string, options: { body?: unknown; form?: Record<string, string>; token?: string } = {}): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(base + url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function ok<T>(promise: Promise<{ status: number; json: unknown }>, what: string): Promise<T> {
  const res = await promise;
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as T;
}

/** `count` calls of `work`, `inFlight` at a time. */
async function pool(count: number, inFlight: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) await work(next++);
  }));
}

/** The same data through either API: movies, members, reviews; the tokens and ids the loads use. */
export async function seed(target: Omit<Target, 'members' | 'posters' | 'reviewsOf'>, adminToken: string | undefined): Promise<Target> {
  const { base } = target;
  // In order, so both number them alike.
  for (let m = 1; m <= MOVIES; m++) await ok(call(base, 'POST', '/api/v1/movies', { body: { title: `Film number ${m}` }, token: adminToken }), 'movie');
  const names = [...Array.from({ length: MEMBERS }, (_, i) => `member${i + 1}`), ...Array.from({ length: POSTERS }, (_, i) => `poster${i + 1}`)];
  for (const username of names) await ok(call(base, 'POST', '/api/v1/users', { body: { username, password: BENCH_PASSWORD } }), 'member');
  const tokens: string[] = [];
  await pool(names.length, 4, async (i) => {
    const auth = await ok<{ access_token: string }>(call(base, 'POST', '/auth', { form: { username: names[i]!, password: BENCH_PASSWORD } }), 'token');
    tokens[i] = auth.access_token;
  });
  const members = tokens.slice(0, MEMBERS);
  const reviewsOf: number[][] = members.map(() => []);
  // Review k of every member, round by round, so ids interleave as members' writing does.
  for (let k = 0; k < REVIEWS_EACH; k++) {
    await pool(MEMBERS, 8, async (u) => {
      const movie = ((u * 37 + k * 11) % MOVIES) + 1;
      const review = await ok<{ id: number }>(call(base, 'POST', '/api/v1/reviews', { body: { movie_id: movie, review: `Member ${u + 1} on film ${movie}: worth seeing.`, score: ((u + k) % 5) + 1 }, token: members[u] }), 'review');
      reviewsOf[u]![k] = review.id;
    });
  }
  return { ...target, members, posters: tokens.slice(MEMBERS), reviewsOf };
}

interface Workload {
  name: string;
  what: string;
  spec: (t: Target) => LoadSpec;
  /** Left out of the ≥ 8× target, and why. */
  exempt?: string;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const putBody = (score: number) => JSON.stringify({ review: 'Better on a second viewing.', score });

function workloads(): Workload[] {
  const middleReview = (t: Target) => t.reviewsOf[MEMBERS / 2]![REVIEWS_EACH / 2]!;
  const pages = Array.from({ length: 100 }, (_, i) => `/api/v1/movies?page=${i + 1}&limit=10`);
  return [
    { name: 'movies-page', what: 'GET /api/v1/movies?page=1&limit=10 (repeated)', spec: () => ({ method: 'GET', path: pages[0]!, headers: {} }) },
    { name: 'movies-rotation', what: '100 movie pages in rotation', spec: () => ({ method: 'GET', path: pages[0]!, headers: {}, vary: { kind: 'paths', paths: pages } }) },
    { name: 'movie-by-id', what: 'GET /api/v1/movies/{id}', spec: () => ({ method: 'GET', path: `/api/v1/movies/${MOVIES / 2}`, headers: {} }) },
    { name: 'review-by-id', what: 'GET /api/v1/reviews/{id} (repeated)', spec: (t) => ({ method: 'GET', path: `/api/v1/reviews/${middleReview(t)}`, headers: {} }) },
    { name: 'reviews-page', what: 'GET /api/v1/reviews?page=1&limit=10', spec: () => ({ method: 'GET', path: '/api/v1/reviews?page=1&limit=10', headers: {} }) },
    { name: 'my-reviews', what: 'GET /api/v1/users/reviews (bearer, 30 reviews)', spec: (t) => ({ method: 'GET', path: '/api/v1/users/reviews', headers: bearer(t.members[0]!) }) },
    {
      name: 'put-review',
      what: 'PUT own review (30 members in turn)',
      spec: (t) => ({
        method: 'PUT',
        path: '/',
        headers: { 'content-type': 'application/json' },
        vary: {
          kind: 'sequence',
          requests: Array.from({ length: WRITERS * 5 }, (_, i): SequenceRequest => ({
            method: 'PUT',
            path: `/api/v1/reviews/${t.reviewsOf[i % WRITERS]![0]!}`,
            headers: bearer(t.members[i % WRITERS]!),
            body: putBody((Math.floor(i / WRITERS) % 5) + 1),
          })),
        },
      }),
    },
    { name: 'mix', what: '**9 reads spread over 100 movie pages and 300 reviews, then 1 PUT**', spec: (t) => ({ method: 'GET', path: '/', headers: { 'content-type': 'application/json' }, vary: { kind: 'sequence', requests: mix(t, pages) } }) },
    {
      name: 'login',
      what: 'POST /auth (password form; 100 members in turn, 8 connections)',
      // 8 at a time: Butaca counts a password check in flight against the account's and the
      // address's failed-login limits (5 and 30) until it proves right, so 32 parallel logins
      // from one address would be refused by design, whatever their passwords.
      spec: () => ({
        method: 'POST',
        path: '/auth',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        connections: 8,
        vary: {
          kind: 'sequence',
          requests: Array.from({ length: MEMBERS }, (_, i): SequenceRequest => ({ method: 'POST', path: '/auth', body: new URLSearchParams({ username: `member${i + 1}`, password: BENCH_PASSWORD }).toString() })),
        },
      }),
      exempt: 'argon2id (19 MiB, 2 passes) against the course\'s unsalted MD5: slow on purpose, the price of a password that a stolen database does not give away',
    },
    {
      name: 'post-review',
      what: 'POST /api/v1/reviews (a new member and movie each time)',
      spec: (t) => ({ method: 'POST', path: '/api/v1/reviews', headers: { 'content-type': 'application/json' }, vary: { kind: 'post-review', tokens: t.posters, movies: MOVIES, first: 0 } }),
    },
  ];
}

/** Blocks of 9 reads and a PUT: the reads alternate a movie page (100) and a review (300 of them), the PUT a writer's own review. */
export function mix(t: Target, pages: string[]): SequenceRequest[] {
  const reviews = t.reviewsOf.slice(0, 30).flatMap((ids) => ids.slice(0, 10)); // 300
  const out: SequenceRequest[] = [];
  let read = 0;
  for (let block = 0; block < 300; block++) {
    for (let j = 0; j < 9; j++, read++) {
      out.push(read % 2 === 0 ? { method: 'GET', path: pages[((read / 2) * 7) % 100]! } : { method: 'GET', path: `/api/v1/reviews/${reviews[(((read - 1) / 2) * 13) % 300]}` });
    }
    const writer = block % WRITERS;
    out.push({ method: 'PUT', path: `/api/v1/reviews/${t.reviewsOf[writer]![0]!}`, headers: bearer(t.members[writer]!), body: putBody((Math.floor(block / WRITERS) % 5) + 1) });
  }
  return out;
}

function rawGet(base: string, url: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(base + url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (!['date', 'connection', 'keep-alive'].includes(k) && typeof v === 'string') headers[k] = v;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
    })
      .on('error', reject)
      .end();
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Runs the comparison; returns its report (markdown), with what was missing said in it. */
export async function comparePeer(opts: PeerOptions, log: (line: string) => void): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'butaca-bench-peer-'));
  const children: ChildProcess[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;
  const nodeVersions = new Map<string, string>();
  const load = async (base: string, spec: LoadSpec, first?: number): Promise<LoadResult> => {
    const measured = (f: number) => (spec.vary?.kind === 'post-review' ? { ...spec, vary: { ...spec.vary, first: f } } : spec);
    if (opts.warmup > 0) await runLoad(opts.tool, measured(0), { base, connections: opts.connections, seconds: opts.warmup, cpu: opts.clientCpu });
    return runLoad(opts.tool, measured(first ?? 0), { base, connections: opts.connections, seconds: opts.seconds, cpu: opts.clientCpu });
  };
  try {
    const missing = fastapiMissing();
    const targets: Target[] = [];
    if (missing === undefined) {
      const port = await freePort();
      const [command, args] = pinned(opts.serverCpu, PYTHON, ['-m', 'uvicorn', 'course_api:app', '--host', '127.0.0.1', '--port', String(port), '--loop', 'uvloop', '--http', 'httptools', '--no-access-log', '--log-level', 'warning']);
      const child = spawn(command, args, { cwd: REFERENCE, env: { PATH: process.env.PATH, HOME: process.env.HOME, REF_DB: path.join(dir, 'ref.db') }, stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      let out = '';
      child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-2000)));
      const base = `http://127.0.0.1:${port}`;
      await waitReady(`${base}/`, child, () => out);
      log('  peer: seeding FastAPI through its API…');
      targets.push(await seed({ name: 'FastAPI', child, base }, undefined));
    }
    const butacaAt = async (name: string, extra: Record<string, string>, line?: NodeLine): Promise<Target> => {
      const dataDir = path.join(dir, name.replace(/\W+/g, '-').toLowerCase());
      const port = await freePort();
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'production', ...extra };
      const cli = line ?? { node: process.execPath, root: ROOT };
      const [command, args] = pinned(opts.serverCpu, cli.node, [path.join(cli.root, 'bin/butaca.js'), 'serve']);
      const child = spawn(command, args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      let out = '';
      child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-2000)));
      const base = `http://127.0.0.1:${port}`;
      await waitReady(`${base}/readyz`, child, () => out);
      await runCli(['user', 'create', 'peeradmin', '--admin'], env, dir, `${BENCH_PASSWORD}\n`, cli);
      const admin = await ok<{ access_token: string }>(call(base, 'POST', '/auth', { form: { username: 'peeradmin', password: BENCH_PASSWORD } }), 'admin token');
      log(`  peer: seeding ${name} through its API…`);
      return seed({ name, child, base }, admin.access_token);
    };
    targets.push(await butacaAt('Butaca', {}));
    // The variants: the same server on PostgreSQL, and on other Node lines.
    const variants: string[] = [];
    const notMeasured: string[] = [];
    const onPostgres = [{ name: 'PostgreSQL', database: PEER_DATABASE, env: {} }];
    if (opts.postgresUnnamed) onPostgres.push({ name: 'PostgreSQL unnamed', database: `${PEER_DATABASE}_unnamed`, env: { DATABASE_PREPARED_STATEMENTS: 'off' } });
    const drops: (() => Promise<void>)[] = [];
    dropDatabase = async () => {
      for (const drop of drops) await drop();
    };
    for (const variant of opts.postgresUrl === undefined ? [] : onPostgres) {
      const url = await freshPostgresDatabase(opts.postgresUrl!, variant.database);
      if (typeof url === 'string') {
        drops.push(() => dropPostgresDatabase(opts.postgresUrl!, variant.database));
        targets.push(await butacaAt(variant.name, { DATABASE_URL: url, ...variant.env }));
        variants.push(variant.name);
      } else notMeasured.push(`${variant.name}: ${url.missing}`);
    }
    const thisMajor = Number(process.versions.node.split('.')[0]);
    for (const major of opts.nodeLines.filter((m) => m !== thisMajor)) {
      const line = prepareNodeLine(major, log);
      if ('missing' in line) {
        notMeasured.push(`Node ${major}: ${line.missing}`);
        continue;
      }
      targets.push(await butacaAt(`Node ${major}`, {}, line));
      variants.push(`Node ${major}`);
      nodeVersions.set(`Node ${major}`, line.version);
    }
    const butaca = targets.find((t) => t.name === 'Butaca')!;
    const fastapi = targets.find((t) => t.name === 'FastAPI');
    const others = targets.filter((t) => variants.includes(t.name));

    // The limit: node:http answering /healthz's bytes exactly as Butaca sends them.
    const health = await rawGet(butaca.base, '/healthz');
    const answers = path.join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({ '/healthz': { status: health.status, headers: health.headers, body: health.body.toString('base64') } }));
    const [bareCommand, bareArgs] = pinned(opts.serverCpu, process.execPath, [path.join(ROOT, 'bench/bare-server.mjs'), answers]);
    const bare = spawn(bareCommand, bareArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(bare);
    const barePort = await new Promise<number>((resolve) => bare.stdout!.on('data', (c: Buffer) => resolve(Number(/listening (\d+)/.exec(c.toString())?.[1]))));

    const rows: string[] = [];
    const healthSpec: LoadSpec = { method: 'GET', path: '/healthz', headers: {} };
    log('  peer: /healthz, Butaca and bare node:http…');
    const floor = await load(butaca.base, healthSpec);
    const limit = await load(`http://127.0.0.1:${barePort}`, healthSpec);
    rows.push(`| \`GET /healthz\` vs bare node:http with the same status, headers and body | — | ${fmt(floor.perSecond)} vs ${fmt(limit.perSecond)} | **${fmt((100 * floor.perSecond) / limit.perSecond, 1)}% of the limit** | ${fmt(floor.p99, 2)} | ${floor.errors} |`);
    const variantRow = async (what: string, spec: (t: Target) => LoadSpec, base: LoadResult, first?: number): Promise<void> => {
      if (others.length === 0) return;
      const cells: string[] = [];
      for (const t of others) {
        log(`  peer: ${what} on ${t.name}…`);
        const r = await load(t.base, spec(t), first);
        cells.push(`${fmt(r.perSecond)} | ${fmt(r.perSecond / base.perSecond, 2)}× | ${fmt(r.p99, 2)}`);
      }
      variantRows.push(`| ${what} | ${fmt(base.perSecond)} | ${cells.join(' | ')} |`);
    };
    const variantRows: string[] = [];
    await variantRow('`GET /healthz`', () => healthSpec, floor);
    const exempt: string[] = [];
    for (const w of workloads()) {
      const results: Partial<Record<string, LoadResult>> = {};
      for (const t of [fastapi, butaca].filter((x) => x !== undefined)) {
        log(`  peer: ${w.name} on ${t.name}…`);
        // POST: the measured run's (member, movie) pairs come after the warm-up's.
        results[t.name] = await load(t.base, w.spec(t), w.name === 'post-review' ? (POSTERS * MOVIES) / 2 : 0);
      }
      const b = results.Butaca!;
      const f = results.FastAPI;
      await variantRow(w.what, w.spec, b, w.name === 'post-review' ? (POSTERS * MOVIES) / 2 : 0);
      const errors = `${b.errors}${f ? ` / ${f.errors}` : ''}`;
      const ratio = f ? `${fmt(b.perSecond / f.perSecond, 1)}×` : '—';
      rows.push(`| ${w.what} | ${f ? fmt(f.perSecond) : '—'} | ${fmt(b.perSecond)} | ${w.exempt ? `${ratio} (exempt¹)` : `**${ratio}**`} | ${fmt(b.p99, 2)} | ${errors} |`);
      if (w.exempt) exempt.push(`¹ ${w.what}: ${w.exempt}.`);
    }
    const rss = readMemory(butaca.child.pid!);
    const soak = opts.soakMinutes > 0 ? await soakMix(butaca, opts, log) : [];
    return [
      `Butaca at its defaults (LOG_LEVEL=info, security headers, rate limit, /metrics counting) against the course's FastAPI app (uvicorn ${uvicornVersion()}, uvloop, httptools, no access log), each on a fresh SQLite database holding the same ${fmt(MOVIES)} movies, ${fmt(MEMBERS + POSTERS)} members and ${fmt(MEMBERS * REVIEWS_EACH)} reviews, made through its own API; each server alone on CPU ${opts.serverCpu ?? '(not pinned)'}, wrk on the other; ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.seconds} s each.`,
      ...(fastapi ? [] : ['', `**FastAPI's figures are missing**: ${missing}.`]),
      '',
      '| workload | FastAPI r/s | Butaca r/s | ratio | Butaca p99 ms | errors (Butaca / FastAPI) |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      ...exempt,
      `Butaca's RSS at the end: ${fmt(rss.rss / 1024 / 1024, 1)} MiB (peak ${fmt(rss.hwm / 1024 / 1024, 1)} MiB).`,
      ...(others.length === 0
        ? []
        : [
            '',
            `### The same server on PostgreSQL and on other Node lines`,
            '',
            `Each variant seeded alike through its own API and loaded as above, right after the row it is compared with; the ratio is to Butaca's figure in the table above (SQLite, Node ${process.versions.node}). ` +
              (opts.postgresUrl !== undefined ? `PostgreSQL ${postgresVersion(opts.postgresUrl)} runs on this machine's two cores, not pinned (so it shares the load generator's core), with Butaca's defaults (a pool of 10, named prepared statements per connection)` + (opts.postgresUnnamed ? '; "PostgreSQL unnamed" is the same with DATABASE_PREPARED_STATEMENTS=off, each statement parsed and planned on every call' : '') + `. ` : '') +
              [...nodeVersions].map(([name, v]) => `${name} is ${v}.`).join(' '),
            '',
            `| workload | Butaca r/s | ${others.map((t) => `${t.name} r/s | ÷ Butaca | p99 ms`).join(' | ')} |`,
            `|---|---:|${others.map(() => '---:|---:|---:').join('|')}|`,
            ...variantRows,
          ]),
      ...(notMeasured.length === 0 ? [] : ['', `Not measured: ${notMeasured.join('; ')}.`]),
      ...soak,
    ].join('\n');
  } finally {
    for (const child of children) await stop(child);
    await dropDatabase?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The mix for `soakMinutes` on Butaca (after everything above), in loads of 30 s back to back, its
 * RSS read after each: a leak shows as RSS still climbing after the first minute, when the caches,
 * the heap's generations and SQLite's page cache have reached their working size.
 */
async function soakMix(t: Target, opts: PeerOptions, log: (line: string) => void): Promise<string[]> {
  const SLICE = 30;
  const slices = Math.round((opts.soakMinutes * 60) / SLICE);
  log(`  peer: the mix for ${opts.soakMinutes} minutes on Butaca, RSS every ${SLICE} s…`);
  const spec: LoadSpec = { method: 'GET', path: '/', headers: { 'content-type': 'application/json' }, vary: { kind: 'sequence', requests: mix(t, Array.from({ length: 100 }, (_, i) => `/api/v1/movies?page=${i + 1}&limit=10`)) } };
  const samples: { at: number; rss: number; perSecond: number; p99: number; errors: number }[] = [];
  for (let i = 1; i <= slices; i++) {
    const r = await runLoad(opts.tool, spec, { base: t.base, connections: opts.connections, seconds: SLICE, cpu: opts.clientCpu });
    samples.push({ at: i * SLICE, rss: readMemory(t.child.pid!).rss, perSecond: r.perSecond, p99: r.p99, errors: r.errors });
  }
  const MiB = 1024 * 1024;
  const atMinute = samples.find((x) => x.at === 60) ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const growth = (100 * (last.rss - atMinute.rss)) / atMinute.rss;
  return [
    '',
    `### Memory: the mix for ${opts.soakMinutes} minutes`,
    '',
    `Butaca (SQLite) under the mix above at ${opts.connections} connections for ${opts.soakMinutes} minutes, in loads of ${SLICE} s back to back; RSS (VmRSS) after each.`,
    '',
    '| after | RSS MiB | r/s | p99 ms | errors |',
    '|---:|---:|---:|---:|---:|',
    ...samples.filter((x) => x.at % 60 === 0 || x === samples[0]).map((x) => `| ${x.at >= 60 ? `${x.at / 60} min` : `${x.at} s`} | ${fmt(x.rss / MiB, 1)} | ${fmt(x.perSecond)} | ${fmt(x.p99, 2)} | ${x.errors} |`),
    '',
    `RSS after ${opts.soakMinutes} minutes ÷ after 1 minute: **${growth >= 0 ? '+' : ''}${fmt(growth, 1)}%** (${fmt(atMinute.rss / MiB, 1)} → ${fmt(last.rss / MiB, 1)} MiB; the target is within 10%).`,
  ];
}

const PEER_DATABASE = 'butaca_bench_peer';

/** A new, empty database on the server of `url` (dropped first if a killed run left it), or why not. */
async function freshPostgresDatabase(url: string, name: string): Promise<string | { missing: string }> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  } catch (err) {
    return { missing: `${new URL(url).host}: ${(err as Error).message}` };
  } finally {
    await client.end().catch(() => {});
  }
  const at = new URL(url);
  at.pathname = `/${name}`;
  return at.toString();
}

async function dropPostgresDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
  } finally {
    await client.end().catch(() => {});
  }
}

function postgresVersion(url: string): string {
  const r = spawnSync('psql', [url, '-XAtc', 'show server_version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split(' ')[0]! : '';
}

function uvicornVersion(): string {
  const r = spawnSync(PYTHON, ['-c', 'import uvicorn; print(uvicorn.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '?';
}
