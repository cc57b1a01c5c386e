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
