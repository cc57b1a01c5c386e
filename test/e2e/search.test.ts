/**
 * Finding films in the web client, over the demo catalogue: the header's search box (an ARIA
 * combobox: suggestions as one types, accents ignored, arrows and Enter, Escape), the results page
 * with its four groups, the catalogue's genre and decade filters kept in the URL, a director's
 * link from a film's page, and the admin form's new fields.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN, TEST_TIMEOUT_MS, atPath, e2eSuite, fetchJson, hasAttribute, hasText, logInAt, pathOf, uniqueName, visible, waitUntil, withPage } from '../support/browser.js';

const box = (page: Page) => page.getByRole('combobox', { name: 'Search Butaca' });

/** The titles of the catalogue's cards, in the order shown. */
const cardTitles = async (page: Page): Promise<string[]> => page.locator('.card__title').allTextContents();

e2eSuite('e2e: search, filters and the new movie fields', { seed: true }, (h) => {
  it('suggests films as one types (accents ignored), opens one with Arrow Down and Enter, closes with Escape, and Enter alone opens the results page', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'search-combobox', { width: 1280 }, async (page) => {
      await page.goto('/');
      const input = box(page);
      await hasAttribute(input, 'aria-expanded', 'false');
      await input.fill('espiritu');
      const list = page.getByRole('listbox', { name: 'Suggestions' });
      await visible(list);
      await hasAttribute(input, 'aria-expanded', 'true');
      assert.equal(await input.getAttribute('aria-controls'), await list.getAttribute('id'));
      await visible(list.getByRole('option', { name: /El espíritu de la colmena/ }));
      await visible(page.getByRole('status').filter({ hasText: /1 suggestion\b/ }));

      // Escape closes the list and leaves the text.
      await page.keyboard.press('Escape');
      await hasAttribute(input, 'aria-expanded', 'false');
      assert.equal(await list.isVisible(), false);
      assert.equal(await input.inputValue(), 'espiritu');

      // Arrow Down reopens and highlights the first option; Enter opens its film.
      await page.keyboard.press('ArrowDown');
      await hasAttribute(input, 'aria-expanded', 'true');
      const option = list.getByRole('option').first();
      await hasAttribute(option, 'aria-selected', 'true');
      assert.equal(await input.getAttribute('aria-activedescendant'), await option.getAttribute('id'));
      await page.keyboard.press('Enter');
      await atPath(page, /^\/movies\/\d+$/);
      await hasText(page.getByRole('heading', { level: 1 }), 'El espíritu de la colmena');

      // Enter with nothing highlighted: the results page, with its four groups.
      await input.fill('ridley');
      await visible(list.getByRole('option').first());
      await input.press('Enter');
      await atPath(page, '/search?q=ridley');
      await hasText(page.getByRole('heading', { level: 1 }), 'Results for “ridley”');
      for (const group of ['Movies', 'Reviews', 'Members', 'Lists']) await visible(page.getByRole('heading', { level: 2, name: group, exact: true }));
      const movies = page.getByRole('region', { name: 'Movies' });
      await visible(movies.getByRole('link', { name: 'Blade Runner', exact: true }));
      await visible(movies.getByRole('link', { name: 'Alien', exact: true }));
      await visible(page.getByRole('region', { name: 'Members' }).getByText('No member matches.'));
      await movies.getByRole('link', { name: 'All matching movies' }).click();
      await atPath(page, '/?q=ridley');
      await waitUntil('the catalogue to show the matching films', async () => {
        const titles = await cardTitles(page);
        return { ok: titles.includes('Blade Runner') && titles.includes('Alien'), seen: titles };
      });
    });
  });

  it('never shows the suggestions of an older text over a newer one', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'search-stale', { width: 1280 }, async (page) => {
      await page.goto('/');
      // The answer for "blade" is held back until after "alien" has answered.
      let releaseBlade: () => void = () => undefined;
      const bladeHeld = new Promise<void>((resolve) => (releaseBlade = resolve));
      await page.route('**/api/v1/search?*', async (route) => {
        if (new URL(route.request().url()).searchParams.get('q') === 'blade') await bladeHeld;
        await route.continue().catch(() => undefined);
      });
      const input = box(page);
      await input.fill('blade');
      await page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/search' && new URL(r.url()).searchParams.get('q') === 'blade');
      await input.fill('alien');
      const list = page.getByRole('listbox', { name: 'Suggestions' });
      await visible(list.getByRole('option', { name: /^Alien/ }));
      releaseBlade();
      await page.waitForTimeout(500);
      assert.equal(await list.getByRole('option', { name: /Blade Runner/ }).count(), 0);
      await page.unroute('**/api/v1/search?*');
    });
  });

  it('filters the catalogue by genre and decade in the URL, through a reload and the back button; a director link leads to their films', { timeout: TEST_TIMEOUT_MS }, async () => {
    const all = await fetchJson<{ id: number; title: string; year: number | null; genres: string[] }[]>(h().url('/api/v1/movies?limit=100'));
    const sciFi70s = all.filter((m) => m.genres.includes('sci-fi') && m.year !== null && m.year >= 1970 && m.year < 1980).map((m) => m.title).sort();
    assert.ok(sciFi70s.length > 0, 'the demo has science fiction from the 1970s');
    await withPage(h(), 'search-filters', { width: 1280 }, async (page) => {
      await page.goto('/');
      await visible(page.locator('.card').first());
      await page.getByLabel('Genre', { exact: true }).selectOption('sci-fi');
      await waitUntil('the URL to carry the genre', async () => ({ ok: new URL(page.url()).searchParams.get('genre') === 'sci-fi', seen: page.url() }));
      await page.getByLabel('Decade', { exact: true }).selectOption('1970');
      await waitUntil('the list to be the 1970s science fiction', async () => {
        const titles = (await cardTitles(page)).sort();
        return { ok: JSON.stringify(titles) === JSON.stringify(sciFi70s), seen: titles };
      });
      const filtered = new URL(page.url());
      assert.equal(filtered.searchParams.get('genre'), 'sci-fi');
      assert.equal(filtered.searchParams.get('decade'), '1970');

      await page.reload();
      await hasAttribute(page.getByLabel('Genre', { exact: true }), 'name', 'genre');
      assert.equal(await page.getByLabel('Genre', { exact: true }).inputValue(), 'sci-fi');
      assert.equal(await page.getByLabel('Decade', { exact: true }).inputValue(), '1970');
      await waitUntil('the filtered list after a reload', async () => {
        const titles = (await cardTitles(page)).sort();
        return { ok: JSON.stringify(titles) === JSON.stringify(sciFi70s), seen: titles };
      });
      await page.goBack();
      await waitUntil('back to the genre alone', async () => ({ ok: new URL(page.url()).searchParams.get('decade') === null && (await page.getByLabel('Decade', { exact: true }).inputValue()) === '', seen: page.url() }));
      assert.equal(await page.getByLabel('Genre', { exact: true }).inputValue(), 'sci-fi');

      // A film's page: its director and genres are links to the catalogue filtered by them.
      await page.goto(`/movies/${all.find((m) => m.title === 'Blade Runner')!.id}`);
      await visible(page.getByRole('link', { name: 'Science fiction', exact: true }));
      await page.getByRole('link', { name: 'Ridley Scott', exact: true }).click();
      await atPath(page, '/?director=Ridley+Scott');
      await visible(page.getByText('Directed by Ridley Scott'));
      await waitUntil('Ridley Scott’s films', async () => {
        const titles = (await cardTitles(page)).sort();
        return { ok: JSON.stringify(titles) === JSON.stringify(['Alien', 'Blade Runner']), seen: titles };
      });
    });
  });

  it('saves the new fields from the admin form and shows them on the film’s page; a duplicate IMDb id is refused beside its field', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'search-admin-form', { width: 1280 }, async (page, watcher) => {
      await logInAt(page, ADMIN, '/admin/movies/new');
      const title = `E2E ${uniqueName('fields')}`;
      await page.getByLabel('Title', { exact: true }).fill(title);
      await page.getByLabel('Original title', { exact: true }).fill('Título de prueba');
      await page.getByLabel('Year', { exact: true }).fill('1999');
      await page.getByLabel('Directors', { exact: true }).fill('Ana Prueba\nLuis Ensayo');
      const genres = page.getByRole('group', { name: 'Genres' });
      await genres.getByLabel('Comedy', { exact: true }).check();
      await genres.getByLabel('Film noir', { exact: true }).check();
      await page.getByLabel('Runtime (minutes)', { exact: true }).fill('101');
      await page.getByLabel('IMDb id', { exact: true }).fill('tt9900001');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await atPath(page, /^\/movies\/\d+\/edit$/);
      const id = Number(/^\/movies\/(\d+)/.exec(pathOf(page))![1]);
      const saved = await fetchJson<{ original_title: string; directors: string[]; genres: string[]; runtime: number; imdb_id: string }>(h().url(`/api/v1/movies/${id}`));
      assert.deepEqual(
        { original_title: saved.original_title, directors: saved.directors, genres: saved.genres, runtime: saved.runtime, imdb_id: saved.imdb_id },
        { original_title: 'Título de prueba', directors: ['Ana Prueba', 'Luis Ensayo'], genres: ['comedy', 'film-noir'], runtime: 101, imdb_id: 'tt9900001' },
      );
      // The edit form shows what was saved.
      assert.equal(await page.getByLabel('Directors', { exact: true }).inputValue(), 'Ana Prueba\nLuis Ensayo');
      assert.equal(await genres.getByLabel('Film noir', { exact: true }).isChecked(), true);

      // An invalid runtime and IMDb id: the API's 422 beside each field.
      watcher.expect(422, /^\/api\/v1\/movies\/\d+$/, 'PUT');
      await page.getByLabel('Runtime (minutes)', { exact: true }).fill('-5');
      await page.getByLabel('IMDb id', { exact: true }).fill('nm123');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await hasAttribute(page.getByLabel('IMDb id', { exact: true }), 'aria-invalid', 'true');
      await hasAttribute(page.getByLabel('Runtime (minutes)', { exact: true }), 'aria-invalid', 'true');

      // An IMDb id another film has: the 409 is shown beside that field, and the runtime is fine again.
      const { access_token: token } = await fetchJson<{ access_token: string }>(h().url('/auth'), { method: 'POST', body: new URLSearchParams(ADMIN) });
      await fetchJson(h().url('/api/v1/movies'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ title: `${title} twin`, imdb_id: 'tt9900002' }),
      });
      watcher.expect(409, /^\/api\/v1\/movies\/\d+$/, 'PUT');
      await page.getByLabel('Runtime (minutes)', { exact: true }).fill('101');
      await page.getByLabel('IMDb id', { exact: true }).fill('tt9900002');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await visible(page.locator('.field__error').filter({ hasText: 'A movie with this IMDb id already exists.' }));
      await hasAttribute(page.getByLabel('IMDb id', { exact: true }), 'aria-invalid', 'true');
      assert.equal(await page.getByLabel('Runtime (minutes)', { exact: true }).getAttribute('aria-invalid'), null);

      // The film's page shows them.
      await page.goto(`/movies/${id}`);
      await visible(page.getByText('Título de prueba'));
      await visible(page.getByRole('link', { name: 'Luis Ensayo', exact: true }));
      await visible(page.getByRole('link', { name: 'Film noir', exact: true }));
      await visible(page.getByText('101 min'));
    });
  });
});
