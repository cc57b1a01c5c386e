import type { Db } from '../../db/connect.js';
import { invalidField } from '../../domain/issues.js';
import { readFeed } from '../activity/index.js';
import { findEntriesByIds } from '../diary/index.js';
import { findPublicListsByIds } from '../lists/index.js';
import { findMoviesByIds } from '../movies/index.js';
import { findReviewsByIds } from '../reviews/index.js';
import { findUsersByIds } from '../users/index.js';
import type { Activity } from './schemas.js';

/**
 * The cursor is the id of the last activity a page showed, wrapped so that clients treat it as
 * opaque (a later release may put something else in it) and a typo is told from a position.
 */
const CURSOR = /^f1\.([1-9][0-9]{0,9})$/;
export const cursorOf = (activityId: number): string => Buffer.from(`f1.${activityId}`).toString('base64url');

export function activityIdOf(cursor: string): number {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  const id = match ? Number(match[1]) : NaN;
  if (!(id <= 2147483647)) throw invalidField(['query', 'before'], 'cursor_invalid');
  return id;
}

const idsOf = (values: (number | null)[]): number[] => values.filter((v): v is number => v !== null);

/**
 * A page of the member's feed, and whether there is more: the activity rows (one walk of the
 * feed's index), then what they are about, one query per kind for the whole page. An activity
 * whose subject went in between (deleted a moment ago) is left out.
 */
export async function feedPage(db: Db, memberId: number, before: number | undefined, limit: number): Promise<{ activities: Activity[]; next: number | undefined }> {
  const rows = await readFeed(db, memberId, before, limit + 1);
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  const [movies, reviews, entries, lists, followed] = await Promise.all([
    findMoviesByIds(db, idsOf(page.map((r) => r.movie_id))),
    findReviewsByIds(db, idsOf(page.map((r) => r.review_id))),
    findEntriesByIds(db, idsOf(page.map((r) => r.diary_id))),
    findPublicListsByIds(db, idsOf(page.map((r) => r.list_id))),
    findUsersByIds(db, idsOf(page.map((r) => r.followed_id))),
  ]);
  const review = new Map(reviews.map((r) => [r.id, r]));
  const entry = new Map(entries.map((e) => [e.id, e]));
  const list = new Map(lists.map((l) => [l.id, l]));
  const member = new Map(followed.map((u) => [u.id, { id: u.id, username: u.username }]));
  const activities: Activity[] = [];
  for (const row of page) {
    const activity: Activity = {
      id: row.id,
      type: row.type,
      created_at: row.created_at,
      user: { id: row.user_id, username: row.username },
      movie: row.movie_id === null ? null : (movies.get(row.movie_id) ?? null),
      review: row.review_id === null ? null : (review.get(row.review_id) ?? null),
      diary: row.diary_id === null ? null : (entry.get(row.diary_id) ?? null),
      list: row.list_id === null ? null : (list.get(row.list_id) ?? null),
      followed: row.followed_id === null ? null : (member.get(row.followed_id) ?? null),
    };
    const gone = (row.movie_id !== null && !activity.movie) || (row.review_id !== null && !activity.review) || (row.diary_id !== null && !activity.diary) || (row.list_id !== null && !activity.list) || (row.followed_id !== null && !activity.followed);
    if (!gone) activities.push(activity);
  }
  return { activities, next: more ? page[page.length - 1]!.id : undefined };
}
