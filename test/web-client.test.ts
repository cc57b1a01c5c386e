import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLIENT_ROUTES } from '../web/src/routes.js';
import { type TestContext, WEB_FIXTURE, startApp } from './support/app.js';
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

/** An app serving the client built at `webRoot`: static files and pages, which the API's document does not describe. */
const appServing = (webRoot: string) => startApp({}, { webRoot, contract: false });

describe('web client serving', () => {
  let ctx: TestContext;
  // A copy, so that a test can add files as a new build would.
  const webRoot = mkdtempSync(path.join(tmpdir(), 'butaca-web-root-'));
  before(async () => {
    cpSync(WEB_FIXTURE, webRoot, { recursive: true });
    ctx = await appServing(webRoot);
  });
  after(async () => {
    await ctx.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('serves index.html at / as HTML that is always revalidated', async () => {
    const res = await ctx.app.inject({ url: '/', headers: HTML });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(res.body, /index-Abc123\.js/);
    const head = await ctx.app.inject({ method: 'HEAD', url: '/' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  it('serves hashed assets as immutable', async () => {
    const res = await ctx.app.inject('/assets/index-Abc123.js');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /javascript/);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  it('serves the assets of a build made while the server runs', async () => {
    writeFileSync(path.join(webRoot, 'assets', 'index-Def456.js'), 'export {};\n');
    const res = await ctx.app.inject('/assets/index-Def456.js');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  it('answers a client route with index.html when a browser asks for a page', async () => {
    for (const url of ['/movies/3', '/login?next=%2Fmovies%2F3', '/admin/movies/new', '/movies/3/edit']) {
      const res = await ctx.app.inject({ url, headers: HTML });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), /^text\/html/, url);
      assert.equal(res.headers['cache-control'], 'no-cache', url);
      assert.match(res.body, /index-Abc123\.js/, url);
    }
    const head = await ctx.app.inject({ method: 'HEAD', url: '/movies/3', headers: HTML });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  it('keeps unknown API and asset paths a JSON 404, even for a browser', async () => {
    for (const url of ['/api/v1/nope', '/api/v1/movies/1/nope', '/assets/missing.js', '/docs/nope', '/auth/nope']) {
      const res = await ctx.app.inject({ url, headers: HTML });
      assert.equal(res.statusCode, 404, url);
      assert.deepEqual(res.json(), { detail: 'Not Found', code: 'not_found' }, url);
    }
  });

  it('answers every client route with index.html whatever the Accept: link checkers, unfurlers and curl follow deep links too', async () => {
    for (const headers of [{}, { accept: '*/*' }, { accept: 'application/json' }, { accept: 'text/plain' }, HTML]) {
      for (const url of ['/', '/movies/3', '/movies/3/', '/movies/3/edit', '/login?next=%2F', '/account', '/my-reviews', '/signup', '/admin/movies/new']) {
        const res = await ctx.app.inject({ url, headers });
        assert.equal(res.statusCode, 200, `${url} ${JSON.stringify(headers)}`);
        assert.match(String(res.headers['content-type']), /^text\/html/, url);
        assert.match(res.body, /index-Abc123\.js/, url);
      }
    }
  });

  it('uses a stand-in build whose routes.json is the client’s own list (web/src/routes.ts)', () => {
    assert.deepEqual(JSON.parse(readFileSync(path.join(WEB_FIXTURE, 'routes.json'), 'utf8')), CLIENT_ROUTES);
  });

  it('answers a page path that is none of the client routes with index.html as a 404, so the client shows "not found" and a link checker sees it', async () => {
    for (const url of ['/nope', '/movies/abc', '/movies/0', '/movies/3/edit/more', '/favicon.ico']) {
      const res = await ctx.app.inject({ url, headers: { accept: '*/*' } });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-type']), /^text\/html/, url);
      assert.match(res.body, /index-Abc123\.js/, url);
    }
  });

  it('does not answer other methods on a client route with index.html', async () => {
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      const res = await ctx.app.inject({ method, url: '/movies/3', headers: HTML, payload: {} });
      assert.equal(res.statusCode, 404, method);
      assert.deepEqual(res.json(), { detail: 'Not Found', code: 'not_found' });
    }
  });

  it('keeps 405 with Allow for known paths, including the client files', async () => {
    const password = await ctx.app.inject({ url: '/api/v1/users/me/password', headers: HTML });
    assert.equal(password.statusCode, 405);
    assert.match(String(password.headers.allow), /PUT/);
    const auth = await ctx.app.inject({ url: '/auth', headers: HTML });
    assert.equal(auth.statusCode, 405);
    const asset = await ctx.app.inject({ method: 'POST', url: '/assets/index-Abc123.js', payload: {} });
    assert.equal(asset.statusCode, 405);
    assert.equal(asset.headers.allow, 'GET, HEAD, OPTIONS');
    const options = await ctx.app.inject({ method: 'OPTIONS', url: '/assets/index-Abc123.js' });
    assert.equal(options.statusCode, 204);
    assert.equal(options.headers.allow, 'GET, HEAD, OPTIONS');
  });
});

describe('web client not built', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await appServing(path.join(tmpdir(), 'butaca-no-such-web-root'));
  });
  after(async () => ctx.close());

  it('answers / with a placeholder page pointing at the API documentation', async () => {
    const res = await ctx.app.inject('/');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /href="\/docs"/);
    assert.match(res.body, /npm run build/);
  });

  it('answers other pages with the JSON 404', async () => {
    const res = await ctx.app.inject({ url: '/movies/3', headers: HTML });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { detail: 'Not Found', code: 'not_found' });
  });
});
