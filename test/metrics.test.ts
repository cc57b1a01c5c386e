import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from './support/cli.js';
import { type TestContext, adminToken, bearer, createMovie, startApp } from './support/app.js';

/*
 * operations.md, METRICS and "Watching it run": /metrics in Prometheus's text format (checked by
 * promtool when it is installed, always in CI), route labels from the route's pattern and never
 * the URL, statuses by class, the series the contract names; who may read it (local, a token,
 * off). On the database the run is for (test:sqlite, test:pg).
 */

let ctx: TestContext;
before(async () => {
  ctx = await startApp();
});
after(async () => {
  await ctx.close();
});

const scrape = async (app = ctx.app, headers: Record<string, string> = {}, remoteAddress?: string) =>
  app.inject({ method: 'GET', url: '/metrics', headers, ...(remoteAddress ? { remoteAddress } : {}) });

/** The value of a series with exactly these labels (undefined when absent). */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inside = /\{(.*)\}/.exec(line)?.[1] ?? '';
    const have = inside === '' ? [] : inside.split(/,(?=\w+=")/);
    if (want.length === have.length && want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/metrics', () => {
  it('counts requests by route pattern and status class, never by URL, with the latency, query, cache, login and upload series', async () => {
    const admin = await adminToken(ctx, 'metrics-admin');
    const movie = await createMovie(ctx.app, admin, { title: 'Measured', year: 2000 });
    for (const url of [`/api/v1/movies/${movie.id}`, `/api/v1/movies/${movie.id}?utm=1`, '/api/v1/movies/999999', `/api/v1/movies/${movie.id}`]) await ctx.app.inject({ method: 'GET', url });
    await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: 'metrics-admin', password: 'wrong-password' } });
    const res = await scrape();
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = res.body;
    assert.ok((value(text, 'butaca_http_requests_total', { method: 'GET', route: '/api/v1/movies/:id', status: '2xx' }) ?? 0) >= 3, text.slice(0, 2000));
    assert.equal(value(text, 'butaca_http_requests_total', { method: 'GET', route: '/api/v1/movies/:id', status: '4xx' }), 1);
    assert.doesNotMatch(text, /route="\/api\/v1\/movies\/\d/, 'no raw URL, no id in a label');
    assert.doesNotMatch(text, /utm/);
    assert.ok((value(text, 'butaca_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/movies/:id' }) ?? 0) >= 4);
    assert.ok(value(text, 'butaca_http_request_duration_seconds_bucket', { method: 'GET', route: '/api/v1/movies/:id', le: '0.001' }) !== undefined, 'a bucket at 1 ms');
    // A histogram as Prometheus reads one: cumulative buckets, +Inf the count, the count that of the requests.
    const byMovie = { method: 'GET', route: '/api/v1/movies/:id' };
    const buckets = ['0.00025', '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'].map(
      (le) => value(text, 'butaca_http_request_duration_seconds_bucket', { ...byMovie, le })!,
    );
    assert.deepEqual([...buckets].sort((a, b) => a - b), buckets, 'cumulative');
    const requests = (['2xx', '4xx'] as const).reduce((n, status) => n + value(text, 'butaca_http_requests_total', { ...byMovie, status })!, 0);
    assert.equal(buckets.at(-1), value(text, 'butaca_http_request_duration_seconds_count', byMovie));
    assert.equal(buckets.at(-1), requests);
    assert.ok(value(text, 'butaca_http_request_duration_seconds_sum', byMovie)! > 0);
    assert.equal(value(text, 'butaca_http_requests_in_flight'), 1, 'the scrape itself');
    assert.ok((value(text, 'butaca_db_query_duration_seconds_count', { statement: 'select' }) ?? 0) > 0);
    assert.ok((value(text, 'butaca_login_failures_total') ?? 0) >= 1);
    assert.notEqual(value(text, 'butaca_login_throttled_total'), undefined);
    assert.equal(value(text, 'butaca_uploads_in_progress'), 0);
    if (ctx.config.database.kind === 'sqlite') {
      assert.ok((value(text, 'butaca_read_cache_lookups_total', { result: 'hit' }) ?? 0) >= 1, 'the repeated movie came from the cache');
      assert.ok((value(text, 'butaca_read_cache_lookups_total', { result: 'miss' }) ?? 0) >= 1);
    }
    for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) assert.notEqual(value(text, name), undefined, name);

    // promtool is Prometheus's own check (Debian's prometheus package; .ci/run installs it).
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error && process.env.CI !== 'true') return;
    assert.equal(promtool.error, undefined, 'promtool is installed in CI');
    assert.equal(promtool.status, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`);
  });

  it('answers only this machine by default: another address, or a request through a proxy (X-Forwarded-For, Forwarded, X-Real-IP), gets 404', async () => {
    assert.equal((await scrape(ctx.app, {}, '10.1.2.3')).statusCode, 404);
    assert.equal((await scrape(ctx.app, { 'x-forwarded-for': '203.0.113.9' })).statusCode, 404);
    assert.equal((await scrape(ctx.app, { forwarded: 'for=203.0.113.9' })).statusCode, 404);
    assert.equal((await scrape(ctx.app, { 'x-real-ip': '203.0.113.9' })).statusCode, 404);
    assert.equal((await scrape(ctx.app, {}, '::1')).statusCode, 200);
  });

  it('with METRICS=<token> answers the bearer of that token from anywhere, and with METRICS=off nobody', async () => {
    const token = 'scrape-token-0123456789';
    const withToken = await startApp({ METRICS: token });
    try {
      assert.equal((await scrape(withToken.app)).statusCode, 404, 'no token');
      assert.equal((await scrape(withToken.app, bearer('scrape-token-0123456780'))).statusCode, 404, 'another token');
      assert.equal((await scrape(withToken.app, bearer(token), '198.51.100.7')).statusCode, 200);
    } finally {
      await withToken.close();
    }
    const off = await startApp({ METRICS: 'off' });
    try {
      assert.equal((await scrape(off.app)).statusCode, 404);
    } finally {
      await off.close();
    }
  });

  it("deploy/prometheus: the scrape configuration and the alert rules pass promtool (check config, check rules)", (t) => {
    const check = (...args: string[]) => spawnSync('promtool', args, { encoding: 'utf8' });
    const probe = check('--version');
    if (probe.error && process.env.CI !== 'true') return t.skip('promtool is not installed here (Debian: prometheus); CI installs it');
    assert.equal(probe.error, undefined, 'promtool is installed in CI');
    const rules = check('check', 'rules', path.join(ROOT, 'deploy/prometheus/alerts.yml'));
    assert.equal(rules.status, 0, rules.stdout + rules.stderr);
    assert.match(rules.stdout, /SUCCESS: 4 rules found/);
    // Syntax only: the token file it names exists on the Prometheus machine, not here.
    const config = check('check', 'config', '--syntax-only', path.join(ROOT, 'deploy/prometheus/prometheus.yml'));
    assert.equal(config.status, 0, config.stdout + config.stderr);
  });
});
