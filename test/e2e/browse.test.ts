/**
 * Browsing the demo catalogue in the web client: the Spanish switch, the grid's state kept in the
 * URL, the keyboard, and screenshots of the main pages at phone and desktop widths.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  ADMIN,
  DEMO,
  type MediaElement,
  ROOT,
  TEST_TIMEOUT_MS,
  atPath,
  copyScreenshot,
  e2eSuite,
  fetchJson,
  hasAttribute,
  hasText,
  logIn,
  pathOf,
  screenshot,
  visible,
  waitUntil,
  withPage,
} from '../support/browser.js';

interface ApiMovie {
  id: number;
  title: string;
}

const api = <T>(url: string): Promise<T> => fetchJson<T>(url);

/** The titles of the grid's cards, in order. */
async function gridTitles(page: Page): Promise<string[]> {
  return (await page.getByRole('article').getByRole('heading').allInnerTexts()).map((t) => t.trim());
}

async function htmlLang(page: Page, lang: string): Promise<void> {
  await hasAttribute(page.locator('html'), 'lang', lang);
}

/** Every image on the page loaded (lazy ones told to load now, so a full-page screenshot shows them). */
async function imagesLoaded(page: Page): Promise<void> {
  await page.evaluate(`document.querySelectorAll('img[loading="lazy"]').forEach((img) => { img.loading = 'eager'; })`);
  await waitUntil('every image to load', async () => {
    const pending = (await page.evaluate(
      `Array.from(document.images).filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.currentSrc || img.src)`,
    )) as string[];
    return { ok: pending.length === 0, seen: pending };
  });
}

/** No sideways scrolling: the layout fits the viewport. */
async function fitsWidth(page: Page, width: number): Promise<void> {
  const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  assert.ok(scrollWidth <= width, `the page is ${scrollWidth} px wide in a ${width} px viewport (${pathOf(page)})`);
}

function pngWidth(file: string): number {
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', `${file} is not a PNG`);
  return bytes.readUInt32BE(16);
}

e2eSuite('e2e: browsing', { seed: true }, (h) => {
  it('the Español button turns the UI Spanish, which survives a reload; an es-ES browser starts in Spanish', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'spanish-switch', { locale: 'en-US' }, async (page) => {
      await page.goto('/login');
      await logIn(page, DEMO);
      await page.goto('/');
      await htmlLang(page, 'en');
      await visible(page.getByRole('link', { name: 'My reviews', exact: true }));
      await visible(page.getByLabel('Search', { exact: true }));

      await page.getByRole('button', { name: 'Español', exact: true }).click();
      await htmlLang(page, 'es');
      await visible(page.getByRole('link', { name: 'Mis reseñas', exact: true }));
      await visible(page.getByLabel('Buscar', { exact: true }));
      await visible(page.getByRole('button', { name: 'Salir', exact: true }));
      await visible(page.getByRole('button', { name: 'English', exact: true }));
      assert.equal(await page.getByRole('link', { name: 'My reviews', exact: true }).count(), 0);

      await page.reload();
      await htmlLang(page, 'es');
      await visible(page.getByRole('link', { name: 'Mis reseñas', exact: true }));
      await visible(page.getByLabel('Buscar', { exact: true }));

      // Other pages follow: the review form of a movie.
      const [movie] = await api<ApiMovie[]>(h().url('/api/v1/movies?q=Casablanca'));
      await page.goto(`/movies/${movie!.id}`);
      await visible(page.getByRole('slider', { name: 'Puntuación', exact: true }));
      await visible(page.getByLabel('Reseña', { exact: true }));

      await page.getByRole('button', { name: 'English', exact: true }).click();
      await htmlLang(page, 'en');
      await visible(page.getByRole('slider', { name: 'Rating', exact: true }));
    });

    await withPage(h(), 'spanish-locale', { locale: 'es-ES' }, async (page) => {
      await page.goto('/');
      await htmlLang(page, 'es');
      await visible(page.getByLabel('Buscar', { exact: true }));
      await visible(page.getByRole('button', { name: 'English', exact: true }));
      await visible(page.getByRole('link', { name: 'Registrarse', exact: true }));
      await page.goto('/login');
      await visible(page.getByLabel('Usuario', { exact: true }));
      await visible(page.getByLabel('Contraseña', { exact: true }));
      await visible(page.getByRole('button', { name: 'Entrar', exact: true }));
    });
  });

  it('keeps search, sort and page in the URL: a reload keeps them, Back returns to the previous page', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'grid-url-state', {}, async (page) => {
      const all = await api<ApiMovie[]>(h().url('/api/v1/movies?q=a&sort=title&order=asc&limit=100'));
      await page.goto('/');
      await visible(page.getByRole('article'));

      const search = page.getByLabel('Search', { exact: true });
      await search.fill('a');
      await search.press('Enter');
      await atPath(page, /[?&]q=a(&|$)/);
      await page.getByLabel('Sort by', { exact: true }).selectOption({ label: 'Title' });
      await atPath(page, /[?&]sort=title(&|$)/);
      await waitUntil('the grid to show page 1 of the titles with an a, by title', async () => {
        const titles = await gridTitles(page);
        return { ok: titles.length > 0 && titles.every((t, i) => t === all[i]?.title), seen: titles };
      });
      const firstPage = await gridTitles(page);
      assert.ok(firstPage.length < all.length, `${all.length} movies fit one page: no page 2 to test`);
      const pages = Math.ceil(all.length / firstPage.length);
      await visible(page.getByText(`Page 1 of ${pages}`, { exact: true }));
      const page1Url = pathOf(page);

      await page.getByRole('link', { name: 'Next', exact: true }).click();
      await atPath(page, /[?&]page=2(&|$)/);
      const secondPage = all.slice(firstPage.length, firstPage.length * 2).map((m) => m.title);
      await waitUntil('the grid to show page 2', async () => {
        const titles = await gridTitles(page);
        return { ok: JSON.stringify(titles) === JSON.stringify(secondPage), seen: titles };
      });
      await visible(page.getByText(`Page 2 of ${pages}`, { exact: true }));
      const page2Url = pathOf(page);
      assert.match(page2Url, /[?&]q=a(&|$)/);
      assert.match(page2Url, /[?&]sort=title(&|$)/);

      await page.reload();
      assert.equal(pathOf(page), page2Url);
      await waitUntil('the reloaded grid to show page 2 again', async () => {
        const titles = await gridTitles(page);
        return { ok: JSON.stringify(titles) === JSON.stringify(secondPage), seen: titles };
      });
      assert.equal(await search.inputValue(), 'a');
      assert.equal(await page.getByLabel('Sort by', { exact: true }).inputValue(), 'title');
      await visible(page.getByText(`Page 2 of ${pages}`, { exact: true }));
      await visible(page.getByRole('link', { name: 'Previous', exact: true }));

      await page.goBack();
      await atPath(page, page1Url);
      await waitUntil('Back to show page 1 again', async () => {
        const titles = await gridTitles(page);
        return { ok: JSON.stringify(titles) === JSON.stringify(firstPage), seen: titles };
      });
      await visible(page.getByText(`Page 1 of ${pages}`, { exact: true }));
      assert.equal(await search.inputValue(), 'a');
      assert.equal(await page.getByLabel('Sort by', { exact: true }).inputValue(), 'title');
    });
  });

  it('is usable from the keyboard: Tab reaches the search field and a movie link, Enter opens the movie', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'keyboard', {}, async (page) => {
      await page.goto('/');
      await visible(page.getByRole('article'));
      const isFocused = (el: { matches: (selector: string) => boolean }) => el.matches(':focus');

      const search = page.getByLabel('Search', { exact: true });
      let presses = 0;
      while (!(await search.evaluate(isFocused))) {
        assert.ok(++presses <= 20, 'Tab never reached the search field');
        await page.keyboard.press('Tab');
      }
      await page.keyboard.type('casa');
      await page.keyboard.press('Enter');
      await atPath(page, /[?&]q=casa(&|$)/);
      await visible(page.getByRole('heading', { name: 'Casablanca', exact: true }));

      const focusedMovieLink = page.locator('article a:focus');
      presses = 0;
      while ((await focusedMovieLink.count()) === 0) {
        assert.ok(++presses <= 30, 'Tab never reached a movie link');
        await page.keyboard.press('Tab');
      }
      await page.keyboard.press('Enter');
      await atPath(page, /^\/movies\/\d+$/);
      await hasText(page.getByRole('heading', { level: 1 }), 'Casablanca');
    });
  });

  for (const width of [375, 1280] as const) {
    it(`screenshots of the grid, a movie, the login page and the admin edit form at ${width} px`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const [jaws] = await api<ApiMovie[]>(h().url('/api/v1/movies?q=Jaws'));
      await withPage(h(), `screenshots-${width}`, { width }, async (page) => {
        const shots: string[] = [];

        await page.goto('/');
        await visible(page.getByRole('article'));
        await imagesLoaded(page);
        await fitsWidth(page, width);
        shots.push(await screenshot(page, `grid-${width}`));
        if (width === 1280) copyScreenshot(shots.at(-1)!, path.join(ROOT, 'docs', 'web-client.png'));

        await page.goto(`/movies/${jaws!.id}`);
        await hasText(page.getByRole('heading', { level: 1 }), 'Jaws');
        await waitUntil('the trailer’s metadata (readyState ≥ 1)', async () => {
          const readyState = await page.locator('video').evaluate((v: MediaElement) => v.readyState);
          return { ok: readyState >= 1, seen: readyState };
        });
        await imagesLoaded(page);
        await fitsWidth(page, width);
        shots.push(await screenshot(page, `movie-${width}`));

        await page.goto('/login');
        await visible(page.getByRole('button', { name: 'Log in', exact: true }));
        await fitsWidth(page, width);
        shots.push(await screenshot(page, `login-${width}`));

        await logIn(page, ADMIN);
        await page.goto(`/movies/${jaws!.id}/edit`);
        await visible(page.getByLabel('Poster file', { exact: true }));
        assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'Jaws');
        await imagesLoaded(page);
        await fitsWidth(page, width);
        shots.push(await screenshot(page, `admin-edit-${width}`));

        for (const file of shots) assert.equal(pngWidth(file), width, `${file} is not ${width} px wide`);
      });
    });
  }
});
