import { CompiledQuery, sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { fullTextTriggers } from '../../db/deferred-indexes.js';
import { locksRows } from '../../db/locks.js';
import { inTransaction } from '../../db/transaction.js';

/**
 * The import's SQL. Batches are written with multi-row statements built here as plain SQL text
 * and run as compiled queries: Kysely's builder would build and compile a tree of thousands of
 * values per statement, and a statement's text is the same from one full batch to the next, so
 * SQLite's statement cache (src/db/statement-cache.ts) prepares it once.
 */

/** Rows per statement: 9 values a movie stays far below SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const ROWS_PER_STATEMENT = 500;

/** A movie as IMDb gives it, mapped to Butaca's fields. */
export interface ImportedMovie {
  imdbId: string;
  title: string;
  titleKey: string;
  originalTitle: string | null;
  year: number | null;
  runtime: number | null;
  genres: string[];
  /** JSON of `genres`, as stored. */
  genresJson: string;
}

/** What the import compares of a stored movie. */
export interface StoredMovie {
  id: number;
  imdb_id: string | null;
  title: string;
  original_title: string | null;
  year: number | null;
  runtime: number | null;
  genres: string;
}

/** `count` rows of `width` placeholders each, parenthesized: `$1, $2, …` on PostgreSQL, `?` on SQLite. */
function rows(postgres: boolean, count: number, width: number): string {
  const out: string[] = [];
  let n = 1;
  for (let r = 0; r < count; r++) {
    const slots: string[] = [];
    for (let c = 0; c < width; c++) slots.push(postgres ? `$${n++}` : '?');
    out.push(`(${slots.join(', ')})`);
  }
  return out.join(', ');
}

const fullTexts = new Map<string, string>();

/**
 * A statement's text, kept when its batch is full (the same text every time, so it is built and
 * hashed once: the statement cache keys on it, and a full batch's text is several kilobytes);
 * a shorter last part is built each time, so what is kept stays a few texts.
 */
function textOf(name: string, count: number, full: number, build: () => string): string {
  if (count !== full) return build();
  const key = `${name} ${count}`;
  let text = fullTexts.get(key);
  if (text === undefined) fullTexts.set(key, (text = build()));
  return text;
}

function list(postgres: boolean, count: number): string {
  return Array.from({ length: count }, (_, i) => (postgres ? `$${1 + i}` : '?')).join(', ');
}

async function run<R>(db: Db, text: string, parameters: readonly unknown[]): Promise<R[]> {
  return (await db.executeQuery<R>(CompiledQuery.raw(text, [...parameters]))).rows;
}

function* chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * The movies' indexes a new row lands at a random place in (by title, by year either way): a
 * first load sets them aside and builds them at the end (service.ts, BULK_LOAD). The others
 * grow at their end (id, created_at, the counters all zero) or are the rules (imdb_id, the
 * title-and-year key), which stay.
 */
export const RANDOM_ORDER_INDEXES = ['movies_title_key_id', 'movies_year_id', 'movies_year_desc_id'] as const;

/**
 * The triggers that keep the movies' full-text index (movies_fts, migration 0009) in step: a
 * first load sets them aside too, and the index is rebuilt from the table at its end, five times
 * faster than a document a row (src/db/deferred-indexes.ts). Until then a search does not find
 * the movies being loaded.
 */
export const FULL_TEXT_TRIGGERS = fullTextTriggers('movies_fts');

/** How many movies there are, counting up to `limit` at most. */
export async function movieCountUpTo(db: Db, limit: number): Promise<number> {
  const row = await db
    .selectFrom((eb) => eb.selectFrom('movies').select('id').limit(limit).as('m'))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const STORED_COLUMNS = 'id, imdb_id, title, original_title, year, runtime, genres';

/** The stored movies with these IMDb ids. */
export async function moviesByImdbId(db: Db, ids: readonly string[]): Promise<StoredMovie[]> {
  const postgres = locksRows(db);
  const found: StoredMovie[] = [];
  for (const part of chunks(ids, 2000)) {
    const text = textOf(`stored ${postgres}`, part.length, 2000, () => `select ${STORED_COLUMNS} from movies where imdb_id in (${list(postgres, part.length)})`);
    found.push(...(await run<StoredMovie>(db, text, part)));
  }
  return found;
}

/** Whether some movie has no IMDb id (only then can one be adopted): the partial title-and-year index answers it. */
export async function anyMovieWithoutImdbId(db: Db): Promise<boolean> {
  const row = await db.selectFrom('movies').select('id').where('imdb_id', 'is', null).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Movies without an IMDb id having one of these (title_key, year) pairs: at most one each, by the unique index. */
export async function moviesWithoutImdbIdByTitle(db: Db, keys: readonly { titleKey: string; year: number | null }[]): Promise<(StoredMovie & { title_key: string })[]> {
  const postgres = locksRows(db);
  const found: (StoredMovie & { title_key: string })[] = [];
  for (const part of chunks(keys, 1000)) {
    const params = part.map((k) => k.titleKey);
    found.push(
      ...(await run<StoredMovie & { title_key: string }>(
        db,
        `select ${STORED_COLUMNS}, title_key from movies where imdb_id is null and title_key in (${list(postgres, params.length)})`,
        params,
      )),
    );
  }
  return found;
}

/** Adds these movies and their genre rows; their ids by IMDb id. */
export async function insertMovies(db: Db, movies: readonly ImportedMovie[], now: string): Promise<Map<string, number>> {
  const postgres = locksRows(db);
  const ids = new Map<string, number>();
  for (const part of chunks(movies)) {
    const params: unknown[] = [];
    for (const m of part) params.push(m.title, m.titleKey, m.originalTitle, m.year, m.runtime, m.genresJson, m.imdbId, now, now);
    const inserted = await run<{ id: number; imdb_id: string }>(
      db,
      textOf(`insert ${postgres}`, part.length, ROWS_PER_STATEMENT, () => `insert into movies (title, title_key, original_title, year, runtime, genres, imdb_id, created_at, updated_at) values ${rows(postgres, part.length, 9)} returning id, imdb_id`),
      params,
    );
    for (const r of inserted) ids.set(r.imdb_id, Number(r.id));
  }
  await insertGenreRows(db, movies.map((m) => ({ movieId: ids.get(m.imdbId)!, genres: m.genres })));
  return ids;
}

async function insertGenreRows(db: Db, movies: readonly { movieId: number; genres: readonly string[] }[]): Promise<void> {
  const postgres = locksRows(db);
  const pairs = movies.flatMap((m) => m.genres.map((g) => [g, m.movieId] as const));
  for (const part of chunks(pairs, 2000)) {
    await run(db, textOf(`genres ${postgres}`, part.length, 2000, () => `insert into movie_genres (genre, movie_id) values ${rows(postgres, part.length, 2)}`), part.flat());
  }
}

/**
 * Rewrites these movies' IMDb fields and their genre rows. The rows are rewritten for every
 * updated movie, not only when the genres read before differ: an administrator's edit may land
 * between that read and this write, and the JSON and its rows must come from the same write.
 */
export async function updateMovies(db: Db, updates: readonly { id: number; movie: ImportedMovie }[], now: string): Promise<void> {
  const postgres = locksRows(db);
  const text = postgres
    ? 'update movies set title = $1, title_key = $2, original_title = $3, year = $4, runtime = $5, genres = $6, imdb_id = $7, updated_at = $8 where id = $9'
    : 'update movies set title = ?, title_key = ?, original_title = ?, year = ?, runtime = ?, genres = ?, imdb_id = ?, updated_at = ? where id = ?';
  for (const { id, movie: m } of updates) await run(db, text, [m.title, m.titleKey, m.originalTitle, m.year, m.runtime, m.genresJson, m.imdbId, now, id]);
  for (const part of chunks(updates, 2000)) {
    await run(db, `delete from movie_genres where movie_id in (${list(postgres, part.length)})`, part.map((u) => u.id));
  }
  await insertGenreRows(db, updates.map((u) => ({ movieId: u.id, genres: u.movie.genres })));
}

/**
 * The staging tables of the directors' join across files: (movie, position, nconst) from the
 * crew file, then (nconst, name) for the staged nconsts from the names file. Temporary tables
 * of the import's one connection: nobody else sees them, and they vanish with the connection
 * even if the import is killed.
 */
export async function createStaging(db: Db): Promise<void> {
  await dropStaging(db);
  await sql`create temp table catalogue_crew (movie_id integer not null, position integer not null, nconst text not null, primary key (movie_id, position))`.execute(db);
  await sql`create index catalogue_crew_nconst on catalogue_crew (nconst)`.execute(db);
  await sql`create temp table catalogue_names (nconst text primary key, name text not null)`.execute(db);
}

export async function dropStaging(db: Db): Promise<void> {
  await sql`drop table if exists catalogue_crew`.execute(db);
  await sql`drop table if exists catalogue_names`.execute(db);
}

/** The movie ids of these IMDb ids (those we have). */
export async function movieIdsByImdbId(db: Db, ids: readonly string[]): Promise<Map<string, number>> {
  const postgres = locksRows(db);
  const found = new Map<string, number>();
  for (const part of chunks(ids, 2000)) {
    const got = await run<{ id: number; imdb_id: string }>(db, `select id, imdb_id from movies where imdb_id in (${list(postgres, part.length)})`, part);
    for (const r of got) found.set(r.imdb_id, Number(r.id));
  }
  return found;
}

/** Stages a movie's credited directors; a movie listed twice keeps its last listing. */
export async function stageCrew(db: Db, credits: readonly { movieId: number; nconsts: readonly string[] }[]): Promise<void> {
  const postgres = locksRows(db);
  return inTransaction(db, async (trx) => {
    for (const part of chunks(credits, 2000)) {
      await run(trx, `delete from catalogue_crew where movie_id in (${list(postgres, part.length)})`, part.map((c) => c.movieId));
    }
    const triples = credits.flatMap((c) => c.nconsts.map((n, i) => [c.movieId, i, n] as const));
    for (const part of chunks(triples, 1000)) await run(trx, `insert into catalogue_crew (movie_id, position, nconst) values ${rows(postgres, part.length, 3)}`, part.flat());
  });
}

/** Which of these nconsts are credited on a staged movie. */
export async function stagedNconsts(db: Db, nconsts: readonly string[]): Promise<Set<string>> {
  const postgres = locksRows(db);
  const found = new Set<string>();
  for (const part of chunks(nconsts, 2000)) {
    const got = await run<{ nconst: string }>(db, `select distinct nconst from catalogue_crew where nconst in (${list(postgres, part.length)})`, part);
    for (const r of got) found.add(r.nconst);
  }
  return found;
}

export async function stageNames(db: Db, names: readonly { nconst: string; name: string }[]): Promise<void> {
  const postgres = locksRows(db);
  return inTransaction(db, async (trx) => {
    for (const part of chunks(names, 1000)) {
      await run(trx, `insert into catalogue_names (nconst, name) values ${rows(postgres, part.length, 2)} on conflict (nconst) do nothing`, part.flatMap((n) => [n.nconst, n.name]));
    }
  });
}

/** The next `limit` staged movie ids after `after`, in order. */
export async function nextStagedMovies(db: Db, after: number, limit: number): Promise<number[]> {
  const postgres = locksRows(db);
  const text = `select distinct movie_id from catalogue_crew where movie_id > ${postgres ? '$1' : '?'} order by movie_id limit ${Number(limit)}`;
  return (await run<{ movie_id: number }>(db, text, [after])).map((r) => Number(r.movie_id));
}

/** The staged directors' names of the movies from `first` to `last`, in credit order, with each movie's stored directors. */
export async function stagedDirectors(db: Db, first: number, last: number): Promise<{ credits: { movie_id: number; name: string }[]; stored: { id: number; directors: string }[] }> {
  const postgres = locksRows(db);
  const range = postgres ? 'between $1 and $2' : 'between ? and ?';
  const credits = await run<{ movie_id: number; name: string }>(
    db,
    `select c.movie_id, n.name from catalogue_crew c join catalogue_names n on n.nconst = c.nconst where c.movie_id ${range} order by c.movie_id, c.position`,
    [first, last],
  );
  const stored = await run<{ id: number; directors: string }>(db, `select id, directors from movies where id ${range}`, [first, last]);
  return { credits: credits.map((c) => ({ movie_id: Number(c.movie_id), name: c.name })), stored: stored.map((s) => ({ id: Number(s.id), directors: s.directors })) };
}

/** Sets these movies' directors and rewrites their director filter rows. */
export async function writeDirectors(db: Db, changes: readonly { id: number; directorsJson: string; keys: readonly string[] }[], now: string): Promise<void> {
  const postgres = locksRows(db);
  const text = postgres ? 'update movies set directors = $1, updated_at = $2 where id = $3' : 'update movies set directors = ?, updated_at = ? where id = ?';
  for (const c of changes) await run(db, text, [c.directorsJson, now, c.id]);
  for (const part of chunks(changes, 2000)) await run(db, `delete from movie_directors where movie_id in (${list(postgres, part.length)})`, part.map((c) => c.id));
  const pairs = changes.flatMap((c) => c.keys.map((k) => [k, c.id] as const));
  for (const part of chunks(pairs, 2000)) await run(db, `insert into movie_directors (name_key, movie_id) values ${rows(postgres, part.length, 2)}`, part.flat());
}

/** Staged credits whose nconst the names file did not name. */
export async function unnamedCredits(db: Db): Promise<number> {
  const rows = await run<{ n: number | string }>(db, 'select count(*) as n from catalogue_crew c where not exists (select 1 from catalogue_names n where n.nconst = c.nconst)', []);
  return Number(rows[0]?.n ?? 0);
}
