import type { Db } from '../../db/connect.js';
import type { MediaStore } from '../../storage/store.js';
import { type WarnLog, mediaPrefixesOfMovie, mediaUrl, removeFiles } from '../media/index.js';
import { type MovieRow, deleteMovieRow, findMovieRows } from './data.js';
import type { Movie } from './schemas.js';
import type { Genre } from '../../domain/enums.js';

/**
 * Deletes a movie with its reviews (the cascade) and its media: the rows go with the movie, and the
 * files once the database no longer points at them (a failure there leaves orphans, which the sweep
 * removes). False when there was no such movie.
 */
export async function deleteMovie(db: Db, store: MediaStore, log: WarnLog, id: number): Promise<boolean> {
  const prefixes = await mediaPrefixesOfMovie(db, id);
  if (!(await deleteMovieRow(db, id))) return false;
  await removeFiles(store, log, prefixes);
  return true;
}

// Written out field by field: an object rest/spread here cost more than the rest of the handler.
export function toMovie(row: MovieRow): Movie {
  return {
    id: row.id,
    title: row.title,
    year: row.year,
    synopsis: row.synopsis,
    original_title: row.original_title,
    directors: JSON.parse(row.directors) as string[],
    genres: JSON.parse(row.genres) as Genre[],
    runtime: row.runtime,
    imdb_id: row.imdb_id,
    // Sum and count in half stars: the mean in stars is sum / count / 2, to 2 decimals.
    average_score: row.rating_count > 0 ? Math.round((row.rating_sum / row.rating_count) * 50) / 100 : null,
    review_count: row.review_count,
    rating_count: row.rating_count,
    rating_histogram: [row.hist_1, row.hist_2, row.hist_3, row.hist_4, row.hist_5, row.hist_6, row.hist_7, row.hist_8, row.hist_9, row.hist_10],
    poster_url: row.poster_version === null ? null : mediaUrl(row.id, 'poster', row.poster_version),
    trailer_url: row.trailer_version === null ? null : mediaUrl(row.id, 'trailer', row.trailer_version),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** These movies as objects, by id (those that no longer exist left out). */
export async function findMoviesByIds(db: Db, ids: number[]): Promise<Map<number, Movie>> {
  return new Map((await findMovieRows(db, ids)).map((r) => [r.id, toMovie(r)]));
}
