import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanUp, runCli, tempDir } from './support/cli.js';
import { type WireRequest, type WireResponse, mediaFixture, wireRequest } from './support/app.js';
import { api, apiToken, apiUser, dataDirProblems, serveProcess, withDataDb } from './support/processes.js';

/*
 * Graceful shutdown of a real `butaca serve` process: SIGTERM in the middle of a burst of
 * requests, one of them a slow upload still sending its body.
 *
 *   - every request that got an answer got a whole one (body as long as Content-Length, JSON that
 *     parses) — a drain must not cut answers short;
 *   - the slow upload that was in flight is finished, not dropped;
 *   - /readyz asked on a connection opened before SIGTERM answers 503 (or the connection is
 *     closed without an answer), never 200, once shutdown has begun;
 *   - new connections are refused once the listener is closed, while the drain is still going on;
 *   - the process exits 0 within the grace period (10 s in src/server.ts);
 *   - restarted, the database is consistent.
 */

const PASSWORD = 'shutdown-test-password';
const GRACE_MS = 10_000;
const ENV = { RATE_LIMIT_MAX: '0', AUTH_RATE_LIMIT_MAX: '0' };

/** True when a fresh TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** What is wrong with a response that arrived, if anything: short body, or JSON that does not parse. */
function incomplete(res: WireResponse): string | undefined {
  const length = res.headers['content-length'];
  if (length !== undefined && Number(length) !== res.body.length) return `body of ${res.body.length} bytes, Content-Length ${length}`;
  if (String(res.headers['content-type'] ?? '').startsWith('application/json')) {
    try {
      JSON.parse(res.body.toString());
    } catch {
      return `JSON that does not parse: ${res.body.toString().slice(0, 100)}`;
    }
  }
  return undefined;
}

describe('graceful shutdown (SIGTERM)', () => {
  after(cleanUp);

  it('drains the requests in flight, refuses new ones and exits 0 with a consistent database', { timeout: 90_000 }, async (t) => {
    const dir = tempDir();
    const made = await runCli(['user', 'create', 'admin', '--admin'], { DATA_DIR: dir }, `${PASSWORD}\n`);
    assert.equal(made.code, 0, made.stderr);
    const server = await serveProcess({ DATA_DIR: dir, LOG_LEVEL: 'error', ...ENV });
    const { base, port } = server;
    const admin = await apiToken(base, 'admin', PASSWORD);
    const movieIds: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await api<{ id: number }>(base, 'POST', '/api/v1/movies', { token: admin, body: { title: `Drain ${i}`, year: 2000 } });
      movieIds.push(res.body.id);
    }
    const user = await apiUser(base, 'drainer', PASSWORD);

    // A connection opened before the shutdown with the head of a /readyz request half sent: it is
    // not idle, so the shutdown does not just drop it; the rest of the head goes after SIGTERM.
    const probe = netConnect({ host: '127.0.0.1', port });
    let probeAnswer = '';
    probe.on('data', (c: Buffer) => (probeAnswer += c.toString()));
    const probeClosed = new Promise<void>((resolve) => probe.on('close', () => resolve()));
    probe.on('error', () => {});
    await new Promise<void>((resolve) => probe.once('connect', () => resolve()));
    probe.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');

    // The slow one: a trailer upload whose body trickles in over about a second.
    const trailer = mediaFixture('trailer.mp4');
    const upload = wireRequest(port, 'PUT', `/api/v1/movies/${movieIds[0]}/trailer`, {
      authorization: `Bearer ${admin}`,
      'content-type': 'video/mp4',
      'content-length': trailer.length,
    });
    const trickle = (async () => {
      const pieces = 10;
      const size = Math.ceil(trailer.length / pieces);
      for (let i = 0; i < pieces; i++) {
        await upload.write(trailer.subarray(i * size, (i + 1) * size));
        await sleep(100);
      }
      upload.end();
    })();

    // The burst: 8 clients sending lists, single reads and review writes back to back, each on a
    // new connection, until the server stops answering — so requests are in flight at SIGTERM.
    const burst: { what: string; req: WireRequest; answeredAt?: number }[] = [];
    let termAt = Infinity;
    let stopSending = false;
    let n = 0;
    const clients = Array.from({ length: 8 }, async () => {
      while (!stopSending) {
        const i = n++;
        const movieId = movieIds[i % movieIds.length]!;
        let req: WireRequest;
        let what: string;
        if (i % 4 === 0) {
          what = `POST review #${i}`;
          const body = Buffer.from(JSON.stringify({ movie_id: movieId, review: `drain ${i}`, score: (i % 5) + 1 }));
          req = wireRequest(port, 'POST', '/api/v1/reviews', { authorization: `Bearer ${user}`, 'content-type': 'application/json', 'content-length': body.length });
          void req.write(body).then(() => req.end());
        } else {
          what = i % 4 === 1 ? `GET movie #${i}` : `GET movie list #${i}`;
          req = wireRequest(port, 'GET', i % 4 === 1 ? `/api/v1/movies/${movieId}` : '/api/v1/movies?limit=100&sort=title');
          req.end();
        }
        const entry: { what: string; req: WireRequest; answeredAt?: number } = { what, req };
        burst.push(entry);
        try {
          await req.response;
          entry.answeredAt = Date.now();
        } catch {
          return; // refused or cut: the server is going away
        }
      }
    });

    await sleep(250); // the upload is mid-body, some of the burst answered, some not
    assert.ok(!upload.answered(), 'the upload finished before the shutdown: it would not test the drain');
    const burstBefore = burst.length;
    termAt = Date.now();
    server.child.kill('SIGTERM');

    // Once shutdown has begun: the old connection is told 503 (or closed), new ones are refused.
    await sleep(50);
    probe.end('Connection: close\r\n\r\n');
    await probeClosed;
    const readyzDuring = /^HTTP\/1\.1 (\d+)/.exec(probeAnswer)?.[1] ?? 'connection closed without an answer';
    assert.ok(!readyzDuring.startsWith('2'), `readyz during the drain answered ${probeAnswer}`);
    const stillRunning = server.child.exitCode === null && server.child.signalCode === null;
    const refusedDuring = await refused(port);
    if (stillRunning) assert.ok(refusedDuring, 'a new connection was accepted after SIGTERM');

    await sleep(300);
    stopSending = true;
    await Promise.all(clients);

    // Every answer that arrived is whole; requests cut before any answer are counted, not failed.
    let answered = 0;
    // Sent before SIGTERM, answered after it: what the drain finished.
    const drained = burst.slice(0, burstBefore).filter((e) => e.answeredAt !== undefined && e.answeredAt >= termAt).length;
    let unanswered = 0;
    const broken: string[] = [];
    for (const { what, req } of burst) {
      try {
        const res = await req.response;
        answered++;
        const problem = incomplete(res);
        if (problem) broken.push(`${what}: ${problem}`);
        if (res.status >= 500 && res.status !== 503) broken.push(`${what}: ${res.status} ${res.body.toString().slice(0, 100)}`);
      } catch (err) {
        if (req.answered()) broken.push(`${what}: answer cut short (${(err as Error).message})`);
        else unanswered++;
      }
    }
    await trickle;
    const uploaded = await upload.response;
    assert.equal(uploaded.status, 201, `the upload in flight at SIGTERM: ${uploaded.status} ${uploaded.body.toString()}`);
    assert.equal(incomplete(uploaded), undefined);

    const ended = await Promise.race([server.exited, sleep(GRACE_MS + 5000).then(() => 'timeout' as const)]);
    assert.notEqual(ended, 'timeout', 'the process did not exit');
    const exitMs = Date.now() - termAt;
    assert.deepEqual(ended, { code: 0, signal: null }, server.output());
    assert.ok(exitMs < GRACE_MS, `exit took ${exitMs} ms`);
    assert.ok(await refused(port), 'still accepting connections after exit');

    t.diagnostic(
      `shutdown: ${burst.length} requests, ${answered} answered whole (${drained} of them in flight at SIGTERM), ${unanswered} unanswered; upload 201; readyz during drain: ${readyzDuring}; ` +
        `new connection refused during drain: ${stillRunning ? refusedDuring : 'process already gone'}; exit 0 after ${exitMs} ms`,
    );
    assert.deepEqual(broken, []);

    // Restarted: consistent, and the upload that finished during the drain is there.
    assert.deepEqual(await dataDirProblems(dir), []);
    const trailers = await withDataDb(dir, (db) => db.selectFrom('media').select((eb) => eb.fn.countAll<string>().as('n')).where('kind', '=', 'trailer').executeTakeFirstOrThrow());
    assert.equal(Number(trailers.n), 1);
    const again = await serveProcess({ DATA_DIR: dir, LOG_LEVEL: 'error', ...ENV });
    const movie = await api<{ trailer_url: string | null }>(again.base, 'GET', `/api/v1/movies/${movieIds[0]}`);
    assert.ok(movie.body.trailer_url, 'the trailer uploaded during the drain is gone after restart');
    again.child.kill('SIGTERM');
    assert.deepEqual(await again.exited, { code: 0, signal: null });
  });
});
