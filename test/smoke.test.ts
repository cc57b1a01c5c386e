import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestContext, startApp } from './support/app.js';

describe('service endpoints', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startApp();
  });
  after(async () => ctx.close());

  it('answers /healthz and /readyz', async () => {
    const health = await ctx.app.inject('/healthz');
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await ctx.app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
  });
});
