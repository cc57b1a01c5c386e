import { type Kysely, PostgresAdapter, sql } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Real search and the catalogue's metadata.
 *
 * Movies gain an original title, directors and genres (JSON arrays of strings, read with the row),
 * a runtime and an IMDb id (unique). The filters need to walk an index, not the table, so each
 * director and genre of a movie is also a row of movie_directors / movie_genres, written in the
 * same transaction as the movie (src/modules/movies/data.ts). A director is found by a key that
 * ignores case and accents, computed by the application (src/domain/text.ts), so both databases
 * agree on it.
 *
 * Full-text search is the database's own, kept in step with the searched tables by triggers that
 * fire only when a searched column changes (a rating moving a movie's counts costs nothing more):
 * - SQLite: an FTS5 table per searched table, with the table itself as content (nothing stored
 *   twice), tokenized by unicode61 with diacritics removed, and prefix indexes for 2 and 3
 *   characters (search as you type).
 * - PostgreSQL: a `search_vector` tsvector column per searched table, set by a trigger from the
 *   columns unaccented, with a GIN index; the weights A, B, C rank title, director and synopsis
 *   matches. ASCII punctuation is read as a space first, so that PostgreSQL's parser splits words
 *   where FTS5 does (it would otherwise keep "3.14", "a@b.c" or "blade-runner" whole).
 *
 * The title-and-year rule now holds for movies without an IMDb id (a unique index among them, and
 * the movies module's check against every movie): IMDb has distinct films with the same title
 * and year, each with its own id.
 */

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** A searched table: its columns, each with its PostgreSQL weight (A ranks first). */
interface Searched {
  table: string;
  columns: [string, 'A' | 'B' | 'C'][];
}

const SEARCHED: Searched[] = [
  { table: 'movies', columns: [['title', 'A'], ['original_title', 'A'], ['directors', 'B'], ['synopsis', 'C']] },
  { table: 'reviews', columns: [['review', 'A']] },
  { table: 'users', columns: [['username', 'A'], ['display_name', 'B']] },
  { table: 'lists', columns: [['title', 'A'], ['description', 'B']] },
];

/** The punctuation PostgreSQL's parser reads as part of a token (and the typographic marks that may be letters in a C locale). */
const PUNCTUATION = `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~¡¿«»‐‑‒–—―‘’‚‛“”„‟…·•`;

async function createSqliteSearch(db: Kysely<any>, s: Searched): Promise<void> {
  const fts = `${s.table}_fts`;
  const cols = s.columns.map(([c]) => c);
  const list = cols.join(', ');
  const newValues = cols.map((c) => `new.${c}`).join(', ');
  const oldValues = cols.map((c) => `old.${c}`).join(', ');
  await sql`create virtual table ${sql.raw(fts)} using fts5(${sql.raw(list)}, content=${sql.lit(s.table)}, content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')`.execute(db);
  await sql`create trigger ${sql.raw(`${fts}_insert`)} after insert on ${sql.table(s.table)} begin
      insert into ${sql.raw(fts)} (rowid, ${sql.raw(list)}) values (new.id, ${sql.raw(newValues)}); end`.execute(db);
  await sql`create trigger ${sql.raw(`${fts}_delete`)} after delete on ${sql.table(s.table)} begin
      insert into ${sql.raw(fts)} (${sql.raw(fts)}, rowid, ${sql.raw(list)}) values ('delete', old.id, ${sql.raw(oldValues)}); end`.execute(db);
  await sql`create trigger ${sql.raw(`${fts}_update`)} after update of ${sql.raw(list)} on ${sql.table(s.table)} begin
      insert into ${sql.raw(fts)} (${sql.raw(fts)}, rowid, ${sql.raw(list)}) values ('delete', old.id, ${sql.raw(oldValues)});
      insert into ${sql.raw(fts)} (rowid, ${sql.raw(list)}) values (new.id, ${sql.raw(newValues)}); end`.execute(db);
  await sql`insert into ${sql.raw(fts)} (${sql.raw(fts)}) values ('rebuild')`.execute(db);
}

async function createPostgresSearch(db: Kysely<any>, s: Searched): Promise<void> {
  const vector = s.columns.map(([c, w]) => `setweight(to_tsvector('simple', butaca_search_text(new.${c})), '${w}')`).join(' || ');
  await sql`alter table ${sql.table(s.table)} add column search_vector tsvector`.execute(db);
  await sql`create function ${sql.raw(`${s.table}_search_vector`)}() returns trigger language plpgsql as $$
      begin new.search_vector := ${sql.raw(vector)}; return new; end $$`.execute(db);
  const cols = s.columns.map(([c]) => c).join(', ');
  await sql`create trigger ${sql.raw(`${s.table}_search_vector`)} before insert or update of ${sql.raw(cols)} on ${sql.table(s.table)}
      for each row execute function ${sql.raw(`${s.table}_search_vector`)}()`.execute(db);
  // Fills the column for the rows already there (the trigger fires on the update of a searched column).
  const [first] = s.columns[0]!;
  await sql`update ${sql.table(s.table)} set ${sql.ref(first)} = ${sql.ref(first)}`.execute(db);
  // GIN's fast update queues new entries in a pending list that every search then reads through
  // until a vacuum merges it (6 ms a search instead of 0.9 at 10,000 movies): off for the tables
  // written seldom; reviews, written all the time, keep it (autovacuum merges the list).
  const fastUpdate = s.table === 'reviews' ? 'on' : 'off';
  await sql`create index ${sql.raw(`${s.table}_search`)} on ${sql.table(s.table)} using gin (search_vector) with (fastupdate = ${sql.raw(fastUpdate)})`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = isPostgres(db);
  await db.schema.alterTable('movies').addColumn('original_title', 'text').execute();
  await db.schema.alterTable('movies').addColumn('directors', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('movies').addColumn('genres', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('movies').addColumn('runtime', 'integer').execute();
  await db.schema.alterTable('movies').addColumn('imdb_id', 'text').execute();
  await db.schema.createIndex('movies_imdb_id').on('movies').unique().column('imdb_id').execute();
  await db.schema.dropIndex('movies_title_year_key').execute();
  await db.schema
    .createIndex('movies_title_year_key')
    .on('movies')
    .unique()
    .expression(sql`title_key, coalesce(year, 0)`)
    .where(sql.ref('imdb_id'), 'is', null)
    .execute();

  // A movie's genres and directors as rows, for the filters: (key, movie) walks to the movies of
  // one genre or director; (movie) serves the cascade and a movie's rewrite.
  await db.schema
    .createTable('movie_genres')
    .addColumn('genre', 'text', (c) => c.notNull())
    .addColumn('movie_id', 'integer', (c) => c.notNull().references('movies.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('movie_genres_pk', ['genre', 'movie_id'])
    .execute();
  await db.schema.createIndex('movie_genres_movie_id').on('movie_genres').column('movie_id').execute();
  await db.schema
    .createTable('movie_directors')
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('movie_id', 'integer', (c) => c.notNull().references('movies.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('movie_directors_pk', ['name_key', 'movie_id'])
    .execute();
  await db.schema.createIndex('movie_directors_movie_id').on('movie_directors').column('movie_id').execute();

  if (postgres) {
    // unaccent is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    await sql`create extension if not exists unaccent`.execute(db);
    const spaces = ' '.repeat([...PUNCTUATION].length);
    // unaccent() is only STABLE (its dictionary could change); these wrappers name the
    // dictionary and are IMMUTABLE, so a query's tsquery is folded into a constant when its plan
    // is made (and an index on an expression of them would be allowed).
    await sql`create function butaca_search_text(text) returns text language sql immutable parallel safe as $$
        select translate(unaccent('unaccent'::regdictionary, coalesce($1, '')), ${sql.lit(PUNCTUATION)}, ${sql.lit(spaces)}) $$`.execute(db);
    // A search's words ($1) as a tsquery: each word, read as a document is, a prefix (`:*`) of the
    // weights $2 (say 'AB'; '' for any), all required. Each lexeme is quoted, so nothing in the words is syntax.
    await sql`create function butaca_prefix_query(text, text) returns tsquery language sql immutable parallel safe as $$
        select to_tsquery('simple', coalesce(
          (select string_agg(quote_literal(t.lexeme) || ':*' || $2, ' & ') from unnest(to_tsvector('simple', butaca_search_text($1))) t),
          '')) $$`.execute(db);
    for (const s of SEARCHED) await createPostgresSearch(db, s);
  } else {
    for (const s of SEARCHED) await createSqliteSearch(db, s);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    for (const s of SEARCHED) {
      await sql`drop trigger ${sql.raw(`${s.table}_search_vector`)} on ${sql.table(s.table)}`.execute(db);
      await sql`drop function ${sql.raw(`${s.table}_search_vector`)}()`.execute(db);
      await sql`alter table ${sql.table(s.table)} drop column search_vector`.execute(db);
    }
    await sql`drop function butaca_prefix_query(text, text)`.execute(db);
    await sql`drop function butaca_search_text(text)`.execute(db);
  } else {
    for (const s of SEARCHED) {
      for (const t of ['insert', 'delete', 'update']) await sql`drop trigger ${sql.raw(`${s.table}_fts_${t}`)}`.execute(db);
      await sql`drop table ${sql.raw(`${s.table}_fts`)}`.execute(db);
    }
  }
  await db.schema.dropTable('movie_directors').execute();
  await db.schema.dropTable('movie_genres').execute();
  await db.schema.dropIndex('movies_title_year_key').execute();
  // Movies that shared a title and year by their IMDb ids cannot all stay: the rule is back, and
  // the first of each title and year stays.
  await sql`delete from movies where id not in (select min(id) from movies group by title_key, coalesce(year, 0))`.execute(db);
  await db.schema.createIndex('movies_title_year_key').on('movies').unique().expression(sql`title_key, coalesce(year, 0)`).execute();
  await db.schema.dropIndex('movies_imdb_id').execute();
  for (const column of ['imdb_id', 'runtime', 'genres', 'directors', 'original_title']) await db.schema.alterTable('movies').dropColumn(column).execute();
}
