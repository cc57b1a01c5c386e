import createClient from 'openapi-fetch';
import { NetworkError, apiErrorOf, isAbort } from './errors';
import type { paths } from './schema';

/**
 * The typed API client: paths, parameters, bodies and answers come from the server's OpenAPI
 * document (scripts/export-openapi.ts), so a change of the API fails this client's type check.
 * The session is the HttpOnly cookie the server sets at login, sent on same-origin requests.
 */
export const api = createClient<paths>({ credentials: 'same-origin' });

type JsonOf<R> = R extends { content: { 'application/json': infer Body } } ? Body : never;

export type Movie = JsonOf<paths['/api/v1/movies/{id}']['get']['responses'][200]>;
export type MovieInput = paths['/api/v1/movies']['post']['requestBody']['content']['application/json'];
export type Review = JsonOf<paths['/api/v1/reviews/{id}']['get']['responses'][200]>;
export type User = JsonOf<paths['/api/v1/users/me']['get']['responses'][200]>;
export type Media = JsonOf<paths['/api/v1/movies/{id}/poster']['put']['responses'][201]>;
export type Entry = JsonOf<paths['/api/v1/diary/{id}']['get']['responses'][200]>;
export type EntryInput = paths['/api/v1/diary']['post']['requestBody']['content']['application/json'];
export type MovieState = JsonOf<paths['/api/v1/users/me/movie-states']['get']['responses'][200]>[number];
export type Avatar = JsonOf<paths['/api/v1/users/me/avatar']['put']['responses'][201]>;
export type ImportSummary = JsonOf<paths['/api/v1/users/me/import/letterboxd']['post']['responses'][200]>;
export type Comment = JsonOf<paths['/api/v1/reviews/{id}/comments']['post']['responses'][201]>;
export type List = JsonOf<paths['/api/v1/lists/{id}']['get']['responses'][200]>;
export type ListItem = JsonOf<paths['/api/v1/lists/{id}/items/{movie_id}']['put']['responses'][200]>;
export type Activity = JsonOf<paths['/api/v1/users/me/feed']['get']['responses'][200]>[number];
export type Genre = Movie['genres'][number];
export type SearchResults = JsonOf<paths['/api/v1/search']['get']['responses'][200]>;
export type MovieSort = NonNullable<NonNullable<paths['/api/v1/movies']['get']['parameters']['query']>['sort']>;

// openapi-fetch answers { data } on success and { error } otherwise; DataOf picks the success body.
type Outcome = { data?: unknown; error?: unknown; response: Response };
type DataOf<R> = R extends { data: infer D; error?: never } ? D : never;

/** What one openapi-fetch call answered, or an ApiError / NetworkError for the caller to show. */
export async function call<R extends Outcome>(request: Promise<R>): Promise<{ data: DataOf<R>; response: Response }> {
  let outcome: R;
  try {
    outcome = await request;
  } catch (err) {
    if (isAbort(err)) throw err;
    throw new NetworkError();
  }
  const { response } = outcome;
  if (!response.ok) throw apiErrorOf(response.status, outcome.error);
  return { data: outcome.data as DataOf<R>, response };
}

/** A page of a list: the API answers a bare array and tells the total in X-Total-Count. */
export interface Page<T> {
  items: T[];
  total: number;
}

type ItemOf<R> = DataOf<R> extends (infer T)[] ? T : never;

export async function page<R extends Outcome>(request: Promise<R>): Promise<Page<ItemOf<R>>> {
  const { data, response } = await call(request);
  const items = data as ItemOf<R>[];
  const header = response.headers.get('x-total-count');
  return { items, total: header !== null && /^\d+$/.test(header) ? Number(header) : items.length };
}

/** A page of a cursor list (the feed): its items, and the cursor of the next page from `Link: rel="next"`. */
export interface CursorPage<T> {
  items: T[];
  next: string | undefined;
}

export async function cursorPage<R extends Outcome>(request: Promise<R>): Promise<CursorPage<ItemOf<R>>> {
  const { data, response } = await call(request);
  const link = /<([^>]*)>;\s*rel="next"/.exec(response.headers.get('link') ?? '');
  const next = link ? (new URL(link[1]!, location.href).searchParams.get('before') ?? undefined) : undefined;
  return { items: data as ItemOf<R>[], next };
}
