import { type RawBuilder, type SqlBool, sql } from 'kysely';

/**
 * The database's full-text search, in one expression for either database (migration 0009 builds
 * the indexes): every word of the search must match the start of a word of the row (all words,
 * any order, prefixes), ignoring case and accents.
 *
 * A search ranks its matches in tiers, the same on both databases: the words all found in the
 * first group of columns (a movie's titles), else in the first two groups (titles and
 * directors), else anywhere (the synopsis too). SQLite names the columns (FTS5 column filters);
 * PostgreSQL names them by the weight the migration gave them (A, B, C).
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

/** What a query passes for one match: FTS5's MATCH text, or PostgreSQL's words and weights. */
interface MatchValues {
  text: string;
  weights: string;
}

/**
 * The values of a search, flat, so each is one placeholder of a prepared query (src/db/prepared.ts):
 * the match, and the tiers but the last (which is "anywhere"), at most two.
 */
export type SearchValues = {
  allText: string;
  allWeights: string;
  tier0Text: string;
  tier0Weights: string;
  tier1Text: string;
  tier1Weights: string;
};

/** FTS5's MATCH text: every word a quoted prefix, all required; within `columns` if given. */
export function fts5Match(words: readonly string[], columns?: readonly string[]): string {
  const all = words.map((w) => `"${w}"*`).join(' ');
  return columns === undefined ? all : `{${columns.join(' ')}} : (${all})`;
}

/** The values of a search of `words` (at least one) in `ft`. */
export function searchValues(postgres: boolean, ft: FullText, words: readonly string[]): SearchValues {
  const groups = ft.tiers.slice(0, -1);
  let tiers: MatchValues[];
  let all: MatchValues;
  if (postgres) {
    const text = words.join(' ');
    let weights = '';
    all = { text, weights: '' };
    tiers = groups.map((g) => ({ text, weights: (weights += g.weight) }));
  } else {
    let columns: string[] = [];
    all = { text: fts5Match(words), weights: '' };
    tiers = groups.map((g) => ({ text: fts5Match(words, (columns = [...columns, ...g.columns])), weights: '' }));
  }
  const none = { text: '', weights: '' };
  const [t0 = none, t1 = none] = tiers;
  return { allText: all.text, allWeights: all.weights, tier0Text: t0.text, tier0Weights: t0.weights, tier1Text: t1.text, tier1Weights: t1.weights };
}

/** The values of no search, for a query whose shape has none. */
export const NO_SEARCH: SearchValues = { allText: '', allWeights: '', tier0Text: '', tier0Weights: '', tier1Text: '', tier1Weights: '' };

function matchOf(postgres: boolean, ft: FullText, id: string, m: MatchValues): RawBuilder<SqlBool> {
  return postgres
    ? sql<SqlBool>`${sql.ref(`${ft.table}.search_vector`)} @@ butaca_prefix_query(${m.text}, ${m.weights})`
    : sql<SqlBool>`${sql.ref(id)} in (select rowid from ${sql.raw(ft.fts)} where ${sql.raw(ft.fts)} match ${m.text})`;
}

/**
 * `id` (a column reference such as `movies.id`) is a row that matches every word. On SQLite the
 * match is a set of rowids from the FTS5 index; on PostgreSQL a `@@` on the table's indexed vector.
 */
export function matches(postgres: boolean, ft: FullText, id: string, v: SearchValues): RawBuilder<SqlBool> {
  return matchOf(postgres, ft, id, { text: v.allText, weights: v.allWeights });
}

/** 0 for a row whose words all fall in the first tier's columns, 1 for the first two, … (a match's rank). */
export function tierOf(postgres: boolean, ft: FullText, id: string, v: SearchValues): RawBuilder<number> {
  const tiers = [
    { text: v.tier0Text, weights: v.tier0Weights },
    { text: v.tier1Text, weights: v.tier1Weights },
  ].slice(0, ft.tiers.length - 1);
  if (tiers.length === 0) return sql<number>`0`;
  const whens = tiers.map((m, i) => sql`when ${matchOf(postgres, ft, id, m)} then ${sql.lit(i)}`);
  return sql<number>`case ${sql.join(whens, sql` `)} else ${sql.lit(tiers.length)} end`;
}
