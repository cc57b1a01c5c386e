import { after, before, describe, it } from 'node:test';
import { injectSend, runCourseScenario } from './support/course-scenario.js';
import { type TestContext, adminToken, startApp } from './support/app.js';

/*
 * A course student's `requests` clients against Butaca, in-process. The request sequence and its
 * assertions are in course-scenario.ts, shared with scripts/course-through.ts, which replays them
 * over HTTP/2 through nginx in front of two instances (scripts/nginx-two-instances.sh).
 */
describe('a course student’s session, replayed', () => {
  let ctx: TestContext;
  let admin: string;

  before(async () => {
    ctx = await startApp();
    // An administrator, made the way an operator makes one (as `butaca user create --admin`).
    admin = await adminToken(ctx);
  });
  after(async () => ctx.close());

  it('registers, gets a token, reviews, lists, edits, logs in with a cookie, deletes and logs out', async () => {
    await runCourseScenario(injectSend(ctx.app), { adminToken: admin, https: false });
  });
});
