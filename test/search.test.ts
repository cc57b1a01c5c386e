import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type CallOptions, type Method, type TestContext, adminToken, assertInvalid, callAs, createMovie, startApp, userToken } from './support/app.js';
import { GENRES } from '../src/domain/enums.js';
import { searchWords } from '../src/domain/text.js';
import { inTransaction } from '../src/db/transaction.js';
import { insertMovie } from '../src/modules/movies/index.js';

/*
 * community.md, "Search and the catalogue": full-text search of the movie list (`q`), the search of
 * everything (`/api/v1/search`), the catalogue's metadata and its filters, through HTTP on the
 * database the suite runs on (TEST_DATABASE). test/search-parity.test.ts runs the same queries on
 * both databases at once and compares.
 */

interface Movie {
  id: number;
  title: string;
  year: number | null;
  original_title: string | null;
  directors: string[];
  genres: string[];
  runtime: number | null;
  imdb_id: string | null;
}

let ctx: TestContext;
let admin: string;
const call = (method: Method, url: string, opts: CallOptions = {}) => callAs(ctx.app, method, url, opts);
const titles = async (query: string): Promise<string[]> => {
  const res = await call('GET', `/api/v1/movies?${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<Movie[]>().map((m) => m.title);
};
const q = (text: string, extra = '') => titles(`q=${encodeURIComponent(text)}${extra}`);

/** The contract's examples, and movies to rank and filter. */
const CATALOGUE = [
  { title: 'Cléo from 5 to 7', original_title: 'Cléo de 5 à 7', year: 1962, directors: ['Agnès Varda'], genres: ['drama', 'music'], runtime: 90 },
  { title: 'El espíritu de la colmena', year: 1973, directors: ['Víctor Erice'], genres: ['drama', 'fantasy'], runtime: 97 },
  { title: 'Blade Runner', year: 1982, directors: ['Ridley Scott'], genres: ['action', 'drama', 'sci-fi'], runtime: 117 },
  { title: 'El laberinto del fauno', year: 2006, directors: ['Guillermo del Toro'], genres: ['drama', 'fantasy', 'war'], runtime: 118 },
  { title: 'Alien', year: 1979, directors: ['Ridley Scott'], genres: ['horror', 'sci-fi'], runtime: 117 },
  { title: 'Mujeres al borde de un ataque de nervios', year: 1988, directors: ['Pedro Almodóvar'], genres: ['comedy', 'drama'], runtime: 88 },
  { title: 'Volver', year: 2006, directors: ['Pedro Almodóvar'], genres: ['comedy', 'drama'], runtime: 121, synopsis: 'Raimunda goes back to the village where her mother, a ghost, is waiting.' },
  // Words that only a director's name, or only a synopsis, has: the tiers' order.
  { title: 'Scott of the Antarctic', year: 1948, directors: ['Charles Frend'], genres: ['adventure'], runtime: 110 },
  { title: 'The Duellists', year: 1977, directors: ['Ridley Scott'], genres: ['drama', 'war'], runtime: 100, synopsis: 'Two officers of Napoleon’s army duel for years.' },
  { title: 'Polar Journey', year: 1991, directors: ['Ann Other'], genres: ['documentary'], runtime: 60, synopsis: 'Retracing Scott and Amundsen to the pole.' },
];

describe('Search and the catalogue', () => {
  const ids = new Map<string, number>();
  before(async () => {
    ctx = await startApp();
    admin = await adminToken(ctx);
    for (const movie of CATALOGUE) ids.set(movie.title, (await createMovie(ctx.app, admin, movie)).id);
  });
  after(() => ctx.close());

  describe('GET /api/v1/movies?q=: full-text search', () => {
    it('ignores case and accents both ways: cleo finds “Cléo de 5 à 7” (its original title), espiritu “El espíritu de la colmena”', async () => {
      assert.deepEqual(await q('cleo'), ['Cléo from 5 to 7']);
      assert.deepEqual(await q('CLÉO DE 5 À 7'), ['Cléo from 5 to 7']);
      assert.deepEqual(await q('espiritu'), ['El espíritu de la colmena']);
      assert.deepEqual(await q('ESPÍRITU colmena'), ['El espíritu de la colmena']);
      assert.deepEqual(await q('agnes varda'), ['Cléo from 5 to 7']); // a director, unaccented
    });

    it('ignores word order and matches word prefixes: runner blade finds “Blade Runner”, labe “El laberinto del fauno”', async () => {
      assert.deepEqual(await q('runner blade'), ['Blade Runner']);
      assert.deepEqual(await q('blade runner'), ['Blade Runner']);
      assert.deepEqual(await q('run bla'), ['Blade Runner']);
      assert.deepEqual(await q('labe'), ['El laberinto del fauno']);
      assert.deepEqual(await q('aberinto'), []); // the start of a word, not any part of it
      assert.deepEqual(await q('blade alien'), []); // every word must match
    });

    it('searches the synopsis too, and ranks title matches before director matches before synopsis matches, ties by id', async () => {
      // "Scott": a title (Scott of the Antarctic), the director of three, the synopsis of one.
      assert.deepEqual(await q('scott'), ['Scott of the Antarctic', 'Blade Runner', 'Alien', 'The Duellists', 'Polar Journey']);
      assert.deepEqual(await q('village ghost'), ['Volver']);
      const res = await call('GET', '/api/v1/movies?q=scott&limit=2&page=2');
      assert.equal(res.headers['x-total-count'], '5');
      assert.deepEqual(res.json<Movie[]>().map((m) => m.title), ['Alien', 'The Duellists']);
    });

    it('ranks ties by id, however many ratings each has; a page past the first skips whole tiers', async () => {
      const member = await userToken(ctx.app, 'rater');
      const alien = ids.get('Alien')!;
      const rated = await call('PUT', `/api/v1/movies/${alien}/rating`, { token: member, payload: { rating: 4 } });
      assert.ok([200, 201].includes(rated.statusCode), rated.body);
      assert.deepEqual(await q('scott'), ['Scott of the Antarctic', 'Blade Runner', 'Alien', 'The Duellists', 'Polar Journey']);
      for (const [page, expected] of [[1, ['Scott of the Antarctic', 'Blade Runner']], [2, ['Alien', 'The Duellists']], [3, ['Polar Journey']], [4, []]] as const) {
        const res = await call('GET', `/api/v1/movies?q=scott&limit=2&page=${page}`);
        assert.deepEqual(res.json<Movie[]>().map((m) => m.title), expected, `page ${page}`);
        assert.equal(res.headers['x-total-count'], '5');
      }
      await call('DELETE', `/api/v1/movies/${alien}/rating`, { token: member });
    });

    it('ranks titles, then directors, then synopses, each by id, and counts exactly, in a small match and in one of over 1,000 rows', async () => {
      // A fresh database of its own: the counts are of these movies alone.
      const own = await startApp();
      try {
        const token = await adminToken(own);
        const make = (title: string, extra: Record<string, unknown>) => createMovie(own.app, token, { title, ...extra });
        const page = async (text: string, query: string) => {
          const res = await callAs(own.app, 'GET', `/api/v1/movies?q=${text}&${query}`);
          assert.equal(res.statusCode, 200, res.body);
          return { titles: res.json<Movie[]>().map((m) => m.title), total: Number(res.headers['x-total-count']) };
        };
        for (const t of ['S1', 'S2']) await make(`${t} synopsis`, { synopsis: 'Quixotic and zorblax.' });
        await make('D1 director', { directors: ['Ana Quixotic'] });
        for (const t of ['T1', 'T2']) await make(`${t} quixotic zorblax`, {});
        assert.deepEqual(await page('quixotic', 'limit=10'), { titles: ['T1 quixotic zorblax', 'T2 quixotic zorblax', 'D1 director', 'S1 synopsis', 'S2 synopsis'], total: 5 });
        assert.deepEqual(await page('quixotic', 'limit=3'), { titles: ['T1 quixotic zorblax', 'T2 quixotic zorblax', 'D1 director'], total: 5 });
        assert.deepEqual(await page('quixotic', 'limit=3&page=2'), { titles: ['S1 synopsis', 'S2 synopsis'], total: 5 });
        // 1,001 more synopses with the word, written in one transaction through the data layer.
        await inTransaction(own.db, async (trx) => {
          for (let i = 0; i < 1001; i++) await insertMovie(trx, { title: `Bulk ${String(i).padStart(4, '0')}`, year: null, synopsis: 'Zorblax again.', original_title: null, directors: [], genres: [], runtime: null, imdb_id: null });
        });
        const wide = await page('zorblax', 'limit=4');
        assert.deepEqual(wide, { titles: ['T1 quixotic zorblax', 'T2 quixotic zorblax', 'S1 synopsis', 'S2 synopsis'], total: 1005 });
        assert.deepEqual(await page('zorblax', 'limit=4&page=2'), { titles: ['Bulk 0000', 'Bulk 0001', 'Bulk 0002', 'Bulk 0003'], total: 1005 });
        assert.deepEqual(await page('quixotic%20zorblax', 'limit=10'), { titles: ['T1 quixotic zorblax', 'T2 quixotic zorblax', 'S1 synopsis', 'S2 synopsis'], total: 4 });
      } finally {
        await own.close();
      }
    });

    it('with a sort, orders the matches by it', async () => {
      assert.deepEqual(await q('scott', '&sort=year'), ['Scott of the Antarctic', 'The Duellists', 'Alien', 'Blade Runner', 'Polar Journey']);
      assert.deepEqual(await q('scott', '&sort=title&order=desc'), ['The Duellists', 'Scott of the Antarctic', 'Polar Journey', 'Blade Runner', 'Alien']);
    });

    it('keeps the index in step with every write: an edited title, directors, synopsis; a deleted movie', async () => {
      const { id } = await createMovie(ctx.app, admin, { title: 'Zzyzx Road', synopsis: 'A quokka crosses the desert.' });
      assert.deepEqual(await q('zzyzx'), ['Zzyzx Road']);
      assert.deepEqual(await q('quokka'), ['Zzyzx Road']);
      await call('PATCH', `/api/v1/movies/${id}`, { token: admin, payload: { title: 'Xyzzy Lane', synopsis: 'A wombat.', directors: ['Ñoño Fernández'] } });
      assert.deepEqual(await q('zzyzx'), []);
      assert.deepEqual(await q('quokka'), []);
      assert.deepEqual(await q('xyzzy wombat'), ['Xyzzy Lane']);
      assert.deepEqual(await q('nono fernandez'), ['Xyzzy Lane']);
      assert.equal((await call('DELETE', `/api/v1/movies/${id}`, { token: admin })).statusCode, 204);
      assert.deepEqual(await q('xyzzy'), []);
    });

    it('matches a word by its beginning at every length, from one letter to the whole word and past the prefix indexes (12 characters)', async () => {
      // SQLite answers prefixes of 1 to 12 characters from indexes of their own (migration 0012)
      // and longer ones by merging the terms that start so; PostgreSQL from GIN alone: the same answer.
      const word = 'Hyperventilationsmuseum';
      const { id } = await createMovie(ctx.app, admin, { title: `The ${word}`, synopsis: 'Ñandúes sobrevolándolo.' });
      for (let n = 1; n <= word.length; n++) {
        const found = await call('GET', `/api/v1/movies?q=${encodeURIComponent(word.slice(0, n))}&limit=100`);
        assert.ok(found.json<Movie[]>().some((m) => m.id === id), `${word.slice(0, n)} (${n} characters) finds it`);
      }
      assert.deepEqual(await q(`${word}s`), []);
      for (const prefix of ['nand', 'nandues', 'sobrevolandol', 'SOBREVOLÁNDOLO']) assert.deepEqual(await q(prefix), [`The ${word}`], prefix);
      assert.equal((await call('DELETE', `/api/v1/movies/${id}`, { token: admin })).statusCode, 204);
    });

    it('reads a word as FTS5 does where their Unicode tables differ: ᦂᦱᦂ is found, not refused as a phrase', async () => {
      const { id } = await createMovie(ctx.app, admin, { title: 'ᦂᦱᦂ ᦃᳲ᦭', synopsis: 'Tai Lue.' });
      for (const text of ['ᦂᦱᦂ', 'ᦂᦱ', 'xᦱᦂ tai', 'ᦃᳲ', 'ᳲᦃ lue']) {
        for (const url of [`/api/v1/movies?q=${encodeURIComponent(text)}`, `/api/v1/search?q=${encodeURIComponent(text)}`]) {
          const res = await call('GET', url);
          assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
        }
      }
      // PostgreSQL's parser has tables of its own again: found on SQLite, answered on both.
      if (ctx.config.database.kind === 'sqlite') assert.deepEqual(await q('ᦂᦱᦂ'), ['ᦂᦱᦂ ᦃᳲ᦭']);
      assert.equal((await call('DELETE', `/api/v1/movies/${id}`, { token: admin })).statusCode, 204);
    });

    it('FTS5 and JavaScript read every character of the first 0x250 alike (the fast path of src/db/fts5-words.ts)', async () => {
      const { default: SQLite } = await import('better-sqlite3');
      const db = new SQLite(':memory:');
      try {
        db.exec("create virtual table f using fts5(a, tokenize='unicode61 remove_diacritics 2', detail=column)");
        const match = db.prepare('select rowid from f where f match ?');
        const refused: string[] = [];
        for (let cp = 0; cp < 0x250; cp++) {
          for (const word of searchWords(`a${String.fromCodePoint(cp)}b`)) {
            try {
              match.all(`"${word.replaceAll('"', '""')}"*`);
            } catch {
              refused.push(cp.toString(16));
            }
          }
        }
        assert.deepEqual(refused, []);
      } finally {
        db.close();
      }
    });

    it('searches any text as text: operators, quotes, a 200-character query, 30 words and more: 200, never an error', async () => {
      for (const text of ['"', '*', 'NEAR', 'NEAR(a b)', 'a:b', 'title:blade', '&', '|', '!', 'blade & runner', 'blade | alien', '!blade', '(', ')', '^blade', '-blade', "'", "blade'", 'AND', 'OR NOT', '{title}: blade', '\\']) {
        const res = await call('GET', `/api/v1/movies?q=${encodeURIComponent(text)}`);
        assert.equal(res.statusCode, 200, `${text}: ${res.body}`);
      }
      assert.deepEqual(await q('"blade" runner*'), ['Blade Runner']);
      assert.deepEqual(await q('title:blade'), []); // "title" is a word to find, not a column
      assert.deepEqual(await q('blade:runner'), ['Blade Runner']);
      const long = `blade ${'r'.repeat(194)}`; // 200 characters
      assert.equal((await call('GET', `/api/v1/movies?q=${long}`)).statusCode, 200);
      const words = Array.from({ length: 33 }, () => 'blade').join(' '); // repeats count once
      assert.deepEqual(await q(words), ['Blade Runner']);
      const many = Array.from({ length: 90 }, (_, i) => `${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)}`).join(' ').slice(0, 200); // past 30 words
      assert.equal((await call('GET', `/api/v1/movies?q=${encodeURIComponent(many)}`)).statusCode, 200);
      const thirty = ['blade', ...Array.from({ length: 29 }, (_, i) => `r${i}`)].join(' ');
      assert.equal((await call('GET', `/api/v1/movies?q=${encodeURIComponent(thirty)}`)).statusCode, 200);
      assertInvalid(await call('GET', `/api/v1/movies?q=${'a'.repeat(201)}`), [['query', 'q']]);
    });

    it('answers any text of up to 200 characters with 200 and an array (property); U+0000 is 422, as in every field', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 200, unit: 'grapheme-composite' }), async (text) => {
          const res = await call('GET', `/api/v1/movies?q=${encodeURIComponent(text)}`);
          if ([...text].length > 200 || text.includes('\u0000')) {
            assert.equal(res.statusCode, 422, JSON.stringify(text));
            return;
          }
          assert.equal(res.statusCode, 200, `${JSON.stringify(text)}: ${res.body}`);
          assert.ok(Array.isArray(res.json()));
        }),
        { numRuns: 150 },
      );
    });
  });

  describe('the movie list’s filters', () => {
    it('genre, decade, year and director, each alone', async () => {
      assert.deepEqual(await titles('genre=sci-fi&sort=id'), ['Blade Runner', 'Alien']);
      assert.deepEqual(await titles('decade=1970&sort=id'), ['El espíritu de la colmena', 'Alien', 'The Duellists']);
      assert.deepEqual(await titles('year=2006&sort=id'), ['El laberinto del fauno', 'Volver']);
      assert.deepEqual(await titles(`director=${encodeURIComponent('pedro almodovar')}&sort=id`), ['Mujeres al borde de un ataque de nervios', 'Volver']);
      assert.deepEqual(await titles(`director=${encodeURIComponent('PEDRO ALMODÓVAR')}`), ['Mujeres al borde de un ataque de nervios', 'Volver']);
      assert.deepEqual(await titles('director=pedro'), []); // the whole name
      // Letters that are not a letter and an accent (ł, ø, ß) are read as their base letters too.
      const { id } = await createMovie(ctx.app, admin, { title: 'Ida', year: 2013, directors: ['Paweł Pawlikowski'] });
      assert.deepEqual(await titles(`director=${encodeURIComponent('pawel pawlikowski')}`), ['Ida']);
      assert.deepEqual(await titles(`director=${encodeURIComponent('PAWEŁ PAWLIKOWSKI')}`), ['Ida']);
      await call('DELETE', `/api/v1/movies/${id}`, { token: admin });
    });

    it('combine with each other, with q and with every sort; X-Total-Count counts what they leave', async () => {
      assert.deepEqual(await titles('genre=drama&decade=1970&sort=id'), ['El espíritu de la colmena', 'The Duellists']);
      assert.deepEqual(await titles(`genre=drama&director=${encodeURIComponent('Ridley Scott')}&sort=year&order=desc`), ['Blade Runner', 'The Duellists']);
      assert.deepEqual(await titles('q=scott&genre=sci-fi'), ['Blade Runner', 'Alien']);
      assert.deepEqual(await titles('q=scott&genre=sci-fi&decade=1970'), ['Alien']);
      for (const sort of ['id', 'title', 'year', 'rating', 'reviews', 'created']) {
        const res = await call('GET', `/api/v1/movies?genre=drama&decade=2000&sort=${sort}`);
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json<Movie[]>().map((m) => m.title).sort(), ['El laberinto del fauno', 'Volver'], sort);
        assert.equal(res.headers['x-total-count'], '2');
      }
      const page = await call('GET', '/api/v1/movies?genre=drama&limit=2&page=2&sort=id');
      assert.equal(page.headers['x-total-count'], '7');
      assert.match(String(page.headers.link), /genre=drama/);
    });

    it('refuses what is not a filter: an unknown genre, a year that is not a decade’s first, years out of range', async () => {
      assertInvalid(await call('GET', '/api/v1/movies?genre=noir'), [['query', 'genre']]);
      assertInvalid(await call('GET', '/api/v1/movies?decade=1995'), [['query', 'decade']]);
      assertInvalid(await call('GET', '/api/v1/movies?decade=1860'), [['query', 'decade']]);
      assertInvalid(await call('GET', '/api/v1/movies?year=1877'), [['query', 'year']]);
      assertInvalid(await call('GET', `/api/v1/movies?director=${'a'.repeat(101)}`), [['query', 'director']]);
      assertInvalid(await call('GET', '/api/v1/movies?director='), [['query', 'director']]);
    });
  });

  describe('the metadata', () => {
    it('is part of every Movie, and admins set it on POST, PUT and PATCH', async () => {
      const res = await call('POST', '/api/v1/movies', {
        token: admin,
        payload: { title: ' Roma ', year: 2018, original_title: ' Roma ', directors: [' Alfonso Cuarón '], genres: ['drama'], runtime: 135, imdb_id: 'tt6155172' },
      });
      assert.equal(res.statusCode, 201, res.body);
      const movie = res.json<Movie>();
      assert.deepEqual(
        { t: movie.title, o: movie.original_title, d: movie.directors, g: movie.genres, r: movie.runtime, i: movie.imdb_id },
        { t: 'Roma', o: 'Roma', d: ['Alfonso Cuarón'], g: ['drama'], r: 135, i: 'tt6155172' },
      );
      const patched = await call('PATCH', `/api/v1/movies/${movie.id}`, { token: admin, payload: { genres: ['drama', 'history'], runtime: null } });
      assert.deepEqual([patched.json<Movie>().genres, patched.json<Movie>().runtime, patched.json<Movie>().directors], [['drama', 'history'], null, ['Alfonso Cuarón']]);
      assert.deepEqual(await titles('genre=history'), ['Roma']);
      // PUT replaces every editable field: what it leaves out is emptied, filters included.
      const put = await call('PUT', `/api/v1/movies/${movie.id}`, { token: admin, payload: { title: 'Roma', year: 2018 } });
      assert.deepEqual([put.json<Movie>().genres, put.json<Movie>().directors, put.json<Movie>().imdb_id, put.json<Movie>().original_title], [[], [], null, null]);
      assert.deepEqual(await titles('genre=history'), []);
      assert.deepEqual(await titles(`director=${encodeURIComponent('Alfonso Cuarón')}`), []);
      const user = await userToken(ctx.app, 'not-an-admin');
      assert.equal((await call('PATCH', `/api/v1/movies/${movie.id}`, { token: user, payload: { genres: ['war'] } })).statusCode, 403);
      await call('DELETE', `/api/v1/movies/${movie.id}`, { token: admin });
    });

    it('is validated, each field at its own place', async () => {
      const post = (payload: object) => call('POST', '/api/v1/movies', { token: admin, payload: { title: 'Valid', ...payload } });
      assertInvalid(await post({ imdb_id: 'tt123456' }), [['body', 'imdb_id']]);
      assertInvalid(await post({ imdb_id: 'tt1234567890' }), [['body', 'imdb_id']]);
      assertInvalid(await post({ imdb_id: 'nm1234567' }), [['body', 'imdb_id']]);
      assertInvalid(await post({ genres: ['drama', 'noir'] }), [['body', 'genres', 1]]);
      assertInvalid(await post({ genres: ['drama', 'drama'] }), [['body', 'genres']]);
      assertInvalid(await post({ directors: ['  '] }), [['body', 'directors', 0]]);
      assertInvalid(await post({ directors: Array.from({ length: 21 }, (_, i) => `D ${i}`) }), [['body', 'directors']]);
      assertInvalid(await post({ directors: 'Agnès Varda' }), [['body', 'directors']]);
      assertInvalid(await post({ runtime: 0 }), [['body', 'runtime']]);
      assertInvalid(await post({ runtime: 100_001 }), [['body', 'runtime']]);
      assertInvalid(await post({ original_title: 'x'.repeat(201) }), [['body', 'original_title']]);
      assertInvalid(await post({ runtime: 1.5, imdb_id: 7 }), [['body', 'runtime'], ['body', 'imdb_id']]);
      for (const imdb of ['tt1234567', 'tt123456789']) {
        const ok = await post({ title: `Valid ${imdb}`, imdb_id: imdb, genres: [...GENRES], runtime: 100_000 });
        assert.equal(ok.statusCode, 201, ok.body);
        await call('DELETE', `/api/v1/movies/${ok.json<Movie>().id}`, { token: admin });
      }
    });

    it('keeps imdb_id unique (409), and lets two movies with different imdb_ids share a title and year', async () => {
      const a = await call('POST', '/api/v1/movies', { token: admin, payload: { title: 'Twin', year: 2001, imdb_id: 'tt0000001' } });
      const b = await call('POST', '/api/v1/movies', { token: admin, payload: { title: 'Twin', year: 2001, imdb_id: 'tt0000002' } });
      assert.deepEqual([a.statusCode, b.statusCode], [201, 201], b.body);
      const again = await call('POST', '/api/v1/movies', { token: admin, payload: { title: 'Other', imdb_id: 'tt0000001' } });
      assert.equal(again.statusCode, 409);
      assert.deepEqual(again.json(), { detail: 'A movie with this IMDb id already exists', code: 'imdb_id_exists' });
      const patch = await call('PATCH', `/api/v1/movies/${b.json<Movie>().id}`, { token: admin, payload: { imdb_id: 'tt0000001' } });
      assert.equal(patch.statusCode, 409);
      // Without an imdb_id, the title-and-year rule holds.
      const plain1 = await call('POST', '/api/v1/movies', { token: admin, payload: { title: 'Twin', year: 2002 } });
      const plain2 = await call('POST', '/api/v1/movies', { token: admin, payload: { title: 'TWIN', year: 2002 } });
      assert.deepEqual([plain1.statusCode, plain2.statusCode], [201, 409]);
      assert.equal(plain2.json<{ code: string }>().code, 'movie_exists');
      // A movie without an imdb_id may not repeat one that has an id either, on POST or by PATCH.
      const twin = await call('POST', '/api/v1/movies', { token: admin, payload: { title: 'twin', year: 2001 } });
      assert.equal(twin.statusCode, 409, twin.body);
      const other = await call('POST', '/api/v1/movies', { token: admin, payload: { title: 'Twin', year: 2003 } });
      assert.equal((await call('PATCH', `/api/v1/movies/${other.json<Movie>().id}`, { token: admin, payload: { year: 2001 } })).statusCode, 409);
      assert.equal((await call('PATCH', `/api/v1/movies/${other.json<Movie>().id}`, { token: admin, payload: { year: 2001, imdb_id: 'tt0000003' } })).statusCode, 200);
      await call('DELETE', `/api/v1/movies/${other.json<Movie>().id}`, { token: admin });
      for (const res of [a, b, plain1]) await call('DELETE', `/api/v1/movies/${res.json<Movie>().id}`, { token: admin });
    });
  });

  describe('GET /api/v1/search', () => {
    let reviewId: number;
    let listId: number;
    let lucia: string;
    before(async () => {
      lucia = await userToken(ctx.app, 'lucia');
      await call('PATCH', '/api/v1/users/me', { token: lucia, payload: { display_name: 'Lucía Fernández' } });
      const marcos = await userToken(ctx.app, 'marcos_scott');
      const review = await call('POST', '/api/v1/reviews', { token: lucia, payload: { movie_id: ids.get('Blade Runner')!, review: 'Los replicantes lloran bajo la lluvia.', score: 5 } });
      reviewId = review.json<{ id: number }>().id;
      await call('POST', '/api/v1/reviews', { token: marcos, payload: { movie_id: ids.get('Alien')!, review: 'The replicant twist: Ash is an android!', score: 4, spoiler: true } });
      listId = (await call('POST', '/api/v1/lists', { token: lucia, payload: { title: 'Películas de replicantes', description: 'Androides y lluvia.' } })).json<{ id: number }>().id;
      await call('POST', '/api/v1/lists', { token: lucia, payload: { title: 'Replicantes privados', public: false } });
    });

    it('answers movies, reviews, members and public lists, a few of each, best first', async () => {
      const res = await call('GET', `/api/v1/search?q=${encodeURIComponent('replicant')}`);
      assert.equal(res.statusCode, 200);
      const body = res.json<{ movies: Movie[]; reviews: { id: number; review: string; spoiler: boolean; movie: { title: string } }[]; users: unknown[]; lists: { title: string }[] }>();
      assert.deepEqual(Object.keys(body), ['movies', 'reviews', 'users', 'lists']);
      assert.deepEqual(body.movies, []);
      assert.deepEqual(body.reviews.map((r) => r.movie.title).sort(), ['Alien', 'Blade Runner']);
      assert.deepEqual(body.lists.map((l) => l.title), ['Películas de replicantes']); // never a private list
      const scott = (await call('GET', '/api/v1/search?q=scott&limit=2')).json<{ movies: Movie[]; users: { username: string }[] }>();
      assert.deepEqual(scott.movies.map((m) => m.title), ['Scott of the Antarctic', 'Blade Runner']);
      assert.deepEqual(scott.users.map((u) => u.username), ['marcos_scott']);
    });

    it('finds members by username or display name, ignoring accents; lists by description', async () => {
      const body = (await call('GET', '/api/v1/search?q=lucia%20fernandez')).json<{ users: { username: string; display_name: string }[] }>();
      assert.deepEqual(body.users.map((u) => [u.username, u.display_name]), [['lucia', 'Lucía Fernández']]);
      assert.ok(!('email' in (body.users[0] as object)));
      const lists = (await call('GET', '/api/v1/search?q=androides')).json<{ lists: { title: string }[] }>();
      assert.deepEqual(lists.lists.map((l) => l.title), ['Películas de replicantes']);
    });

    it('matches a spoiler review but never sends its text', async () => {
      const body = (await call('GET', '/api/v1/search?q=android')).json<{ reviews: { review: string; spoiler: boolean; movie: { title: string } }[] }>();
      assert.equal(body.reviews.length, 1);
      assert.deepEqual([body.reviews[0]!.movie.title, body.reviews[0]!.spoiler, body.reviews[0]!.review], ['Alien', true, '']);
      assert.ok(!JSON.stringify(body).includes('Ash'));
      const plain = (await call('GET', '/api/v1/search?q=lluvia')).json<{ reviews: { id: number; review: string }[] }>();
      assert.deepEqual(plain.reviews.map((r) => [r.id, r.review]), [[reviewId, 'Los replicantes lloran bajo la lluvia.']]);
    });

    it('follows edits: a review rewritten, a list made private, a display name changed', async () => {
      const found = async (text: string) => (await call('GET', `/api/v1/search?q=${encodeURIComponent(text)}`)).json<{ reviews: unknown[]; users: unknown[]; lists: unknown[] }>();
      assert.equal((await found('lloran')).reviews.length, 1);
      await call('PATCH', `/api/v1/reviews/${reviewId}`, { token: lucia, payload: { review: 'Lágrimas en la lluvia.' } });
      assert.equal((await found('lloran')).reviews.length, 0);
      assert.equal((await found('lagrimas')).reviews.length, 1);
      assert.equal((await found('androides')).lists.length, 1);
      await call('PATCH', `/api/v1/lists/${listId}`, { token: lucia, payload: { public: false } });
      assert.equal((await found('androides')).lists.length, 0);
      await call('PATCH', '/api/v1/users/me', { token: lucia, payload: { display_name: 'La Lu' } });
      assert.equal((await found('fernandez')).users.length, 0);
      assert.equal((await found('la lu')).users.length, 1);
    });

    it('finds a review by every beginning of its words, and follows a PUT of its text', async () => {
      const long = await call('POST', '/api/v1/reviews', { token: lucia, payload: { movie_id: ids.get('Volver')!, review: 'Desternillantemente melodramática.', score: 4 } });
      const id = long.json<{ id: number }>().id;
      const word = 'desternillantemente';
      for (let n = 1; n <= word.length; n++) {
        const body = (await call('GET', `/api/v1/search?q=${word.slice(0, n)}&limit=20`)).json<{ reviews: { id: number }[] }>();
        assert.ok(body.reviews.some((r) => r.id === id), `${word.slice(0, n)} finds it`);
      }
      const put = (review: string) => call('PUT', `/api/v1/reviews/${id}`, { token: lucia, payload: { movie_id: ids.get('Volver')!, review, score: 2 } });
      assert.equal((await put('Desternillantemente melodramática.')).statusCode, 200);
      assert.equal((await call('GET', `/api/v1/search?q=${word}`)).json<{ reviews: { id: number }[] }>().reviews[0]?.id, id);
      assert.equal((await put('Melodramática sin más.')).statusCode, 200);
      assert.equal((await call('GET', `/api/v1/search?q=${word}`)).json<{ reviews: unknown[] }>().reviews.length, 0);
      assert.equal((await call('GET', '/api/v1/search?q=sin%20mas')).json<{ reviews: { id: number }[] }>().reviews[0]?.id, id);
      assert.equal((await call('DELETE', `/api/v1/reviews/${id}`, { token: lucia })).statusCode, 204);
    });

    it('searches any text as text and validates q and limit', async () => {
      // ᦂᦱᦂ: letters to JavaScript, to FTS5 a letter, a separator and a letter (src/db/fts5-words.ts).
      for (const text of ['"', '*', 'NEAR(', ':', '&|!', '', ' ', 'ᦱ', 'ᦱᳲ']) {
        const res = await call('GET', `/api/v1/search?q=${encodeURIComponent(text)}`);
        assert.equal(res.statusCode, 200, text);
        assert.deepEqual(res.json(), { movies: [], reviews: [], users: [], lists: [] });
      }
      assertInvalid(await call('GET', '/api/v1/search'), [['query', 'q']]);
      assertInvalid(await call('GET', `/api/v1/search?q=${'a'.repeat(201)}`), [['query', 'q']]);
      assertInvalid(await call('GET', '/api/v1/search?q=a&limit=21'), [['query', 'limit']]);
      assertInvalid(await call('GET', '/api/v1/search?q=a&limit=0'), [['query', 'limit']]);
    });
  });
});
