import assert from 'node:assert/strict';
import { it } from 'node:test';
import { e2eSuite, screenshot, withPage } from '../support/browser.js';

// The harness itself: a real server process, Chromium loading what it serves at /, a screenshot.
e2eSuite('e2e harness', { seed: false }, (h) => {
  it('serves / to Chromium with no console error or failed request, and saves a screenshot', { timeout: 60_000 }, async () => {
    const ready = await fetch(h().url('/readyz'), { signal: AbortSignal.timeout(5000) });
    assert.equal(ready.status, 200);
    await withPage(h(), 'harness', { width: 1280 }, async (page) => {
      const res = await page.goto('/');
      assert.equal(res?.status(), 200);
      assert.match(await page.title(), /Butaca/);
      const lang = await page.locator('html').getAttribute('lang');
      assert.ok(lang === 'en' || lang === 'es', `html lang=${lang}`);
      const file = await screenshot(page, 'harness-home-1280');
      assert.ok(file.endsWith('.png'));
    });
  });
});
