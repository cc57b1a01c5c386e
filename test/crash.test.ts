import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanUp, runCli, tempDir } from './support/cli.js';
import { type Served, api, apiToken, apiUser, dataDirProblems, serveProcess } from './support/processes.js';

/*
 * Crash durability: an acknowledged write survives `kill -9`.
 *
 * A real `butaca serve` process takes concurrent review writes (creates, PUTs, deletes) from
 * several users; after ACK_BEFORE_KILL of them have been answered 2xx, and while others are still
 * in flight, the process is killed with SIGKILL. Restarted on the same data directory, every
 * acknowledged write must be there (SQLite in WAL with synchronous=FULL: a commit is on disk
 * before the answer leaves).
 *
 * Each (user, movie) pair — a "slot", holding at most one review — is driven by exactly one
 * worker, one request at a time, so the expected state of a slot is exact: the last acknowledged
 * write, or, when a request was in flight at the kill, possibly that request's outcome (it may
 * have committed without its answer getting out).
 */

const PASSWORD = 'crash-test-password';
const USERS = 6;
const MOVIES = 3;
const WORKERS = 8;
const ACK_BEFORE_KILL = 150;
// Rate limits off: the test is one client hammering the server on purpose.
const ENV = { RATE_LIMIT_MAX: '0', AUTH_RATE_LIMIT_MAX: '0' };

interface ReviewState {
  id: number;
  review: string;
  score: number;
}

interface Slot {
  user: number;
  movieId: number;
  /** After the last acknowledged write; null = no review. */
  acked: ReviewState | null;
  /** What the write in flight at the kill would leave, if it committed; undefined when none was in flight. */
  pending?: ReviewState | null;
}

describe('crash durability (kill -9)', () => {
  after(cleanUp);

  it('keeps every acknowledged review write and exact movie aggregates', { timeout: 120_000 }, async (t) => {
    const dir = tempDir();
    const made = await runCli(['user', 'create', 'admin', '--admin'], { DATA_DIR: dir }, `${PASSWORD}\n`);
    assert.equal(made.code, 0, made.stderr);
    let server: Served = await serveProcess({ DATA_DIR: dir, LOG_LEVEL: 'error', ...ENV });

    const admin = await apiToken(server.base, 'admin', PASSWORD);
    const movieIds: number[] = [];
    for (let i = 0; i < MOVIES; i++) {
      const res = await api<{ id: number }>(server.base, 'POST', '/api/v1/movies', { token: admin, body: { title: `Crash ${i}`, year: 2000 + i } });
      assert.equal(res.status, 201);
      movieIds.push(res.body.id);
    }
    const tokens: string[] = [];
    const userIds: number[] = [];
    for (let u = 0; u < USERS; u++) {
      tokens.push(await apiUser(server.base, `crasher${u}`, PASSWORD));
      userIds.push((await api<{ id: number }>(server.base, 'GET', '/api/v1/users/me', { token: tokens[u]! })).body.id);
    }
    const slots: Slot[] = [];
    for (let u = 0; u < USERS; u++) for (const movieId of movieIds) slots.push({ user: u, movieId, acked: null });

    let acknowledged = 0;
    let attempted = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let ackedAfterKill = 0;
    let killed = false;
    let seq = 0;
    const base = server.base;
    const victim = server;

    /** One write on a slot; returns false once the server is gone. */
    async function step(slot: Slot): Promise<boolean> {
      const token = tokens[slot.user]!;
      const content = `rev-${slot.user}-${slot.movieId}-${++seq}`;
      const score = (seq % 5) + 1;
      let expected: ReviewState | null;
      let send: () => Promise<{ status: number; body: unknown }>;
      if (slot.acked === null) {
        send = () => api(base, 'POST', '/api/v1/reviews', { token, body: { movie_id: slot.movieId, review: content, score } });
        expected = { id: -1, review: content, score }; // the id is learnt from the answer
      } else if (seq % 3 === 0) {
        const id = slot.acked.id;
        send = () => api(base, 'DELETE', `/api/v1/reviews/${id}`, { token });
        expected = null;
      } else {
        const id = slot.acked.id;
        send = () => api(base, 'PUT', `/api/v1/reviews/${id}`, { token, body: { review: content, score } });
        expected = { id, review: content, score };
      }
      slot.pending = expected;
      attempted++;
      inFlight++;
      try {
        const res = await send();
        inFlight--;
        // An answer that beat the SIGKILL to the client is an acknowledgement like any other.
        assert.ok(res.status >= 200 && res.status < 300, `write refused: ${res.status} ${JSON.stringify(res.body)}`);
        if (expected && expected.id === -1) expected.id = (res.body as { id: number }).id;
        slot.acked = expected;
        delete slot.pending;
        acknowledged++;
        if (killed) {
          ackedAfterKill++;
          return false;
        }
        if (acknowledged === ACK_BEFORE_KILL) {
          // Kill while the other workers' requests are on the wire.
          inFlightAtKill = inFlight;
          killed = true;
          victim.child.kill('SIGKILL');
        }
        return true;
      } catch (err) {
        inFlight--;
        if (killed) return false;
        throw err;
      }
    }

    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      const mine = slots.filter((_, i) => i % WORKERS === w);
      for (let round = 0; !killed; round++) {
        const slot = mine[round % mine.length]!;
        if (!(await step(slot))) return;
      }
    });
    await Promise.all(workers);
    const ended = await victim.exited;
    assert.equal(ended.signal, 'SIGKILL');

    // Back up on the same data directory.
    server = await serveProcess({ DATA_DIR: dir, LOG_LEVEL: 'error', ...ENV });
    let present = 0;
    let committedUnacked = 0;
    const wrong: string[] = [];
    for (const slot of slots) {
      const res = await api<{ id: number; review: string; score: number }[]>(server.base, 'GET', `/api/v1/reviews?movie_id=${slot.movieId}&user_id=${userIds[slot.user]}&limit=100`);
      assert.equal(res.status, 200);
      const found = res.body[0] ? { id: res.body[0].id, review: res.body[0].review, score: res.body[0].score } : null;
      const same = (a: ReviewState | null, b: ReviewState | null | undefined): boolean =>
        a === null || b === null || b === undefined ? a === b : a.review === b.review && a.score === b.score && (b.id === -1 || a.id === b.id);
      if (same(found, slot.acked)) present++;
      else if (slot.pending !== undefined && same(found, slot.pending)) committedUnacked++; // the in-flight write committed, its answer lost
      else wrong.push(`user ${slot.user} movie ${slot.movieId}: acknowledged ${JSON.stringify(slot.acked)}, found ${JSON.stringify(found)}`);
    }

    // Each movie's aggregates against a recount of its reviews.
    for (const movieId of movieIds) {
      const movie = (await api<{ review_count: number; average_score: number | null }>(server.base, 'GET', `/api/v1/movies/${movieId}`)).body;
      const reviews = (await api<{ score: number }[]>(server.base, 'GET', `/api/v1/movies/${movieId}/reviews?limit=100`)).body;
      const sum = reviews.reduce((s, r) => s + r.score, 0);
      assert.equal(movie.review_count, reviews.length, `movie ${movieId} review_count`);
      assert.equal(movie.average_score, reviews.length === 0 ? null : Math.round((sum / reviews.length) * 100) / 100, `movie ${movieId} average_score`);
    }

    server.child.kill('SIGTERM');
    await server.exited;
    assert.deepEqual(await dataDirProblems(dir), []);

    t.diagnostic(`crash: ${attempted} writes sent, ${acknowledged} acknowledged, ${inFlightAtKill} in flight at kill -9 (${ackedAfterKill} of them answered 2xx before the process died); after restart ${present}/${slots.length} slots exactly as acknowledged, ${committedUnacked} holding an in-flight write that committed, ${wrong.length} wrong`);
    assert.ok(inFlightAtKill > 0, 'nothing was in flight at the kill: the test did not test a crash mid-write');
    assert.deepEqual(wrong, []);
  });
});
