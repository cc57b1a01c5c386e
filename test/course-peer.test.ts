import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TestContext, adminToken, bearer, startApp } from './support/app.js';

/*
 * Butaca beside the course's own server (test/fixtures/reference/course_api.py, a copy of
 * ../shared/reference: FastAPI + peewee, run with Debian's python3-fastapi, -uvicorn, -peewee,
 * -jwt and -multipart), given the same users, movies and reviews through each one's API, then asked
 * what a course client asks: the same paths give the same JSON where the course's client looks
 * (ids, order of lists, the fields the course has), the same Content-Type, the same error details.
 * Where Butaca deliberately differs (201 vs 200, 403 vs 401, admin-only movies), only the shared
 * part is compared.
 */

const PYTHON = '/usr/bin/python3';
const REFERENCE_DIR = path.join(import.meta.dirname, 'fixtures', 'reference');

function referenceMissing(): string | false {
  const probe = spawnSync(PYTHON, ['-c', 'import fastapi, uvicorn, peewee, jwt, multipart'], { encoding: 'utf8' });
  if (probe.status === 0) return false;
  return `the course's reference server needs ${PYTHON} with python3-fastapi python3-uvicorn python3-peewee python3-jwt python3-multipart (apt-get install them)`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Answer {
  status: number;
  contentType: string | null;
  wwwAuthenticate: string | null;
  body: unknown;
}

const skip = process.env.CI === 'true' ? false : referenceMissing();

describe('Butaca beside the course’s own FastAPI server', { skip }, () => {
  let ctx: TestContext;
  let admin: string;
  let reference: ChildProcess;
  let referenceBase: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'butaca-reference-'));
  const tokens: Record<'butaca' | 'course', Record<string, string>> = { butaca: {}, course: {} };

  interface Call {
    token?: string;
    json?: unknown;
    form?: Record<string, string>;
  }

  /** What a `requests` call puts on the wire: a bearer token, and a JSON body (`json=`) or a form (`data=`). */
  function wire({ token, json, form }: Call): { headers: Record<string, string>; body?: string } {
    const headers: Record<string, string> = token ? bearer(token) : {};
    if (json !== undefined) return { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(json) };
    if (form) return { headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() };
    return { headers };
  }

  async function course(method: string, url: string, call: Call = {}): Promise<Answer> {
    const { headers, body } = wire(call);
    const res = await fetch(referenceBase + url, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type'), wwwAuthenticate: res.headers.get('www-authenticate'), body: text ? JSON.parse(text) : null };
  }

  async function butaca(method: string, url: string, call: Call = {}): Promise<Answer> {
    const { headers, body: payload } = wire(call);
    const res = await ctx.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
    const ct = res.headers['content-type'];
    const www = res.headers['www-authenticate'];
    const body = res.body ? (JSON.parse(res.body) as unknown) : null;
    // What a course client reads of an error: `detail`. Butaca's `code` (and `ctx`) ride beside it for its own client.
    const shown = res.statusCode >= 400 && body !== null && typeof body === 'object' && 'detail' in body ? { detail: (body as { detail: unknown }).detail } : body;
    return { status: res.statusCode, contentType: ct === undefined ? null : String(ct), wwwAuthenticate: www === undefined ? null : String(www), body: shown };
  }

  /** The part of a review the course's API has: what its clients read. */
  const courseView = (r: { id: number; user_id: number; movie: { id: number; title: string }; review: string; score: number }) => ({
    id: r.id,
    user_id: r.user_id,
    movie: { id: r.movie.id, title: r.movie.title },
    review: r.review,
    score: r.score,
  });

  before(async () => {
    const port = await freePort();
    referenceBase = `http://127.0.0.1:${port}`;
    reference = spawn(PYTHON, ['-m', 'uvicorn', 'course_api:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], {
      cwd: REFERENCE_DIR,
      env: { ...process.env, REF_DB: path.join(dir, 'ref.db') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    reference.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const until = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(`${referenceBase}/api/v1/movies`)).ok) break;
      } catch {
        // not up yet
      }
      if (reference.exitCode !== null || Date.now() > until) throw new Error(`the reference server did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    ctx = await startApp();
    admin = await adminToken(ctx, 'profesor');
    // The same catalogue through each API: two movies, five students, eight reviews in one order.
    for (const title of ['El laberinto del fauno', 'Cléo de 5 à 7']) {
      assert.equal((await course('POST', '/api/v1/movies', { json: { title } })).status, 200);
      assert.equal((await butaca('POST', '/api/v1/movies', { token: admin, json: { title } })).status, 201);
    }
    // Butaca's admin holds user id 1; the course's first user is a student, so one placeholder keeps the ids aligned.
    await course('POST', '/api/v1/users', { json: { username: 'profesor', password: 'x-password-1' } });
    for (const name of ['ana', 'bruno', 'carla', 'dario', 'elena']) {
      for (const [server, send] of [['course', course], ['butaca', butaca]] as const) {
        assert.ok((await send('POST', '/api/v1/users', { json: { username: name, password: 'una-clave-larga' } })).status < 300);
        const t = await send('POST', '/auth', { form: { username: name, password: 'una-clave-larga' } });
        assert.equal(t.status, 200);
        tokens[server][name] = (t.body as { access_token: string }).access_token;
      }
    }
    const writes: [string, number, string, number][] = [
      ['ana', 1, 'Preciosa', 5],
      ['bruno', 1, 'Dura', 4],
      ['carla', 2, 'Un reloj que corre', 5],
      ['ana', 2, 'Lenta', 3],
      ['dario', 1, 'No es para mí', 2],
      ['elena', 2, 'Obra maestra', 5],
      ['bruno', 2, 'Bien', 4],
      ['elena', 1, 'Oscura y bella', 4],
    ];
    for (const [name, movie_id, review, score] of writes) {
      assert.equal((await course('POST', '/api/v1/reviews', { token: tokens.course[name], json: { movie_id, review, score } })).status, 200);
      assert.equal((await butaca('POST', '/api/v1/reviews', { token: tokens.butaca[name], json: { movie_id, review, score } })).status, 201);
    }
  });

  after(async () => {
    reference?.kill('SIGTERM');
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists reviews page by page exactly as the course does (page=2&limit=3 is the same three reviews)', async () => {
    for (const query of ['', '?page=1&limit=3', '?page=2&limit=3', '?page=3&limit=3', '?limit=100', '?page=9&limit=5']) {
      const ours = await butaca('GET', `/api/v1/reviews${query}`);
      const theirs = await course('GET', `/api/v1/reviews${query}`);
      assert.equal(ours.status, theirs.status, query);
      assert.equal(ours.contentType, theirs.contentType, `${query}: Content-Type`);
      assert.deepEqual((ours.body as Parameters<typeof courseView>[0][]).map(courseView), theirs.body, query);
    }
  });

  it('lists a student’s own reviews (GET /api/v1/users/reviews) in the course’s order', async () => {
    for (const name of ['ana', 'bruno', 'elena']) {
      const ours = await butaca('GET', '/api/v1/users/reviews', { token: tokens.butaca[name] });
      const theirs = await course('GET', '/api/v1/users/reviews', { token: tokens.course[name] });
      assert.equal(ours.contentType, theirs.contentType);
      assert.deepEqual((ours.body as Parameters<typeof courseView>[0][]).map(courseView), theirs.body, name);
    }
  });

  it('lists movies and reads one the same way, and says the same when something is not there', async () => {
    const ours = await butaca('GET', '/api/v1/movies?page=1&limit=10');
    const theirs = await course('GET', '/api/v1/movies?page=1&limit=10');
    assert.deepEqual((ours.body as { id: number; title: string }[]).map(({ id, title }) => ({ id, title })), theirs.body);
    for (const url of ['/api/v1/movies/999', '/api/v1/reviews/999']) {
      const [a, b] = [await butaca('GET', url), await course('GET', url)];
      assert.deepEqual([a.status, a.contentType, a.body], [b.status, b.contentType, b.body], url);
    }
  });

  it('refuses what the course refuses with the same detail: a second review, a taken username, a wrong password', async () => {
    const again = { movie_id: 1, review: 'Otra vez', score: 1 };
    const dup = [await butaca('POST', '/api/v1/reviews', { token: tokens.butaca.ana, json: again }), await course('POST', '/api/v1/reviews', { token: tokens.course.ana, json: again })];
    assert.deepEqual(dup.map((a) => [a.status, a.contentType, a.body]), Array(2).fill([409, 'application/json', { detail: 'Already created a review' }]));
    const taken = { username: 'ana', password: 'otra-clave-larga' };
    const users = [await butaca('POST', '/api/v1/users', { json: taken }), await course('POST', '/api/v1/users', { json: taken })];
    assert.deepEqual(users.map((a) => [a.status, a.body]), Array(2).fill([409, { detail: 'Username already in use' }]));
    const wrong = { username: 'ana', password: 'not-her-password' };
    const logins = [await butaca('POST', '/auth', { form: wrong }), await course('POST', '/auth', { form: wrong })];
    assert.deepEqual(logins.map((a) => [a.status, a.contentType, a.wwwAuthenticate, a.body]), Array(2).fill([401, 'application/json', 'Bearer', { detail: 'Incorrect username or password' }]));
  });
});
