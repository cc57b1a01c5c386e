import type { Db } from '../../db/connect.js';
import type { MediaStore } from '../../storage/store.js';
import { type WarnLog, mediaPrefixesOfMovie, removeFiles } from '../media/index.js';
import { deleteMovieRow } from './data.js';

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
