/**
 * The Pagination section of the contract, as one reusable check: movies.test.ts and reviews.test.ts
 * run it against every paginated list endpoint. Not a test file itself (no `.test.ts`).
 */
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export type Rel = 'first' | 'prev' | 'next' | 'last';

/** RFC 8288 `Link` header → rel → target URL (resolved against a dummy origin). */
export function parseLinks(header: string | string[] | number | undefined): Map<string, URL> {
  assert.equal(typeof header, 'string', 'Link header is missing');
  const links = new Map<string, URL>();
  const re = /<([^>]*)>\s*;\s*rel="([^"]+)"/g;
  for (const match of (header as string).matchAll(re)) {
    const [, href = '', rel = ''] = match;
    assert.ok(!links.has(rel), `rel="${rel}" appears twice in ${String(header)}`);
    links.set(rel, new URL(href, 'http://butaca.test'));
  }
  // Every comma-separated entry must have been understood.
  assert.equal(links.size, (header as string).split(/,\s*</).length, `unparsed Link entries in ${String(header)}`);
  return links;
}

/** Checks which rels are present and the page each points at; every target keeps `limit` and `keep`. */
export function assertLinks(
  res: LightMyRequestResponse,
  path: string,
  expected: Partial<Record<Rel, number>>,
  limit: number,
  keep: URLSearchParams,
): void {
  const links = parseLinks(res.headers.link);
  assert.deepEqual([...links.keys()].sort(), Object.keys(expected).sort(), `rels of ${res.headers.link as string}`);
  for (const [rel, url] of links) {
    assert.equal(url.pathname, path, `${rel} path`);
    assert.equal(url.searchParams.get('page'), String(expected[rel as Rel]), `${rel} page`);
    assert.equal(url.searchParams.get('limit'), String(limit), `${rel} limit`);
    for (const name of new Set(keep.keys())) {
      if (name === 'page' || name === 'limit') continue;
      assert.deepEqual(url.searchParams.getAll(name), keep.getAll(name), `${rel} keeps ${name}`);
    }
  }
}

function withParams(url: string, extra: Record<string, string>): string {
  const [path = '', search = ''] = url.split('?', 2);
  const params = new URLSearchParams(search);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return `${path}?${params.toString()}`;
}

function ids(res: LightMyRequestResponse): number[] {
  const body: unknown = res.json();
  assert.ok(Array.isArray(body), 'a list answers a bare JSON array');
  return (body as { id: number }[]).map((item) => item.id);
}

export function assertQueryError(res: LightMyRequestResponse, fields: string[]): void {
  assert.equal(res.statusCode, 422, res.body);
  const detail = res.json<{ detail: { loc: unknown[]; msg: unknown; type: unknown }[] }>().detail;
  const key = (loc: unknown[]) => JSON.stringify(loc);
  assert.deepEqual(
    detail.map((d) => key(d.loc)).sort(),
    fields.map((f) => key(['query', f])).sort(),
  );
  for (const d of detail) {
    assert.equal(typeof d.msg, 'string');
    assert.equal(typeof d.type, 'string');
  }
}

/**
 * Exercises page/limit, X-Total-Count and Link on `url` (which may carry other query parameters,
 * e.g. `q` and `sort`, that every link must keep). The endpoint must hold exactly `expectedIds`
 * (in its order) and there must be 21–30 of them, so that the default limit gives three pages.
 */
export async function checkPagination(
  app: FastifyInstance,
  url: string,
  expectedIds: number[],
  headers: Record<string, string> = {},
): Promise<void> {
  const total = expectedIds.length;
  assert.ok(total > 20 && total <= 30, 'the check is written for three pages of ten');
  const path = url.split('?', 1)[0]!;
  const keep = new URLSearchParams(url.split('?', 2)[1] ?? '');
  const get = (u: string) => app.inject({ method: 'GET', url: u, headers });

  // Everything on one page: only first and last, both page 1.
  const all = await get(withParams(url, { limit: '100' }));
  assert.equal(all.statusCode, 200, all.body);
  assert.deepEqual(ids(all), expectedIds);
  assert.equal(all.headers['x-total-count'], String(total));
  assertLinks(all, path, { first: 1, last: 1 }, 100, keep);

  // Defaults: page 1, limit 10.
  const first = await get(url);
  assert.equal(first.statusCode, 200, first.body);
  assert.match(String(first.headers['content-type']), /^application\/json$/);
  assert.deepEqual(ids(first), expectedIds.slice(0, 10));
  assert.equal(first.headers['x-total-count'], String(total));
  assertLinks(first, path, { first: 1, next: 2, last: 3 }, 10, keep);
  assert.deepEqual(ids(await get(withParams(url, { page: '1', limit: '10' }))), ids(first), 'explicit defaults change nothing');

  const middle = await get(withParams(url, { page: '2' }));
  assert.equal(middle.statusCode, 200);
  assert.deepEqual(ids(middle), expectedIds.slice(10, 20));
  assert.equal(middle.headers['x-total-count'], String(total));
  assertLinks(middle, path, { first: 1, prev: 1, next: 3, last: 3 }, 10, keep);

  const last = await get(withParams(url, { page: '3' }));
  assert.equal(last.statusCode, 200);
  assert.deepEqual(ids(last), expectedIds.slice(20));
  assert.equal(last.headers['x-total-count'], String(total));
  assertLinks(last, path, { first: 1, prev: 2, last: 3 }, 10, keep);

  // Past the end: an empty page, not an error; prev leads back to the last real page.
  const beyond = await get(withParams(url, { page: '7' }));
  assert.equal(beyond.statusCode, 200);
  assert.deepEqual(beyond.json(), []);
  assert.equal(beyond.headers['x-total-count'], String(total));
  assertLinks(beyond, path, { first: 1, prev: 3, last: 3 }, 10, keep);

  // Another limit: pages of 7 → 4 pages (total 21–28) or 5 (29–30).
  const lastOfSeven = Math.ceil(total / 7);
  const seven = await get(withParams(url, { page: '2', limit: '7' }));
  assert.equal(seven.statusCode, 200);
  assert.deepEqual(ids(seven), expectedIds.slice(7, 14));
  assertLinks(seven, path, { first: 1, prev: 1, next: 3, last: lastOfSeven }, 7, keep);

  // Following the links from the first page visits every item exactly once, in order.
  const walked: number[] = [];
  let next: string | undefined = url;
  let pages = 0;
  while (next !== undefined) {
    const res = await get(next);
    assert.equal(res.statusCode, 200);
    walked.push(...ids(res));
    const target = parseLinks(res.headers.link).get('next');
    next = target ? target.pathname + target.search : undefined;
    assert.ok(++pages <= 3, 'too many pages');
  }
  assert.deepEqual(walked, expectedIds);

  // Out of range or not a whole number → 422 naming the parameter; limit 100 is the maximum.
  for (const page of ['0', '-1', 'abc', '1.5', '']) {
    assertQueryError(await get(withParams(url, { page })), ['page']);
  }
  for (const limit of ['0', '101', '-5', 'ten', '2.5']) {
    assertQueryError(await get(withParams(url, { limit })), ['limit']);
  }
  assertQueryError(await get(withParams(url, { page: '0', limit: '101' })), ['page', 'limit']);
}

/** An empty list: total 0, only first and last links, both page 1. */
export async function checkEmptyPage(app: FastifyInstance, url: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await app.inject({ method: 'GET', url, headers });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), []);
  assert.equal(res.headers['x-total-count'], '0');
  assertLinks(res, url.split('?', 1)[0]!, { first: 1, last: 1 }, 10, new URLSearchParams(url.split('?', 2)[1] ?? ''));
}
