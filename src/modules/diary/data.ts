import type { Db } from '../../db/connect.js';
import { locksRows } from '../../db/locks.js';
import { idSlots, idValues, prepared } from '../../db/prepared.js';
import { inTransaction } from '../../db/transaction.js';
import { nowIso } from '../../db/time.js';
import { DomainError } from '../../domain/errors.js';
import { type Page, scanPlan } from '../../http/pagination.js';
import { recordActivity } from '../activity/index.js';
import { movieExists } from '../movies/index.js';
import { foreignKeyError, lockRating, writeRating } from '../reviews/index.js';
import { removeFromWatchlist, watchlisted } from '../watchlist/index.js';
import type { Entry, MovieState } from './schemas.js';

function selectEntries(db: Db) {
  return db
    .selectFrom('diary_entries')
    .innerJoin('movies', 'movies.id', 'diary_entries.movie_id')
    .select([
      'diary_entries.id',
      'diary_entries.user_id',
      'diary_entries.movie_id',
      'movies.title',
      'movies.year',
      'diary_entries.watched_on',
      'diary_entries.rewatch',
      'diary_entries.halves',
      'diary_entries.liked',
      'diary_entries.tags',
      'diary_entries.created_at',
    ]);
}

type EntryRow = Awaited<ReturnType<ReturnType<typeof selectEntries>['executeTakeFirstOrThrow']>>;

function toEntry(row: EntryRow): Entry {
  return {
    id: row.id,
    user_id: row.user_id,
    movie: { id: row.movie_id, title: row.title, year: row.year },
    watched_on: row.watched_on,
    rewatch: row.rewatch === 1,
    rating: row.halves === null ? null : row.halves / 2,
    liked: row.liked === 1,
    tags: JSON.parse(row.tags) as string[],
    created_at: row.created_at,
  };
}

/** What an entry holds, as written (ratings in half stars). */
export interface EntryFields {
  movieId: number;
  watchedOn: string;
  rewatch: boolean;
  halves: number | null;
  liked: boolean;
  tags: string[];
}

const entryById = prepared((db, _shape: 'by id', v: { id: number }) => selectEntries(db).where('diary_entries.id', '=', v.id));

export async function findEntry(db: Db, id: number): Promise<Entry | undefined> {
  const [row] = await entryById(db, 'by id', { id });
  return row && toEntry(row);
}

const entriesByIds = prepared((db, n: number, v: Record<string, number>) => selectEntries(db).where('diary_entries.id', 'in', idSlots(v, n)));

/** These entries, in the order of `ids` (those that no longer exist left out). */
export async function findEntriesByIds(db: Db, ids: number[]): Promise<Entry[]> {
  if (ids.length === 0) return [];
  const wanted = [...new Set(ids)];
  const rows = await entriesByIds(db, wanted.length, idValues(wanted));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [toEntry(row)] : [];
  });
}

export async function findEntryOwner(db: Db, id: number): Promise<number | undefined> {
  return (await db.selectFrom('diary_entries').select('user_id').where('id', '=', id).executeTakeFirst())?.user_id;
}

// The count the triggers keep on the member's row (migration 0007): one primary-key read, however long the diary.
const diaryCount = prepared((db, _shape: 'count', v: { userId: number }) => db.selectFrom('users').select('diary_count').where('id', '=', v.userId));

const diaryPage = prepared((db, shape: { order: 'asc' | 'desc' }, v: { userId: number; limit: number; offset: number }) =>
  selectEntries(db)
    .where('diary_entries.user_id', '=', v.userId)
    .orderBy('diary_entries.watched_on', shape.order)
    .orderBy('diary_entries.id', shape.order)
    .limit(v.limit)
    .offset(v.offset),
);

/**
 * A page of a member's diary, latest viewing first (ties: the later logged first), read by walking
 * the (user_id, watched_on, id) index from whichever end is nearer (pagination.ts); undefined when
 * there is no such member.
 */
export async function listDiary(db: Db, userId: number, page: Page): Promise<{ entries: Entry[]; total: number } | undefined> {
  const [member] = await diaryCount(db, 'count', { userId });
  if (!member) return undefined;
  const total = member.diary_count;
  const plan = scanPlan(page, total);
  if (plan === undefined) return { entries: [], total };
  const rows = await diaryPage(db, { order: plan.reverse ? 'asc' : 'desc' }, { userId, limit: plan.limit, offset: plan.offset });
  return { entries: (plan.reverse ? rows.reverse() : rows).map(toEntry), total };
}

/** The member's latest viewing of the movie that has a rating: the one whose rating is theirs. */
const latestRated = prepared((db, _shape: 'latest', v: { userId: number; movieId: number }) =>
  db
    .selectFrom('diary_entries')
    .select('id')
    .where('user_id', '=', v.userId)
    .where('movie_id', '=', v.movieId)
    .where('halves', 'is not', null)
    .orderBy('watched_on', 'desc')
    .orderBy('id', 'desc')
    .limit(1),
);

/** An entry's rating becomes the member's rating of the movie when no later viewing has one. */
async function ratingFollowsEntry(trx: Db, entryId: number, userId: number, movieId: number, halves: number): Promise<void> {
  const [latest] = await latestRated(trx, 'latest', { userId, movieId });
  if (latest?.id === entryId) await writeRating(trx, userId, movieId, halves);
}

/**
 * Logs a viewing, in one transaction: the entry, the movie off the member's watchlist, the
 * activity their followers see, and the entry's rating as the member's rating when it is their latest rated viewing (locks in the order
 * of the reviews module: the rating row first).
 */
export async function createEntry(db: Db, userId: number, fields: EntryFields): Promise<Entry> {
  const { movieId, halves } = fields;
  if (!(await movieExists(db, movieId))) throw new DomainError('movie_not_found');
  try {
    return await inTransaction(db, async (trx) => {
      if (halves !== null) await lockRating(trx, userId, movieId);
      const now = nowIso();
      const row = await trx
        .insertInto('diary_entries')
        .values({
          user_id: userId,
          movie_id: movieId,
          watched_on: fields.watchedOn,
          rewatch: fields.rewatch ? 1 : 0,
          halves,
          liked: fields.liked ? 1 : 0,
          tags: JSON.stringify(fields.tags),
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await removeFromWatchlist(trx, userId, movieId);
      if (halves !== null) await ratingFollowsEntry(trx, row.id, userId, movieId, halves);
      await recordActivity(trx, { type: 'diary', userId, movieId, diaryId: row.id });
      return (await findEntry(trx, row.id))!;
    });
  } catch (err) {
    throw await foreignKeyError(db, err, movieId);
  }
}

export type EntryUpdate = Partial<Omit<EntryFields, 'movieId'>>;

/** Changes the fields that differ, and sets the member's rating when the entry's new rating is their latest. */
export async function updateEntry(db: Db, id: number, changes: EntryUpdate): Promise<Entry | undefined> {
  return db.transaction().execute(async (trx) => {
    const owner = await trx.selectFrom('diary_entries').select(['user_id', 'movie_id']).where('id', '=', id).executeTakeFirst();
    if (!owner) return undefined;
    if (changes.halves !== undefined && changes.halves !== null) await lockRating(trx, owner.user_id, owner.movie_id);
    const old = await trx
      .selectFrom('diary_entries')
      .selectAll()
      .where('id', '=', id)
      .$if(locksRows(trx), (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (!old) return undefined;
    const set: Record<string, string | number | null> = {};
    if (changes.watchedOn !== undefined && changes.watchedOn !== old.watched_on) set.watched_on = changes.watchedOn;
    if (changes.rewatch !== undefined && Number(changes.rewatch) !== old.rewatch) set.rewatch = Number(changes.rewatch);
    if (changes.halves !== undefined && changes.halves !== old.halves) set.halves = changes.halves;
    if (changes.liked !== undefined && Number(changes.liked) !== old.liked) set.liked = Number(changes.liked);
    if (changes.tags !== undefined && JSON.stringify(changes.tags) !== old.tags) set.tags = JSON.stringify(changes.tags);
    if (Object.keys(set).length === 0) return findEntry(trx, id);
    await trx.updateTable('diary_entries').set({ ...set, updated_at: nowIso() }).where('id', '=', id).execute();
    if (set.halves !== undefined && set.halves !== null) await ratingFollowsEntry(trx, id, old.user_id, old.movie_id, set.halves as number);
    return findEntry(trx, id);
  });
}

/** Deletes an entry; the member's rating of the movie stays (it is theirs, not the viewing's). */
export async function deleteEntry(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('diary_entries').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** What the member has done with each of these movies (the web client's marks on cards and pages). */
export async function movieStates(db: Db, userId: number, movieIds: number[]): Promise<MovieState[]> {
  const ids = [...new Set(movieIds)];
  const [ratings, reviews, logged, listed] = await Promise.all([
    db.selectFrom('ratings').select(['movie_id', 'halves']).where('user_id', '=', userId).where('movie_id', 'in', ids).execute(),
    db.selectFrom('reviews').select(['movie_id', 'id']).where('user_id', '=', userId).where('movie_id', 'in', ids).execute(),
    db
      .selectFrom('diary_entries')
      .select(['movie_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('user_id', '=', userId)
      .where('movie_id', 'in', ids)
      .groupBy('movie_id')
      .execute(),
    watchlisted(db, userId, ids),
  ]);
  const rating = new Map(ratings.map((r) => [r.movie_id, r.halves / 2]));
  const review = new Map(reviews.map((r) => [r.movie_id, r.id]));
  const count = new Map(logged.map((r) => [r.movie_id, Number(r.n)]));
  return ids.map((id) => ({
    movie_id: id,
    rating: rating.get(id) ?? null,
    review_id: review.get(id) ?? null,
    watchlisted: listed.has(id),
    logged: count.get(id) ?? 0,
  }));
}

/** A viewing brought in from elsewhere (an import): its fields and when it was logged there. */
export interface ImportedEntry extends EntryFields {
  loggedAt: string;
}

const IMPORT_CHUNK = 500;

/**
 * Writes imported viewings inside the caller's transaction, many rows a statement: history, so
 * none is news for the feed, none takes its movie off the watchlist (the imported watchlist says
 * what is on it), and the member's ratings are the importer's to set (the rule "an imported rating
 * does not overwrite a newer one" needs all of the import's ratings at once). The diary count on
 * the member's row follows by trigger, as for every entry.
 */
export async function insertImportedEntries(trx: Db, userId: number, entries: readonly ImportedEntry[]): Promise<void> {
  const now = nowIso();
  for (let i = 0; i < entries.length; i += IMPORT_CHUNK) {
    await trx
      .insertInto('diary_entries')
      .values(
        entries.slice(i, i + IMPORT_CHUNK).map((e) => ({
          user_id: userId,
          movie_id: e.movieId,
          watched_on: e.watchedOn,
          rewatch: e.rewatch ? 1 : 0,
          halves: e.halves,
          liked: e.liked ? 1 : 0,
          tags: JSON.stringify(e.tags),
          created_at: e.loggedAt,
          updated_at: now,
        })),
      )
      .execute();
  }
}
