import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { type Member, type TestContext, adminToken, bearer, createMovie, dbProblemsOf, manyMembers, multipartBody, startApp } from './support/app.js';
import { patchZip, renameInZip, unzip, zipOf } from './support/zip.js';

/*
 * community.md, "A member's data, in and out": a Letterboxd export imported (ZIP or one CSV,
 * RFC 4180 as Letterboxd writes it, films matched ignoring case and accents), all or nothing,
 * idempotent; archives that would hurt refused; the export streamed in Letterboxd's format plus
 * butaca.json; a round trip from one account to a fresh one keeps the diary, ratings, reviews,
 * watchlist and lists (a property test). On the database the run is for (test:sqlite, test:pg).
 */

let ctx: TestContext;
let admin: string;
let members: Member[];
let nextMember = 0;
/** Movies by a short name. */
const m: Record<string, number> = {};

/** A member nobody has used: the import and export throttles are per member. */
const fresh = (): Member => {
  const member = members[nextMember++];
  if (!member) throw new Error('out of test members');
  return member;
};

/** One CSV record as Letterboxd writes it: a field is quoted when it holds a comma, a quote or a line break. */
const record = (fields: (string | number)[]): string =>
  fields.map((f) => (/[",\r\n]/.test(String(f)) ? `"${String(f).replaceAll('"', '""')}"` : String(f))).join(',');
const csv = (rows: (string | number)[][], eol = '\n'): string => rows.map(record).join(eol) + eol;

const DIARY = ['Date', 'Name', 'Year', 'Letterboxd URI', 'Rating', 'Rewatch', 'Tags', 'Watched Date'];
const RATINGS = ['Date', 'Name', 'Year', 'Letterboxd URI', 'Rating'];
const REVIEWS = ['Date', 'Name', 'Year', 'Letterboxd URI', 'Rating', 'Rewatch', 'Review', 'Tags', 'Watched Date'];
const FILMS = ['Date', 'Name', 'Year', 'Letterboxd URI'];
const listFile = (name: string, description: string, items: (string | number)[][]): string =>
  `Letterboxd list export v7\n${csv([['Date', 'Name', 'Tags', 'URL', 'Description'], ['2024-01-02', name, '', 'https://boxd.it/x', description]])}\n${csv([['Position', 'Name', 'Year', 'URL', 'Description'], ...items])}`;

interface Summary {
  matched: number;
  unmatched: { name: string; year: number | null }[];
  created: { diary: number; ratings: number; reviews: number; watchlist: number; lists: number };
  skipped: { file: string; line: number; reason: string }[];
}

const importZip = (who: Member, zip: Buffer): Promise<LightMyRequestResponse> =>
  ctx.app.inject({ method: 'POST', url: '/api/v1/users/me/import/letterboxd', headers: { ...bearer(who.token), 'content-type': 'application/zip' }, payload: zip });

async function imported(who: Member, zip: Buffer): Promise<Summary> {
  const res = await importZip(who, zip);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Summary>();
}

/** Each import test is a minute's one import of its member: a second one (idempotency) waits out the throttle by clearing its counter. */
async function allowAnother(who: Member, what: 'import' | 'export'): Promise<void> {
  await ctx.app.counters.reset(`${what}:${who.id}`);
}

const get = async <T>(who: Member | undefined, url: string): Promise<T> => {
  const res = await ctx.app.inject({ method: 'GET', url, headers: who ? bearer(who.token) : {} });
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  return res.json<T>();
};

interface DiaryEntry {
  movie: { id: number };
  watched_on: string;
  rewatch: boolean;
  rating: number | null;
  liked: boolean;
  tags: string[];
}
const diaryOf = (who: Member) => get<DiaryEntry[]>(who, `/api/v1/users/${who.id}/diary?limit=100`);
const ratingOf = async (who: Member, movie: number): Promise<number | null> => {
  const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movie}/rating`, headers: bearer(who.token) });
  return res.statusCode === 404 ? null : res.json<{ rating: number }>().rating;
};
interface ReviewOut {
  movie: { id: number };
  review: string;
  rating: number;
  spoiler: boolean;
}
const reviewsOf = (who: Member) => get<ReviewOut[]>(who, '/api/v1/users/reviews?limit=100');
const watchlistOf = async (who: Member) => (await get<{ id: number }[]>(who, `/api/v1/users/${who.id}/watchlist?limit=100`)).map((x) => x.id);
interface ListOut {
  id: number;
  title: string;
  description: string | null;
  ranked: boolean;
  public: boolean;
}
const listsOf = (who: Member) => get<ListOut[]>(who, `/api/v1/users/${who.id}/lists?limit=100`);
const itemsOf = async (who: Member, list: number) =>
  (await get<{ position: number; movie: { id: number }; note: string | null }[]>(who, `/api/v1/lists/${list}/items?limit=100`)).map((i) => ({ movie: i.movie.id, note: i.note }));

/** The 422's one issue. */
function issueOf(res: LightMyRequestResponse): { loc: string[]; type: string; msg: string; ctx?: Record<string, unknown> } {
  assert.equal(res.statusCode, 422, res.body);
  const detail = res.json<{ detail: { loc: string[]; type: string; msg: string; ctx?: Record<string, unknown> }[] }>().detail;
  assert.equal(detail.length, 1, res.body);
  return detail[0]!;
}

before(async () => {
  ctx = await startApp();
  admin = await adminToken(ctx);
  members = await manyMembers(ctx, 'boxd', 400);
  const catalogue: [string, string, number, Record<string, unknown>?][] = [
    ['cleo', 'Cléo de 5 à 7', 1962],
    ['colmena', 'El espíritu de la colmena', 1973],
    ['blade', 'Blade Runner', 1982],
    ['parasite', 'Parasite', 2019, { original_title: '기생충' }],
    ['paris', 'Paris, Texas', 1984],
    ['solaris72', 'Solaris', 1972],
    ['solaris02', 'Solaris', 2002],
    ['yiyi', 'Yi Yi', 2000],
    ['heat', 'Heat', 1995],
    ['thing', 'The Thing', 1982],
    ['roma', 'Roma', 2018, { original_title: 'Roma' }],
    ['amelie', 'Amélie', 2001, { original_title: 'Le Fabuleux Destin d’Amélie Poulain' }],
    ['twin00', 'Twin Peaks Film', 2000],
    ['twin02', 'Twin Peaks Film', 2002],
    ['twinsA', 'Twins', 1988, { imdb_id: 'tt0096320' }],
    ['twinsB', 'Twins', 1988, { imdb_id: 'tt9999991' }],
  ];
  for (const [key, title, year, more] of catalogue) m[key] = (await createMovie(ctx.app, admin, { title, year, ...more })).id;
});
after(async () => {
  assert.deepEqual(await dbProblemsOf(ctx), []);
  await ctx.close();
});

/** A whole export as Letterboxd makes it: quoted reviews with commas and line breaks, half stars, a rewatch, tags, films Butaca lacks. */
async function letterboxdExport(): Promise<Buffer> {
  return zipOf({
    'profile.csv': csv([['Date Joined', 'Username'], ['2015-01-01', 'cinefila']]),
    'diary.csv': csv(
      [
        DIARY,
        ['2024-03-01', 'Cleo de 5 a 7', 1962, 'https://boxd.it/d1', '4.5', '', 'paris, new wave', '2024-02-28'],
        ['2024-03-02', 'EL ESPIRITU DE LA COLMENA', 1973, 'https://boxd.it/d2', '5', '', '', '2024-03-01'],
        ['2024-03-05', 'Blade Runner', 1982, 'https://boxd.it/d3', '3.5', 'Yes', 'sci-fi', '2024-03-04'],
        ['2024-03-06', 'Yi Yi', 2001, 'https://boxd.it/d4', '', '', '', '2024-03-06'],
        ['2024-03-07', 'A Film Nobody Has', 1999, 'https://boxd.it/d5', '2', '', '', '2024-03-07'],
      ],
      '\r\n',
    ),
    'ratings.csv': csv([RATINGS, ['2024-03-10', 'Blade Runner', 1982, 'https://boxd.it/f3', '4'], ['2024-03-10', '기생충', 2019, 'https://boxd.it/f4', '0.5']]),
    'reviews.csv': csv([
      REVIEWS,
      ['2024-03-05', 'Blade Runner', 1982, 'https://boxd.it/d3', '3.5', 'Yes', 'Rain, neon, and "tears in rain".\nA second paragraph, after a line break.', 'sci-fi', '2024-03-04'],
      ['2024-03-08', 'Heat', 1995, 'https://boxd.it/r9', '', '', 'No rating given here.', '', ''],
    ]),
    'watchlist.csv': csv([FILMS, ['2023-01-01', 'The Thing', 1982, 'https://boxd.it/w1'], ['2023-02-01', 'Paris, Texas', 1984, 'https://boxd.it/w2'], ['2023-03-01', 'Unknown Film', 2010, 'https://boxd.it/w3']]),
    'watched.csv': csv([FILMS, ['2024-03-01', 'Solaris', 1972, 'https://boxd.it/x1']]),
    'lists/favourites.csv': listFile('Favourites, all time', 'The ones I return to.', [
      [1, 'Roma', 2018, 'https://boxd.it/l1', 'Black and white, "Cleo" era'],
      [2, 'Solaris', 2002, 'https://boxd.it/l2', ''],
      [3, 'Not In Catalogue', 1950, 'https://boxd.it/l3', ''],
    ]),
    'likes/films.csv': csv([FILMS, ['2024-01-01', 'Heat', 1995, 'https://boxd.it/k1']]),
    'deleted/diary.csv': csv([DIARY, ['2020-01-01', 'Heat', 1995, 'https://boxd.it/z', '1', '', '', '2020-01-01']]),
  });
}

describe('importing a Letterboxd export', () => {
  it('reads the diary, ratings, reviews, watchlist and lists, matching films ignoring case and accents, and says what it made and missed', async () => {
    const me = fresh();
    const summary = await imported(me, await letterboxdExport());
    assert.deepEqual(summary.unmatched, [
      { name: 'A Film Nobody Has', year: 1999 },
      { name: 'Unknown Film', year: 2010 },
      { name: 'Not In Catalogue', year: 1950 },
    ]);
    // cleo, colmena, blade, yiyi (a year off, the only candidate), parasite (by its original title), heat, thing, paris, solaris72 (watched.csv), roma, solaris02
    assert.equal(summary.matched, 11);
    // Heat's review has no rating anywhere: it cannot be a Butaca review. Its line is 4: the review before it spans lines 2 and 3.
    assert.deepEqual(summary.skipped, [{ file: 'reviews.csv', line: 4, reason: 'review_without_rating' }]);
    assert.deepEqual(summary.created, { diary: 4, ratings: 4, reviews: 1, watchlist: 2, lists: 1 });

    const diary = await diaryOf(me);
    assert.deepEqual(
      diary.map((e) => [e.movie.id, e.watched_on, e.rewatch, e.rating, e.tags]),
      [
        [m.yiyi, '2024-03-06', false, null, []],
        [m.blade, '2024-03-04', true, 3.5, ['sci-fi']],
        [m.colmena, '2024-03-01', false, 5, []],
        [m.cleo, '2024-02-28', false, 4.5, ['paris', 'new wave']],
      ],
    );
    // ratings.csv is Letterboxd's current rating: Blade Runner 4, not the viewing's 3.5.
    assert.equal(await ratingOf(me, m.blade!), 4);
    assert.equal(await ratingOf(me, m.parasite!), 0.5);
    assert.equal(await ratingOf(me, m.cleo!), 4.5);
    assert.equal(await ratingOf(me, m.colmena!), 5);
    assert.equal(await ratingOf(me, m.heat!), null);
    const reviews = await reviewsOf(me);
    assert.deepEqual(
      reviews.map((r) => [r.movie.id, r.review, r.rating]),
      [[m.blade, 'Rain, neon, and "tears in rain".\nA second paragraph, after a line break.', 4]],
    );
    assert.deepEqual(await watchlistOf(me), [m.paris, m.thing], 'last added first');
    const lists = await listsOf(me);
    assert.equal(lists.length, 1);
    assert.deepEqual({ ...lists[0], id: 0 }, { ...lists[0], id: 0, title: 'Favourites, all time', description: 'The ones I return to.', ranked: false, public: false });
    assert.deepEqual(await itemsOf(me, lists[0]!.id), [
      { movie: m.roma, note: 'Black and white, "Cleo" era' },
      { movie: m.solaris02, note: null },
    ]);

    // The same file again creates nothing.
    await allowAnother(me, 'import');
    const again = await imported(me, await letterboxdExport());
    assert.deepEqual(again.created, { diary: 0, ratings: 0, reviews: 0, watchlist: 0, lists: 0 });
    assert.equal(again.matched, 11);
    assert.equal((await diaryOf(me)).length, 4);
    assert.equal((await itemsOf(me, lists[0]!.id)).length, 2);
  });

  it("keeps what the member has: a newer rating, their review, a viewing they logged, a list's films", async () => {
    const me = fresh();
    const put = (url: string, payload: unknown) => ctx.app.inject({ method: 'PUT', url, headers: bearer(me.token), payload: payload as object });
    assert.equal((await put(`/api/v1/movies/${m.blade}/rating`, { rating: 2.5 })).statusCode, 200);
    const review = await ctx.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: bearer(me.token), payload: { movie_id: m.heat, review: 'Mine, already.', rating: 3 } });
    assert.equal(review.statusCode, 201, review.body);
    const entry = await ctx.app.inject({ method: 'POST', url: '/api/v1/diary', headers: bearer(me.token), payload: { movie_id: m.cleo, watched_on: '2024-02-28' } });
    assert.equal(entry.statusCode, 201, entry.body);
    const summary = await imported(
      me,
      await zipOf({
        'diary.csv': csv([DIARY, ['2024-03-01', 'Cléo de 5 à 7', 1962, '', '', '', '', '2024-02-28'], ['2024-03-01', 'Cléo de 5 à 7', 1962, '', '', 'Yes', '', '2024-02-28']]),
        'ratings.csv': csv([RATINGS, ['2020-01-01', 'Blade Runner', 1982, '', '5'], ['2020-01-01', 'Heat', 1995, '', '1']]),
        'reviews.csv': csv([REVIEWS, ['2020-01-01', 'Heat', 1995, '', '1', '', 'An old review.', '', '']]),
      }),
    );
    // One viewing of Cléo that day was logged already: only the second one is new.
    assert.equal(summary.created.diary, 1);
    assert.equal(summary.created.reviews, 0);
    assert.equal(summary.created.ratings, 0, 'both ratings the member has are newer than 2020');
    assert.equal(await ratingOf(me, m.blade!), 2.5);
    assert.equal(await ratingOf(me, m.heat!), 3);
    assert.deepEqual((await reviewsOf(me)).map((r) => r.review), ['Mine, already.']);
  });

  it('takes one CSV alone: raw with a BOM and CRLF (named by ?name=), or multipart (named by its file name); an unnamed four-column CSV must be named', async () => {
    const me = fresh();
    const body = `\uFEFF${csv([FILMS, ['2024-01-01', 'heat', 1995, '']], '\r\n')}`;
    const raw = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/me/import/letterboxd?name=watchlist.csv', headers: { ...bearer(me.token), 'content-type': 'text/csv' }, payload: body });
    assert.equal(raw.statusCode, 200, raw.body);
    assert.equal(raw.json<Summary>().created.watchlist, 1);
    assert.deepEqual(await watchlistOf(me), [m.heat]);

    const other = fresh();
    const form = multipartBody([{ name: 'file', filename: 'ratings.csv', contentType: 'text/csv', data: csv([RATINGS, ['2024-01-01', 'Roma', 2018, '', '3.5']]) }]);
    const multi = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/me/import/letterboxd', headers: { ...bearer(other.token), 'content-type': form.contentType }, payload: form.payload });
    assert.equal(multi.statusCode, 200, multi.body);
    assert.equal(await ratingOf(other, m.roma!), 3.5);

    // Without a name, the columns say which file it is, except the watchlist's and watched.csv's alike.
    const third = fresh();
    const unnamed = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/me/import/letterboxd', headers: { ...bearer(third.token), 'content-type': 'text/csv' }, payload: csv([FILMS, ['2024-01-01', 'Heat', 1995, '']]) });
    assert.equal(issueOf(unnamed).type, 'import_unknown_file');
    const fourth = fresh();
    const diary = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/me/import/letterboxd', headers: { ...bearer(fourth.token), 'content-type': 'text/csv' }, payload: csv([DIARY, ['2024-01-01', 'Heat', 1995, '', '3', '', '', '2024-01-01']]) });
    assert.equal(diary.statusCode, 200, diary.body);
    assert.equal(diary.json<Summary>().created.diary, 1);
  });

  it('refuses a malformed file with a 422 naming the file and line, and keeps nothing of the import', async () => {
    const good = ['2024-03-01', 'Heat', 1995, '', '4', '', '', '2024-02-28'];
    const cases: [string, Record<string, string>, { type: string; file: string; line?: number; column?: string }][] = [
      ['a rating not in half stars', { 'diary.csv': csv([DIARY, good, ['2024-03-01', 'Roma', 2018, '', '3.3', '', '', '2024-02-28']]) }, { type: 'import_bad_value', file: 'diary.csv', line: 3, column: 'Rating' }],
      ['a bad date', { 'diary.csv': csv([DIARY, good, good, ['2024-03-01', 'Roma', 2018, '', '3', '', '', '2024-02-30']]) }, { type: 'import_bad_value', file: 'diary.csv', line: 4, column: 'Watched Date' }],
      ['a watched date in the future', { 'diary.csv': csv([DIARY, ['2024-03-01', 'Roma', 2018, '', '3', '', '', '2999-01-01']]) }, { type: 'import_bad_value', file: 'diary.csv', line: 2, column: 'Watched Date' }],
      ['a missing column', { 'diary.csv': csv([DIARY, good]), 'ratings.csv': csv([['Date', 'Name', 'Year', 'Letterboxd URI'], ['2024-01-01', 'Heat', 1995, '']]) }, { type: 'import_missing_column', file: 'ratings.csv' }],
      ['an unclosed quote', { 'diary.csv': csv([DIARY, good]), 'reviews.csv': `${record(REVIEWS)}\n2024-01-01,Heat,1995,,4,,"Never closed,,,\n` }, { type: 'import_csv_syntax', file: 'reviews.csv' }],
      ['a row with too many fields', { 'watchlist.csv': `${record(FILMS)}\n2024-01-01,Heat,1995,,extra\n` }, { type: 'import_csv_syntax', file: 'watchlist.csv', line: 2 }],
      ['a list file out of layout', { 'diary.csv': csv([DIARY, good]), 'lists/x.csv': csv([['Position', 'Name', 'Year'], [1, 'Heat', 1995]]) }, { type: 'import_list_layout', file: 'lists/x.csv', line: 1 }],
      ['more rows than an import takes', { 'watched.csv': csv([FILMS, ...Array.from({ length: 100_000 }, () => ['2024-01-01', 'Heat', 1995, ''])]) }, { type: 'import_too_many_rows', file: 'watched.csv', line: 100_001 }],
      ['a year that is not one', { 'watched.csv': csv([FILMS, ['2024-01-01', 'Heat', 'MCMXCV', '']]) }, { type: 'import_bad_value', file: 'watched.csv', line: 2, column: 'Year' }],
    ];
    for (const [what, files, expected] of cases) {
      const me = fresh();
      const res = await importZip(me, await zipOf(files));
      const issue = issueOf(res);
      assert.equal(issue.type, expected.type, `${what}: ${res.body}`);
      assert.deepEqual(issue.loc, ['body', 'file']);
      assert.equal(issue.ctx?.file, expected.file, what);
      if (expected.line !== undefined) assert.equal(issue.ctx?.line, expected.line, what);
      if (expected.column !== undefined) assert.equal(issue.ctx?.column, expected.column, what);
      assert.match(issue.msg, new RegExp(expected.file.replace('.', '\\.')), what);
      assert.deepEqual(await diaryOf(me), [], `${what}: nothing kept`);
      assert.equal(await ratingOf(me, m.heat!), null, `${what}: nothing kept`);
      assert.deepEqual(await watchlistOf(me), [], `${what}: nothing kept`);
    }
  });

  it('refuses archives that would hurt: inflating past 100 MiB (declared or actual), over 10,000 entries, a path out, an encrypted entry; and an upload over 20 MiB', async () => {
    const diary = csv([DIARY, ['2024-03-01', 'Heat', 1995, '', '4', '', '', '2024-02-28']]);
    const base = await zipOf({ 'diary.csv': diary });
    const expectIssue = async (zip: Buffer, type: string) => {
      const me = fresh();
      const issue = issueOf(await importZip(me, zip));
      assert.equal(issue.type, type);
      assert.deepEqual(await diaryOf(me), []);
    };
    await expectIssue(patchZip(base, { size: 101 * 1024 * 1024 }), 'zip_too_large');
    await expectIssue(patchZip(base, { size: 10 }), 'zip_size_mismatch');
    await expectIssue(patchZip(base, { flags: 1 }), 'zip_encrypted');
    await expectIssue(renameInZip(await zipOf({ 'xx/evil.csv': diary }), 'xx/evil.csv', '../evil.csv'), 'zip_unsafe_path');
    await expectIssue(renameInZip(await zipOf({ 'xdiary.csv': diary }), 'xdiary.csv', '/diary.csv'), 'zip_unsafe_path');
    const many: Record<string, string> = { 'diary.csv': diary };
    for (let i = 0; i < 10_000; i++) many[`e/${i}.txt`] = '';
    await expectIssue(await zipOf(many, { compress: false }), 'zip_too_many_entries');
    await expectIssue(Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(100, 7)]), 'zip_malformed');
    // 20 separate files' worth of zeros squeezed into a real deflate stream still declares its size: refused before inflating.
    await expectIssue(await zipOf({ 'diary.csv': Buffer.alloc(101 * 1024 * 1024, 0x20) }), 'zip_too_large');

    const me = fresh();
    const big = await importZip(me, Buffer.alloc(20 * 1024 * 1024 + 1, 0x41));
    assert.equal(big.statusCode, 413, big.body);
  });

  it('throttles imports and exports to one a minute per member (429 with Retry-After)', async () => {
    const me = fresh();
    const zip = await zipOf({ 'watched.csv': csv([FILMS]) });
    assert.equal((await importZip(me, zip)).statusCode, 200);
    const second = await importZip(me, zip);
    assert.equal(second.statusCode, 429, second.body);
    assert.ok(Number(second.headers['retry-after']) >= 1 && Number(second.headers['retry-after']) <= 60);
    const exp = () => ctx.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: bearer(me.token) });
    assert.equal((await exp()).statusCode, 200, 'the export has its own allowance');
    const again = await exp();
    assert.equal(again.statusCode, 429);
    assert.ok(again.headers['retry-after']);
    const anonymous = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me/export' });
    assert.equal(anonymous.statusCode, 401);
  });

  it("puts nothing in followers' feeds: an import is history", async () => {
    const [me, follower] = [fresh(), fresh()];
    const follow = await ctx.app.inject({ method: 'PUT', url: `/api/v1/users/me/following/${me.id}`, headers: bearer(follower.token) });
    assert.equal(follow.statusCode, 204);
    const summary = await imported(me, await letterboxdExport());
    assert.ok(summary.created.diary > 0);
    assert.deepEqual(await get(follower, '/api/v1/users/me/feed'), []);
  });
});

describe('matching and refusing, the finer points', () => {
  it('a year off by one only when one movie is; no year only when one movie has the title; of two of one title and year, the most rated', async () => {
    const rater = fresh();
    assert.equal((await ctx.app.inject({ method: 'PUT', url: `/api/v1/movies/${m.twinsB}/rating`, headers: bearer(rater.token), payload: { rating: 4 } })).statusCode, 200);
    const me = fresh();
    const summary = await imported(
      me,
      await zipOf({
        'watchlist.csv': csv([
          FILMS,
          ['2024-01-01', 'Twin Peaks Film', 2001, ''], // 2000 and 2002 are both one year off: neither
          ['2024-01-02', 'Heat', '', ''], // no year, one Heat
          ['2024-01-03', 'Solaris', '', ''], // no year, two Solaris
          ['2024-01-04', 'twins', 1988, ''], // two of one title and year: the rated one
        ]),
      }),
    );
    assert.deepEqual(summary.unmatched, [
      { name: 'Twin Peaks Film', year: 2001 },
      { name: 'Solaris', year: null },
    ]);
    assert.deepEqual(await watchlistOf(me), [m.twinsB, m.heat]);
  });

  it('refuses a damaged butaca.json, a raw body that is no file (415), a chunked upload past 20 MiB (413), and keeps nothing when a write inside the transaction is refused', async () => {
    const diary = csv([DIARY, ['2024-03-01', 'Heat', 1995, '', '4', '', '', '2024-02-28']]);
    const damaged = patchZip(await zipOf({ 'butaca.json': JSON.stringify({ format: 'butaca-export', lists: [] }) }), { size: 5 });
    const first = fresh();
    assert.equal(issueOf(await importZip(first, damaged)).type, 'zip_size_mismatch');

    const second = fresh();
    const json = await ctx.app.inject({ method: 'POST', url: '/api/v1/users/me/import/letterboxd', headers: { ...bearer(second.token), 'content-type': 'application/json' }, payload: '{"diary": []}' });
    assert.equal(json.statusCode, 415, json.body);

    const third = fresh();
    const chunked = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users/me/import/letterboxd',
      headers: { ...bearer(third.token), 'content-type': 'application/zip' },
      payload: Readable.from((function* () {
        for (let i = 0; i < 21; i++) yield Buffer.alloc(1024 * 1024, 0x41);
      })()),
    });
    assert.equal(chunked.statusCode, 413, chunked.body);

    // 1,000 lists already: the import's list is refused inside the transaction, after its diary entry was written.
    const full = fresh();
    const now = new Date().toISOString();
    const rows = Array.from({ length: 1000 }, (_, i) => ({ user_id: full.id, title: `L${i}`, description: null, ranked: 0, public: 0, created_at: now, updated_at: now }));
    for (let i = 0; i < rows.length; i += 200) await ctx.db.insertInto('lists').values(rows.slice(i, i + 200)).execute();
    const refused = await importZip(full, await zipOf({ 'diary.csv': diary, 'watchlist.csv': csv([FILMS, ['2024-01-01', 'Roma', 2018, '']]), 'lists/new.csv': listFile('One too many', '', [[1, 'Heat', 1995, '', '']]) }));
    assert.equal(issueOf(refused).type, 'too_many_lists');
    assert.deepEqual(await diaryOf(full), [], 'the diary entry written before the refusal is gone');
    assert.deepEqual(await watchlistOf(full), []);
    assert.equal(await ratingOf(full, m.heat!), null);
  });

  it('two members importing the same films in opposite orders at once both succeed', async () => {
    const titles: string[] = [];
    for (let i = 0; i < 120; i++) {
      titles.push(`Crowded Film ${i}`);
      await createMovie(ctx.app, admin, { title: `Crowded Film ${i}`, year: 2010 });
    }
    const ratings = (order: string[]) => zipOf({ 'ratings.csv': csv([RATINGS, ...order.map((t, i) => ['2024-01-01', t, 2010, '', String((1 + (i % 10)) / 2)])]) });
    const [a, b] = [fresh(), fresh()];
    for (let round = 0; round < 3; round++) {
      await Promise.all([allowAnother(a, 'import'), allowAnother(b, 'import')]);
      const [one, two] = await Promise.all([importZip(a, await ratings(titles)), importZip(b, await ratings([...titles].reverse()))]);
      assert.equal(one.statusCode, 200, one.body);
      assert.equal(two.statusCode, 200, two.body);
    }
  });

  it('answers HEAD on the export without making it or spending the minute', async () => {
    const me = fresh();
    const head = await ctx.app.inject({ method: 'HEAD', url: '/api/v1/users/me/export', headers: bearer(me.token) });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-type'], 'application/zip');
    assert.equal(head.body, '');
    const get = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: bearer(me.token) });
    assert.equal(get.statusCode, 200);
    assert.ok((await unzip(get.rawPayload)).has('butaca.json'));
  });
});

describe('exporting a member\'s data', () => {
  it("streams a ZIP of Letterboxd's CSVs and butaca.json with the profile, follows, comments and likes", async () => {
    const [me, friend] = [fresh(), fresh()];
    const call = (who: Member, method: 'PUT' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
      ctx.app.inject({ method, url, headers: bearer(who.token), ...(payload === undefined ? {} : { payload: payload as object }) });
    assert.equal((await call(me, 'PATCH', '/api/v1/users/me', { display_name: 'Cinéfila', bio: 'Films, mostly.' })).statusCode, 200);
    assert.equal((await call(me, 'POST', '/api/v1/diary', { movie_id: m.paris, watched_on: '2024-05-01', rating: 4.5, rewatch: true, tags: ['road', 'desert'] })).statusCode, 201);
    const review = await call(me, 'POST', '/api/v1/reviews', { movie_id: m.paris, review: 'Harry Dean Stanton, walking,\n"silent".', rating: 4.5 });
    assert.equal(review.statusCode, 201, review.body);
    const theirs = await call(friend, 'POST', '/api/v1/reviews', { movie_id: m.heat, review: 'The diner scene.', rating: 5 });
    assert.equal((await call(me, 'PUT', `/api/v1/reviews/${theirs.json<{ id: number }>().id}/like`)).statusCode, 204);
    assert.equal((await call(me, 'POST', `/api/v1/reviews/${theirs.json<{ id: number }>().id}/comments`, { text: 'Agreed.' })).statusCode, 201);
    assert.equal((await call(me, 'PUT', `/api/v1/users/me/following/${friend.id}`)).statusCode, 204);
    assert.equal((await call(me, 'PUT', `/api/v1/users/me/watchlist/${m.thing}`)).statusCode, 204);
    const list = (await call(me, 'POST', '/api/v1/lists', { title: 'Road / movies', description: 'On the road', ranked: true })).json<{ id: number }>();
    assert.equal((await call(me, 'PUT', `/api/v1/lists/${list.id}/items/${m.paris}`, { note: 'The best' })).statusCode, 200);

    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: bearer(me.token) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/zip');
    assert.match(String(res.headers['content-disposition']), new RegExp(`^attachment; filename="butaca-${me.username}-\\d{4}-\\d{2}-\\d{2}\\.zip"$`));
    assert.match(String(res.headers['cache-control']), /no-store/);
    const files = await unzip(res.rawPayload);
    assert.deepEqual([...files.keys()], ['diary.csv', 'ratings.csv', 'reviews.csv', 'watchlist.csv', 'lists/Road - movies.csv', 'butaca.json']);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(files.get('diary.csv')!.toString(), `${record(DIARY)}\n${record([today, 'Paris, Texas', 1984, '', '4.5', 'Yes', 'road, desert', '2024-05-01'])}\n`);
    assert.equal(files.get('ratings.csv')!.toString(), `${record(RATINGS)}\n${record([today, 'Paris, Texas', 1984, '', '4.5'])}\n`);
    assert.equal(files.get('reviews.csv')!.toString(), `${record(REVIEWS)}\n${record([today, 'Paris, Texas', 1984, '', '4.5', '', 'Harry Dean Stanton, walking,\n"silent".', '', ''])}\n`);
    assert.equal(files.get('watchlist.csv')!.toString(), `${record(FILMS)}\n${record([today, 'The Thing', 1982, ''])}\n`);
    assert.equal(files.get('lists/Road - movies.csv')!.toString(), listFile('Road / movies', 'On the road', [[1, 'Paris, Texas', 1984, '', 'The best']]).replace('https://boxd.it/x', '').replace('2024-01-02', today));
    const json = JSON.parse(files.get('butaca.json')!.toString()) as Record<string, unknown> & { profile: Record<string, unknown>; following: { username: string }[]; comments: { text: string }[]; likes: unknown[]; lists: { title: string; ranked: boolean; items: unknown[] }[] };
    assert.equal(json.format, 'butaca-export');
    assert.equal(json.profile.username, me.username);
    assert.equal(json.profile.display_name, 'Cinéfila');
    assert.deepEqual(json.following.map((f) => f.username), [friend.username]);
    assert.deepEqual(json.comments.map((c) => c.text), ['Agreed.']);
    assert.equal(json.likes.length, 1);
    assert.deepEqual(json.lists.map((l) => [l.title, l.ranked, l.items.length]), [['Road / movies', true, 1]]);
    for (const key of ['diary', 'ratings', 'reviews', 'watchlist', 'followers']) assert.ok(Array.isArray(json[key]), key);
  });

  it("of a member with nothing: the files with their headers alone, and a butaca.json of empty arrays", async () => {
    const me = fresh();
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: bearer(me.token) });
    assert.equal(res.statusCode, 200);
    const files = await unzip(res.rawPayload);
    assert.equal(files.get('diary.csv')!.toString(), `${record(DIARY)}\n`);
    assert.equal(files.get('watchlist.csv')!.toString(), `${record(FILMS)}\n`);
    const json = JSON.parse(files.get('butaca.json')!.toString()) as Record<string, unknown[]>;
    for (const key of ['diary', 'ratings', 'reviews', 'watchlist', 'lists', 'following', 'followers', 'comments', 'likes']) assert.deepEqual(json[key], [], key);
    // And an empty export imports as nothing.
    const other = fresh();
    const summary = await imported(other, res.rawPayload);
    assert.deepEqual(summary, { matched: 0, unmatched: [], created: { diary: 0, ratings: 0, reviews: 0, watchlist: 0, lists: 0 }, skipped: [] });
  });
});

describe('a round trip', () => {
  it('from one account to a fresh one keeps the diary, ratings, reviews, watchlist and lists (property)', async () => {
    // Films Letterboxd's name and year tell apart: the two Twins of 1988 are one name to the format.
    const movies = Object.entries(m).filter(([key]) => !key.startsWith('twins')).map(([, id]) => id);
    const text = fc
      .array(fc.constantFrom('a', 'é', ',', '"', '\n', ' ', 'word', 'ñ', 'Ω', '\r\n'), { minLength: 1, maxLength: 12 })
      .map((parts) => `x${parts.join('')}y`);
    const plan = fc.record({
      diary: fc.array(
        fc.record({
          movie: fc.constantFrom(...movies),
          day: fc.integer({ min: 1, max: 28 }),
          rewatch: fc.boolean(),
          rating: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
          liked: fc.boolean(),
          // Letterboxd separates tags by commas, so a tag with a comma cannot travel: none here.
          tags: fc.uniqueArray(fc.constantFrom('noir', 'Cine club', 'año', '35mm', 'rewatch?'), { maxLength: 3, selector: (t) => t.toLowerCase() }),
        }),
        { maxLength: 8 },
      ),
      ratings: fc.array(fc.record({ movie: fc.constantFrom(...movies), halves: fc.integer({ min: 1, max: 10 }) }), { maxLength: 5 }),
      reviews: fc.uniqueArray(fc.record({ movie: fc.constantFrom(...movies), text, halves: fc.integer({ min: 1, max: 10 }), spoiler: fc.boolean() }), { maxLength: 4, selector: (r) => r.movie }),
      watchlist: fc.uniqueArray(fc.constantFrom(...movies), { maxLength: 5 }),
      lists: fc.array(
        fc.record({
          title: fc.constantFrom('Favourites', 'Road / movies', 'Para ver, ¿sí?', 'Favourites'),
          description: fc.option(text, { nil: null }),
          ranked: fc.boolean(),
          public: fc.boolean(),
          items: fc.uniqueArray(fc.record({ movie: fc.constantFrom(...movies), note: fc.option(text, { nil: null }) }), { maxLength: 4, selector: (i) => i.movie }),
        }),
        { maxLength: 3 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(plan, async (p) => {
        const [from, to] = [fresh(), fresh()];
        const call = async (method: 'PUT' | 'POST', url: string, payload?: unknown) => {
          const res = await ctx.app.inject({ method, url, headers: bearer(from.token), ...(payload === undefined ? {} : { payload: payload as object }) });
          assert.ok(res.statusCode < 300, `${method} ${url}: ${res.body}`);
          return res;
        };
        for (const r of p.reviews) await call('POST', '/api/v1/reviews', { movie_id: r.movie, review: r.text, rating: r.halves / 2, spoiler: r.spoiler });
        for (const r of p.ratings) await call('PUT', `/api/v1/movies/${r.movie}/rating`, { rating: r.halves / 2 });
        for (const d of p.diary) {
          await call('POST', '/api/v1/diary', { movie_id: d.movie, watched_on: `2024-04-${String(d.day).padStart(2, '0')}`, rewatch: d.rewatch, rating: d.rating === null ? undefined : d.rating / 2, liked: d.liked, tags: d.tags });
        }
        for (const w of p.watchlist) await call('PUT', `/api/v1/users/me/watchlist/${w}`);
        for (const l of p.lists) {
          const made = (await call('POST', '/api/v1/lists', { title: l.title, description: l.description, ranked: l.ranked, public: l.public })).json<{ id: number }>();
          for (const item of l.items) await call('PUT', `/api/v1/lists/${made.id}/items/${item.movie}`, { note: item.note });
        }
        const exported = await ctx.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: bearer(from.token) });
        assert.equal(exported.statusCode, 200);
        await imported(to, exported.rawPayload);

        const strip = (entries: DiaryEntry[]) => entries.map((e) => ({ movie: e.movie.id, watched_on: e.watched_on, rewatch: e.rewatch, rating: e.rating, liked: e.liked, tags: e.tags }));
        assert.deepEqual(strip(await diaryOf(to)), strip(await diaryOf(from)), 'diary');
        for (const movie of movies) assert.equal(await ratingOf(to, movie), await ratingOf(from, movie), `rating of ${movie}`);
        const reviews = async (who: Member) => (await reviewsOf(who)).map((r) => ({ movie: r.movie.id, review: r.review, rating: r.rating, spoiler: r.spoiler })).sort((a, b) => a.movie - b.movie);
        assert.deepEqual(await reviews(to), await reviews(from), 'reviews');
        assert.deepEqual(await watchlistOf(to), await watchlistOf(from), 'watchlist');
        const lists = async (who: Member) =>
          Promise.all((await listsOf(who)).map(async (l) => ({ title: l.title, description: l.description, ranked: l.ranked, public: l.public, items: await itemsOf(who, l.id) })));
        assert.deepEqual(await lists(to), await lists(from), 'lists');
      }),
      { numRuns: 12, seed: 20261202 },
    );
  });
});
