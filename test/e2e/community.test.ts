/**
 * The community in the web client, by accessible names: liking a review (at once, and back when
 * the API refuses), comments (post, delete), a spoiler behind its button, following a member and
 * the "Friends" feed with "Load more", lists (make one, "Add to list" from a film's page, reorder
 * by keyboard and by dragging, take a film off), and a member's lists and follows on the profile.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  DEMO,
  ROOT,
  TEST_TIMEOUT_MS,
  atPath,
  copyScreenshot,
  e2eSuite,
  fetchJson,
  hasAttribute,
  hasText,
  logInAt,
  newMember,
  screenshot,
  visible,
  waitUntil,
  withPage,
} from '../support/browser.js';

const PASSWORD = 'community-password-1';
const json = fetchJson;

type Member = Awaited<ReturnType<typeof newMember>>;
const member = (base: (p: string) => string, prefix: string): Promise<Member> => newMember(base, prefix, PASSWORD);

const authed = (who: Member) => ({ authorization: `Bearer ${who.token}`, 'content-type': 'application/json' });

/** The titles of a list page's films, in the order shown. */
const shownOrder = async (page: Page): Promise<string[]> => page.locator('.list-item__text > a').allTextContents();

e2eSuite('e2e: likes, comments, follows, the feed and lists', { seed: true }, (h) => {
  it('likes a review at once and takes it back when the API refuses; comments and deletes a comment; a spoiler stays hidden until asked', { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
    const url = h().url;
    const me = await member(url, 'liker');
    const author = await member(url, 'spoiler');
    const [movie] = await json<{ id: number; title: string }[]>(url('/api/v1/movies?sort=reviews&limit=1'));
    const spoilerText = 'The twist: the narrator was a ghost all along.';
    await json(url('/api/v1/reviews'), { method: 'POST', headers: authed(author), body: JSON.stringify({ movie_id: movie!.id, review: spoilerText, rating: 4, spoiler: true }) });

    await withPage(h(), 'community-likes', {}, async (page, watcher) => {
      await logInAt(page, me, `/movies/${movie!.id}`);
      // The spoiler: a warning and a button; the text is nowhere in the page, nor in its accessibility tree.
      const show = page.getByRole('button', { name: 'Show the review' });
      await visible(show);
      assert.equal(await page.getByText(spoilerText).count(), 0);
      assert.doesNotMatch(JSON.stringify(await page.locator('main').ariaSnapshot()), /narrator was a ghost/);
      await show.click();
      await visible(page.getByText(spoilerText));
      assert.equal(await page.evaluate(`document.activeElement?.textContent ?? ''`), spoilerText);

      const reviews = await json<{ id: number; username: string; like_count: number }[]>(url(`/api/v1/movies/${movie!.id}/reviews?order=desc&limit=10`));
      const target = reviews.find((r) => r.username !== author.username)!;
      const like = page.getByRole('button', { name: new RegExp(`^Like ${target.username}’s review`) });
      await hasAttribute(like, 'aria-pressed', 'false');
      await like.click();
      await hasAttribute(like, 'aria-pressed', 'true');
      await hasText(like, String(target.like_count + 1));
      await waitUntil('the like to be stored', async () => {
        const r = await json<{ like_count: number }>(url(`/api/v1/reviews/${target.id}`));
        return { ok: r.like_count === target.like_count + 1, seen: r.like_count };
      });

      // The API refuses the unlike (the review went meanwhile, say): the button and count go back.
      watcher.expect(404, /\/like$/, 'DELETE');
      await page.route(`**/api/v1/reviews/${target.id}/like`, (route) =>
        route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ detail: 'Review not found', code: 'review_not_found' }) }),
      );
      await like.click();
      await visible(page.getByRole('alert').filter({ hasText: /review/i }));
      await hasAttribute(like, 'aria-pressed', 'true');
      await hasText(like, String(target.like_count + 1));
      await page.unroute(`**/api/v1/reviews/${target.id}/like`);

      // Comments: open them, post one, see it, delete it.
      const item = page.locator('.review').filter({ has: like });
      const toggle = item.locator('.comments > button');
      await toggle.click();
      await hasAttribute(toggle, 'aria-expanded', 'true');
      const region = page.getByRole('region', { name: `Comments on ${target.username}’s review` });
      await region.getByLabel('Add a comment').fill('  Well put, I agree.  ');
      await region.getByRole('button', { name: 'Post comment' }).click();
      await visible(region.getByText('Well put, I agree.'));
      await visible(region.getByRole('status').filter({ hasText: 'Your comment is posted.' }));
      await region.getByRole('button', { name: 'Delete comment' }).click();
      await region.getByRole('button', { name: 'Yes, delete it' }).click();
      await waitUntil('the comment to be gone', async () => ({ ok: (await region.getByText('Well put, I agree.').count()) === 0, seen: 'still shown' }));
      const left = await json<{ text: string }[]>(url(`/api/v1/reviews/${target.id}/comments?limit=100`));
      assert.ok(left.every((c) => c.text !== 'Well put, I agree.'));
    });
  });

  it('follows a member from their profile and reads the Friends feed, loading more by its cursor', { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
    const url = h().url;
    const me = await member(url, 'follower');
    const demo = await json<{ id: number; follower_count: number }>(url('/api/v1/profiles/demo'));
    await withPage(h(), 'community-feed', {}, async (page) => {
      await logInAt(page, me, '/u/demo');
      const followButton = page.getByRole('button', { name: 'Follow Demo Member' });
      await hasAttribute(followButton, 'aria-pressed', 'false');
      await followButton.click();
      await hasAttribute(followButton, 'aria-pressed', 'true');
      await hasText(followButton, 'Following');
      await visible(page.getByRole('link', { name: `${demo.follower_count + 1} followers` }));
      const states = await json<{ following: boolean }[]>(url(`/api/v1/users/me/follow-states?ids=${demo.id}`), { headers: authed(me) });
      assert.equal(states[0]!.following, true);

      // Home: the Films and Friends tabs; Friends is the feed.
      await page.goto('/');
      const tabs = page.getByRole('navigation', { name: 'Home' });
      await hasAttribute(tabs.getByRole('link', { name: 'Films' }), 'aria-current', 'page');
      await tabs.getByRole('link', { name: 'Friends' }).click();
      await atPath(page, '/feed');
      await visible(page.getByRole('heading', { level: 1, name: 'Friends' }));
      const items = page.locator('.feed > .activity');
      await waitUntil('the first page of the feed', async () => ({ ok: (await items.count()) === 20, seen: await items.count() }));
      assert.equal(await items.first().locator('.activity__line a').first().textContent(), 'demo');
      await copyScreenshot(await screenshot(page, 'feed-1280'), path.join(ROOT, 'docs', 'feed.png'));
      await page.getByRole('button', { name: 'Load more' }).click();
      await waitUntil('the second page', async () => ({ ok: (await items.count()) > 20, seen: await items.count() }));
      // The focus is on the first activity of the new page, and nothing is shown twice.
      assert.equal(await page.evaluate(`[...document.querySelectorAll('.activity > article')].indexOf(document.activeElement)`), 20);
      const labels = await items.locator(':scope > article').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
      const api = await json<{ id: number }[]>(url(`/api/v1/users/me/feed?limit=${labels.length}`), { headers: authed(me) });
      assert.equal(api.length, labels.length);

      // Unfollowing empties the feed of demo's doings.
      await page.goto('/u/demo');
      await page.getByRole('button', { name: 'Follow Demo Member' }).click();
      await hasAttribute(page.getByRole('button', { name: 'Follow Demo Member' }), 'aria-pressed', 'false');
      // The count follows once the API has the unfollow: only then is the feed opened.
      await visible(page.getByRole('link', { name: `${demo.follower_count} followers` }));
      await page.goto('/feed');
      await visible(page.getByText('Nothing here yet'));
    });
  });

  it('makes a list, adds films from their pages, reorders by keyboard and by dragging, takes one off; the profile shows it', { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
    const url = h().url;
    const me = await member(url, 'lister');
    const movies = await json<{ id: number; title: string }[]>(url('/api/v1/movies?limit=4'));
    await withPage(h(), 'community-lists', {}, async (page) => {
      await logInAt(page, me, '/lists/new');
      await page.getByLabel('Title').fill('Desert island films');
      await page.getByLabel('Description').fill('If I could keep four.');
      await page.getByLabel('Ranked (show positions)').check();
      await page.getByRole('button', { name: 'Create list' }).click();
      await visible(page.getByRole('heading', { level: 1, name: 'Desert island films' }));
      await visible(page.getByText('The list is made.'));
      const listId = Number(/\/lists\/(\d+)$/.exec(new URL(page.url()).pathname)![1]);

      for (const [i, movie] of movies.entries()) {
        await page.goto(`/movies/${movie.id}`);
        const add = page.getByRole('button', { name: 'Add to list' });
        await add.click();
        await hasAttribute(add, 'aria-expanded', 'true');
        await page.getByLabel('List', { exact: true }).selectOption({ label: 'Desert island films' });
        if (i === 0) await page.getByLabel('Note').fill('Always first.');
        await page.getByRole('button', { name: 'Add', exact: true }).click();
        await visible(page.getByRole('status').filter({ hasText: 'Added to “Desert island films”.' }));
      }
      const titles = movies.map((m) => m.title);
      await page.goto(`/lists/${listId}`);
      await waitUntil('the list', async () => ({ ok: (await shownOrder(page)).length === 4, seen: await shownOrder(page) }));
      assert.deepEqual(await shownOrder(page), titles);
      await visible(page.getByText('Always first.'));

      // Keyboard: Move down on the first film; the focus stays on that film's button.
      const down = page.getByRole('button', { name: `Move ${titles[0]} down` });
      await down.focus();
      await page.keyboard.press('Enter');
      await visible(page.getByRole('status').filter({ hasText: `${titles[0]} is now number 2.` }));
      assert.deepEqual(await shownOrder(page), [titles[1], titles[0], titles[2], titles[3]]);
      assert.equal(await page.evaluate(`document.activeElement?.getAttribute('aria-label')`), `Move ${titles[0]} down`);
      await page.keyboard.press('Enter');
      await visible(page.getByRole('status').filter({ hasText: `${titles[0]} is now number 3.` }));

      // Dragging: the last film onto the first's place.
      const rows = page.locator('.list-item');
      await rows.nth(3).dragTo(rows.nth(0));
      await visible(page.getByRole('status').filter({ hasText: `${titles[3]} is now number 1.` }));
      const expected = [titles[3], titles[1], titles[2], titles[0]];
      assert.deepEqual(await shownOrder(page), expected);
      const stored = await json<{ position: number; movie: { title: string } }[]>(url(`/api/v1/lists/${listId}/items`));
      assert.deepEqual(stored.map((i) => i.movie.title), expected);
      assert.deepEqual(stored.map((i) => i.position), [1, 2, 3, 4]);

      await page.getByRole('button', { name: `Remove ${titles[2]} from the list` }).click();
      await visible(page.getByRole('status').filter({ hasText: `${titles[2]} is off the list.` }));
      assert.equal((await json<unknown[]>(url(`/api/v1/lists/${listId}/items`))).length, 3);

      // Edit: a new title, and private.
      await page.getByRole('link', { name: 'Edit list' }).click();
      await page.getByLabel('Title').fill('Desert island films, final cut');
      await page.getByLabel('Public (anyone can see it)').uncheck();
      await page.getByRole('button', { name: 'Save' }).click();
      await visible(page.getByRole('heading', { level: 1, name: 'Desert island films, final cut' }));
      await visible(page.getByText('The list is saved.'));
      const saved = await json<{ title: string; public: boolean }>(url(`/api/v1/lists/${listId}`), { headers: authed(me) });
      assert.deepEqual([saved.title, saved.public], ['Desert island films, final cut', false]);

      await page.goto(`/u/${me.username}`);
      const lists = page.getByRole('region', { name: 'Lists' });
      await visible(lists.getByRole('link', { name: 'Desert island films, final cut' }));
      await visible(lists.getByText('3 films'));
      await visible(lists.getByText('Private'));
    });
  });

  it('keeps a private list to its owner: others get “not found”', { timeout: TEST_TIMEOUT_MS }, async () => {
    const url = h().url;
    const owner = await member(url, 'secret');
    const list = await json<{ id: number }>(url('/api/v1/lists'), { method: 'POST', headers: authed(owner), body: JSON.stringify({ title: 'Guilty pleasures', public: false }) });
    await withPage(h(), 'community-private', {}, async (page, watcher) => {
      watcher.expect(404, new RegExp(`^/api/v1/lists/${list.id}$`), 'GET');
      await logInAt(page, DEMO, `/lists/${list.id}`);
      await visible(page.getByRole('alert'));
      assert.equal(await page.getByText('Guilty pleasures').count(), 0);
      await page.goto(`/u/${owner.username}`);
      await visible(page.getByRole('region', { name: 'Lists' }).getByText('No lists yet.'));
    });
  });
});
