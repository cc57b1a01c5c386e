/**
 * axe-core's WCAG 2.2 A/AA rules on every page of the web client (every route of
 * web/src/routes.ts, with data in it, signed in where the page needs it), in English at a
 * desktop's width and in Spanish at 320 px, plus search results, the filtered catalogue, the open
 * search suggestions, the open "Log" dialog, the open comments of a
 * review, a revealed spoiler, the "Add to list" form and the not-found page:
 * 0 violations, nothing allow-listed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { CLIENT_ROUTES } from '../../web/src/routes.js';
import { ADMIN, TEST_TIMEOUT_MS, e2eSuite, fetchJson, fixture, uniqueName, visible, waitUntil, withPage } from '../support/browser.js';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const PASSWORD = 'a11y-password-1';

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}`));
}

/** Until the page has its heading and no loading placeholders. */
async function settled(page: Page): Promise<void> {
  await visible(page.locator('h1').first());
  await waitUntil('the page to finish loading', async () => {
    const n = await page.locator('.skeleton').count();
    return { ok: n === 0, seen: n };
  });
}

/** Logs in through the form whatever the page's language. */
async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.locator('input[autocomplete="username"]').fill(username);
  await page.locator('input[type="password"]').fill(password);
  await page.locator('main form button[type="submit"]').click();
  await visible(page.locator('.user-chip'));
}

const api = fetchJson;

e2eSuite('e2e: every page passes axe', { seed: true }, (h) => {
  /** A member with something on every page, made once for both languages' tests. */
  let made: Promise<{ username: string; first: number; second: number; pages: Record<(typeof CLIENT_ROUTES)[number], string> }> | undefined;
  const member = () => (made ??= makeMember());
  async function makeMember() {
    const url = h().url;
    // A member with something on every page: a review, a rating, diary entries, a watchlist, an avatar, a bio.
    const username = uniqueName('axe');
    await api(url('/api/v1/users'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
    const { access_token: token } = await api<{ access_token: string }>(url('/auth'), { method: 'POST', body: new URLSearchParams({ username, password: PASSWORD }) });
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const movies = await api<{ id: number }[]>(url('/api/v1/movies?limit=3'));
    const [first, second, third] = movies.map((m) => m.id) as [number, number, number];
    await api(url('/api/v1/reviews'), { method: 'POST', headers: auth, body: JSON.stringify({ movie_id: first, review: 'Para verla otra vez.', rating: 4.5 }) });
    await api(url('/api/v1/diary'), { method: 'POST', headers: auth, body: JSON.stringify({ movie_id: second, watched_on: '2026-10-02', rating: 3, liked: true, tags: ['cine'] }) });
    await api(url(`/api/v1/users/me/watchlist/${third}`), { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
    await api(url('/api/v1/users/me'), { method: 'PATCH', headers: auth, body: JSON.stringify({ display_name: 'Axe Tester', bio: 'Checks every page.' }) });
    await api(url('/api/v1/users/me/avatar'), { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: readFileSync(fixture('poster.png')) });
    // The community: a ranked list with notes, a follow of the demo's members (a feed full of their doings), a comment and a like.
    const list = await api<{ id: number }>(url('/api/v1/lists'), { method: 'POST', headers: auth, body: JSON.stringify({ title: 'Axe’s ranking', description: 'Three films.', ranked: true }) });
    for (const [i, movie] of [first, second, third].entries()) {
      await api(url(`/api/v1/lists/${list.id}/items/${movie}`), { method: 'PUT', headers: auth, body: JSON.stringify(i === 0 ? { note: 'The best.' } : {}) });
    }
    const demo = await api<{ id: number }>(url('/api/v1/profiles/demo'));
    await api(url(`/api/v1/users/me/following/${demo.id}`), { method: 'PUT', headers: { authorization: `Bearer ${token}` } });

    const pages: Record<(typeof CLIENT_ROUTES)[number], string> = {
      '/': '/',
      '/login': '/login',
      '/signup': '/signup',
      '/account': '/account',
      '/account/profile': '/account/profile',
      '/account/import': '/account/import',
      '/forgot-password': '/forgot-password',
      // A token of the right shape that no email gave: the form, as a reader of the link sees it (the flow itself: e2e/recovery.test.ts).
      '/reset-password': '/reset-password?token=not-a-real-token-but-well-formed-xxxxxxxxxx',
      '/my-reviews': '/my-reviews',
      // The member and list made above match; the films and reviews groups show their empty states.
      '/search': `/search?q=${username}`,
      '/admin/movies/new': '/admin/movies/new',
      '/movies/:id': `/movies/${first}`,
      '/movies/:id/edit': `/movies/${first}/edit`,
      '/u/:username': `/u/${username}`,
      '/u/:username/diary': `/u/${username}/diary`,
      '/u/:username/watchlist': `/u/${username}/watchlist`,
      '/u/:username/lists': `/u/${username}/lists`,
      '/u/:username/followers': '/u/demo/followers',
      '/u/:username/following': `/u/${username}/following`,
      '/feed': '/feed',
      '/lists/new': '/lists/new',
      '/lists/:id': `/lists/${list.id}`,
      '/lists/:id/edit': `/lists/${list.id}/edit`,
    };
    return { username, first, second, pages };
  }
  const ADMIN_ONLY = new Set(['/admin/movies/new', '/movies/:id/edit']);
  const SIGNED_OUT = new Set(['/login', '/signup']);

  // One test per language, each within its own time limit: together they outgrew one.
  for (const [lang, width, locale] of [
    ['en', 1280, 'en-US'],
    ['es', 320, 'es-ES'],
  ] as const) {
    it(`in ${lang === 'en' ? 'English' : 'Spanish'} at ${width} px, signed in, with a diary, a watchlist and an avatar`, { timeout: TEST_TIMEOUT_MS * 4 }, async () => {
      const { username, first, second, pages } = await member();
      const found: string[] = [];
      await withPage(h(), `a11y-${lang}`, { width, locale }, async (page, watcher) => {
        watcher.expect(404, /^\/no-such-page$/, 'GET');
        const check = async (what: string) => {
          await settled(page);
          for (const v of await violations(page)) found.push(`${lang} ${width}px ${what}: ${v}`);
        };
        for (const [route, path] of Object.entries(pages)) if (SIGNED_OUT.has(route)) {
          await page.goto(path);
          await check(route);
        }
        await page.goto('/no-such-page');
        await check('not found');
        await page.goto(`/movies/${first}`);
        await check('/movies/:id, signed out');

        await signIn(page, username, PASSWORD);
        for (const [route, path] of Object.entries(pages)) if (!SIGNED_OUT.has(route) && !ADMIN_ONLY.has(route)) {
          await page.goto(path);
          await check(route);
        }
        // Search: results with films in them, the catalogue filtered, and the header's suggestions open with one highlighted.
        await page.goto('/search?q=ridley');
        await check('/search, with films');
        await page.goto('/?genre=sci-fi&decade=1980&director=Ridley%20Scott');
        await check('/, filtered');
        await page.locator('input[role="combobox"]').fill('blade');
        await visible(page.getByRole('listbox'));
        await page.keyboard.press('ArrowDown');
        await visible(page.locator('[role="option"][aria-selected="true"]'));
        for (const v of await violations(page)) found.push(`${lang} ${width}px the search suggestions: ${v}`);
        await page.keyboard.press('Escape');
        await page.goto(`/movies/${second}`);
        await settled(page);
        await page.locator('.movie-actions__buttons > button:not(.button--toggle)').click();
        await visible(page.getByRole('dialog'));
        for (const v of await violations(page)) found.push(`${lang} ${width}px the Log dialog: ${v}`);
        await page.keyboard.press('Escape');
        // The disclosures of a movie page, open: a review's comments and "Add to list".
        await page.goto(`/movies/${first}`);
        await settled(page);
        await page.locator('.comments > button').first().click();
        await page.locator('.add-to-list > button').click();
        await visible(page.locator('.add-to-list select'));
        await settled(page);
        for (const v of await violations(page)) found.push(`${lang} ${width}px a movie page, comments and Add to list open: ${v}`);
      });
      await withPage(h(), `a11y-${lang}-admin`, { width, locale }, async (page) => {
        await signIn(page, ADMIN.username, ADMIN.password);
        for (const route of ADMIN_ONLY) {
          await page.goto(pages[route as keyof typeof pages]);
          await settled(page);
          for (const v of await violations(page)) found.push(`${lang} ${width}px ${route} (admin): ${v}`);
        }
      });
      assert.deepEqual(found, []);
    });
  }
});
