import type { Genre } from '../api/client';
import { en } from '../i18n/en';
import { withQuery } from '../router';

/** A page number from the URL; anything that is not a whole number from 1 up reads as 1. */
export function pageParam(query: URLSearchParams): number {
  const raw = query.get('page') ?? '';
  const page = /^\d{1,6}$/.test(raw) ? Number(raw) : 1;
  return page >= 1 ? page : 1;
}

export const pageCount = (total: number, size: number): number => Math.max(1, Math.ceil(total / size));

/** A movie id from a path; null for anything the API would refuse (the page shows "not found"). */
export function idParam(raw: string | undefined): number | null {
  return raw !== undefined && /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : null;
}

/** Every genre id the API knows: the keys of the genre names (a genre of the API without a name fails the type check here). */
export const GENRES = Object.keys(en.genreNames satisfies Record<Genre, string>) as Genre[];

/** A genre id from the URL; anything else reads as no genre filter. */
export function genreParam(query: URLSearchParams): Genre | '' {
  const raw = query.get('genre') ?? '';
  return (GENRES as string[]).includes(raw) ? (raw as Genre) : '';
}

/** A decade (1990 for the 1990s) from the URL; anything that is not a year ending in 0 reads as no filter. */
export function decadeParam(query: URLSearchParams): number | undefined {
  const raw = query.get('decade') ?? '';
  return /^1[89]\d0$|^20\d0$/.test(raw) ? Number(raw) : undefined;
}

/** The catalogue filtered, as a link: `/?director=Ridley%20Scott`, `/?genre=sci-fi`, `/?q=…`. */
export const catalogueHref = (filter: { q?: string; genre?: Genre; director?: string }): string => withQuery('/', filter);
