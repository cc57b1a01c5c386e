/**
 * The contract check itself (test/contract.ts): every app the tests build checks each response it
 * sent against its OpenAPI document when closed. These tests make sure the check does fail when
 * the document and the answers disagree, rather than pass because it looks at nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Exchange, type OpenApiDocument, contractProblems } from './support/contract.js';
import { adminToken, bearer, createMovie, startApp } from './support/app.js';

const ERROR = { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } };
const json = (schema: object) => ({ 'application/json': { schema } });

/** A two-operation document, in the shapes docs.ts writes. */
const DOC: OpenApiDocument = {
  paths: {
    '/api/v1/things/{id}': {
      get: {
        responses: {
          '200': {
            headers: { ETag: { required: true } },
            content: json({ type: 'object', required: ['id'], properties: { id: { type: 'integer' } }, additionalProperties: false }),
          },
          '304': {},
          '404': { content: json(ERROR) },
          '5XX': { content: json(ERROR) },
        },
      },
      delete: { responses: { '204': {} } },
    },
  },
};

const exchange = (over: Partial<Exchange>): Exchange => {
  const body = over.body ?? '{"id":1}';
  return {
    method: 'GET',
    route: '/api/v1/things/:id',
    url: '/api/v1/things/1',
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', etag: '"x"' },
    body,
    length: Buffer.byteLength(body),
    ...over,
  };
};

describe('the contract check', () => {
  it('passes answers the document describes: exact statuses, ranges, HEAD by its GET, bodiless 204/304', () => {
    assert.deepEqual(
      contractProblems(DOC, [
        exchange({}),
        exchange({ status: 404, body: '{"detail":"Thing not found"}' }),
        exchange({ status: 503, body: '{"detail":"The database is unavailable"}' }),
        exchange({ status: 304, body: '', length: 0 }),
        exchange({ method: 'HEAD', body: '', length: 0 }),
        exchange({ method: 'DELETE', status: 204, headers: {}, body: '', length: 0 }),
      ]),
      [],
    );
  });

  it('leaves out, explicitly, what the document is not about: the web client, /docs, /openapi.json, unmatched requests', () => {
    const page = { headers: { 'content-type': 'text/html' }, body: '<!doctype html>', status: 200 };
    assert.deepEqual(
      contractProblems(DOC, [
        exchange({ ...page, route: '/' }),
        exchange({ ...page, route: '/docs/' }),
        exchange({ route: '/openapi.json' }),
        exchange({ route: '/assets/*' }),
        exchange({ route: undefined, status: 405 }),
      ]),
      [],
    );
  });

  it('fails a status the operation does not declare, and names it', () => {
    const problems = contractProblems(DOC, [exchange({ status: 418, body: '{"detail":"teapot"}' }), exchange({ status: 418, body: '{"detail":"teapot"}' })]);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^GET \/api\/v1\/things\/:id → 418: status not declared \(the document has 200, 304, 404, 5XX\).* ×2$/);
  });

  it('fails a body that does not match its schema, a wrong Content-Type, a missing required header, a body on a 204', () => {
    const problems = contractProblems(DOC, [
      exchange({ body: '{"id":"one"}' }),
      exchange({ headers: { 'content-type': 'text/plain', etag: '"x"' }, body: 'hi' }),
      exchange({ headers: { 'content-type': 'application/json' } }),
      exchange({ method: 'DELETE', status: 204, headers: {}, body: 'x', length: 1 }),
    ]);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0]!, /body does not match the schema: data\/id must be integer/);
    assert.match(problems[1]!, /Content-Type text\/plain not declared/);
    assert.match(problems[2]!, /required header ETag missing/);
    assert.match(problems[3]!, /a body where the document declares none/);
  });

  it('fails an API route the document does not list', () => {
    const problems = contractProblems(DOC, [exchange({ route: '/api/v1/secret' })]);
    assert.match(problems[0] ?? '', /the operation is not in the document/);
  });

  it('makes close() fail, on a real app, when a status it sent is not in its document', async () => {
    const ctx = await startApp();
    let closed = false;
    try {
      const admin = await adminToken(ctx);
      const movie = await createMovie(ctx.app, admin, { title: 'Declared' });
      assert.equal((await ctx.app.inject({ url: `/api/v1/movies/${movie.id}`, headers: bearer(admin) })).statusCode, 200);
      assert.equal((await ctx.app.inject('/api/v1/movies/999999')).statusCode, 404);
      assert.ok(ctx.exchanges && ctx.exchanges.length >= 4, 'the app records what it sends');
      const doc = ctx.app.swagger() as unknown as OpenApiDocument;
      assert.deepEqual(contractProblems(doc, ctx.exchanges), [], 'the real answers match the real document');
      // The document the app serves, with one status taken out: the very answer above no longer fits it.
      delete doc.paths['/api/v1/movies/{id}']!.get!.responses['404'];
      closed = true;
      await assert.rejects(ctx.close(), (err: Error) => {
        assert.match(err.message, /1 response\(s\) that the OpenAPI document does not describe/);
        assert.match(err.message, /GET \/api\/v1\/movies\/:id → 404: status not declared/);
        return true;
      });
    } finally {
      if (!closed) await ctx.close();
    }
  });
});
