import assert from 'node:assert/strict';
import { once } from 'node:events';
import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { mediaFixture } from './support/app.js';
import { CLI_TIMEOUT_MS, appOnCliData, assertOneLine, cleanUp, runCli, spawnCli, tempDir } from './support/cli.js';
import { testDatabaseKind } from './support/pg.js';

/*
 * operations.md, `backup FILE` and `restore FILE`: a consistent copy of the SQLite database made
 * while the server serves and eight members write, restored into a new DATA_DIR, holds every write
 * acknowledged before the backup began; restore refuses a served database and a file that is no
 * Butaca database; media are copied beside it, as the README says; on PostgreSQL both commands
 * point to pg_dump and pg_restore.
 */

const onSqlite = testDatabaseKind() === 'sqlite';
after(cleanUp);

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const WRITERS = 8;
/** Each writer's bound: the loop is bounded in count as well as by the backup's end. */
const MAX_WRITES_EACH = 400;

describe('backup and restore', () => {
  it('backs up while eight members write, restores into a new DATA_DIR with every write acknowledged before the backup, and the media copied beside it', { skip: onSqlite ? false : 'the SQLite commands; on PostgreSQL they point to pg_dump (the next test)' }, async () => {
    const dir = tempDir();
    const password = 'backup-admin-password';
    assert.equal((await runCli(['user', 'create', 'admin', '--admin'], { DATA_DIR: dir }, `${password}\n`)).code, 0);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = spawnCli(['serve'], { DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    const exited = once(server, 'exit');
    let serverErr = '';
    server.stderr!.on('data', (c: Buffer) => (serverErr += c.toString()));
    const until = Date.now() + CLI_TIMEOUT_MS;
    for (;;) {
      const ok = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > until) throw new Error(`serve did not get ready: ${serverErr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      const json = async <T>(url: string, init: RequestInit = {}): Promise<T> => {
        const res = await fetch(`${base}${url}`, init);
        if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      };
      const tokenOf = async (username: string, pw: string) =>
        (await json<{ access_token: string }>('/auth', { method: 'POST', body: new URLSearchParams({ username, password: pw }) })).access_token;
      const admin = await tokenOf('admin', password);
      const movie = await json<{ id: number }>('/api/v1/movies', { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Backed Up', year: 2001 }) });
      const posterRes = await fetch(`${base}/api/v1/movies/${movie.id}/poster`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'image/jpeg' }, body: mediaFixture('poster.jpg') });
      assert.ok(posterRes.status === 200 || posterRes.status === 201, await posterRes.text());
      const poster = Buffer.from(await (await fetch(`${base}/api/v1/movies/${movie.id}/poster`)).arrayBuffer());

      const writers = await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          const username = `writer${w}`;
          await json('/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'writer-password-1' }) });
          return { token: await tokenOf(username, 'writer-password-1'), acknowledged: [] as { id: number; at: number }[] };
        }),
      );
      let stop = false;
      const writing = writers.map(async (writer, w) => {
        for (let i = 0; i < MAX_WRITES_EACH && !stop; i++) {
          const day = `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (w % 28)).padStart(2, '0')}`;
          const entry = await json<{ id: number }>('/api/v1/diary', { method: 'POST', headers: { authorization: `Bearer ${writer.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ movie_id: movie.id, watched_on: day, rating: 0.5 + (i % 10) / 2 }) });
          writer.acknowledged.push({ id: entry.id, at: Date.now() });
        }
      });
      // Let the writes get going, then back up in the middle of them.
      while (writers.reduce((n, w) => n + w.acknowledged.length, 0) < 40) await new Promise((resolve) => setTimeout(resolve, 10));
      const backupFile = path.join(tempDir(), 'butaca-backup.db');
      const began = Date.now();
      const backup = await runCli(['backup', backupFile], { DATA_DIR: dir });
      stop = true;
      await Promise.all(writing);
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /backed up .* to .*butaca-backup\.db: \d+ bytes, checked \(integrity ok, migration \d{4}_\w+\)/);
      assert.deepEqual(readdirSync(path.dirname(backupFile)), ['butaca-backup.db'], 'no partial file left');
      const before = writers.flatMap((w) => w.acknowledged.filter((a) => a.at < began).map((a) => a.id));
      const total = writers.reduce((n, w) => n + w.acknowledged.length, 0);
      assert.ok(before.length >= 40 && total > before.length, `writes before (${before.length}) and during (${total - before.length}) the backup`);

      // A server is using the database: restore refuses it, and changes nothing.
      const refused = await runCli(['restore', backupFile], { DATA_DIR: dir });
      assert.equal(refused.code, 1);
      assert.match(assertOneLine(refused.stderr), /a server \(pid \d+\) is using .*butaca\.db: stop it before restoring/);

      // Never over the live database itself.
      const onItself = await runCli(['backup', path.join(dir, 'butaca.db')], { DATA_DIR: dir });
      assert.equal(onItself.code, 1);
      assert.match(assertOneLine(onItself.stderr), /is the database itself/);

      // Into a new DATA_DIR (one that does not exist yet), with the media copied after the database's backup (media files never change once written).
      const fresh = path.join(tempDir(), 'new', 'data');
      const restored = await runCli(['restore', backupFile], { DATA_DIR: fresh });
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /restored .* \(migration \d{4}_\w+\)$/m);
      cpSync(path.join(dir, 'media'), path.join(fresh, 'media'), { recursive: true });
      const ctx = await appOnCliData(fresh);
      try {
        const ids = new Set((await ctx.db.selectFrom('diary_entries').select('id').execute()).map((r) => r.id));
        const missing = before.filter((id) => !ids.has(id));
        assert.deepEqual(missing, [], 'every write acknowledged before the backup began is in it');
        const check = await ctx.db.selectFrom('users').select('diary_count').where('username', 'like', 'writer%').execute();
        assert.equal(check.reduce((n, r) => n + r.diary_count, 0), ids.size, "the members' diary counts match their entries");
        const served = await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movie.id}/poster` });
        assert.equal(served.statusCode, 200);
        assert.deepEqual(served.rawPayload, poster, 'the poster, from the copied media');
      } finally {
        await ctx.close();
      }

      // Restoring over a stopped database keeps the one that was there.
      const again = await runCli(['restore', backupFile], { DATA_DIR: fresh });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /the database that was there is kept as .*butaca\.db\.before-restore-/);
      assert.ok(readdirSync(fresh).some((f) => f.startsWith('butaca.db.before-restore-')));
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
    // The server's marker goes with it: a restore is allowed once it has stopped.
    assert.ok(!readdirSync(dir).some((f) => f.startsWith('butaca.db.serving.')), 'no marker left by a stopped server');
  });

  it('restore refuses a file that is no Butaca database, and backup a missing database; on PostgreSQL both point to pg_dump and pg_restore', async () => {
    const dir = tempDir();
    if (!onSqlite) {
      for (const [command, tool] of [['backup', /pg_dump/], ['restore', /pg_restore/]] as const) {
        const res = await runCli([command, path.join(dir, 'x.db')], { DATA_DIR: dir });
        assert.equal(res.code, 1);
        assert.match(assertOneLine(res.stderr), tool);
      }
      return;
    }
    const junk = path.join(dir, 'junk.db');
    writeFileSync(junk, Buffer.alloc(8192, 7));
    const res = await runCli(['restore', junk], { DATA_DIR: dir });
    assert.equal(res.code, 1);
    assert.match(assertOneLine(res.stderr), /junk\.db (cannot be opened as|is not) a SQLite database/);
    assert.ok(!existsSync(path.join(dir, 'butaca.db')), 'nothing put in place');
    const usage = await runCli(['backup'], { DATA_DIR: dir });
    assert.equal(usage.code, 1);
    assert.match(assertOneLine(usage.stderr), /usage: butaca backup FILE/);
  });
});
