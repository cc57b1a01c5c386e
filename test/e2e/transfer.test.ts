/**
 * A member's data in and out in the web client: "Import from Letterboxd" under the account (file
 * picker, progress, the summary with each film not found as a search for it, a malformed file's
 * line named at the field), axe-clean with its summary shown, and "Download my data".
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import { TEST_TIMEOUT_MS, atPath, e2eSuite, fetchJson, logInAt, newMember, visible, waitUntil, withPage } from '../support/browser.js';

const PASSWORD = 'transfer-password-1';
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const DIARY = 'Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n';

e2eSuite('e2e: import from Letterboxd, download my data', { seed: true }, (h) => {
  it('imports a Letterboxd diary from the account, shows what came over and what did not, and downloads the member’s data', { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
    const url = h().url;
    const me = await newMember(url, 'importer', PASSWORD);
    await withPage(h(), 'transfer-import', {}, async (page, watcher) => {
      await logInAt(page, me, '/account');
      await page.getByRole('link', { name: 'Import from Letterboxd' }).click();
      await atPath(page, '/account/import');
      await visible(page.getByRole('heading', { level: 1, name: 'Import from Letterboxd' }));

      const picker = page.getByLabel('Letterboxd export (ZIP or CSV)', { exact: true });
      // A malformed file first: its line is named at the field, and nothing is imported.
      watcher.expect(422, /\/import\/letterboxd$/, 'POST');
      await picker.setInputFiles({ name: 'diary.csv', mimeType: 'text/csv', buffer: Buffer.from(`${DIARY}2024-03-01,casablanca,1942,,7,,,2024-02-28\n`) });
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await visible(page.getByText('diary.csv, line 2: Rating “7” should be empty or a rating from 0.5 to 5 in half stars.'));
      assert.equal(await page.getByLabel('Letterboxd export (ZIP or CSV)', { exact: true }).getAttribute('aria-invalid'), 'true');

      // The same file put right, with a film the catalogue lacks. The throttle allows one import a
      // minute, refused ones included, so the test's member gets a fresh minute through the API.
      const second = await newMember(url, 'importer', PASSWORD);
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await logInAt(page, second, '/account/import');
      await page
        .getByLabel('Letterboxd export (ZIP or CSV)', { exact: true })
        .setInputFiles({ name: 'diary.csv', mimeType: 'text/csv', buffer: Buffer.from(`${DIARY}2024-03-01,casablanca,1942,,4.5,,"noir, classic",2024-02-28\n2024-03-02,A Film Nobody Made,1999,,3,,,2024-03-01\n`) });
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      const summary = page.getByRole('region', { name: 'What came over' });
      await visible(summary);
      await visible(summary.getByText('1 diary entry', { exact: true }));
      await visible(summary.getByText('1 film found in the catalogue', { exact: true }));
      await visible(summary.getByRole('heading', { name: '1 film not found' }));
      const search = summary.getByRole('link', { name: 'Search for A Film Nobody Made (1999)' });
      assert.equal(await search.getAttribute('href'), '/search?q=A+Film+Nobody+Made');
      const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
      assert.deepEqual(result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`)), []);
      await waitUntil('the entry to be in the diary', async () => {
        const diary = await fetchJson<{ movie: { title: string }; rating: number; tags: string[] }[]>(url(`/api/v1/users/${second.id}/diary`));
        return { ok: diary.length === 1 && diary[0]!.movie.title === 'Casablanca' && diary[0]!.rating === 4.5, seen: diary };
      });

      await summary.getByRole('link', { name: 'See your diary' }).click();
      await atPath(page, `/u/${second.username}/diary`);
      await visible(page.getByRole('link', { name: 'Casablanca' }).first());

      await page.goto('/account');
      const downloading = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download my data' }).click();
      const download = await downloading;
      assert.match(download.suggestedFilename(), new RegExp(`^butaca-${second.username}-\\d{4}-\\d{2}-\\d{2}\\.zip$`));
      await visible(page.getByRole('status').filter({ hasText: 'Your data is downloaded' }));
      // A second download within the minute is refused on the page, not by a page of JSON.
      watcher.expect(429, /\/users\/me\/export$/, 'GET');
      await page.getByRole('button', { name: 'Download my data' }).click();
      await visible(page.getByRole('alert').filter({ hasText: /Too many requests\. Try again in \d+ seconds?\./ }));
    });
  });
});
