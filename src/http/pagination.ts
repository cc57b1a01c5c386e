import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

export const MAX_LIMIT = 100;

// Optional with defaults: Ajv fills them in, so handlers always see numbers (see pageOf).
export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'Page number, from 1' })),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 10, description: `Items per page, 1–${MAX_LIMIT}` }),
  ),
};

/** Directions of every sorted list. */
export const ORDERS = ['asc', 'desc'] as const;
export type Order = (typeof ORDERS)[number];

/** A `sort` query parameter over `keys`, and its `order`, documented with their defaults. */
export function SortQuery<K extends string>(keys: readonly K[], sortDescription: string, orderDescription: string) {
  return {
    sort: Type.Optional(Type.Unsafe<K>({ type: 'string', enum: [...keys], description: sortDescription })),
    order: Type.Optional(Type.Unsafe<Order>({ type: 'string', enum: [...ORDERS], description: orderDescription })),
  };
}

export interface Page {
  page: number;
  limit: number;
}

/** The page a validated query asks for; the defaults repeat the schema's for the type checker. */
export const pageOf = (query: { page?: number; limit?: number }): Page => ({ page: query.page ?? 1, limit: query.limit ?? 10 });

export const offsetOf = ({ page, limit }: Page): number => (page - 1) * limit;

/**
 * How to read one page of `total` ordered rows: OFFSET walks past every skipped row, so a page in
 * the second half is read from the other end, in the opposite order, and turned around
 * (`reverse`). The last page then costs what the first does; the middle one stays the dearest.
 * Undefined when the page lies past the end (nothing to read).
 */
export interface ScanPlan {
  offset: number;
  limit: number;
  reverse: boolean;
}

export function scanPlan(page: Page, total: number): ScanPlan | undefined {
  const start = offsetOf(page);
  if (start >= total) return undefined;
  const end = Math.min(start + page.limit, total);
  if (start <= total - end) return { offset: start, limit: page.limit, reverse: false };
  return { offset: total - end, limit: end - start, reverse: true };
}

/**
 * Sets `X-Total-Count` and an RFC 8288 `Link` header. The links are relative references that keep
 * every other query parameter of the request, so they stay right behind any proxy.
 */
export function setPageHeaders(request: FastifyRequest, reply: FastifyReply, { page, limit }: Page, total: number): void {
  const last = Math.max(1, Math.ceil(total / limit));
  const [path = '', search = ''] = request.url.split('?', 2);
  const params = new URLSearchParams(search);
  const href = (p: number): string => {
    params.set('page', String(p));
    params.set('limit', String(limit));
    return `<${path}?${params.toString()}>`;
  };
  const links = [`${href(1)}; rel="first"`];
  if (page > 1) links.push(`${href(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${href(page + 1)}; rel="next"`);
  links.push(`${href(last)}; rel="last"`);
  reply.header('x-total-count', String(total));
  reply.header('link', links.join(', '));
}
