import assert from 'node:assert/strict';
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync, createGzip } from 'node:zlib';
import { sql } from 'kysely';
import { connect } from '../src/db/connect.js';
import { adminToken, createMovie } from './support/app.js';
import { appOnCliData, assertOneLine, cleanUp, databaseOf, runCli, spawnCli, tempDir } from './support/cli.js';
import { testDatabaseKind } from './support/pg.js';

after(cleanUp);

const onSqlite = testDatabaseKind() === 'sqlite';
const IMPORT_TIMEOUT_MS = 60_000;

const BASICS_HEADER = 'tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres';
const CREW_HEADER = 'tconst\tdirectors\twriters';
const NAMES_HEADER = 'nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles';

/** A file of IMDb's format: a header, rows of tab-separated fields, `\n` after each; gzipped when asked. */
function writeTsv(dir: string, name: string, header: string, rows: string[][], gzip = false): string {
  const file = path.join(dir, name);
  const text = `${[header, ...rows.map((r) => r.join('\t'))].join('\n')}\n`;
  writeFileSync(file, gzip ? gzipSync(text) : text);
  return file;
}

const movie = (tconst: string, title: string, year: string, runtime: string, genres: string, original = title, type = 'movie'): string[] => [
  tconst,
  type,
  title,
  original,
  '0',
  year,
  '\\N',
  runtime,
  genres,
];

/** The summary's counts (stdout). */
function counts(stdout: string): { added: number; updated: number; unchanged: number; skipped: number } {
  const read = (word: string) => {
    const m = new RegExp(`^\\s+${word}\\s+([\\d,]+)`, 'm').exec(stdout);
    assert.ok(m, `no "${word}" in the summary: ${stdout}`);
    return Number(m[1]!.replace(/,/g, ''));
  };
  return { added: read('added'), updated: read('updated'), unchanged: read('unchanged'), skipped: read('skipped') };
}

interface ApiMovie {
  id: number;
  title: string;
  original_title: string | null;
  year: number | null;
  runtime: number | null;
  genres: string[];
  directors: string[];
  imdb_id: string | null;
  synopsis: string | null;
  updated_at: string;
}

async function moviesOf(dir: string, query = ''): Promise<{ items: ApiMovie[]; total: number }> {
  const ctx = await appOnCliData(dir);
  try {
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/movies?limit=100${query}` });
    assert.equal(res.statusCode, 200, res.body);
    return { items: res.json<ApiMovie[]>(), total: Number(res.headers['x-total-count']) };
  } finally {
    await ctx.close();
  }
}

/** Every movie whole: its genre rows are exactly its genres JSON, and the count of movies. */
async function checkConsistent(dir: string): Promise<number> {
  const db = connect(databaseOf(dir));
  try {
    const movies = await db.selectFrom('movies').select(['id', 'genres']).execute();
    const rows = await db.selectFrom('movie_genres').select(['movie_id', 'genre']).execute();
    const byMovie = new Map<number, string[]>();
    for (const r of rows) byMovie.set(Number(r.movie_id), [...(byMovie.get(Number(r.movie_id)) ?? []), r.genre]);
    for (const m of movies) {
      assert.deepEqual((byMovie.get(Number(m.id)) ?? []).sort(), (JSON.parse(m.genres) as string[]).sort(), `movie ${m.id}'s genre rows`);
    }
    assert.equal(byMovie.size <= movies.length, true);
    const dupes = await sql<{ n: number }>`select count(*) as n from (select imdb_id from movies where imdb_id is not null group by imdb_id having count(*) > 1) d`.execute(db);
    assert.equal(Number(dupes.rows[0]!.n), 0, 'an imdb_id twice');
    // The full-text index against its table (FTS5 raises SQLITE_CORRUPT_VTAB when they differ).
    if (onSqlite) await sql`insert into movies_fts (movies_fts, rank) values ('integrity-check', 1)`.execute(db);
    return movies.length;
  } finally {
    await db.destroy();
  }
}

describe('butaca catalogue import', { concurrency: 2 }, () => {
  it('loads movies (\\N nulls, literal quotes, genres mapped), skips others with reasons; a rerun changes nothing; a changed gzipped file updates', async () => {
    const dir = tempDir();
    const long = 'x'.repeat(201);
    const rows = [
      movie('tt0083658', 'Blade Runner', '1982', '117', 'Action,Drama,Sci-Fi'),
      movie('tt0062622', '2001: A "Space" Odyssey', '1968', '149', 'Adventure,Sci-Fi'),
      movie('tt0097351', 'Cléo de 5 à 7', '\\N', '\\N', '\\N', 'Cléo de cinq à sept'),
      movie('tt0000001', 'Carmencita', '1894', '1', 'Documentary,Short', 'Carmencita', 'short'),
      movie('tt0000002', 'An episode', '2001', '30', 'Drama', 'An episode', 'tvEpisode'),
      movie('tt0000003', long, '2001', '30', 'Drama'),
      movie('tt0000004', 'Too early', '1877', '30', 'Drama'),
      movie('tt0000005', 'Too long', '2001', '100001', 'Drama'),
      movie('tt10000006', 'Nine digits, odd genre', '2020', '90', 'Drama,Experimental'),
    ];
    const file = writeTsv(dir, 'title.basics.tsv', BASICS_HEADER, rows);
    const first = await runCli(['catalogue', 'import', file], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(counts(first.stdout), { added: 4, updated: 0, unchanged: 0, skipped: 5 });
    assert.match(first.stdout, /not a movie: 2/);
    assert.match(first.stdout, /title over 200 characters: 1/);
    assert.match(first.stdout, /year outside 1878–2100: 1/);
    assert.match(first.stdout, /runtime outside 1–100000: 1/);
    // Not a terminal: plain progress lines, no carriage returns.
    assert.match(first.stderr, /movies title\.basics\.tsv: 100%, 9 lines/);
    assert.doesNotMatch(first.stderr, /\r/);

    const { items, total } = await moviesOf(dir, '&sort=title');
    assert.equal(total, 4);
    const byImdb = new Map(items.map((m) => [m.imdb_id, m]));
    assert.deepEqual(
      { ...byImdb.get('tt0083658'), id: 0, updated_at: '' },
      { ...byImdb.get('tt0083658')!, id: 0, updated_at: '', title: 'Blade Runner', original_title: null, year: 1982, runtime: 117, genres: ['action', 'drama', 'sci-fi'], directors: [], synopsis: null },
    );
    assert.equal(byImdb.get('tt0062622')!.title, '2001: A "Space" Odyssey');
    const cleo = byImdb.get('tt0097351')!;
    assert.deepEqual([cleo.year, cleo.runtime, cleo.genres, cleo.original_title], [null, null, [], 'Cléo de cinq à sept']);
    assert.deepEqual(byImdb.get('tt10000006')!.genres, ['drama']);
    const sciFi = await moviesOf(dir, '&genre=sci-fi');
    assert.deepEqual(sciFi.items.map((m) => m.imdb_id).sort(), ['tt0062622', 'tt0083658']);
    const found = await moviesOf(dir, '&q=cleo');
    assert.deepEqual(found.items.map((m) => m.imdb_id), ['tt0097351']);

    const second = await runCli(['catalogue', 'import', file], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(counts(second.stdout), { added: 0, updated: 0, unchanged: 4, skipped: 5 });
    const again = await moviesOf(dir, '&sort=title');
    assert.equal(again.total, 4);
    assert.deepEqual(again.items, items, 'a rerun of the same file changed something (updated_at included)');

    // Gzipped, under a name that does not say so: detected by its magic bytes.
    rows[0] = movie('tt0083658', 'Blade Runner', '1982', '118', 'Sci-Fi,Thriller', 'Blade Runner: The Final Cut');
    const changed = writeTsv(dir, 'changed.tsv', BASICS_HEADER, rows, true);
    const third = await runCli(['catalogue', 'import', changed], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(counts(third.stdout), { added: 0, updated: 1, unchanged: 3, skipped: 5 });
    const after = await moviesOf(dir, '&sort=title');
    const blade = after.items.find((m) => m.imdb_id === 'tt0083658')!;
    assert.deepEqual([blade.runtime, blade.genres, blade.original_title], [118, ['sci-fi', 'thriller'], 'Blade Runner: The Final Cut']);
    assert.ok(blade.updated_at > byImdb.get('tt0083658')!.updated_at, 'updated_at did not move');
    assert.equal(after.items.find((m) => m.imdb_id === 'tt0062622')!.updated_at, byImdb.get('tt0062622')!.updated_at);
    assert.deepEqual((await moviesOf(dir, '&genre=thriller')).items.map((m) => m.imdb_id), ['tt0083658']);
    assert.deepEqual((await moviesOf(dir, '&genre=action')).items, []);

    // Only the runtime changes: the movie is rewritten, its full-text entry is not (the update
    // trigger's WHEN, migration 0012). FTS5 rewrites its structure record (row 10 of its shadow
    // table, holding a write counter) on any change to the index.
    const structure = async () => {
      if (!onSqlite) return '';
      const db = connect(databaseOf(dir));
      try {
        return (await sql<{ b: Buffer }>`select block as b from movies_fts_data where id = 10`.execute(db)).rows[0]!.b.toString('hex');
      } finally {
        await db.destroy();
      }
    };
    const before = await structure();
    rows[1] = movie('tt0062622', '2001: A "Space" Odyssey', '1968', '150', 'Adventure,Sci-Fi');
    const fourth = await runCli(['catalogue', 'import', writeTsv(dir, 'runtime.tsv', BASICS_HEADER, rows)], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(fourth.code, 0, fourth.stderr);
    assert.deepEqual(counts(fourth.stdout), { added: 0, updated: 1, unchanged: 3, skipped: 5 });
    assert.equal(await structure(), before, 'a runtime alone rewrote the full-text index');
    assert.deepEqual((await moviesOf(dir, '&q=odyssey')).items.map((m) => m.runtime), [150]);
    assert.equal(await checkConsistent(dir), 4);
  });

  it('a malformed line stops with its file and line number (exit 1); its batch is not written, the earlier ones stay; bad headers and options are refused', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 6000 }, (_, i) => movie(`tt${String(i + 1).padStart(7, '0')}`, `Movie ${i}`, '2000', '90', 'Drama'));
    rows.push(movie('tt9999999', 'Bad year', '19x9', '90', 'Drama'));
    rows.push(movie('tt9999998', 'After the bad one', '2000', '90', 'Drama'));
    const file = writeTsv(dir, 'title.basics.tsv.gz', BASICS_HEADER, rows, true);
    const res = await runCli(['catalogue', 'import', file], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(res.code, 1, res.stderr);
    const line = res.stderr.split('\n').filter((l) => l.startsWith('butaca:'));
    assert.equal(line.length, 1, res.stderr);
    // Header = line 1, so the 6001st row is line 6002.
    assert.match(line[0]!, /title\.basics\.tsv\.gz line 6002: startYear "19x9" is not a number/);
    assert.match(line[0]!, /nothing of this batch was written; 5,000 movies added and 0 updated in the batches before it are committed \(a rerun continues\)/);
    assert.doesNotMatch(res.stderr, /^\s+at\s/m);
    assert.equal((await moviesOf(dir)).total, 5000);
    assert.equal(await checkConsistent(dir), 5000);

    const fields = writeTsv(dir, 'fields.tsv', BASICS_HEADER, [movie('tt0000001', 'Ok', '2000', '90', 'Drama'), ['tt0000002', 'movie', 'Short line']]);
    const short = await runCli(['catalogue', 'import', fields], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /fields\.tsv line 3: 3 fields where the header has 9/);
    const adult = writeTsv(dir, 'adult.tsv', BASICS_HEADER, [['tt0000001', 'movie', 'A', 'A', '2', '2000', '\\N', '90', 'Drama']]);
    assert.match((await runCli(['catalogue', 'import', adult], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS)).stderr, /adult\.tsv line 2: isAdult "2" is not 0 or 1/);
    const tconst = writeTsv(dir, 'tconst.tsv', BASICS_HEADER, [movie('tt123', 'A', '2000', '90', 'Drama')]);
    assert.match((await runCli(['catalogue', 'import', tconst], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS)).stderr, /tconst\.tsv line 2: tconst "tt123" is not tt and 7–9 digits/);

    const header = writeTsv(dir, 'header.tsv', 'tconst\ttitleType\tprimaryTitle\tisAdult\tendYear\tgenres', []);
    const bad = await runCli(['catalogue', 'import', header], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(bad.code, 1);
    assert.match(assertOneLine(bad.stderr), /header\.tsv line 1: the header lacks the columns originalTitle, startYear, runtimeMinutes/);

    const alone = await runCli(['catalogue', 'import', file, '--crew', file], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(alone.code, 1);
    assert.match(assertOneLine(alone.stderr), /--crew and --names go together/);
    assert.equal((await moviesOf(dir)).total, 5000, 'a refused import wrote something');
  });

  it('--crew and --names give directors in credit order (accents kept, the director filter finds them); a hand-made movie of the same title and year is adopted', async () => {
    const dir = tempDir();
    const ctx = await appOnCliData(dir);
    let handMade: { id: number };
    try {
      const admin = await adminToken(ctx);
      handMade = await createMovie(ctx.app, admin, { title: 'el espíritu de la colmena', year: 1973, synopsis: 'Una niña y Frankenstein.' });
      await createMovie(ctx.app, admin, { title: 'Other film', year: 1990 });
    } finally {
      await ctx.close();
    }
    const basics = writeTsv(dir, 'title.basics.tsv', BASICS_HEADER, [
      movie('tt0070040', 'El espíritu de la colmena', '1973', '97', 'Drama,Fantasy'),
      movie('tt0111111', 'Two directors', '1999', '100', 'Comedy'),
      movie('tt0222222', 'Not in crew', '2005', '100', 'Comedy'),
      movie('tt0333333', 'A series', '2005', '100', 'Comedy', 'A series', 'tvSeries'),
    ]);
    const crew = writeTsv(dir, 'title.crew.tsv.gz', CREW_HEADER, [
      ['tt0070040', 'nm0260470', 'nm0260470'],
      ['tt0111111', 'nm0000002,nm0000001,nm0000003', '\\N'],
      ['tt0333333', 'nm0000001', '\\N'],
      ['tt0444444', 'nm0000001', '\\N'],
    ], true);
    const names = writeTsv(dir, 'name.basics.tsv', NAMES_HEADER, [
      ['nm0000001', 'Agnès Varda', '1928', '2019', 'director', 'tt0111111'],
      ['nm0000002', 'Pedro Almodóvar', '1949', '\\N', 'director,writer', '\\N'],
      ['nm0000004', 'Someone Else', '\\N', '\\N', 'actor', '\\N'],
      ['nm0260470', 'Víctor Erice', '1940', '\\N', 'director', 'tt0070040'],
    ]);
    const res = await runCli(['catalogue', 'import', basics, '--crew', crew, '--names', names], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(counts(res.stdout), { added: 2, updated: 1, unchanged: 0, skipped: 1 });
    assert.match(res.stdout, /1 adopted/);
    assert.match(res.stdout, /directors\s+set on 2 movies, unchanged on 0; credited names not found: 1/);

    const all = await moviesOf(dir, '&sort=title');
    assert.equal(all.total, 4, 'the adopted movie was added a second time');
    const erice = all.items.find((m) => m.imdb_id === 'tt0070040')!;
    assert.equal(erice.id, handMade!.id);
    assert.deepEqual([erice.title, erice.runtime, erice.genres, erice.directors, erice.synopsis], ['El espíritu de la colmena', 97, ['drama', 'fantasy'], ['Víctor Erice'], 'Una niña y Frankenstein.']);
    const two = all.items.find((m) => m.imdb_id === 'tt0111111')!;
    // nm0000003 is not in the names file: left out.
    assert.deepEqual(two.directors, ['Pedro Almodóvar', 'Agnès Varda']);
    assert.deepEqual(all.items.find((m) => m.imdb_id === 'tt0222222')!.directors, []);
    assert.deepEqual((await moviesOf(dir, `&director=${encodeURIComponent('agnes varda')}`)).items.map((m) => m.imdb_id), ['tt0111111']);
    assert.deepEqual((await moviesOf(dir, `&director=${encodeURIComponent('Víctor Erice')}`)).items.map((m) => m.imdb_id), ['tt0070040']);
    assert.deepEqual((await moviesOf(dir, '&q=almodovar')).items.map((m) => m.imdb_id), ['tt0111111']);
    assert.deepEqual((await moviesOf(dir, '&q=espiritu')).items.map((m) => m.imdb_id), ['tt0070040']);

    const again = await runCli(['catalogue', 'import', basics, '--crew', crew, '--names', names], { DATA_DIR: dir }, '', IMPORT_TIMEOUT_MS);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(counts(again.stdout), { added: 0, updated: 0, unchanged: 3, skipped: 1 });
    assert.match(again.stdout, /directors\s+set on 0 movies, unchanged on 2/);
    assert.deepEqual(await moviesOf(dir, '&sort=title'), all);
  });

  it('Ctrl-C (SIGINT) mid-import exits 130 with the database consistent; a rerun completes', { timeout: 240_000 }, async () => {
    const dir = tempDir();
    const total = onSqlite ? 300_000 : 100_000;
    const file = path.join(dir, 'big.tsv.gz');
    const gz = createGzip({ level: 1 });
    const out = createWriteStream(file);
    gz.pipe(out);
    gz.write(`${BASICS_HEADER}\n`);
    const genres = ['Drama', 'Comedy,Romance', 'Sci-Fi,Action,Thriller', '\\N'];
    for (let i = 0; i < total; i += 1000) {
      let chunk = '';
      for (let j = i; j < i + 1000; j++) chunk += `tt${String(j + 1).padStart(8, '0')}\tmovie\tGenerated movie ${j}\tGenerated movie ${j}\t0\t${1900 + (j % 120)}\t\\N\t${60 + (j % 100)}\t${genres[j % 4]}\n`;
      if (!gz.write(chunk)) await once(gz, 'drain');
    }
    gz.end();
    await once(out, 'finish');

    const child = spawnCli(['catalogue', 'import', file], { DATA_DIR: dir });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!sent && /movies big\.tsv\.gz: \d+%/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const [code] = (await once(child, 'close')) as [number | null];
    assert.ok(sent, `no progress line: ${stderr}`);
    assert.equal(code, 130, `${stdout}\n${stderr}`);
    assert.match(stdout, /^Interrupted: committed so far/);
    assert.match(stdout, /run the same command again to continue/);
    const partial = counts(stdout).added;
    assert.ok(partial > 0 && partial < total, `${partial} of ${total} committed`);
    assert.equal(partial % 5000, 0, 'a batch was cut');
    assert.equal(await checkConsistent(dir), partial);

    const rerun = await runCli(['catalogue', 'import', file], { DATA_DIR: dir }, '', 180_000);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(counts(rerun.stdout), { added: total - partial, updated: 0, unchanged: partial, skipped: 0 });
    assert.equal(await checkConsistent(dir), total);
    assert.equal((await moviesOf(dir, '&genre=sci-fi')).total, total / 4);
  });
  it('a first load sets the title and year indexes and the full-text triggers aside and builds them (the index rebuilt) at its end; killed (SIGKILL) mid-load, the next start builds them; a line over the limit is refused', { timeout: 180_000 }, async () => {
    /** The movies' indexes as the schema has them (name → SQLite's text; on PostgreSQL, pg_indexes'). */
    async function indexesOf(dir: string): Promise<Map<string, string>> {
      const db = connect(databaseOf(dir));
      try {
        const rows = onSqlite
          ? (await sql<{ name: string; def: string | null }>`select name, sql as def from sqlite_master where type = 'index' and tbl_name = 'movies'`.execute(db)).rows
          : (await sql<{ name: string; def: string }>`select indexname as name, indexdef as def from pg_indexes where tablename = 'movies'`.execute(db)).rows;
        return new Map(rows.map((r) => [r.name, r.def ?? '']));
      } finally {
        await db.destroy();
      }
    }
    /** The movies' triggers (name → SQLite's text; on PostgreSQL, pg_trigger's definition). */
    async function triggersOf(dir: string): Promise<Map<string, string>> {
      const db = connect(databaseOf(dir));
      try {
        const rows = onSqlite
          ? (await sql<{ name: string; def: string }>`select name, sql as def from sqlite_master where type = 'trigger' and tbl_name = 'movies'`.execute(db)).rows
          : (await sql<{ name: string; def: string }>`select tgname as name, pg_get_triggerdef(oid) as def from pg_trigger where tgrelid = 'movies'::regclass and not tgisinternal`.execute(db)).rows;
        return new Map(rows.map((r) => [r.name, r.def]));
      } finally {
        await db.destroy();
      }
    }
    const pristine = tempDir();
    assert.equal((await runCli(['migrate'], { DATA_DIR: pristine })).code, 0);
    const expected = await indexesOf(pristine);
    const expectedTriggers = await triggersOf(pristine);
    if (onSqlite) assert.deepEqual([...expectedTriggers.keys()].filter((n) => n.startsWith('movies_fts')).sort(), ['movies_fts_delete', 'movies_fts_insert', 'movies_fts_update']);
    for (const name of ['movies_title_key_id', 'movies_year_id', 'movies_year_desc_id']) assert.ok(expected.has(name), name);

    // Over 4 MiB uncompressed into an empty catalogue: a first load (BULK_LOAD in the service).
    const dir = tempDir();
    // 14 batches at least behind the first progress line: the kill lands seconds before the end.
    const total = 120_000;
    const lines: string[] = [];
    for (let j = 0; j < total; j++) lines.push(`tt${String(j + 1).padStart(8, '0')}\tmovie\tA film with a long enough title number ${j}\t\\N\t0\t${1900 + (j % 120)}\t\\N\t${60 + (j % 100)}\tDrama`);
    const file = path.join(dir, 'first.tsv');
    writeFileSync(file, `${BASICS_HEADER}\n${lines.join('\n')}\n`);

    const child = spawnCli(['catalogue', 'import', file], { DATA_DIR: dir });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!killed && /movies first\.tsv: \d+%/.test(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const [, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    assert.ok(killed, `no progress line: ${stderr}`);
    assert.equal(signal, 'SIGKILL', 'the import ended before the kill');
    assert.equal(stdout, '', 'no summary: killed mid-load');
    if (onSqlite) {
      const db = connect(databaseOf(dir));
      try {
        const deferred = await db.selectFrom('deferred_indexes').select('name').orderBy('name').execute();
        assert.deepEqual(
          deferred.map((d) => d.name),
          ['movies_fts_delete', 'movies_fts_insert', 'movies_fts_update', 'movies_title_key_id', 'movies_year_desc_id', 'movies_year_id'],
          'recorded in the transaction that dropped them',
        );
      } finally {
        await db.destroy();
      }
      const during = await indexesOf(dir);
      for (const name of ['movies_title_key_id', 'movies_year_id', 'movies_year_desc_id']) assert.equal(during.has(name), false, `${name} set aside while loading`);
      const triggers = await triggersOf(dir);
      for (const name of ['movies_fts_insert', 'movies_fts_update', 'movies_fts_delete']) assert.equal(triggers.has(name), false, `${name} set aside while loading`);
      assert.ok(triggers.has('movies_row_count_insert'), 'the other triggers stay');
      // Until the end, the full-text index does not have the movies being loaded (asked here in SQL: the app would migrate, and so build it).
      const raw = connect(databaseOf(dir));
      try {
        const loaded = Number((await raw.selectFrom('movies').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
        assert.ok(loaded > 0, 'some batches committed before the kill');
        assert.equal((await sql<{ n: number }>`select count(*) as n from movies_fts where movies_fts match 'long'`.execute(raw)).rows[0]!.n, 0);
      } finally {
        await raw.destroy();
      }
    }
    // Anything that migrates (here `migrate`; the server too) builds what a dead load set aside.
    assert.equal((await runCli(['migrate'], { DATA_DIR: dir })).code, 0);
    assert.deepEqual(await indexesOf(dir), expected);
    assert.deepEqual(await triggersOf(dir), expectedTriggers);
    const partial = await checkConsistent(dir);
    // The full-text index was rebuilt from the table: every movie there is found, none twice.
    assert.equal((await moviesOf(dir, '&q=long+enough')).total, partial);

    const rerun = await runCli(['catalogue', 'import', file], { DATA_DIR: dir }, '', 120_000);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(counts(rerun.stdout), { added: total - partial, updated: 0, unchanged: partial, skipped: 0 });
    // SQLite sets them aside again (fewer than 50,000 movies were there); PostgreSQL never does.
    if (onSqlite) assert.match(rerun.stdout, /indexes {4}3 set aside for the load and built again, and the full-text index rebuilt, in [\d.]+ s/);
    else assert.doesNotMatch(rerun.stdout, /set aside/);
    assert.deepEqual(await indexesOf(dir), expected);
    assert.deepEqual(await triggersOf(dir), expectedTriggers);
    assert.equal(await checkConsistent(dir), total);
    assert.equal((await moviesOf(dir, '&q=long+enough+119999')).items[0]?.title, 'A film with a long enough title number 119999');
    assert.equal((await moviesOf(dir, '&q=long+enough')).total, total);
    const db = connect(databaseOf(dir));
    try {
      assert.equal(Number((await db.selectFrom('deferred_indexes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 0);
    } finally {
      await db.destroy();
    }
    // The API sorts by title through the rebuilt index and gets every movie in order.
    const first = await moviesOf(dir, '&sort=title');
    assert.equal(first.total, total);
    assert.equal(first.items[0]!.title, 'A film with a long enough title number 0');

    // A malformed line near the end of a first load: the error is the line's, and the indexes set aside are built all the same.
    const badDir = tempDir();
    const bad = path.join(badDir, 'bad.tsv');
    writeFileSync(bad, `${BASICS_HEADER}\n${lines.slice(0, total - 10).join('\n')}\ntt99999999\tmovie\tBroken\t\\N\t0\tnineteen\t\\N\t90\tDrama\n`);
    const broken = await runCli(['catalogue', 'import', bad], { DATA_DIR: badDir }, '', 120_000);
    assert.equal(broken.code, 1);
    assert.match(assertOneLine(broken.stderr.replace(/^(movies|building) .*$/gm, '')), new RegExp(`^butaca: bad\\.tsv line ${total - 10 + 2}: startYear "nineteen" is not a number`));
    assert.deepEqual(await indexesOf(badDir), expected);
    assert.deepEqual(await triggersOf(badDir), expectedTriggers);
    assert.equal(await checkConsistent(badDir), total - 10 - ((total - 10) % 5000));
    assert.equal((await moviesOf(badDir, '&q=long+enough')).total, total - 10 - ((total - 10) % 5000));

    // A line longer than MAX_LINE (a file that is not one title a line) is refused with its number, nothing half-read.
    const huge = path.join(dir, 'huge.tsv');
    writeFileSync(huge, `${BASICS_HEADER}\n${lines[0]}\n${'x'.repeat(70_000)}\n`);
    const refused = await runCli(['catalogue', 'import', huge], { DATA_DIR: dir });
    assert.equal(refused.code, 1);
    assert.match(assertOneLine(refused.stderr), /^butaca: huge\.tsv line 3: longer than 65,536 characters/);
    assert.equal(await checkConsistent(dir), total);
  });
});
