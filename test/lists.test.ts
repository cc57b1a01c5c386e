import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CallOptions,
  type Member,
  type Method,
  type TestContext,
  adminToken,
  assertInvalid,
  callAs,
  createMovie,
  dbProblemsOf,
  manyMembers,
  startApp,
} from './support/app.js';

/*
 * community.md, Lists: public and private lists, ranked or not, items with notes kept at dense
 * positions 1…n whatever adds, moves and removes them (a property test, sequential and
 * concurrent), and the limits. On the database the run is for (test:sqlite, test:pg).
 */

interface List {
  id: number;
  user_id: number;
  title: string;
  description: string | null;
  ranked: boolean;
  public: boolean;
  item_count: number;
  created_at: string;
  updated_at: string;
}
interface Item {
  position: number;
  movie: { id: number; title: string };
  note: string | null;
}

const LIST_KEYS = ['created_at', 'description', 'id', 'item_count', 'public', 'ranked', 'title', 'updated_at', 'user_id'];

let ctx: TestContext;
let admin: string;
let people: Member[];
let movies: number[];
let seq = 0;

const call = (method: Method, url: string, opts: CallOptions = {}) => callAs(ctx.app, method, url, opts);
const expect = async (status: number, method: Method, url: string, opts: CallOptions = {}) => {
  const res = await call(method, url, opts);
  assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
  return res;
};
const makeList = async (who: Member, body: Record<string, unknown> = {}): Promise<List> =>
  (await expect(201, 'POST', '/api/v1/lists', { token: who.token, payload: { title: `List ${++seq}`, ...body } })).json<List>();
const items = async (who: Member | undefined, listId: number): Promise<Item[]> =>
  (await expect(200, 'GET', `/api/v1/lists/${listId}/items?limit=100`, { token: who?.token })).json<Item[]>();
const order = async (who: Member, listId: number): Promise<number[]> => {
  const all = await items(who, listId);
  assert.deepEqual(all.map((i) => i.position), all.map((_, k) => k + 1), 'positions are 1…n');
  return all.map((i) => i.movie.id);
};

before(async () => {
  ctx = await startApp();
  admin = await adminToken(ctx);
  people = await manyMembers(ctx, 'lister', 6);
  movies = [];
  for (let i = 0; i < 12; i++) movies.push((await createMovie(ctx.app, admin, { title: `Listed ${i}`, year: 1990 + i })).id);
});
after(async () => {
  assert.deepEqual(await dbProblemsOf(ctx), []);
  await ctx.close();
});

describe('lists', () => {
  it('are made (201 + Location) with defaults, validated, and changed by PATCH', async () => {
    const me = people[0]!;
    const res = await expect(201, 'POST', '/api/v1/lists', { token: me.token, payload: { title: '  Best of the 70s ', description: '  ' } });
    const list = res.json<List>();
    assert.equal(res.headers.location, `/api/v1/lists/${list.id}`);
    assert.deepEqual(Object.keys(list).sort(), LIST_KEYS);
    assert.deepEqual({ ...list, id: 0, created_at: '', updated_at: '' }, {
      id: 0,
      user_id: me.id,
      title: 'Best of the 70s',
      description: null,
      ranked: false,
      public: true,
      item_count: 0,
      created_at: '',
      updated_at: '',
    });
    assertInvalid(await call('POST', '/api/v1/lists', { token: me.token, payload: { title: ' ' } }), [['body', 'title']]);
    assertInvalid(await call('POST', '/api/v1/lists', { token: me.token, payload: { title: 'x'.repeat(201), description: 'd'.repeat(5001), ranked: 'yes' } }), [
      ['body', 'title'],
      ['body', 'description'],
      ['body', 'ranked'],
    ]);
    await expect(401, 'POST', '/api/v1/lists', { payload: { title: 'anon' } });
    const patched = (await expect(200, 'PATCH', `/api/v1/lists/${list.id}`, { token: me.token, payload: { ranked: true, description: 'Ten films' } })).json<List>();
    assert.equal(patched.ranked, true);
    assert.equal(patched.description, 'Ten films');
    assert.equal(patched.title, 'Best of the 70s');
    assert.ok(patched.updated_at >= list.updated_at);
    const refused = await expect(403, 'PATCH', `/api/v1/lists/${list.id}`, { token: people[1]!.token, payload: { title: 'Mine now' } });
    assert.equal(refused.json<{ code: string }>().code, 'not_list_owner');
  });

  it('private: 404 to everyone but the owner (admins and anonymous callers included), and left out of a member’s lists', async () => {
    const [owner, other] = [people[1]!, people[2]!];
    const secret = await makeList(owner, { public: false });
    const open = await makeList(owner);
    await expect(200, 'PUT', `/api/v1/lists/${secret.id}/items/${movies[0]!}`, { token: owner.token, payload: {} });
    for (const token of [other.token, admin, undefined]) {
      for (const url of [`/api/v1/lists/${secret.id}`, `/api/v1/lists/${secret.id}/items`]) {
        const res = await expect(404, 'GET', url, { token });
        assert.equal(res.json<{ code: string }>().code, 'list_not_found');
      }
    }
    for (const [method, url] of [
      ['PATCH', `/api/v1/lists/${secret.id}`],
      ['DELETE', `/api/v1/lists/${secret.id}`],
      ['PUT', `/api/v1/lists/${secret.id}/items/${movies[1]!}`],
      ['DELETE', `/api/v1/lists/${secret.id}/items/${movies[0]!}`],
    ] as const) {
      await expect(404, method, url, { token: other.token, payload: method === 'DELETE' ? undefined : {} });
    }
    await expect(200, 'GET', `/api/v1/lists/${secret.id}`, { token: owner.token });
    assert.equal((await items(owner, secret.id)).length, 1);
    const own = await expect(200, 'GET', '/api/v1/users/me/lists', { token: owner.token });
    assert.deepEqual(own.json<List[]>().map((l) => l.id), [open.id, secret.id]);
    const theirs = await expect(200, 'GET', `/api/v1/users/${owner.id}/lists`, { token: other.token });
    assert.deepEqual(theirs.json<List[]>().map((l) => l.id), [open.id]);
    assert.equal(theirs.headers['x-total-count'], '1');
    const mine = await expect(200, 'GET', `/api/v1/users/${owner.id}/lists`, { token: owner.token });
    assert.deepEqual(mine.json<List[]>().map((l) => l.id), [open.id, secret.id]);
    assert.equal(mine.headers.vary, 'Authorization, Cookie');
    await expect(404, 'GET', '/api/v1/users/99999999/lists');
    // A stale cookie on a public page leaves the visitor anonymous; a bad bearer token is refused.
    const stale = await ctx.app.inject({ method: 'GET', url: `/api/v1/lists/${open.id}`, headers: { cookie: 'butaca_session=stale' } });
    assert.equal(stale.statusCode, 200);
    await expect(401, 'GET', `/api/v1/lists/${open.id}`, { token: 'not-a-token' });
  });

  it('are deleted by their owner or, when public, an admin; others 403', async () => {
    const owner = people[3]!;
    const a = await makeList(owner);
    await expect(200, 'PUT', `/api/v1/lists/${a.id}/items/${movies[0]!}`, { token: owner.token, payload: {} });
    const refused = await expect(403, 'DELETE', `/api/v1/lists/${a.id}`, { token: people[4]!.token });
    assert.equal(refused.json<{ code: string }>().code, 'not_list_owner_or_admin');
    await expect(204, 'DELETE', `/api/v1/lists/${a.id}`, { token: admin });
    await expect(404, 'GET', `/api/v1/lists/${a.id}`);
    const b = await makeList(owner);
    await expect(204, 'DELETE', `/api/v1/lists/${b.id}`, { token: owner.token });
    await expect(404, 'DELETE', `/api/v1/lists/${b.id}`, { token: owner.token });
    const left = await ctx.db.selectFrom('list_items').select('movie_id').where('list_id', 'in', [a.id, b.id]).execute();
    assert.deepEqual(left, []);
  });
});

describe('list items', () => {
  it('go last unless placed, move (shifting the others), keep their note, and come off idempotently', async () => {
    const me = people[0]!;
    const list = await makeList(me, { ranked: true });
    const [m1, m2, m3, m4] = movies;
    const put = (movie: number, body: Record<string, unknown> = {}) => expect(200, 'PUT', `/api/v1/lists/${list.id}/items/${movie}`, { token: me.token, payload: body });
    const first = (await put(m1!, { note: '  The one  ' })).json<Item>();
    assert.deepEqual(Object.keys(first).sort(), ['movie', 'note', 'position']);
    assert.deepEqual([first.position, first.movie.id, first.note], [1, m1, 'The one']);
    // No body at all (no Content-Type): the same as {}.
    const bare = await ctx.app.inject({ method: 'PUT', url: `/api/v1/lists/${list.id}/items/${m2!}`, headers: { authorization: `Bearer ${me.token}` } });
    assert.equal(bare.statusCode, 200, bare.body);
    assert.equal(bare.json<Item>().position, 2);
    assert.equal((await put(m3!, { position: 1 })).json<Item>().position, 1);
    assert.deepEqual(await order(me, list.id), [m3, m1, m2]);
    // Past the end means last; a PUT without a position keeps the place and changes the note.
    assert.equal((await put(m4!, { position: 99 })).json<Item>().position, 4);
    assert.deepEqual((await put(m3!, { position: 3 })).json<Item>().position, 3);
    assert.deepEqual(await order(me, list.id), [m1, m2, m3, m4]);
    const renoted = (await put(m1!, { note: null })).json<Item>();
    assert.deepEqual([renoted.position, renoted.note], [1, null]);
    const kept = (await put(m2!, { note: 'Second' })).json<Item>();
    assert.equal(kept.position, 2);
    for (let i = 0; i < 2; i++) await expect(204, 'DELETE', `/api/v1/lists/${list.id}/items/${m2!}`, { token: me.token });
    assert.deepEqual(await order(me, list.id), [m1, m3, m4]);
    assert.equal((await expect(200, 'GET', `/api/v1/lists/${list.id}`)).json<List>().item_count, 3);
    await expect(404, 'PUT', `/api/v1/lists/${list.id}/items/99999999`, { token: me.token, payload: {} });
    await expect(404, 'DELETE', `/api/v1/lists/${list.id}/items/99999999`, { token: me.token });
    await expect(404, 'PUT', `/api/v1/lists/99999999/items/${m1!}`, { token: me.token, payload: {} });
    assertInvalid(await call('PUT', `/api/v1/lists/${list.id}/items/${m1!}`, { token: me.token, payload: { position: 0, note: 'n'.repeat(1001) } }), [
      ['body', 'position'],
      ['body', 'note'],
    ]);
    await expect(403, 'PUT', `/api/v1/lists/${list.id}/items/${m2!}`, { token: people[1]!.token, payload: {} });
    // Pages carry their positions.
    const page2 = (await expect(200, 'GET', `/api/v1/lists/${list.id}/items?limit=2&page=2`)).json<Item[]>();
    assert.deepEqual(page2.map((i) => [i.position, i.movie.id]), [[3, m4]]);
  });

  it('close up when a movie is deleted from the catalogue', async () => {
    const me = people[5]!;
    const list = await makeList(me);
    const doomed = (await createMovie(ctx.app, admin, { title: `Doomed ${++seq}`, year: 1999 })).id;
    for (const m of [movies[0]!, doomed, movies[1]!]) await expect(200, 'PUT', `/api/v1/lists/${list.id}/items/${m}`, { token: me.token, payload: {} });
    await expect(204, 'DELETE', `/api/v1/movies/${doomed}`, { token: admin });
    assert.deepEqual(await order(me, list.id), [movies[0]!, movies[1]!]);
    assert.equal((await expect(200, 'GET', `/api/v1/lists/${list.id}`)).json<List>().item_count, 2);
  });

  /** One write to a list, as the property test makes them: put (with or without a position), or remove. */
  type Op = { kind: 'put'; movie: number; position?: number } | { kind: 'remove'; movie: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('put' as const), movie: fc.integer({ min: 0, max: 7 }), position: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }) }),
    fc.record({ kind: fc.constant('remove' as const), movie: fc.integer({ min: 0, max: 7 }) }),
  );
  const apply = (model: number[], op: Op): number[] => {
    const rest = model.filter((m) => m !== op.movie);
    if (op.kind === 'remove') return rest;
    const at = model.indexOf(op.movie);
    const target = op.position === undefined ? (at === -1 ? rest.length : at) : Math.min(op.position - 1, rest.length);
    return [...rest.slice(0, target), op.movie, ...rest.slice(target)];
  };
  const send = (me: Member, listId: number, op: Op) => {
    const movie = movies[op.movie]!;
    return op.kind === 'put'
      ? call('PUT', `/api/v1/lists/${listId}/items/${movie}`, { token: me.token, payload: op.position === undefined ? {} : { position: op.position } })
      : call('DELETE', `/api/v1/lists/${listId}/items/${movie}`, { token: me.token });
  };

  it('property: after any sequence of adds, moves and removes the order is the model’s and positions are 1…n', async () => {
    const me = people[4]!;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const list = await makeList(me);
        let model: number[] = [];
        for (const op of ops) {
          const res = await send(me, list.id, op);
          assert.ok(res.statusCode === 200 || res.statusCode === 204, res.body);
          if (op.kind === 'put') assert.equal(res.json<Item>().position, apply(model, op).indexOf(op.movie) + 1);
          model = apply(model, op);
        }
        assert.deepEqual(await order(me, list.id), model.map((i) => movies[i]!));
        await expect(204, 'DELETE', `/api/v1/lists/${list.id}`, { token: me.token });
      }),
      { numRuns: 40 },
    );
  });

  it('property: concurrent adds, moves and removes leave positions 1…n, each movie once, as some order of the writes would', async () => {
    const me = people[4]!;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 2, maxLength: 8 }), { minLength: 1, maxLength: 4 }), async (rounds) => {
        const list = await makeList(me);
        for (const round of rounds) {
          const answers = await Promise.all(round.map((op) => send(me, list.id, op)));
          for (const res of answers) assert.ok(res.statusCode === 200 || res.statusCode === 204, res.body);
          const now = await order(me, list.id);
          assert.equal(new Set(now).size, now.length, 'each movie once');
          // Whatever the interleaving: a movie only put in the round is on the list, one only removed is not.
          for (const [i, movie] of movies.slice(0, 8).entries()) {
            const kinds = new Set(round.filter((op) => op.movie === i).map((op) => op.kind));
            if (kinds.size === 1) assert.equal(now.includes(movie), kinds.has('put'), `movie ${i} after ${JSON.stringify(round)}`);
          }
        }
        const listed = (await expect(200, 'GET', `/api/v1/lists/${list.id}`)).json<List>();
        assert.equal(listed.item_count, (await order(me, list.id)).length);
        await expect(204, 'DELETE', `/api/v1/lists/${list.id}`, { token: me.token });
      }),
      { numRuns: 25 },
    );
  });

  it('renumber a crowded gap: many moves into the same place keep the order right', async () => {
    const me = people[3]!;
    const list = await makeList(me);
    const ids = movies.slice(0, 12);
    for (const m of ids) await expect(200, 'PUT', `/api/v1/lists/${list.id}/items/${m}`, { token: me.token, payload: {} });
    let model = [...ids];
    // Always into position 2: each move halves the same gap, past what the spacing allows.
    for (let i = 0; i < 30; i++) {
      const movie = model[model.length - 1]!;
      await expect(200, 'PUT', `/api/v1/lists/${list.id}/items/${movie}`, { token: me.token, payload: { position: 2 } });
      model = [model[0]!, movie, ...model.slice(1, -1)];
    }
    assert.deepEqual(await order(me, list.id), model);
  });
});

describe('limits', () => {
  it('at most 5,000 movies a list (422), nothing half-written', async () => {
    const me = people[2]!;
    const list = await makeList(me);
    // 4,999 items put in directly (the movies made in bulk too), then the API adds the 5,000th.
    const made = await ctx.db
      .insertInto('movies')
      .values(Array.from({ length: 5000 }, (_, i) => ({ title: `Bulk ${i}`, title_key: `bulk ${i}`, year: 2000, created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z' })))
      .returning('id')
      .execute();
    for (let start = 0; start < 4999; start += 500) {
      await ctx.db
        .insertInto('list_items')
        .values(made.slice(start, Math.min(start + 500, 4999)).map((m, i) => ({ list_id: list.id, movie_id: m.id, sort_key: (start + i + 1) * 1024, note: null, added_at: '2024-01-01T00:00:00.000Z' })))
        .execute();
    }
    await expect(200, 'PUT', `/api/v1/lists/${list.id}/items/${made[4999]!.id}`, { token: me.token, payload: { position: 1 } });
    const full = await call('PUT', `/api/v1/lists/${list.id}/items/${movies[0]!}`, { token: me.token, payload: {} });
    assertInvalid(full, [['path', 'movie_id']]);
    assert.equal(full.json<{ detail: { type: string }[] }>().detail[0]!.type, 'list_full');
    assert.equal((await expect(200, 'GET', `/api/v1/lists/${list.id}`)).json<List>().item_count, 5000);
    // Moving within a full list still works.
    assert.equal((await expect(200, 'PUT', `/api/v1/lists/${list.id}/items/${made[0]!.id}`, { token: me.token, payload: { position: 4000 } })).json<Item>().position, 4000);
    await expect(204, 'DELETE', `/api/v1/lists/${list.id}`, { token: me.token });
    await ctx.db.deleteFrom('movies').where('title_key', 'like', 'bulk %').execute();
  });

  it('at most 1,000 lists a member (422)', async () => {
    const [me] = await manyMembers(ctx, 'collector', 1);
    const now = '2024-01-01T00:00:00.000Z';
    await ctx.db
      .insertInto('lists')
      .values(Array.from({ length: 999 }, (_, i) => ({ user_id: me!.id, title: `L${i}`, description: null, ranked: 0, public: 1, created_at: now, updated_at: now })))
      .execute();
    await makeList(me!);
    const res = await call('POST', '/api/v1/lists', { token: me!.token, payload: { title: 'One too many' } });
    assertInvalid(res, [['body']]);
    assert.equal(res.json<{ detail: { type: string }[] }>().detail[0]!.type, 'too_many_lists');
    const { n } = await ctx.db.selectFrom('lists').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', me!.id).executeTakeFirstOrThrow();
    assert.equal(Number(n), 1000);
  });
});
