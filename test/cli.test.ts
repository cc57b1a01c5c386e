import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { connect } from '../src/db/connect.js';
import { CLI_TIMEOUT_MS as TIMEOUT_MS, appOnCliData, assertOneLine, cleanUp, databaseOf, runCli, spawnCli, tempDir } from './support/cli.js';
import { bearer } from './support/app.js';
import { testDatabaseKind } from './support/pg.js';

const onSqlite = testDatabaseKind() === 'sqlite';

after(cleanUp);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// The tests share nothing (each has its own DATA_DIR), so two run at a time: most of the time is process start-up.
describe('butaca CLI', { concurrency: 2 }, () => {
  it('prints each command’s own help for <command> --help, and exits 0', async () => {
    const cases: [string[], RegExp][] = [
      [['user', 'create', '--help'], /^Usage: butaca user create <username> \[--admin\]/],
      [['user', '-h'], /^Usage: butaca user create <username> \[--admin\]\n\s+butaca user role/],
      [['seed', '--help'], /^Usage: butaca seed --demo \[--force\][\s\S]*--force/],
      [['serve', '--help'], /^Usage: butaca serve\n/],
      [['migrate', '-h'], /^Usage: butaca migrate\n/],
      [['help', 'seed'], /^Usage: butaca seed/],
    ];
    for (const [args, usage] of cases) {
      const res = await runCli(args, { DATA_DIR: tempDir() });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, usage, args.join(' '));
      assert.doesNotMatch(res.stdout, /^Usage: butaca <command>/, `${args.join(' ')} printed the general help`);
    }
  });

  it('prints usage for --help and exits 0', async () => {
    for (const args of [['--help'], ['help']]) {
      const res = await runCli(args, { DATA_DIR: tempDir() });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Usage: butaca <command>/);
      for (const command of ['serve', 'migrate', 'seed --demo', 'user create <username> [--admin]', 'user role <username> admin|user']) {
        assert.ok(res.stdout.includes(command), `help does not mention ${command}`);
      }
      assert.equal(res.stderr, '');
    }
  });

  it('migrate creates the database (DATA_DIR/butaca.db on SQLite) and exits 0; a second run has nothing to do', async () => {
    const dir = path.join(tempDir(), 'not-yet-there');
    const first = await runCli(['migrate'], { DATA_DIR: dir });
    assert.equal(first.code, 0, first.stderr);
    if (onSqlite) assert.ok(existsSync(path.join(dir, 'butaca.db')), 'no database file');
    assert.match(first.stdout, /applied: 0001_initial/);

    const db = connect(databaseOf(dir));
    try {
      const tables = await db.introspection.getTables();
      const names = tables.map((t) => t.name);
      for (const table of ['users', 'sessions', 'movies', 'reviews']) assert.ok(names.includes(table), `no table ${table}`);
    } finally {
      await db.destroy();
    }

    const second = await runCli(['migrate'], { DATA_DIR: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /up to date/);
  });

  it('user create --admin reads the password from stdin and makes an admin who can add movies', async () => {
    const dir = tempDir();
    const password = 'ana-admin-password';
    const res = await runCli(['user', 'create', 'ana', '--admin'], { DATA_DIR: dir }, `${password}\n`);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /created admin "ana"/);
    assert.ok(!res.stdout.includes(password) && !res.stderr.includes(password), 'the password was echoed');

    const ctx = await appOnCliData(dir);
    try {
      const row = await ctx.db.selectFrom('users').selectAll().where('username', '=', 'ana').executeTakeFirstOrThrow();
      assert.equal(row.role, 'admin');
      assert.ok(row.password_hash.startsWith('$argon2id$'));

      const tokenRes = await ctx.app.inject({
        method: 'POST',
        url: '/auth',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ username: 'ana', password }).toString(),
      });
      assert.equal(tokenRes.statusCode, 200, tokenRes.body);
      const access = tokenRes.json<{ access_token: string }>().access_token;
      const movie = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(access), payload: { title: 'Made by ana', year: 2024 } });
      assert.equal(movie.statusCode, 201, movie.body);
    } finally {
      await ctx.close();
    }
  });

  it('user create without --admin makes a plain user', async () => {
    const dir = tempDir();
    const res = await runCli(['user', 'create', 'pepe'], { DATA_DIR: dir }, 'pepe-password\n');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /created user "pepe"/);
    const ctx = await appOnCliData(dir);
    try {
      const tokenRes = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'pepe', password: 'pepe-password' } });
      assert.equal(tokenRes.statusCode, 200);
      const access = tokenRes.json<{ access_token: string }>().access_token;
      const movie = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(access), payload: { title: 'Nope' } });
      assert.equal(movie.statusCode, 403);
    } finally {
      await ctx.close();
    }
  });

  it('user create refuses a short password: exit 1, one line on stderr, no user', async () => {
    const dir = tempDir();
    const res = await runCli(['user', 'create', 'bob'], { DATA_DIR: dir }, 'short\n');
    assert.equal(res.code, 1);
    assert.match(assertOneLine(res.stderr), /password must be 8/);
    // Nothing at all on SQLite is fine too; a PostgreSQL database exists already (the test made it).
    if (!onSqlite || existsSync(path.join(dir, 'butaca.db'))) {
      const db = connect(databaseOf(dir));
      try {
        const tables = (await db.introspection.getTables()).map((t) => t.name);
        if (tables.includes('users')) assert.deepEqual(await db.selectFrom('users').select('id').execute(), []);
      } finally {
        await db.destroy();
      }
    }
  });

  it('user create refuses an invalid username and an empty password with one line each', async () => {
    const dir = tempDir();
    const badName = await runCli(['user', 'create', 'no spaces!'], { DATA_DIR: dir }, 'long-enough-password\n');
    assert.equal(badName.code, 1);
    assert.match(assertOneLine(badName.stderr), /username/);
    const noPassword = await runCli(['user', 'create', 'carla'], { DATA_DIR: dir }, '');
    assert.equal(noPassword.code, 1);
    assert.match(assertOneLine(noPassword.stderr), /password/);
  });

  it('user create refuses a username already taken (ignoring case): exit 1 with a clear line', async () => {
    const dir = tempDir();
    assert.equal((await runCli(['user', 'create', 'dup'], { DATA_DIR: dir }, 'first-password\n')).code, 0);
    for (const name of ['DUP']) {
      const res = await runCli(['user', 'create', name], { DATA_DIR: dir }, 'second-password\n');
      assert.equal(res.code, 1);
      const line = assertOneLine(res.stderr);
      assert.match(line, /already in use/);
      assert.ok(line.includes(name));
    }
    // The first account keeps its password.
    const ctx = await appOnCliData(dir);
    try {
      const ok = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'dup', password: 'first-password' } });
      assert.equal(ok.statusCode, 200);
      const no = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'dup', password: 'second-password' } });
      assert.equal(no.statusCode, 401);
    } finally {
      await ctx.close();
    }
  });

  it('user role changes a user’s role both ways, and refuses an unknown user or role', async () => {
    const dir = tempDir();
    const password = 'role-change-password';
    assert.equal((await runCli(['user', 'create', 'ana', '--admin'], { DATA_DIR: dir }, `${password}\n`)).code, 0);

    const demote = await runCli(['user', 'role', 'ana', 'user'], { DATA_DIR: dir });
    assert.equal(demote.code, 0, demote.stderr);
    assert.match(demote.stdout, /"ana" is now user/);

    const ctx = await appOnCliData(dir);
    try {
      const role = async () => (await ctx.db.selectFrom('users').select('role').where('username', '=', 'ana').executeTakeFirstOrThrow()).role;
      assert.equal(await role(), 'user');
      const tokenRes = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'ana', password } });
      const access = tokenRes.json<{ access_token: string }>().access_token;
      const refused = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(access), payload: { title: 'Demoted' } });
      assert.equal(refused.statusCode, 403);

      const promote = await runCli(['user', 'role', 'ANA', 'admin'], { DATA_DIR: dir });
      assert.equal(promote.code, 0, promote.stderr);
      assert.equal(await role(), 'admin');
      const allowed = await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: bearer(access), payload: { title: 'Promoted' } });
      assert.equal(allowed.statusCode, 201, allowed.body);
    } finally {
      await ctx.close();
    }

    const unknownUser = await runCli(['user', 'role', 'ghost', 'admin'], { DATA_DIR: dir });
    assert.equal(unknownUser.code, 1);
    assert.match(assertOneLine(unknownUser.stderr), /ghost/);
    const badRole = await runCli(['user', 'role', 'ana', 'superuser'], { DATA_DIR: dir });
    assert.equal(badRole.code, 1);
    assert.match(assertOneLine(badRole.stderr), /admin\|user/);
  });

  it('user reset-password sets the password from stdin and ends every session; refuses a short one or an unknown user', async () => {
    const dir = tempDir();
    const old = 'the-old-password';
    assert.equal((await runCli(['user', 'create', 'rosa'], { DATA_DIR: dir }, `${old}\n`)).code, 0);
    const ctx = await appOnCliData(dir);
    try {
      const login = async (password: string) => ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'rosa', password } });
      const before = (await login(old)).json<{ access_token: string }>().access_token;
      assert.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(before) })).statusCode, 200);

      const short = await runCli(['user', 'reset-password', 'rosa'], { DATA_DIR: dir }, 'short\n');
      assert.equal(short.code, 1);
      assert.match(assertOneLine(short.stderr), /8–128 characters/);
      assert.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(before) })).statusCode, 200, 'nothing changed');

      const reset = await runCli(['user', 'reset-password', 'ROSA'], { DATA_DIR: dir }, 'a-brand-new-password\n');
      assert.equal(reset.code, 0, reset.stderr);
      assert.match(reset.stdout, /the password of "rosa" is changed; their sessions are ended/);
      assert.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(before) })).statusCode, 401, 'the old session is over');
      assert.equal((await login(old)).statusCode, 401);
      assert.equal((await login('a-brand-new-password')).statusCode, 200);
    } finally {
      await ctx.close();
    }
    const ghost = await runCli(['user', 'reset-password', 'ghost'], { DATA_DIR: dir }, 'a-brand-new-password\n');
    assert.equal(ghost.code, 1);
    assert.match(assertOneLine(ghost.stderr), /no user "ghost"/);
  });

  it('user export and user import move a member\'s data between two instances; a malformed file imports nothing, with one line', async () => {
    const [from, to] = [tempDir(), tempDir()];
    const password = 'moving-house-password';
    for (const dir of [from, to]) assert.equal((await runCli(['user', 'create', 'ana', '--admin'], { DATA_DIR: dir }, `${password}\n`)).code, 0);
    // The same catalogue on both instances (as IMDb's files would give them), and a history on the first.
    const fill = async (dir: string, history: boolean) => {
      const ctx = await appOnCliData(dir);
      try {
        const login = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'ana', password } });
        const auth = bearer(login.json<{ access_token: string }>().access_token);
        const ids: number[] = [];
        for (const [title, year] of [['Cléo de 5 à 7', 1962], ['Solaris', 1972]] as const) {
          ids.push((await ctx.app.inject({ method: 'POST', url: '/api/v1/movies', headers: auth, payload: { title, year } })).json<{ id: number }>().id);
        }
        if (history) {
          assert.equal((await ctx.app.inject({ method: 'POST', url: '/api/v1/diary', headers: auth, payload: { movie_id: ids[0], watched_on: '2024-05-01', rating: 4.5, tags: ['paris'] } })).statusCode, 201);
          assert.equal((await ctx.app.inject({ method: 'PUT', url: `/api/v1/users/me/watchlist/${ids[1]}`, headers: auth })).statusCode, 204);
        }
      } finally {
        await ctx.close();
      }
    };
    await fill(from, true);
    await fill(to, false);
    const zip = path.join(from, 'ana.zip');
    const exported = await runCli(['user', 'export', 'ana', zip], { DATA_DIR: from });
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /exported "ana" to .*ana\.zip \(\d+ bytes\)/);
    assert.ok(!existsSync(`${zip}.partial`));

    const imported = await runCli(['user', 'import', 'ana', zip], { DATA_DIR: to });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /2 films matched, 0 not found; made 1 diary entries, 1 ratings, 0 reviews, 1 watchlist films, 0 lists/);
    const ctx = await appOnCliData(to);
    try {
      const entries = await ctx.db.selectFrom('diary_entries').select(['watched_on', 'halves', 'tags']).execute();
      assert.deepEqual(entries, [{ watched_on: '2024-05-01', halves: 9, tags: '["paris"]' }]);
      assert.equal((await ctx.db.selectFrom('watchlist').select('id').execute()).length, 1);
    } finally {
      await ctx.close();
    }

    const bad = path.join(to, 'diary.csv');
    await writeFile(bad, 'Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n2024-01-01,Solaris,1972,,7,,,2024-01-01\n');
    const refused = await runCli(['user', 'import', 'ana', bad], { DATA_DIR: to });
    assert.equal(refused.code, 1);
    assert.match(assertOneLine(refused.stderr), /nothing imported: diary\.csv, line 2: Rating "7"/);
    const ghost = await runCli(['user', 'export', 'ghost', zip], { DATA_DIR: to });
    assert.equal(ghost.code, 1);
    assert.match(assertOneLine(ghost.stderr), /no user "ghost"/);
  });

  it('exits 1 with one line for an unknown command or subcommand', async () => {
    const dir = tempDir();
    const res = await runCli(['frobnicate'], { DATA_DIR: dir });
    assert.equal(res.code, 1);
    assert.match(assertOneLine(res.stderr), /unknown command "frobnicate"/);
    const sub = await runCli(['user', 'explode'], { DATA_DIR: dir });
    assert.equal(sub.code, 1);
    assert.match(assertOneLine(sub.stderr), /usage/);
  });

  it('stops on an invalid PORT with one line naming PORT, no stack trace', async () => {
    const res = await runCli(['serve'], { DATA_DIR: tempDir(), PORT: 'abc' });
    assert.notEqual(res.code, 0);
    assert.equal(res.signal, null);
    const line = assertOneLine(res.stderr);
    assert.match(line, /PORT/);
    assert.ok(line.includes('abc'));
    assert.doesNotMatch(res.stdout, /running/);
  });

  it('stops on an unknown DATABASE_URL scheme with one line naming DATABASE_URL, no stack trace', async () => {
    const res = await runCli(['serve'], { DATA_DIR: tempDir(), DATABASE_URL: 'mysql://x' });
    assert.notEqual(res.code, 0);
    const line = assertOneLine(res.stderr);
    assert.match(line, /DATABASE_URL/);
    assert.doesNotMatch(res.stdout, /running/);
  });

  it('stops on other invalid settings with one line naming the variable', async () => {
    for (const [name, value] of [
      ['LOG_LEVEL', 'loud'],
      ['SESSION_IDLE_TIMEOUT', '-5'],
      ['METRICS', 'short-secret'],
    ] as const) {
      const res = await runCli(['serve'], { DATA_DIR: tempDir(), [name]: value });
      assert.notEqual(res.code, 0, `${name}=${value}`);
      assert.match(assertOneLine(res.stderr), new RegExp(name));
      // A secret is never repeated back.
      if (name === 'METRICS') assert.doesNotMatch(res.stderr, /short-secret/);
    }
  });

  it('serve listens, prints the web client and /docs URLs, answers /readyz, and exits 0 on SIGTERM', async () => {
    const dir = path.join(tempDir(), 'fresh');
    const port = await freePort();
    const child = spawnCli(['serve'], { DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    child.stdin!.end();
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const base = `http://127.0.0.1:${port}`;

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start in ${TIMEOUT_MS} ms; stderr: ${stderr}`)), TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('/docs')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`serve exited early with ${code}; stderr: ${stderr}`));
      });
    });

    assert.ok(stdout.includes(`${base}/`), stdout);
    assert.ok(stdout.includes(`${base}/docs`), stdout);
    if (onSqlite) assert.ok(existsSync(path.join(dir, 'butaca.db')), 'serve did not create the database');

    const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    const docs = await fetch(`${base}/docs`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    assert.ok(docs.status === 200 || docs.status === 302, `GET /docs: ${docs.status}`);

    child.kill('SIGTERM');
    const { code, signal } = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('serve did not stop after SIGTERM')), TIMEOUT_MS).unref()),
    ]);
    assert.equal(signal, null);
    assert.equal(code, 0, stderr);
    await assert.rejects(fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) }));
  });

  it('serve refuses a port already in use with one line and exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const address = blocker.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const res = await runCli(['serve'], { DATA_DIR: tempDir(), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
      assert.equal(res.code, 1);
      assert.match(assertOneLine(res.stderr), /PORT/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
