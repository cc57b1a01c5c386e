/**
 * An administrator curating the catalogue through the web client: a new movie, its poster
 * uploaded, shown in the grid, replaced and deleted, the movie deleted; and the API's refusals
 * (415 for a file that is not an image, 422 for an impossible year) shown where a person looks.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  ADMIN,
  type ImageElement,
  type MediaElement,
  TEST_TIMEOUT_MS,
  atPath,
  e2eSuite,
  fixture,
  hasAttribute,
  hasText,
  logInAt,
  uniqueName,
  visible,
  waitUntil,
  withPage,
} from '../support/browser.js';

const POSTER = /^\/api\/v1\/movies\/\d+\/poster(\?.*)?$/;

/** Creates a movie through "Add movie" and returns its id, leaving the page on its edit form. */
async function addMovie(page: Page, title: string): Promise<number> {
  await page.getByRole('link', { name: 'Add movie', exact: true }).click();
  await atPath(page, '/admin/movies/new');
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Year', { exact: true }).fill('2024');
  await page.getByLabel('Synopsis', { exact: true }).fill('Made by the end-to-end tests, and deleted by them too.');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await atPath(page, /^\/movies\/\d+(\/edit)?$/);
  const id = Number(/^\/movies\/(\d+)/.exec(new URL(page.url()).pathname)![1]);
  if (!new URL(page.url()).pathname.endsWith('/edit')) {
    await hasText(page.getByRole('heading', { level: 1 }), title);
    await page.getByRole('link', { name: 'Edit movie', exact: true }).click();
    await atPath(page, `/movies/${id}/edit`);
  }
  await visible(page.getByLabel('Poster file', { exact: true }));
  return id;
}

/** Records whether the upload progress bar ever shows, however briefly. */
async function watchProgress(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(`(() => {
    const seen = (node) => node.nodeType === 1 && (node.matches('progress[aria-label="Upload progress"]') || node.querySelector('progress[aria-label="Upload progress"]'));
    window.__e2eProgress = Boolean(document.querySelector('progress[aria-label="Upload progress"]'));
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (seen(n)) window.__e2eProgress = true;
    }).observe(document.body, { subtree: true, childList: true });
  })()`);
  return async () => (await page.evaluate('window.__e2eProgress')) === true;
}

/** Picks `file` as the poster and clicks "Upload poster"; resolves with the API's answer status. */
async function uploadPoster(page: Page, file: string): Promise<number> {
  await page.getByLabel('Poster file', { exact: true }).setInputFiles(file);
  const [response] = await Promise.all([
    page.waitForResponse((r) => POSTER.test(new URL(r.url()).pathname + new URL(r.url()).search) && ['POST', 'PUT'].includes(r.request().method())),
    page.getByRole('button', { name: 'Upload poster', exact: true }).click(),
  ]);
  return response.status();
}

/** The movie's card in the grid, found by searching for its title. */
async function cardOf(page: Page, title: string): Promise<Locator> {
  await page.goto(`/?q=${encodeURIComponent(title)}`);
  const card = page.getByRole('article').filter({ has: page.getByRole('heading', { name: title, exact: true }) });
  await visible(card);
  return card;
}

async function loadedImage(img: Locator): Promise<ImageElement> {
  let seen: ImageElement | undefined;
  await waitUntil('the poster image to load', async () => {
    seen = await img.evaluate((el: ImageElement) => ({ complete: el.complete, naturalWidth: el.naturalWidth, currentSrc: el.currentSrc, srcset: el.srcset }));
    return { ok: seen.complete && seen.naturalWidth > 0, seen };
  });
  return seen!;
}

e2eSuite('e2e: an admin curates the catalogue', { seed: true }, (h) => {
  it('adds a movie, uploads its poster (shown in the grid), replaces and deletes the poster, then deletes the movie', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'admin-poster', {}, async (page) => {
      await logInAt(page, ADMIN);
      const title = `E2E ${uniqueName('poster')}`;
      const id = await addMovie(page, title);

      // Upload: the progress bar shows, then the poster is there and can be deleted.
      const sawProgress = await watchProgress(page);
      assert.equal(await uploadPoster(page, fixture('poster.jpg')), 201);
      assert.ok(await sawProgress(), 'no <progress aria-label="Upload progress"> appeared during the upload');
      await visible(page.getByRole('status').filter({ hasText: 'The poster is uploaded.' }));
      await visible(page.getByRole('button', { name: 'Delete poster', exact: true }));
      assert.equal(await page.getByRole('progressbar', { name: 'Upload progress' }).count(), 0, 'the progress bar stays after the upload');

      // The grid shows it, responsive.
      let card = await cardOf(page, title);
      const first = await loadedImage(card.locator('img').first());
      assert.match(first.srcset, /[?&]w=\d+/, `srcset ${JSON.stringify(first.srcset)}`);
      assert.match(first.currentSrc, new RegExp(`/api/v1/movies/${id}/poster`));

      // Replace it: the grid shows the new version.
      await page.goto(`/movies/${id}/edit`);
      await visible(page.getByRole('button', { name: 'Delete poster', exact: true }));
      const replaced = await uploadPoster(page, fixture('poster.png'));
      assert.ok(replaced === 200 || replaced === 201, `replacing answered ${replaced}`);
      card = await cardOf(page, title);
      const second = await loadedImage(card.locator('img').first());
      assert.notEqual(second.currentSrc, first.currentSrc, 'the grid still shows the old poster');

      // Delete it: the card has no poster any more.
      await page.goto(`/movies/${id}/edit`);
      const [deleted] = await Promise.all([
        page.waitForResponse((r) => POSTER.test(new URL(r.url()).pathname) && r.request().method() === 'DELETE'),
        page.getByRole('button', { name: 'Delete poster', exact: true }).click(),
      ]);
      assert.equal(deleted.status(), 204);
      await visible(page.getByRole('button', { name: 'Upload poster', exact: true }));
      card = await cardOf(page, title);
      assert.equal(await card.locator(`img[src*="/poster"], img[srcset*="/poster"]`).count(), 0, 'the card still shows a poster');

      // A trailer too: the movie page plays it.
      await page.goto(`/movies/${id}/edit`);
      await page.getByLabel('Trailer file', { exact: true }).setInputFiles(fixture('trailer.mp4'));
      const [trailer] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/movies/${id}/trailer` && ['POST', 'PUT'].includes(r.request().method())),
        page.getByRole('button', { name: 'Upload trailer', exact: true }).click(),
      ]);
      assert.equal(trailer.status(), 201);
      await visible(page.getByRole('button', { name: 'Delete trailer', exact: true }));
      await page.getByRole('link', { name: 'View the movie page', exact: true }).click();
      await atPath(page, `/movies/${id}`);
      const video = page.locator('video');
      await video.evaluate((v: MediaElement) => {
        v.muted = true;
        return v.play().catch(() => {});
      });
      await waitUntil('the uploaded trailer to play (readyState ≥ 2)', async () => {
        const readyState = await video.evaluate((v: MediaElement) => v.readyState);
        return { ok: readyState >= 2, seen: readyState };
      });

      // Delete the movie, after the inline confirmation (Cancel first: nothing happens).
      await page.goto(`/movies/${id}/edit`);
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByRole('button', { name: 'Cancel', exact: true }).click();
      await waitUntil('the confirmation to go away', async () => (await page.getByRole('button', { name: 'Cancel', exact: true }).count()) === 0);
      assert.equal((await fetch(h().url(`/api/v1/movies/${id}`))).status, 200, 'Cancel deleted the movie');
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await visible(page.getByRole('button', { name: 'Cancel', exact: true }));
      const [gone] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1/movies/${id}` && r.request().method() === 'DELETE'),
        page.getByRole('button', { name: 'Delete', exact: true }).last().click(),
      ]);
      assert.equal(gone.status(), 204);
      await waitUntil('the page to leave the deleted movie', async () => !new URL(page.url()).pathname.startsWith(`/movies/${id}`));
      assert.equal((await fetch(h().url(`/api/v1/movies/${id}`))).status, 404);
    });
  });

  it('a file that is not an image is refused with the 415 (by its code, in the reader’s words) in an alert', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'admin-415', {}, async (page, watcher) => {
      watcher.expect(415, POSTER);
      await logInAt(page, ADMIN);
      const id = await addMovie(page, `E2E ${uniqueName('refused')}`);
      const status = await uploadPoster(page, fixture('not-an-image.jpg'));
      assert.equal(status, 415);
      const alert = page.getByRole('alert').filter({ hasText: /This kind of file is not accepted.*only JPEG, PNG or WebP images/ });
      await visible(alert);
      // Nothing was stored: there is no poster to delete.
      const movie = (await (await fetch(h().url(`/api/v1/movies/${id}`))).json()) as { poster_url: string | null };
      assert.equal(movie.poster_url, null);
      assert.equal(await page.getByRole('button', { name: 'Delete poster', exact: true }).count(), 0);
    });
  });

  it('a 422 from the API shows at its field: Year 1700 is marked invalid, with the message under it', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'admin-422', {}, async (page, watcher) => {
      watcher.expect(422, /^\/api\/v1\/movies$/, 'POST');
      await logInAt(page, ADMIN);
      await page.goto('/admin/movies/new');
      const title = `E2E ${uniqueName('year')}`;
      await page.getByLabel('Title', { exact: true }).fill(title);
      const year = page.getByLabel('Year', { exact: true });
      await year.fill('1700');
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/movies' && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Save', exact: true }).click(),
      ]);
      assert.equal(response.status(), 422);
      const detail = ((await response.json()) as { detail: { loc: string[]; msg: string }[] }).detail;
      const yearError = detail.find((d) => d.loc.join('.') === 'body.year');
      assert.ok(yearError, JSON.stringify(detail));

      await hasAttribute(year, 'aria-invalid', 'true');
      const describedBy = await year.getAttribute('aria-describedby');
      assert.ok(describedBy, 'the Year field has no aria-describedby');
      const message = page.locator(describedBy.split(/\s+/).map((id) => `[id="${id}"]`).join(', '));
      await visible(message);
      await hasText(message, /\S/);
      const [field, under] = await Promise.all([year.boundingBox(), message.first().boundingBox()]);
      assert.ok(field && under, 'the field or its message has no box');
      assert.ok(under.y >= field.y + field.height - 2 && under.y - (field.y + field.height) < 80, `the message is not right under the field: ${JSON.stringify({ field, under })}`);
      // The title was fine: not marked; nothing was created; the person is still on the form.
      assert.notEqual(await page.getByLabel('Title', { exact: true }).getAttribute('aria-invalid'), 'true');
      await atPath(page, '/admin/movies/new');
      const found = (await (await fetch(h().url(`/api/v1/movies?q=${encodeURIComponent(title)}`))).json()) as unknown[];
      assert.deepEqual(found, []);

      // Correcting it clears the mark once saved.
      await year.fill('1999');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await atPath(page, /^\/movies\/\d+(\/edit)?$/);
    });
  });
});
