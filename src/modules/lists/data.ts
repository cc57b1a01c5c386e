import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { isForeignKeyViolation } from '../../db/errors.js';
import { locksRows } from '../../db/locks.js';
import { idSlots, idValues, prepared } from '../../db/prepared.js';
import { nowIso } from '../../db/time.js';
import { inTransaction } from '../../db/transaction.js';
import { DomainError } from '../../domain/errors.js';
import { invalidField } from '../../domain/issues.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { recordActivity } from '../activity/index.js';
import { movieExists, selectMovies, toMovie } from '../movies/index.js';
import { type Item, type List, type ListFields, MAX_ITEMS, MAX_LISTS } from './schemas.js';
import { type FullText, type Tier, type TierReader, inTier, matchText, tieredPage } from '../../db/fulltext.js';

/**
 * The gap between the sort keys of neighbouring items as they are first laid out: an item moved
 * between two neighbours takes the key halfway, so ten moves into the same gap fit before the
 * list is renumbered (one UPDATE of its items).
 */
const STEP = 1024;

type ListRow = { id: number; user_id: number; title: string; description: string | null; ranked: number; public: number; item_count: number; created_at: string; updated_at: string };

function toList(row: ListRow): List {
  return {
    id: row.id,
    user_id: row.user_id,
    title: row.title,
    description: row.description,
    ranked: row.ranked === 1,
    public: row.public === 1,
    item_count: row.item_count,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const LIST_COLUMNS = ['id', 'user_id', 'title', 'description', 'ranked', 'public', 'item_count', 'created_at', 'updated_at'] as const;

const listById = prepared((db, _shape: 'by id', v: { id: number }) => db.selectFrom('lists').select(LIST_COLUMNS).where('id', '=', v.id));

export async function findList(db: Db, id: number): Promise<List | undefined> {
  const [row] = await listById(db, 'by id', { id });
  return row && toList(row);
}

const publicListsByIds = prepared((db, n: number, v: Record<string, number>) => db.selectFrom('lists').select(LIST_COLUMNS).where('id', 'in', idSlots(v, n)).where('public', '=', 1));

/** These lists, in the order of `ids`, public ones only (the feed never shows a private list). */
export async function findPublicListsByIds(db: Db, ids: number[]): Promise<List[]> {
  if (ids.length === 0) return [];
  const wanted = [...new Set(ids)];
  const rows = await publicListsByIds(db, wanted.length, idValues(wanted));
  const byId = new Map(rows.map((r) => [r.id, toList(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Makes a list, with the activity the owner's followers see. The owner's row is locked first
 * (PostgreSQL), so two lists made at once cannot both pass the MAX_LISTS count.
 */
export async function createList(db: Db, userId: number, fields: ListFields): Promise<List> {
  return inTransaction(db, async (trx) => {
    await trx.selectFrom('users').select('id').where('id', '=', userId).$if(locksRows(trx), (qb) => qb.forNoKeyUpdate()).execute();
    const { n } = await trx.selectFrom('lists').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
    if (Number(n) >= MAX_LISTS) throw invalidField(['body'], 'too_many_lists', { max: MAX_LISTS });
    const now = nowIso();
    const row = await trx
      .insertInto('lists')
      .values({ user_id: userId, title: fields.title, description: fields.description, ranked: Number(fields.ranked), public: Number(fields.public), created_at: now, updated_at: now })
      .returning(LIST_COLUMNS)
      .executeTakeFirstOrThrow();
    await recordActivity(trx, { type: 'list', userId, listId: row.id });
    return toList(row);
  });
}

/** Changes the fields sent that differ; updated_at moves only when something did. */
export async function updateList(db: Db, id: number, changes: Partial<ListFields>): Promise<List | undefined> {
  const set: Record<string, string | number | null> = {};
  if (changes.title !== undefined) set.title = changes.title;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.ranked !== undefined) set.ranked = Number(changes.ranked);
  if (changes.public !== undefined) set.public = Number(changes.public);
  return inTransaction(db, async (trx) => {
    const old = await findList(trx, id);
    if (!old) return undefined;
    const differs =
      (set.title !== undefined && set.title !== old.title) ||
      (set.description !== undefined && set.description !== old.description) ||
      (set.ranked !== undefined && set.ranked !== Number(old.ranked)) ||
      (set.public !== undefined && set.public !== Number(old.public));
    if (!differs) return old;
    await trx.updateTable('lists').set({ ...set, updated_at: nowIso() }).where('id', '=', id).execute();
    return findList(trx, id);
  });
}

/** Deletes a list; its items and its activity go with it (cascade). */
export async function deleteList(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('lists').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

const userListCount = prepared((db, shape: { all: boolean }, v: { userId: number }) =>
  db
    .selectFrom('lists')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', v.userId)
    .$if(!shape.all, (qb) => qb.where('public', '=', 1)),
);

const userListPage = prepared((db, shape: { all: boolean; order: 'asc' | 'desc' }, v: { userId: number; limit: number; offset: number }) =>
  db
    .selectFrom('lists')
    .select(LIST_COLUMNS)
    .where('user_id', '=', v.userId)
    .$if(!shape.all, (qb) => qb.where('public', '=', 1))
    // user_id first (one value here, so the same order): the order of the (user_id, id, public)
    // index, which PostgreSQL's planner then walks rather than the primary key with a filter.
    .orderBy('user_id', shape.order)
    .orderBy('id', shape.order)
    .limit(v.limit)
    .offset(v.offset),
);

/** A member's lists, newest first; the private ones only when `all` (their owner asks). */
export async function listUserLists(db: Db, userId: number, all: boolean, page: Page): Promise<{ lists: List[]; total: number }> {
  const total = Number((await userListCount(db, { all }, { userId }))[0]!.n);
  const plan = scanPlan(page, total);
  if (plan === undefined) return { lists: [], total };
  const rows = await userListPage(db, { all, order: plan.reverse ? 'asc' : 'desc' }, { userId, limit: plan.limit, offset: plan.offset });
  return { lists: (plan.reverse ? rows.reverse() : rows).map(toList), total };
}

const itemPage = prepared((db, shape: { order: 'asc' | 'desc' }, v: { listId: number; limit: number; offset: number }) =>
  selectMovies(db)
    .innerJoin('list_items', 'list_items.movie_id', 'movies.id')
    .select(['list_items.note'])
    .where('list_items.list_id', '=', v.listId)
    .orderBy('list_items.sort_key', shape.order)
    .orderBy('list_items.movie_id', shape.order)
    .limit(v.limit)
    .offset(v.offset),
);

/** A page of a list's items in order; each position is its rank, counted from the page's start. */
export async function listItems(db: Db, list: List, page: Page): Promise<Item[]> {
  const plan = scanPlan(page, list.item_count);
  if (plan === undefined) return [];
  const rows = await itemPage(db, { order: plan.reverse ? 'desc' : 'asc' }, { listId: list.id, limit: plan.limit, offset: plan.offset });
  const first = (page.page - 1) * page.limit + 1;
  return (plan.reverse ? rows.reverse() : rows).map((row, i) => ({ position: first + i, movie: toMovie(row), note: row.note }));
}

type Neighbour = { sort_key: number | string | bigint; movie_id: number };

/** The items at positions `from`, `from + 1` (1-based) among the list's items other than `except`. */
async function neighbours(trx: Db, listId: number, except: number, from: number, count: number): Promise<Neighbour[]> {
  return trx
    .selectFrom('list_items')
    .select(['sort_key', 'movie_id'])
    .where('list_id', '=', listId)
    .where('movie_id', '<>', except)
    .orderBy('sort_key')
    .orderBy('movie_id')
    .limit(count)
    .offset(from - 1)
    .execute();
}

/** Lays the list's items (but `except`) out again STEP apart, in their order. */
async function renumber(trx: Db, listId: number, except: number): Promise<void> {
  await sql`update list_items set sort_key = r.n * ${sql.lit(STEP)}
    from (select movie_id, row_number() over (order by sort_key, movie_id) as n
            from list_items where list_id = ${listId} and movie_id <> ${except}) r
    where list_items.list_id = ${listId} and list_items.movie_id = r.movie_id`.execute(trx);
}

/** The sort key that puts an item at `target` (1-based) among the `others` items of the list that are not it. */
async function keyAt(trx: Db, listId: number, movieId: number, target: number, others: number): Promise<number> {
  if (others === 0) return STEP;
  if (target > others) {
    const [last] = await neighbours(trx, listId, movieId, others, 1);
    return Number(last!.sort_key) + STEP;
  }
  if (target === 1) {
    const [first] = await neighbours(trx, listId, movieId, 1, 1);
    return Number(first!.sort_key) - STEP;
  }
  for (let attempt = 0; ; attempt++) {
    const [before, after] = await neighbours(trx, listId, movieId, target - 1, 2);
    const low = Number(before!.sort_key);
    const high = Number(after!.sort_key);
    if (high - low >= 2) return Math.floor((low + high) / 2);
    if (attempt > 0) throw new Error('list renumbering left no room between neighbours');
    await renumber(trx, listId, movieId);
  }
}

async function positionOf(trx: Db, listId: number, movieId: number, key: number): Promise<number> {
  const { n } = await trx
    .selectFrom('list_items')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('list_id', '=', listId)
    .where((eb) => eb.or([eb('sort_key', '<', key), eb.and([eb('sort_key', '=', key), eb('movie_id', '<', movieId)])]))
    .executeTakeFirstOrThrow();
  return Number(n) + 1;
}

/**
 * Adds a movie to a list or moves it (and/or changes its note). The list's row is locked for the
 * whole write (PostgreSQL; SQLite has one writer at a time), so writes to one list happen one
 * after the other and each sees the positions the last one left.
 */
export async function putItem(db: Db, listId: number, movieId: number, position: number | undefined, note: string | null | undefined): Promise<Item | undefined> {
  try {
    return await inTransaction(db, async (trx) => {
      const list = await trx
        .selectFrom('lists')
        .select(['item_count'])
        .where('id', '=', listId)
        .$if(locksRows(trx), (qb) => qb.forNoKeyUpdate())
        .executeTakeFirst();
      if (!list) return undefined;
      const count = list.item_count;
      const current = await trx.selectFrom('list_items').select(['sort_key', 'note']).where('list_id', '=', listId).where('movie_id', '=', movieId).executeTakeFirst();
      let key: number;
      if (current === undefined) {
        if (count >= MAX_ITEMS) throw invalidField(['path', 'movie_id'], 'list_full', { max: MAX_ITEMS });
        key = await keyAt(trx, listId, movieId, Math.min(position ?? count + 1, count + 1), count);
        await trx.insertInto('list_items').values({ list_id: listId, movie_id: movieId, sort_key: key, note: note ?? null, added_at: nowIso() }).execute();
      } else {
        key = Number(current.sort_key);
        const at = await positionOf(trx, listId, movieId, key);
        const target = position === undefined ? at : Math.min(position, count);
        const set: { sort_key?: number; note?: string | null } = {};
        if (target !== at) set.sort_key = key = await keyAt(trx, listId, movieId, target, count - 1);
        if (note !== undefined && note !== current.note) set.note = note;
        if (Object.keys(set).length === 0) return itemOf(trx, listId, movieId, at);
        await trx.updateTable('list_items').set(set).where('list_id', '=', listId).where('movie_id', '=', movieId).execute();
      }
      await trx.updateTable('lists').set({ updated_at: nowIso() }).where('id', '=', listId).execute();
      return itemOf(trx, listId, movieId, await positionOf(trx, listId, movieId, key));
    });
  } catch (err) {
    if (isForeignKeyViolation(err) && !(await movieExists(db, movieId))) throw new DomainError('movie_not_found');
    throw err;
  }
}

async function itemOf(trx: Db, listId: number, movieId: number, position: number): Promise<Item> {
  const row = await selectMovies(trx)
    .innerJoin('list_items', 'list_items.movie_id', 'movies.id')
    .select(['list_items.note'])
    .where('list_items.list_id', '=', listId)
    .where('list_items.movie_id', '=', movieId)
    .executeTakeFirstOrThrow();
  return { position, movie: toMovie(row), note: row.note };
}

/** Takes a movie off a list, idempotently (a movie that does not exist is `movie_not_found`); the others close up (positions are ranks). */
export async function removeItem(db: Db, listId: number, movieId: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.selectFrom('lists').select('id').where('id', '=', listId).$if(locksRows(trx), (qb) => qb.forNoKeyUpdate()).execute();
    const gone = await trx.deleteFrom('list_items').where('list_id', '=', listId).where('movie_id', '=', movieId).executeTakeFirst();
    if (Number(gone.numDeletedRows) > 0) await trx.updateTable('lists').set({ updated_at: nowIso() }).where('id', '=', listId).execute();
    else if (!(await movieExists(trx, movieId))) throw new DomainError('movie_not_found');
  });
}

/** The lists' full-text search: the title first, then the description (migration 0009). */
const LISTS_FULL_TEXT: FullText = {
  fts: 'lists_fts',
  table: 'lists',
  tiers: [
    { columns: ['title'], weight: 'A' },
    { columns: ['description'], weight: 'B' },
  ],
};

const publicListMatches = prepared((db, shape: { tier: string; count: boolean }, v: { text: string; limit: number; offset: number }) => {
  const query = db
    .selectFrom('lists')
    .where(inTier(locksRows(db), LISTS_FULL_TEXT, 'lists.id', v.text, shape.tier === 'all' ? 'all' : Number(shape.tier)))
    .where('lists.public', '=', 1);
  return shape.count
    ? query.select((eb) => eb.fn.countAll<number>().as('n'))
    : query.select('lists.id as n').orderBy('lists.id').limit(v.limit).offset(v.offset);
});

/** The public lists whose title or description has every word: title matches first, then by id. */
export async function searchPublicListIds(db: Db, words: readonly string[], limit: number): Promise<number[]> {
  const postgres = locksRows(db);
  const text = (tier: Tier) => matchText(postgres, LISTS_FULL_TEXT, words, tier);
  const reader: TierReader = {
    count: async (tier) => Number((await publicListMatches(db, { tier: String(tier), count: true }, { text: text(tier), limit: 0, offset: 0 }))[0]?.n ?? 0),
    ids: async (tier, max, offset) => (await publicListMatches(db, { tier: String(tier), count: false }, { text: text(tier), limit: max, offset })).map((r) => Number(r.n)),
  };
  return tieredPage(reader, LISTS_FULL_TEXT.tiers.length, limit, 0);
}
