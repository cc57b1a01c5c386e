import { type Compilable, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Db } from './connect.js';
import { locksRows } from './locks.js';
import { fts5Words } from './fts5-words.js';
import { prepared } from './prepared.js';

/**
 * The database's full-text search, in one expression for either database (migration 0009 builds
 * the indexes): every word of the search must match the start of a word of the row (all words,
 * any order, prefixes), ignoring case and accents.
 *
 * A search ranks its matches in tiers, the same on both databases: the rows whose words all fall in
 * the first group of columns (a movie's titles), then those that need the second group too
 * (directors), then the rest (the synopsis); within a tier, by id. Each tier is its own match, of
 * its columns and not of the tiers before it (FTS5 column filters and NOT; PostgreSQL weights and
 * `and not`), so a page is read tier by tier down the id order and stops once full: no match is
 * ranked or sorted, and a search's cost follows the page, not how many rows match. The count
 * (X-Total-Count, and the tiers a later page skips) reads every match; on SQLite FTS5 counts from
 * its index alone.
 *
 * The words come from src/domain/text.ts (letters and digits only) and reach the engines only as
 * quoted words: FTS5 phrases, PostgreSQL lexemes quoted by butaca_prefix_query. Nothing a member
 * types is query syntax.
 */
export interface FullText {
  /** The FTS5 table of the searched table (SQLite). */
  fts: string;
  /** The searched table (PostgreSQL: its search_vector column). */
  table: string;
  /** Tiers, best first: each a group of columns (SQLite) and their weight letter (PostgreSQL). */
  tiers: { columns: string[]; weight: string }[];
}

/** FTS5's MATCH text: every word a quoted prefix, all required; within `columns` if given. */
export function fts5Match(words: readonly string[], columns?: readonly string[]): string {
  // Words made only of what FTS5 reads as separators leave none: the empty phrase, which matches nothing.
  const all = fts5Words(words).map((w) => `"${w}"*`).join(' ') || '""';
  return columns === undefined ? all : `{${columns.join(' ')}} : (${all})`;
}

/** Which match: every word anywhere (`'all'`), or one tier alone (its index). */
export type Tier = 'all' | number;

const columnsUpTo = (ft: FullText, tier: number) => ft.tiers.slice(0, tier + 1).flatMap((t) => t.columns);
const weightsUpTo = (ft: FullText, tier: number) => ft.tiers.slice(0, tier + 1).map((t) => t.weight).join('');
const isLast = (ft: FullText, tier: number) => tier === ft.tiers.length - 1;

/**
 * The one value a query passes for a match of `words`: on SQLite, FTS5's MATCH text (a tier is its
 * columns NOT the tiers before); on PostgreSQL, the words (the tier is in the SQL, see `inTier`).
 */
export function matchText(postgres: boolean, ft: FullText, words: readonly string[], tier: Tier): string {
  if (postgres) return words.join(' ');
  if (tier === 'all') return fts5Match(words);
  const within = isLast(ft, tier) ? fts5Match(words) : fts5Match(words, columnsUpTo(ft, tier));
  return tier === 0 ? within : `(${within}) NOT (${fts5Match(words, columnsUpTo(ft, tier - 1))})`;
}

/**
 * `id` (a column reference such as `movies.id`) is a row of this match; `text` is `matchText`'s
 * value (or a prepared query's placeholder for it). On SQLite, the rowids of the FTS5 index; on
 * PostgreSQL, `@@` on the table's indexed vector, the tier's weights written into the SQL.
 */
export function inTier(postgres: boolean, ft: FullText, id: string, text: unknown, tier: Tier): RawBuilder<SqlBool> {
  if (!postgres) return sql<SqlBool>`${sql.ref(id)} in (select rowid from ${sql.raw(ft.fts)} where ${sql.raw(ft.fts)} match ${text})`;
  const vector = sql.ref(`${ft.table}.search_vector`);
  const query = (weights: string) => sql`butaca_prefix_query(${text}, ${sql.lit(weights)})`;
  if (tier === 'all') return sql<SqlBool>`${vector} @@ ${query('')}`;
  const within = sql`${vector} @@ ${query(isLast(ft, tier) ? '' : weightsUpTo(ft, tier))}`;
  return tier === 0 ? sql<SqlBool>`${within}` : sql<SqlBool>`${within} and not ${vector} @@ ${query(weightsUpTo(ft, tier - 1))}`;
}

interface TierShape extends Record<string, string | boolean> {
  fts: string;
  table: string;
  /** The tiers' columns and weights, as JSON (a shape is made of scalars). */
  tiers: string;
  tier: string;
  desc: boolean;
}

/** A raw query as a prepared query's build wants it: compiled for this database. */
const compiled = <R>(db: Db, query: RawBuilder<R>): Compilable<R> => ({ compile: () => query.compile(db) });

const tierOfShape = (shape: TierShape): Tier => (shape.tier === 'all' ? 'all' : Number(shape.tier));
const fullTextOf = (shape: TierShape): FullText => ({ fts: shape.fts, table: shape.table, tiers: JSON.parse(shape.tiers) as FullText['tiers'] });

// The match straight from the index (a search with no other filter): on SQLite, FTS5 counts from
// its index alone, and walks its rowids in order, so LIMIT stops it after the page.
const tierCount = prepared((db, shape: TierShape, v: { text: string }) => {
  const fts = sql.raw(shape.fts);
  if (!locksRows(db)) return compiled(db, sql<{ n: number }>`select count(*) as n from ${fts} where ${fts} match ${v.text}`);
  const ft = fullTextOf(shape);
  return compiled(db, sql<{ n: number }>`select count(*) as n from ${sql.table(ft.table)} where ${inTier(true, ft, `${ft.table}.id`, v.text, tierOfShape(shape))}`);
});

const tierIds = prepared((db, shape: TierShape, v: { text: string; limit: number; offset: number }) => {
  const direction = sql.raw(shape.desc ? 'desc' : 'asc');
  const fts = sql.raw(shape.fts);
  if (!locksRows(db)) return compiled(db, sql<{ id: number }>`select rowid as id from ${fts} where ${fts} match ${v.text} order by rowid ${direction} limit ${v.limit} offset ${v.offset}`);
  const ft = fullTextOf(shape);
  const id = sql.ref(`${ft.table}.id`);
  return compiled(db, sql<{ id: number }>`select ${id} as id from ${sql.table(ft.table)} where ${inTier(true, ft, `${ft.table}.id`, v.text, tierOfShape(shape))} order by ${id} ${direction} limit ${v.limit} offset ${v.offset}`);
});

/** How a tiered search reads one tier: its count, and a run of its ids in id order. A feature with filters of its own gives its own. */
export interface TierReader {
  count(tier: Tier): Promise<number>;
  ids(tier: number, limit: number, offset: number): Promise<number[]>;
}

/** Reads the index alone: for a search with no other filter. */
export function indexReader(db: Db, ft: FullText, words: readonly string[], desc = false): TierReader {
  const postgres = locksRows(db);
  const base = { fts: ft.fts, table: ft.table, tiers: JSON.stringify(ft.tiers), desc };
  return {
    count: async (tier) => Number((await tierCount(db, { ...base, tier: String(tier) }, { text: matchText(postgres, ft, words, tier) }))[0]?.n ?? 0),
    ids: async (tier, limit, offset) => (await tierIds(db, { ...base, tier: String(tier) }, { text: matchText(postgres, ft, words, tier), limit, offset })).map((r) => Number(r.id)),
  };
}

/**
 * One page of a tiered search: the ids from `offset`, at most `limit`, tier after tier. A tier is
 * counted only to skip it whole (a page past the first); the first page costs a read of the page's
 * rows per tier it reaches, whatever the number of matches.
 */
export async function tieredPage(reader: TierReader, tiers: number, limit: number, offset: number): Promise<number[]> {
  const ids: number[] = [];
  let skip = offset;
  for (let tier = 0; tier < tiers && ids.length < limit; tier++) {
    if (skip > 0) {
      const n = await reader.count(tier);
      if (skip >= n) {
        skip -= n;
        continue;
      }
    }
    // A row moved between tiers by a write between two reads would come twice: once is enough.
    for (const id of await reader.ids(tier, limit - ids.length, skip)) if (!ids.includes(id)) ids.push(id);
    skip = 0;
  }
  return ids;
}
