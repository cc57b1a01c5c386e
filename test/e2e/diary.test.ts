/**
 * The film diary in the web client, by accessible names: the half-star control (keyboard, mouse,
 * touch), rating without writing, "Log" and the diary page by month, the watchlist toggle and
 * page, profiles reachable from every username, the edit-profile page with an avatar upload,
 * the histogram, moderation by an administrator, and the header at a phone's width in Spanish.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import path from 'node:path';
import {
  ADMIN,
  DEMO,
  ROOT,
  TEST_TIMEOUT_MS,
  atPath,
  copyScreenshot,
  e2eSuite,
  fetchJson,
  fixture,
  hasAttribute,
  hasText,
  logInAt,
  newMember,
  screenshot,
  visible,
  waitUntil,
  withPage,
} from '../support/browser.js';

interface ApiMovie {
  id: number;
  title: string;
}

const PASSWORD = 'diary-password-1';

const json = fetchJson;

const member = (base: (p: string) => string, prefix: string) => newMember(base, prefix, PASSWORD);

/** Clicks (or taps) a star control at a fraction of its row of stars, as a pointer would. */
async function pointAt(control: Locator, fraction: number, pointerType: 'mouse' | 'touch'): Promise<void> {
  const box = await control.locator('.stars').boundingBox();
  assert.ok(box, 'the star control is on screen');
  const x = box.x + box.width * fraction;
  const y = box.y + box.height / 2;
  for (const type of ['pointerdown', 'pointerup']) {
    await control.dispatchEvent(type, { pointerType, pointerId: 7, clientX: x, clientY: y, isPrimary: true, bubbles: true });
  }
}

async function movieByTitle(h: (p: string) => string, title: string): Promise<ApiMovie> {
  const [movie] = await json<ApiMovie[]>(h(`/api/v1/movies?q=${encodeURIComponent(title)}`));
  assert.ok(movie, title);
  return movie;
}

/** How many rows the header's items take: their vertical centres, grouped where they are within 16 px. */
async function headerRows(page: Page): Promise<number> {
  const centres = (await page.evaluate(`(() => {
    const items = [...document.querySelectorAll('.site-header__inner > .brand, .site-header__inner > .user-chip, .site-nav li')];
    return items.map((el) => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; });
  })()`)) as number[];
  const sorted = [...centres].sort((a, b) => a - b);
  return sorted.filter((y, i) => i === 0 || y - sorted[i - 1]! > 16).length;
}

/** Every image loaded (lazy ones told to load now), so a full-page screenshot shows them. */
async function imagesLoaded(page: Page): Promise<void> {
  await page.evaluate(`document.querySelectorAll('img[loading="lazy"]').forEach((img) => { img.loading = 'eager'; })`);
  await waitUntil('every image to load', async () => {
    const pending = (await page.evaluate(`Array.from(document.images).filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.src)`)) as string[];
    return { ok: pending.length === 0, seen: pending };
  });
}

e2eSuite('e2e: the film diary', { seed: true }, (h) => {
  it('screenshots for the README: a movie page signed in, a profile, a diary', { timeout: TEST_TIMEOUT_MS }, async () => {
    const movie = await movieByTitle(h().url, 'Jaws');
    await withPage(h(), 'diary-screenshots', {}, async (page) => {
      await logInAt(page, DEMO, `/movies/${movie.id}`);
      await visible(page.getByRole('slider', { name: 'Your rating', exact: true }));
      await visible(page.getByRole('figure'));
      await imagesLoaded(page);
      copyScreenshot(await screenshot(page, 'movie-signed-in-1280'), path.join(ROOT, 'docs', 'movie-page.png'));
      await page.goto('/u/lucia');
      await visible(page.getByRole('heading', { level: 2, name: 'Recently watched' }));
      await waitUntil('the profile to load', async () => ({ ok: (await page.locator('.skeleton').count()) === 0, seen: 'skeletons' }));
      await imagesLoaded(page);
      copyScreenshot(await screenshot(page, 'profile-1280'), path.join(ROOT, 'docs', 'profile.png'));
      await page.goto('/u/lucia/diary');
      await visible(page.locator('.diary__entry').first());
      copyScreenshot(await screenshot(page, 'diary-1280'), path.join(ROOT, 'docs', 'diary.png'));
    });
  });

  it('rates in half stars by keyboard, mouse and touch, with nothing chosen first, and saves without a review', { timeout: TEST_TIMEOUT_MS }, async () => {
    const who = await member(h().url, 'rater');
    const movie = await movieByTitle(h().url, 'Vertigo');
    await withPage(h(), 'diary-stars', {}, async (page) => {
      await logInAt(page, who, `/movies/${movie.id}`);
      await atPath(page, `/movies/${movie.id}`);
      const mine = page.getByRole('slider', { name: 'Your rating', exact: true });
      await hasAttribute(mine, 'aria-valuetext', 'Not rated');
      await mine.focus();
      await mine.press('End');
      await hasAttribute(mine, 'aria-valuetext', '5 stars out of 5');
      await mine.press('ArrowLeft');
      await hasAttribute(mine, 'aria-valuetext', '4.5 stars out of 5');
      await mine.press('Home');
      await hasAttribute(mine, 'aria-valuenow', '0.5');
      await mine.press('PageUp');
      await hasAttribute(mine, 'aria-valuetext', '1.5 stars out of 5');
      // A click at 70 % of the row is the 7th half star: 3.5; a tap at 41 % the 5th: 2.5.
      await pointAt(mine, 0.7, 'mouse');
      await hasAttribute(mine, 'aria-valuetext', '3.5 stars out of 5');
      await pointAt(mine, 0.41, 'touch');
      await hasAttribute(mine, 'aria-valuetext', '2.5 stars out of 5');
      await visible(page.getByRole('status').filter({ hasText: 'Your rating is saved.' }));
      await waitUntil('the API to hold 2.5', async () => {
        const res = await fetch(h().url(`/api/v1/movies/${movie.id}/rating`), { headers: { authorization: `Bearer ${who.token}` } });
        const body = res.ok ? ((await res.json()) as { rating: number }).rating : null;
        return { ok: body === 2.5, seen: body };
      });
      // The review form starts from that rating; removing the rating empties it again.
      await hasAttribute(page.getByRole('slider', { name: 'Rating', exact: true }), 'aria-valuetext', '2.5 stars out of 5');
      await page.getByRole('button', { name: 'Remove rating', exact: true }).click();
      await visible(page.getByRole('status').filter({ hasText: 'Your rating is removed.' }));
      await hasAttribute(mine, 'aria-valuetext', 'Not rated');
      // A rating chosen just before leaving the page is sent, not lost with the page.
      await mine.press('End');
      await page.getByRole('link', { name: 'Butaca', exact: true }).click();
      await atPath(page, '/');
      await waitUntil('the API to hold 5 after leaving the page', async () => {
        const res = await fetch(h().url(`/api/v1/movies/${movie.id}/rating`), { headers: { authorization: `Bearer ${who.token}` } });
        const body = res.ok ? ((await res.json()) as { rating: number }).rating : null;
        return { ok: body === 5, seen: body };
      });
    });
  });

  it('logs a viewing from the movie page and shows it in the diary, under its month', { timeout: TEST_TIMEOUT_MS }, async () => {
    const who = await member(h().url, 'logger');
    const movie = await movieByTitle(h().url, 'Roma');
    await withPage(h(), 'diary-log', {}, async (page, watcher) => {
      watcher.expect(422, /^\/api\/v1\/diary$/, 'POST');
      await logInAt(page, who, `/movies/${movie.id}`);
      await page.getByRole('button', { name: 'Watchlist', exact: true }).click();
      await hasAttribute(page.getByRole('button', { name: 'Watchlist', exact: true }), 'aria-pressed', 'true');
      await page.getByRole('button', { name: 'Log', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: `Log a viewing of ${movie.title}` });
      await visible(dialog);
      await dialog.getByLabel('Watched on', { exact: true }).fill('2026-03-14');
      await dialog.getByLabel('Rewatch', { exact: true }).check();
      const stars = dialog.getByRole('slider', { name: 'Rating (optional)', exact: true });
      await stars.focus();
      await stars.press('End');
      await stars.press('ArrowLeft');
      await dialog.getByLabel('Liked', { exact: true }).check();
      await dialog.getByLabel('Tags', { exact: true }).fill('cine,  en casa , Cine');
      await dialog.getByRole('button', { name: 'Save to diary', exact: true }).click();
      await visible(page.getByRole('status').filter({ hasText: /^Logged in your diary for Mar 14, 2026\.$/ }));
      assert.equal(await dialog.isVisible(), false, 'the dialog closes');
      await visible(page.getByText('You logged it once.', { exact: true }));
      // Logging took it off the watchlist; the rating is the member's now.
      await hasAttribute(page.getByRole('button', { name: 'Watchlist', exact: true }), 'aria-pressed', 'false');
      await hasAttribute(page.getByRole('slider', { name: 'Your rating', exact: true }), 'aria-valuetext', '4.5 stars out of 5');

      // A bad date is refused by the API, at the field.
      await page.getByRole('button', { name: 'Log', exact: true }).click();
      await dialog.getByLabel('Watched on', { exact: true }).fill('1870-01-01');
      await dialog.getByRole('button', { name: 'Save to diary', exact: true }).click();
      const date = dialog.getByLabel('Watched on', { exact: true });
      await hasAttribute(date, 'aria-invalid', 'true');
      await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();

      await page.goto(`/u/${who.username}/diary`);
      await visible(page.getByRole('heading', { level: 1, name: `${who.username}’s diary` }));
      const march = page.getByRole('region', { name: 'March 2026' });
      await visible(march);
      const entry = march.getByRole('listitem').filter({ has: page.getByRole('link', { name: movie.title, exact: true }) });
      await visible(entry);
      await hasText(entry, /Rewatch/);
      await hasText(entry, /Liked/);
      await visible(entry.getByRole('img', { name: '4.5 out of 5' }));
      assert.deepEqual(await entry.getByRole('list', { name: 'Tags' }).getByRole('listitem').allInnerTexts(), ['cine', 'en casa']);
    });
  });

  it('toggles the watchlist from the grid and shows the watchlist page, last added first', { timeout: TEST_TIMEOUT_MS }, async () => {
    const who = await member(h().url, 'watcher');
    await withPage(h(), 'diary-watchlist', {}, async (page) => {
      await logInAt(page, who, '/?q=Alien');
      const card = page.getByRole('article').filter({ has: page.getByRole('heading', { name: 'Alien', exact: true }) });
      const toggle = card.getByRole('button', { name: 'Watchlist: Alien', exact: true });
      await hasAttribute(toggle, 'aria-pressed', 'false');
      // Each toggle changes at once; the next page is opened once the API has the change (a
      // navigation would cancel a request still on its way).
      const stored = (titles: string) =>
        waitUntil(`the API to have ${titles}`, async () => {
          const list = await json<ApiMovie[]>(h().url(`/api/v1/users/${who.id}/watchlist`));
          return { ok: list.map((m) => m.title).join() === titles, seen: list.map((m) => m.title) };
        });
      await toggle.click();
      await hasAttribute(toggle, 'aria-pressed', 'true');
      await stored('Alien');
      await page.goto('/?q=Jaws');
      await page.getByRole('button', { name: 'Watchlist: Jaws', exact: true }).click();
      await hasAttribute(page.getByRole('button', { name: 'Watchlist: Jaws', exact: true }), 'aria-pressed', 'true');
      await stored('Jaws,Alien');
      await page.goto(`/u/${who.username}/watchlist`);
      await visible(page.getByRole('heading', { level: 1, name: `${who.username}’s watchlist` }));
      await waitUntil('both movies, last added first', async () => {
        const titles = (await page.getByRole('article').getByRole('heading').allInnerTexts()).map((t) => t.trim());
        return { ok: titles.join() === 'Jaws,Alien', seen: titles };
      });
      await page.getByRole('button', { name: 'Watchlist: Jaws', exact: true }).click();
      await hasAttribute(page.getByRole('button', { name: 'Watchlist: Jaws', exact: true }), 'aria-pressed', 'false');
      await stored('Alien');
    });
  });

  it('reaches a profile from a review’s username; edits name, bio and avatar (progress, preview); the header shows who is signed in', { timeout: TEST_TIMEOUT_MS }, async () => {
    const who = await member(h().url, 'profiler');
    const movie = await movieByTitle(h().url, 'Jaws');
    await withPage(h(), 'diary-profile', {}, async (page) => {
      await page.goto(`/movies/${movie.id}`);
      // Every review's author is a link to their profile.
      const author = page.getByRole('list').filter({ has: page.getByRole('article') }).getByRole('link').filter({ hasText: /^(lucia|marcos|sofia|kenji|demo)$/ }).first();
      const name = (await author.innerText()).trim();
      await author.click();
      await atPath(page, `/u/${name}`);
      await visible(page.getByRole('heading', { level: 1 }));
      await visible(page.getByRole('heading', { level: 2, name: 'Recently watched' }));
      await visible(page.getByRole('heading', { level: 2, name: 'Latest reviews' }));
      await visible(page.getByRole('heading', { level: 2, name: 'Watchlist' }));
      await hasText(page.locator('.profile-head__counts'), /\d+ reviews?/);

      await logInAt(page, who, '/account/profile');
      await atPath(page, '/account/profile');
      await hasAttribute(page.getByRole('link', { name: `${who.username}: your profile`, exact: true }), 'href', `/u/${who.username}`);
      await page.getByLabel('Display name', { exact: true }).fill('Ana Torrent');
      await page.getByLabel('Bio', { exact: true }).fill('Vi El espíritu de la colmena a los seis años.');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await visible(page.getByRole('status').filter({ hasText: 'Your profile is saved.' }));
      await hasText(page.locator('.user-chip'), /Ana Torrent/);

      await page.getByLabel('Avatar image', { exact: true }).setInputFiles(fixture('poster.jpg'));
      await visible(page.getByRole('img', { name: 'Preview: the square that will be kept', exact: true }));
      await page.evaluate(`(() => {
        window.__sawProgress = false;
        new MutationObserver(() => { if (document.querySelector('progress[aria-label="Upload progress"]')) window.__sawProgress = true; })
          .observe(document.body, { subtree: true, childList: true });
      })()`);
      await page.getByRole('button', { name: 'Upload avatar', exact: true }).click();
      await visible(page.getByRole('status').filter({ hasText: 'Your avatar is uploaded.' }));
      assert.equal(await page.evaluate('window.__sawProgress'), true, 'the progress bar showed');
      await visible(page.getByRole('img', { name: 'Your avatar', exact: true }));
      const chipImage = page.locator('.user-chip img');
      await waitUntil('the header avatar to load', async () => {
        const seen = (await chipImage.evaluate((img: { naturalWidth: number; complete: boolean; currentSrc: string }) => (img.complete && img.naturalWidth > 0 ? img.currentSrc : '')).catch(() => '')) as string;
        return { ok: /\/api\/v1\/users\/\d+\/avatar\?v=\w+&w=(64|128|256)$/.test(seen), seen };
      });

      await page.getByRole('link', { name: 'View your profile', exact: true }).click();
      await atPath(page, `/u/${who.username}`);
      await visible(page.getByRole('heading', { level: 1, name: 'Ana Torrent' }));
      await visible(page.getByText('Vi El espíritu de la colmena a los seis años.', { exact: true }));
      await visible(page.getByRole('link', { name: 'Edit profile', exact: true }));
    });
  });

  it('shows the histogram and lets an administrator delete anyone’s review, after asking', { timeout: TEST_TIMEOUT_MS }, async () => {
    const writer = await member(h().url, 'writer');
    const movie = await movieByTitle(h().url, 'Inception');
    const text = `Moderate me, says ${writer.username}.`;
    await json(h().url('/api/v1/reviews'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${writer.token}` },
      body: JSON.stringify({ movie_id: movie.id, review: text, rating: 0.5 }),
    });
    const stats = await json<{ rating_count: number; rating_histogram: number[] }>(h().url(`/api/v1/movies/${movie.id}`));
    await withPage(h(), 'diary-moderation', {}, async (page) => {
      await page.goto(`/movies/${movie.id}`);
      const chart = page.getByRole('figure', { name: `How ${stats.rating_count} members rated it` });
      await visible(chart);
      const bars = await chart.getByRole('listitem').allInnerTexts();
      assert.equal(bars.length, 10);
      assert.equal(bars[0]!.trim(), `0.5 stars: ${stats.rating_histogram[0] === 1 ? '1 rating' : `${stats.rating_histogram[0]} ratings`}`);
      // Nobody signed in: no delete buttons.
      assert.equal(await page.getByRole('button', { name: /^Delete .*’s review$/ }).count(), 0);

      await logInAt(page, ADMIN, `/movies/${movie.id}`);
      const review = page.getByRole('listitem').filter({ hasText: text });
      await review.getByRole('button', { name: `Delete ${writer.username}’s review`, exact: true }).click();
      await visible(review.getByText('Delete this review as a moderator? This cannot be undone.', { exact: true }));
      await review.getByRole('button', { name: 'Yes, delete it', exact: true }).click();
      await waitUntil('the review to leave the list', async () => {
        const n = await page.getByRole('listitem').filter({ hasText: text }).count();
        return { ok: n === 0, seen: n };
      });
    });
  });

  it('keeps the header to two rows at 375 and 320 px in Spanish, signed in', { timeout: TEST_TIMEOUT_MS }, async () => {
    const who = await member(h().url, 'estrecho');
    for (const width of [375, 320] as const) {
      await withPage(h(), `diary-header-${width}`, { width, locale: 'es-ES' }, async (page) => {
        await page.goto('/login');
        await page.getByLabel('Usuario', { exact: true }).fill(who.username);
        await page.getByLabel('Contraseña', { exact: true }).fill(who.password);
        await page.getByRole('button', { name: 'Entrar', exact: true }).click();
        await visible(page.getByRole('button', { name: 'Salir', exact: true }));
        await visible(page.getByRole('link', { name: `${who.username}: tu perfil`, exact: true }));
        const rows = await headerRows(page);
        assert.ok(rows <= 2, `the header takes ${rows} rows at ${width} px`);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at ${width} px`);
      });
    }
  });
});
