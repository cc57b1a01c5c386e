/**
 * The API documentation at /docs (Swagger UI) in Chromium: Butaca's own title and mark, the
 * Explore box on the public document, an Authorize dialog with only what a student can use, a
 * real login through it, and axe-core's WCAG 2.2 A/AA rules on the page and on the open dialog.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { TEST_TIMEOUT_MS, e2eSuite, hasText, uniqueName, visible, withPage } from '../support/browser.js';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * What axe still finds that no configuration or stylesheet can fix: Swagger UI renders it so, and
 * only a change of its markup (a fork, or script patching its DOM after each render) would do.
 * Each entry is a rule and the exact elements; anything else fails the test.
 */
const CANNOT_FIX: { rule: string; targets: RegExp; why: string }[] = [
  {
    rule: 'label',
    targets: /^#download-url-input$/,
    why: 'the Explore box is an <input> with no <label>, aria-label or placeholder; CSS cannot name an input',
  },
  {
    rule: 'button-name',
    targets: /^\.close-modal$/,
    why: "the dialog's × button holds only an SVG; the stylesheet names it with generated text, which Chromium's accessibility tree takes (checked below) and axe-core does not read",
  },
];

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  return result.violations.flatMap((v) =>
    v.nodes
      .map((n) => n.target.join(' '))
      .filter((target) => !CANNOT_FIX.some((c) => c.rule === v.id && c.targets.test(target)))
      .map((target) => `${v.id} (${v.impact}): ${target} — ${v.help}`),
  );
}

e2eSuite('API documentation at /docs', { seed: false }, (h) => {
  it('is Butaca’s, explores /openapi.json, authorizes with username and password only, and passes axe', { timeout: TEST_TIMEOUT_MS }, async () => {
    const user = { username: uniqueName('docs'), password: 'docs-password-1' };
    const created = await fetch(h().url('/api/v1/users'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(user),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(created.status, 201);

    await withPage(h(), 'docs', { width: 1280 }, async (page) => {
      await page.goto('/docs');
      // Swagger UI renders the whole OpenAPI document (about a hundred operations) before the first
      // one shows: seconds on its own, past the usual 10 s when the suite's two files share the two
      // cores (it timed out once so in CI, and passed alone in 17 s with and without this round's changes).
      await visible(page.locator('.opblock-summary').first(), 30_000);
      const title = await page.title();
      assert.match(title, /Butaca/);
      assert.doesNotMatch(title, /Swagger|Fastify/i);
      assert.equal(await page.locator('#download-url-input').inputValue(), '/openapi.json');
      assert.equal(await page.locator('.topbar img').count(), 0, 'no framework logo in the top bar');
      assert.deepEqual(await violations(page), [], 'axe on /docs');

      await page.locator('.auth-wrapper .authorize').click();
      const dialog = page.locator('.modal-ux');
      await visible(dialog);
      await visible(dialog.locator('#oauth_username'));
      await visible(dialog.locator('#oauth_password'));
      // Nothing a student needs or can use: the client credentials and where to send them, and
      // a cookie box whose value the browser would never send.
      for (const hidden of ['#client_id_password', '#client_secret_password', '#password_type', '#api_key_value']) {
        assert.equal(await dialog.locator(hidden).isVisible(), false, `${hidden} is hidden`);
      }
      assert.doesNotMatch(await dialog.innerText(), /sessionCookie|client_id|client_secret|Client credentials/);
      assert.deepEqual(await violations(page), [], 'axe on the open Authorize dialog');
      // What the allow-list says of the × button: screen readers do get a name for it.
      assert.equal(await page.locator('.modal-ux-header').getByRole('button', { name: 'Close', exact: true }).count(), 1);

      // The password flow still works from the trimmed dialog.
      await dialog.locator('#oauth_username').fill(user.username);
      await dialog.locator('#oauth_password').fill(user.password);
      const token = page.waitForResponse((r) => r.url().endsWith('/auth') && r.request().method() === 'POST');
      await dialog.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click();
      const answer = await token;
      assert.equal(answer.status(), 200);
      // The form of RFC 6749 §4.3.2, as FastAPI's OAuth2PasswordRequestForm reads it.
      const form = new URLSearchParams(answer.request().postData() ?? '');
      assert.equal(form.get('grant_type'), 'password');
      assert.equal(form.get('username'), user.username);
      await hasText(dialog.locator('.auth-container h6').first(), /Authorized/);
    });
  });
});
