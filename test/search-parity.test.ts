import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TestContext, adminToken, callAs, createMovie, startApp, userToken } from './support/app.js';
import { type TestPgDatabase, createTestDatabase } from './support/pg.js';

/*
 * The same search on both databases: one catalogue loaded into a SQLite app (FTS5) and a
 * PostgreSQL app (tsvector and unaccent), one list of queries asked of both, and the answers
 * compared whole: the same movies, reviews, members and lists, in the same order. The ids agree
 * because both databases are fresh and loaded in the same order. Runs in either half of the suite
 * (it opens both databases itself).
 */

const MOVIES = [
  { title: 'Cléo from 5 to 7', original_title: 'Cléo de 5 à 7', year: 1962, directors: ['Agnès Varda'], synopsis: 'A singer waits two hours in Paris.' },
  { title: 'El espíritu de la colmena', year: 1973, directors: ['Víctor Erice'], synopsis: 'Una niña ve Frankenstein en el pueblo.' },
  { title: 'Blade Runner', year: 1982, directors: ['Ridley Scott'], synopsis: 'A blade runner hunts replicants in Los Angeles.' },
  { title: 'Blade Runner 2049', year: 2017, directors: ['Denis Villeneuve'], synopsis: 'A new blade runner finds a secret.' },
  { title: 'El laberinto del fauno', year: 2006, directors: ['Guillermo del Toro'], synopsis: 'Ofelia encuentra un laberinto y un fauno.' },
  { title: 'Spider-Man', year: 2002, directors: ['Sam Raimi'], synopsis: 'A student bitten by a spider.' },
  { title: 'R2-D2 and Friends', year: 1999, directors: ['Ann Other'], synopsis: 'A co-op of droids; e-mail at droids@example.com, version 3.14.' },
  { title: "L'Atalante", year: 1934, directors: ['Jean Vigo'], synopsis: 'Newlyweds on a barge; l’amour fou.' },
  { title: 'Amélie', original_title: 'Le Fabuleux Destin d’Amélie Poulain', year: 2001, directors: ['Jean-Pierre Jeunet'], synopsis: 'Une serveuse naïve à Montmartre: ça change tout.' },
  { title: 'Mañana será otro día', year: 1967, directors: ['Jaime Camino'], synopsis: '¿Qué pasará mañana? ¡Nadie sabe!' },
  { title: 'Tokyo Story', original_title: '東京物語', year: 1953, directors: ['Yasujirō Ozu'], synopsis: 'An old couple visits their children in Tōkyō.' },
  { title: 'Moscow Does Not Believe in Tears', original_title: 'Москва слезам не верит', year: 1980, directors: ['Vladimir Menshov'], synopsis: 'Three friends in Москва.' },
  { title: 'Über den Dächern', year: 1955, directors: ['Günter Groß'], synopsis: 'Straße und Brücke, Über alles.' },
  { title: 'The Runner', year: 1984, directors: ['Amir Naderi'], synopsis: 'A boy runs along the Gulf.' },
  { title: 'Scott of the Antarctic', year: 1948, directors: ['Charles Frend'], synopsis: 'The race to the pole.' },
  { title: 'Quote "Unquote"', year: 2010, directors: ['A. N. Onymous'], synopsis: 'Titles with "quotes", stars* and NEAR(words) AND OR NOT: all text.' },
];

const QUERIES = [
  // The contract's examples.
  'cleo', 'espiritu', 'runner blade', 'labe',
  // Case, accents, order, prefixes, every field.
  'CLÉO', 'cléo de 5 à 7', 'ESPÍRITU COLMENA', 'blade', 'blade runner', 'runner', 'run', 'r', 'bl ru', 'ridley', 'scott', 'villeneuve denis',
  'frankenstein', 'replicant', 'agnes', 'victor erice', 'guillermo toro', 'vigo', 'amelie', 'AMÉLIE poulain', 'naive', 'naïve', 'ca change', 'ça',
  'manana', 'mañana será', 'que pasara', 'tokyo', 'tōkyō', 'ozu yasujiro', '東京', '東京物語', 'москва', 'МОСКВА слезам', 'uber', 'über dächern', 'dachern', 'gunter',
  // Punctuation inside words.
  'spider-man', 'spider man', 'spiderman', 'r2-d2', 'r2 d2', 'd2', 'co-op', 'coop', 'e-mail', 'droids@example.com', 'example', '3.14', '14', "l'atalante", 'atalante', 'l’amour',
  // Operators and syntax of either engine, as text.
  '"quotes"', 'stars*', 'NEAR(words)', 'near', 'AND', 'OR NOT', 'quote & unquote', 'quote | unquote', '!quote', 'quote:unquote', "'quote'", '(quote)', '-quote', '^quote', '{title}: quote',
  // Words that find nothing, and nothing at all.
  'zzzz', 'blade zzzz', '', '!!!', '*', '"',
];

async function load(ctx: TestContext): Promise<void> {
  const admin = await adminToken(ctx);
  for (const movie of MOVIES) await createMovie(ctx.app, admin, movie);
  const call = (method: 'POST' | 'PATCH', url: string, token: string, payload: object) => callAs(ctx.app, method, url, { token, payload });
  const members = [];
  for (const [name, display] of [['lucia', 'Lucía Fernández'], ['runner99', 'Bladé Rünner'], ['scotty', null], ['amelie_p', 'Amélie P.']] as const) {
    const token = await userToken(ctx.app, name);
    if (display !== null) await call('PATCH', '/api/v1/users/me', token, { display_name: display });
    members.push(token);
  }
  const texts = ['Los replicantes lloran bajo la lluvia.', 'A runner’s film: blade-sharp.', 'Cléo walks; Paris watches.', 'The spider-man of droids, à la R2-D2.'];
  for (const [i, token] of members.entries()) {
    await call('POST', '/api/v1/reviews', token, { movie_id: i + 3, review: texts[i]!, score: 4, spoiler: i === 1 });
    await call('POST', '/api/v1/lists', token, { title: ['Blade runners', 'Películas de lluvia', 'Cléo et les autres', 'Privée'][i]!, description: 'Mañana, quizá.', public: i !== 3 });
  }
}

describe('search: the same answers on SQLite and PostgreSQL', () => {
  let sqlite: TestContext;
  let postgres: TestContext;
  let pg: TestPgDatabase;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'butaca-parity-'));
    pg = await createTestDatabase();
    sqlite = await startApp({ DATABASE_URL: `sqlite:${path.join(dir, 'parity.db')}` });
    postgres = await startApp({ DATABASE_URL: pg.url });
    assert.deepEqual([sqlite.config.database.kind, postgres.config.database.kind], ['sqlite', 'postgres']);
    await load(sqlite);
    await load(postgres);
  });
  after(async () => {
    await sqlite?.close();
    await postgres?.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (ctx: TestContext, url: string): Promise<unknown> => {
    const res = await callAs(ctx.app, 'GET', url);
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return { total: res.headers['x-total-count'], body: res.json() as unknown };
  };
  /** What must agree: the ids in order (the objects' timestamps differ between the two loads). */
  const ids = (answer: unknown): unknown => JSON.parse(JSON.stringify(answer, (key, value: unknown) => (key.endsWith('_at') ? undefined : value)));

  it('GET /api/v1/movies?q= finds the same movies in the same order, for every query', async () => {
    const differences: string[] = [];
    for (const text of QUERIES) {
      const url = `/api/v1/movies?q=${encodeURIComponent(text)}&limit=50`;
      const [a, b] = [ids(await ask(sqlite, url)), ids(await ask(postgres, url))];
      if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${text}:\n  sqlite   ${JSON.stringify(a)}\n  postgres ${JSON.stringify(b)}`);
    }
    assert.deepEqual(differences, []);
  });

  it('the contract’s examples find what it says, on both', async () => {
    for (const ctx of [sqlite, postgres]) {
      const titles = async (text: string) => ((await ask(ctx, `/api/v1/movies?q=${encodeURIComponent(text)}`)) as { body: { title: string }[] }).body.map((m) => m.title);
      assert.deepEqual(await titles('cleo'), ['Cléo from 5 to 7']);
      assert.deepEqual(await titles('espiritu'), ['El espíritu de la colmena']);
      assert.deepEqual((await titles('runner blade')).slice(0, 2), ['Blade Runner', 'Blade Runner 2049']);
      assert.deepEqual(await titles('labe'), ['El laberinto del fauno']);
      // And the list is not trivially equal: scripts, punctuation and syntax find what a reader expects.
      assert.deepEqual(await titles('東京'), ['Tokyo Story']);
      assert.deepEqual(await titles('МОСКВА слезам'), ['Moscow Does Not Believe in Tears']);
      assert.deepEqual(await titles('uber dachern'), ['Über den Dächern']);
      assert.deepEqual(await titles('spider man'), ['Spider-Man']);
      assert.deepEqual(await titles('r2 d2'), ['R2-D2 and Friends']);
      assert.deepEqual(await titles('atalante'), ["L'Atalante"]);
      assert.deepEqual(await titles('NEAR(words) stars*'), ['Quote "Unquote"']);
      assert.deepEqual(await titles('scott'), ['Scott of the Antarctic', 'Blade Runner']); // title, then director
    }
  });

  it('GET /api/v1/search answers the same on both, with filters and sorts on the movie list too', async () => {
    const differences: string[] = [];
    const urls = [
      ...QUERIES.map((text) => `/api/v1/search?q=${encodeURIComponent(text)}&limit=20`),
      '/api/v1/movies?q=blade&sort=year&order=desc',
      '/api/v1/movies?q=runner&sort=title',
      `/api/v1/movies?director=${encodeURIComponent('AGNES VARDA')}`,
      '/api/v1/movies?decade=1980&sort=year',
      '/api/v1/movies?q=a&decade=1950',
    ];
    for (const url of urls) {
      const [a, b] = [ids(await ask(sqlite, url)), ids(await ask(postgres, url))];
      if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${url}:\n  sqlite   ${JSON.stringify(a)}\n  postgres ${JSON.stringify(b)}`);
    }
    assert.deepEqual(differences, []);
  });
});
