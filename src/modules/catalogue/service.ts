import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { buildDeferredIndexes, deferIndexes } from '../../db/deferred-indexes.js';
import { isUniqueViolation } from '../../db/errors.js';
import { locksRows } from '../../db/locks.js';
import { nowIso } from '../../db/time.js';
import { GENRES } from '../../domain/enums.js';
import { nameKey } from '../../domain/text.js';
import { MOVIE_LIMITS } from '../../domain/movies.js';
import {
  type ImportedMovie,
  type StoredMovie,
  anyMovieWithoutImdbId,
  FULL_TEXT_TRIGGERS,
  RANDOM_ORDER_INDEXES,
  createStaging,
  movieCountUpTo,
  dropStaging,
  insertMovies,
  movieIdsByImdbId,
  moviesByImdbId,
  moviesWithoutImdbIdByTitle,
  nextStagedMovies,
  unnamedCredits,
  stageCrew,
  stageNames,
  stagedDirectors,
  stagedNconsts,
  updateMovies,
  writeDirectors,
} from './data.js';
import { type Progress, type ProgressOutput, progressOn } from './progress.js';
import { NULL_FIELD, type TsvFile, openTsv } from './tsv.js';

/** Lines a transaction: large enough that a commit's fsync is a small share, small enough that a batch is a few MB. */
export const BATCH_LINES = 5000;

const BASICS_COLUMNS = ['tconst', 'titleType', 'primaryTitle', 'originalTitle', 'isAdult', 'startYear', 'endYear', 'runtimeMinutes', 'genres'] as const;
const CREW_COLUMNS = ['tconst', 'directors', 'writers'] as const;
const NAMES_COLUMNS = ['nconst', 'primaryName', 'birthYear', 'deathYear', 'primaryProfession', 'knownForTitles'] as const;

const TCONST = /^tt\d{7,9}$/;
const NCONST = /^nm\d{7,9}$/;
const DIGITS = /^\d+$/;
// Butaca's rules for a movie, the API's own.
const { title: MAX_TITLE, firstYear: MIN_YEAR, lastYear: MAX_YEAR, runtime: MAX_RUNTIME, directorName: MAX_NAME, directors: MAX_DIRECTORS } = MOVIE_LIMITS;
const KNOWN_GENRES: ReadonlySet<string> = new Set(GENRES);

export interface ImportFiles {
  basics: string;
  crew?: string | undefined;
  names?: string | undefined;
}

export interface ImportOptions {
  /** Where the progress goes (a bar on a terminal, plain lines elsewhere); none when undefined. */
  progress?: ProgressOutput | undefined;
  /** Asked after each batch: true stops the import there, the batch committed. */
  stopRequested?: () => boolean;
  batchLines?: number;
}

/**
 * A first load: SQLite, fewer than 50,000 movies and a file over 4 MiB (some 60,000 titles
 * uncompressed, some 200,000 gzipped). Then inserting without the title and year indexes and
 * building them once at the end takes about half the time (bench/import.ts); with a large
 * catalogue already there, building them again would cost more than it saves.
 */
export const BULK_LOAD = { fewerMoviesThan: 50_000, fileBytesOver: 4 * 1024 * 1024 } as const;

export interface ImportSummary {
  lines: number;
  added: number;
  /** Of which `adopted`: a movie without an IMDb id matched by title and year. */
  updated: number;
  adopted: number;
  unchanged: number;
  /** By reason. */
  skipped: Map<string, number>;
  /** With --crew and --names. */
  directors?: { set: number; unchanged: number; namesNotFound: number; namesSkipped: number } | undefined;
  /** Stopped by a request (Ctrl-C) after a committed batch: what is counted is in the database. */
  interrupted: boolean;
  /** The indexes set aside for a first load and built again at the end of pass 1, with the time that took. */
  deferredIndexes?: { names: string[]; seconds: number } | undefined;
  seconds: number;
}

/** A malformed line (or file): the import stops; the batches before it stay committed. */
export class CatalogueImportError extends Error {}

/** Code points, as the API's maxLength counts them; the length in UTF-16 units bounds it from above. */
const longerThan = (text: string, max: number): boolean => text.length > max && [...text].length > max;

class Malformed extends Error {}

function number(field: string, column: string): number | null {
  if (field === NULL_FIELD) return null;
  if (!DIGITS.test(field)) throw new Malformed(`${column} ${JSON.stringify(field)} is not a number or \\N`);
  return Number(field);
}

type Parsed = { movie: ImportedMovie } | { skip: string };

function parseBasics(fields: string[], col: Record<(typeof BASICS_COLUMNS)[number], number>): Parsed {
  const tconst = fields[col.tconst]!;
  if (!TCONST.test(tconst)) throw new Malformed(`tconst ${JSON.stringify(tconst)} is not tt and 7–9 digits`);
  const isAdult = fields[col.isAdult]!;
  if (isAdult !== '0' && isAdult !== '1') throw new Malformed(`isAdult ${JSON.stringify(isAdult)} is not 0 or 1`);
  const year = number(fields[col.startYear]!, 'startYear');
  const runtime = number(fields[col.runtimeMinutes]!, 'runtimeMinutes');
  if (fields[col.titleType] !== 'movie') return { skip: 'not a movie' };
  const primary = fields[col.primaryTitle]!;
  const title = primary === NULL_FIELD ? '' : primary.trim();
  if (title === '') return { skip: 'no title' };
  if (longerThan(title, MAX_TITLE)) return { skip: `title over ${MAX_TITLE} characters` };
  if (year !== null && (year < MIN_YEAR || year > MAX_YEAR)) return { skip: `year outside ${MIN_YEAR}–${MAX_YEAR}` };
  if (runtime !== null && (runtime < 1 || runtime > MAX_RUNTIME)) return { skip: `runtime outside 1–${MAX_RUNTIME}` };
  const original = fields[col.originalTitle]!;
  const originalTitle = original === NULL_FIELD ? '' : original.trim();
  const genreField = fields[col.genres]!;
  const genres = genreField === NULL_FIELD ? [] : [...new Set(genreField.split(',').map((g) => g.trim().toLowerCase()))].filter((g) => KNOWN_GENRES.has(g));
  return {
    movie: {
      imdbId: tconst,
      title,
      titleKey: title.toLowerCase(),
      // An original title over Butaca's limit is left out rather than the movie.
      originalTitle: originalTitle === '' || originalTitle === title || longerThan(originalTitle, MAX_TITLE) ? null : originalTitle,
      year,
      runtime,
      genres,
      genresJson: JSON.stringify(genres),
    },
  };
}

const sameMovie = (s: StoredMovie, m: ImportedMovie): boolean =>
  s.title === m.title && s.original_title === m.originalTitle && s.year === m.year && s.runtime === m.runtime && s.genres === m.genresJson && s.imdb_id === m.imdbId;

/** Runs `work` on one connection: the staging tables are temporary tables of that connection. */
function withSession<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  // SQLite's driver has one connection, and holding it would hold back the group commit (src/db/group-commit.ts).
  return locksRows(db) ? db.connection().execute(work) : work(db);
}

function columnsOf<C extends string>(file: TsvFile, names: readonly C[]): Record<C, number> {
  return Object.fromEntries(names.map((n) => [n, file.columns.get(n)!])) as Record<C, number>;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * Loads IMDb's title.basics (and with crew and names, the directors) into the movies:
 * pass 1 upserts the movies of basics by imdb_id, a transaction a batch; pass 2 stages the
 * crew's directors of our movies; pass 3 stages the names of the staged nconsts; pass 4 writes
 * each movie's directors. Nothing is held per row beyond a batch, so memory is flat.
 */
export async function importCatalogue(db: Db, files: ImportFiles, options: ImportOptions = {}): Promise<ImportSummary> {
  const started = performance.now();
  const batchLines = options.batchLines ?? BATCH_LINES;
  const stop = options.stopRequested ?? (() => false);
  const summary: ImportSummary = { lines: 0, added: 0, updated: 0, adopted: 0, unchanged: 0, skipped: new Map(), interrupted: false, seconds: 0 };
  const skip = (reason: string) => summary.skipped.set(reason, (summary.skipped.get(reason) ?? 0) + 1);
  const committed = () => `${plural(summary.added, 'movie')} added and ${summary.updated.toLocaleString('en-US')} updated in the batches before it are committed`;
  const progressOf = (file: TsvFile, pass: string): Progress | undefined => (options.progress ? progressOn(options.progress, `${pass} ${file.name}`, file.size) : undefined);

  /** Reads `file` batch by batch; a malformed line stops everything with its file and number. */
  async function eachBatch(file: TsvFile, pass: string, handle: (rows: { fields: string[]; lineNo: number }[]) => Promise<void>): Promise<number> {
    const progress = progressOf(file, pass);
    let lines = 0;
    let bytes = 0;
    for await (const batch of file.batches) {
      const rows = batch.lines.map((line, i) => {
        const lineNo = batch.firstLine + i;
        const fields = line.split('\t');
        if (fields.length !== file.header.length) {
          throw new CatalogueImportError(
            `${file.name} line ${lineNo}: ${fields.length} fields where the header has ${file.header.length} (tab-separated); the import stopped, nothing of this batch was written; ${committed()} (a rerun continues)`,
          );
        }
        return { fields, lineNo };
      });
      await handle(rows);
      lines += batch.lines.length;
      bytes = batch.bytesRead;
      progress?.update(lines, bytes);
      if (stop()) {
        summary.interrupted = true;
        await file.batches.return(undefined);
        break;
      }
    }
    progress?.finish(lines, summary.interrupted ? bytes : file.size);
    return lines;
  }

  function parseEach<T>(file: TsvFile, rows: { fields: string[]; lineNo: number }[], parse: (fields: string[]) => T): T[] {
    return rows.map(({ fields, lineNo }) => {
      try {
        return parse(fields);
      } catch (err) {
        if (!(err instanceof Malformed)) throw err;
        throw new CatalogueImportError(`${file.name} line ${lineNo}: ${err.message}; the import stopped, nothing of this batch was written; ${committed()} (a rerun continues)`);
      }
    });
  }

  // Every file is opened (its header checked) before anything is written.
  const basics = await openTsv(files.basics, BASICS_COLUMNS, batchLines);
  const crew = files.crew === undefined ? undefined : await openTsv(files.crew, CREW_COLUMNS, batchLines);
  const names = files.names === undefined ? undefined : await openTsv(files.names, NAMES_COLUMNS, batchLines);

  await withSession(db, async (conn) => {
    // Pass 1: the movies.
    const col = columnsOf(basics, BASICS_COLUMNS);
    /** Upserts the movies of basics by imdb_id, a transaction a batch. */
    const passMovies = (): Promise<number> =>
      eachBatch(basics, 'movies', async (rows) => {
        const movies = new Map<string, ImportedMovie>();
        const skips: string[] = [];
        for (const parsed of parseEach(basics, rows, (f) => parseBasics(f, col))) {
          if ('skip' in parsed) skips.push(parsed.skip);
          else {
            if (movies.has(parsed.movie.imdbId)) skips.push('listed again later in the file');
            movies.set(parsed.movie.imdbId, parsed.movie);
          }
        }
        const counts = await writeMovies(conn, [...movies.values()]);
        summary.added += counts.added;
        summary.updated += counts.updated;
        summary.adopted += counts.adopted;
        summary.unchanged += counts.unchanged;
        for (const reason of skips) skip(reason);
      });
    // A first load (BULK_LOAD) sets the movies' random-order indexes and full-text triggers aside until its end.
    const bulk = !locksRows(conn) && basics.size > BULK_LOAD.fileBytesOver && (await movieCountUpTo(conn, BULK_LOAD.fewerMoviesThan)) < BULK_LOAD.fewerMoviesThan;
    const deferred = bulk ? await deferIndexes(conn, 'movies', [...RANDOM_ORDER_INDEXES, ...FULL_TEXT_TRIGGERS]) : [];
    // Built whatever ends the import (its end, Ctrl-C, a malformed line); if the process dies first, the next migrateToLatest builds them.
    const buildDeferred = async () => {
      if (deferred.length === 0) return;
      const building = performance.now();
      options.progress?.write(`${options.progress.isTTY ? '\n' : ''}building what was set aside for the load: ${deferred.join(', ')}\n`);
      // Building an index sorts in memory up to the page cache's size before spilling to temporary
      // files, and better-sqlite3's default cache is 16 MB: the build at the load's end added 11 MiB
      // to the import's peak RSS (bench/import.ts). SQLite's own default, 2 MB, while it builds.
      const [cache] = (await sql<{ cache_size: number }>`pragma cache_size`.execute(conn)).rows;
      await sql`pragma cache_size = -2000`.execute(conn);
      try {
        await buildDeferredIndexes(conn);
      } finally {
        await sql.raw(`pragma cache_size = ${Number(cache?.cache_size ?? -2000)}`).execute(conn);
      }
      summary.deferredIndexes = { names: deferred, seconds: (performance.now() - building) / 1000 };
    };
    /** Passes 2-4: the directors, joined across the files in the database. */
    const passDirectors = async (crew: TsvFile, names: TsvFile): Promise<void> => {
      const directors = { set: 0, unchanged: 0, namesNotFound: 0, namesSkipped: 0 };
      summary.directors = directors;
      await createStaging(conn);
      try {
        const crewCol = columnsOf(crew, CREW_COLUMNS);
        await eachBatch(crew, 'crew', async (rows) => {
          const credits = parseEach(crew, rows, (f) => {
            const tconst = f[crewCol.tconst]!;
            if (!TCONST.test(tconst)) throw new Malformed(`tconst ${JSON.stringify(tconst)} is not tt and 7–9 digits`);
            const field = f[crewCol.directors]!;
            if (field === NULL_FIELD) return undefined;
            const nconsts = field.split(',');
            const bad = nconsts.find((n) => !NCONST.test(n));
            if (bad !== undefined) throw new Malformed(`director ${JSON.stringify(bad)} is not nm and 7–9 digits`);
            return { tconst, nconsts };
          }).filter((c) => c !== undefined);
          if (credits.length === 0) return;
          const ids = await movieIdsByImdbId(conn, credits.map((c) => c.tconst));
          const ours = credits.filter((c) => ids.has(c.tconst)).map((c) => ({ movieId: ids.get(c.tconst)!, nconsts: c.nconsts }));
          if (ours.length > 0) await stageCrew(conn, ours);
        });
        if (summary.interrupted) return;

        const nameCol = columnsOf(names, NAMES_COLUMNS);
        await eachBatch(names, 'names', async (rows) => {
          const people = parseEach(names, rows, (f) => {
            const nconst = f[nameCol.nconst]!;
            if (!NCONST.test(nconst)) throw new Malformed(`nconst ${JSON.stringify(nconst)} is not nm and 7–9 digits`);
            const raw = f[nameCol.primaryName]!;
            return { nconst, name: raw === NULL_FIELD ? '' : raw.trim() };
          });
          const staged = await stagedNconsts(conn, people.map((p) => p.nconst));
          const wanted = people.filter((p) => staged.has(p.nconst));
          const fit = wanted.filter((p) => p.name !== '' && !longerThan(p.name, MAX_NAME));
          directors.namesSkipped += wanted.length - fit.length;
          if (fit.length > 0) await stageNames(conn, fit);
        });
        if (summary.interrupted) return;

        // Pass 4: each staged movie's directors, a batch of movies a transaction; ids only grow, so the loop ends.
        let after = 0;
        for (let ids = await nextStagedMovies(conn, after, 1000); ids.length > 0; ids = await nextStagedMovies(conn, after, 1000)) {
          const first = ids[0]!;
          const last = ids[ids.length - 1]!;
          after = last;
          await conn.transaction().execute(async (trx) => {
            const { credits, stored } = await stagedDirectors(trx, first, last);
            const byMovie = new Map<number, string[]>();
            for (const c of credits) {
              const list = byMovie.get(c.movie_id) ?? [];
              if (!list.includes(c.name) && list.length < MAX_DIRECTORS) list.push(c.name);
              byMovie.set(c.movie_id, list);
            }
            const changes: { id: number; directorsJson: string; keys: string[] }[] = [];
            let unchanged = 0;
            for (const s of stored) {
              const list = byMovie.get(s.id);
              if (list === undefined) continue;
              const json = JSON.stringify(list);
              if (json === s.directors) unchanged += 1;
              else changes.push({ id: s.id, directorsJson: json, keys: [...new Set(list.map(nameKey))] });
            }
            if (changes.length > 0) await writeDirectors(trx, changes, nowIso());
            directors.set += changes.length;
            directors.unchanged += unchanged;
          });
          if (stop()) {
            summary.interrupted = true;
            break;
          }
        }
        directors.namesNotFound = await unnamedCredits(conn);
      } finally {
        await dropStaging(conn);
      }
    };
    try {
      summary.lines = await passMovies();
      if (!summary.interrupted && crew !== undefined && names !== undefined) await passDirectors(crew, names);
    } catch (err) {
      // The load's own error is the one to say; a build that fails too leaves its records for the next start.
      await buildDeferred().catch(() => undefined);
      throw err;
    }
    await buildDeferred();
  });
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/**
 * One batch of movies in one transaction: those we have by imdb_id are updated when they differ;
 * the others are adopted (a movie without an IMDb id, with the same title ignoring case and the
 * same year: the unique index allows at most one) or added.
 */
async function writeMovies(db: Db, movies: ImportedMovie[]): Promise<{ added: number; updated: number; adopted: number; unchanged: number }> {
  const counts = { added: 0, updated: 0, adopted: 0, unchanged: 0 };
  if (movies.length === 0) return counts;
  await orChangedMeanwhile(() => db.transaction().execute(async (trx) => {
    const stored = new Map((await moviesByImdbId(trx, movies.map((m) => m.imdbId))).map((s) => [s.imdb_id!, s]));
    const updates: { id: number; movie: ImportedMovie }[] = [];
    let missing: ImportedMovie[] = [];
    for (const m of movies) {
      const s = stored.get(m.imdbId);
      if (s === undefined) missing.push(m);
      else if (sameMovie(s, m)) counts.unchanged += 1;
      else updates.push({ id: Number(s.id), movie: m });
    }
    counts.updated = updates.length;
    if (missing.length > 0 && (await anyMovieWithoutImdbId(trx))) {
      const candidates = await moviesWithoutImdbIdByTitle(trx, missing);
      const byKey = new Map(candidates.map((c) => [`${c.year ?? ''}\t${c.title_key}`, c]));
      const adopted = new Set<number>();
      missing = missing.filter((m) => {
        const c = byKey.get(`${m.year ?? ''}\t${m.titleKey}`);
        if (c === undefined || adopted.has(c.id)) return true;
        adopted.add(c.id);
        updates.push({ id: Number(c.id), movie: m });
        return false;
      });
      counts.adopted = adopted.size;
      counts.updated += adopted.size;
    }
    const now = nowIso();
    if (updates.length > 0) await updateMovies(trx, updates, now);
    if (missing.length > 0) await insertMovies(trx, missing, now);
    counts.added = missing.length;
  }));
  return counts;
}

/**
 * A unique index refusing a batch's write means someone else wrote a movie between the batch's
 * read and its write (an administrator gave a movie this IMDb id, or added one this title and
 * year): the batch rolled back whole, and a rerun sees the new state.
 */
async function orChangedMeanwhile<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new CatalogueImportError('a movie of the current batch was changed by someone else while it was being imported; nothing of that batch was written; run the import again to continue');
  }
}

/** The summary, as the command prints it. */
export function formatSummary(files: ImportFiles, s: ImportSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const skipped = [...s.skipped.values()].reduce((a, b) => a + b, 0);
  const rate = s.seconds > 0 ? Math.round(s.lines / s.seconds) : 0;
  const out = [
    `${s.interrupted ? 'Interrupted: committed so far from' : 'Imported'} ${files.basics}: ${n(s.lines)} lines in ${s.seconds.toFixed(1)} s (${n(rate)} lines/s)`,
    `  added      ${n(s.added)}`,
    `  updated    ${n(s.updated)}${s.adopted > 0 ? ` (${n(s.adopted)} adopted: movies without an IMDb id, matched by title and year)` : ''}`,
    `  unchanged  ${n(s.unchanged)}`,
    `  skipped    ${n(skipped)}`,
    ...[...s.skipped].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `    ${reason}: ${n(count)}`),
  ];
  if (s.directors) {
    const d = s.directors;
    out.push(`  directors  set on ${n(d.set)} movies, unchanged on ${n(d.unchanged)}; credited names not found: ${n(d.namesNotFound)}, empty or over ${MAX_NAME} characters: ${n(d.namesSkipped)}`);
  }
  if (s.deferredIndexes) {
    const indexes = s.deferredIndexes.names.filter((name) => !(FULL_TEXT_TRIGGERS as readonly string[]).includes(name)).length;
    const fullText = s.deferredIndexes.names.length > indexes ? ', and the full-text index rebuilt,' : '';
    out.push(`  indexes    ${indexes} set aside for the load and built again${fullText} in ${s.deferredIndexes.seconds.toFixed(1)} s`);
  }
  if (s.interrupted) out.push('Stopped after a committed batch: the database is consistent; run the same command again to continue.');
  return `${out.join('\n')}\n`;
}
