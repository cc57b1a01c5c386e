/**
 * Account recovery in the web client: the email on the account page (with the password), "Forgot
 * password?" on the login page, the emailed link (here from the log: the e2e server has no
 * SMTP_URL, so in development it writes the link at warn), the new password, and logging in
 * with it, the old session ended.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TEST_TIMEOUT_MS, atPath, e2eSuite, fetchJson, logInAt, newMember, visible, waitUntil, withPage } from '../support/browser.js';

const PASSWORD = 'recovery-password-1';

e2eSuite('e2e: account recovery', {}, (h) => {
  it('saves an email on the account page, sends a reset link from the login page, and sets a new password through it', { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
    const url = h().url;
    const me = await newMember(url, 'forgetful', PASSWORD);
    const email = `${me.username}@example.org`;
    await withPage(h(), 'recovery', {}, async (page, watcher) => {
      await logInAt(page, me, '/account');
      const emailSection = page.getByRole('region', { name: 'Email' });
      await emailSection.getByLabel('Email', { exact: true }).fill(email);
      await emailSection.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await emailSection.getByRole('button', { name: 'Save email' }).click();
      await visible(emailSection.getByRole('status').filter({ hasText: 'Your email is saved.' }));
      assert.equal((await fetchJson<{ email?: string }>(url('/api/v1/users/me'), { headers: { authorization: `Bearer ${me.token}` } })).email, email);

      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await page.goto('/login');
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await atPath(page, '/forgot-password');
      await page.getByLabel('Email', { exact: true }).fill(email);
      const from = h().server.output().length;
      await page.getByRole('button', { name: 'Send the link' }).click();
      await visible(page.getByRole('status').filter({ hasText: 'If an account has this email' }));
      let link = '';
      await waitUntil('the reset link in the server log', async () => {
        link = /"link":"[^"]*?(\/reset-password\?token=[A-Za-z0-9_-]{43})"/.exec(h().server.output().slice(from))?.[1] ?? '';
        return link !== '';
      });

      await page.goto(link);
      await visible(page.getByRole('heading', { level: 1, name: 'Choose a new password' }));
      await page.getByLabel('New password', { exact: true }).fill('recovered-password-2');
      await page.getByRole('button', { name: 'Set the password' }).click();
      await atPath(page, '/login');
      await visible(page.getByText('Your password is changed, and you are logged out everywhere.'));
      const old = await fetch(url('/api/v1/users/me'), { headers: { authorization: `Bearer ${me.token}` } });
      assert.equal(old.status, 401, 'the session from before is over');
      await logInAt(page, { username: me.username, password: 'recovered-password-2' }, '/account');
      await atPath(page, '/account');

      // The link a second time: it says so, and offers a new one.
      watcher.expect(422, /\/password-reset\/confirm$/, 'POST');
      await page.goto(link);
      await page.getByLabel('New password', { exact: true }).fill('another-password-3');
      await page.getByRole('button', { name: 'Set the password' }).click();
      await visible(page.getByRole('alert').filter({ hasText: 'This link no longer works' }));
      await visible(page.getByRole('link', { name: 'Ask for a new link' }));
    });
  });
});
