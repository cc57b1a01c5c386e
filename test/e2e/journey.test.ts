/**
 * A person's journey through the web client, on the demo catalogue: sign up, log out and in, find
 * a movie, play its trailer, write, edit and delete a review; and the errors they may meet there.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  DEMO,
  type MediaElement,
  TEST_TIMEOUT_MS,
  atPath,
  e2eSuite,
  hasAttribute,
  hasText,
  logIn,
  logOut,
  uniqueName,
  visible,
  waitUntil,
  withPage,
} from '../support/browser.js';

interface ApiMovie {
  id: number;
  title: string;
  average_score: number | null;
  review_count: number;
  rating_count: number;
  trailer_url: string | null;
}

/** The movie page's average: the number in "Average 4.3 out of 5" (one decimal), or null for "No ratings yet". */
async function shownAverage(page: Page): Promise<number | null> {
  const label = await page.getByLabel(/^(Average [\d.]+ out of 5|No ratings yet)$/).first().getAttribute('aria-label');
  if (label === 'No ratings yet') return null;
  const match = /^Average ([\d.]+) out of 5$/.exec(label ?? '');
  assert.ok(match, `stars labelled ${JSON.stringify(label)}`);
  assert.match(match[1]!, /^\d\.\d$/, 'an average has one decimal, always');
  return Number(match[1]);
}

async function averageBecomes(page: Page, expected: number): Promise<void> {
  await waitUntil(`the average to show ${expected.toFixed(1)}`, async () => {
    const seen = await shownAverage(page);
    // One decimal shown, of an average the API rounds to two: within the two roundings.
    return { ok: seen !== null && Math.abs(seen - expected) <= 0.056, seen };
  });
}

e2eSuite('e2e: a person’s journey', { seed: true }, (h) => {
  let jaws: ApiMovie;

  it('the demo catalogue has Jaws with a trailer and reviews', async () => {
    const res = await fetch(h().url('/api/v1/movies?q=Jaws'), { signal: AbortSignal.timeout(5000) });
    const [movie] = (await res.json()) as ApiMovie[];
    assert.ok(movie && movie.title === 'Jaws' && movie.trailer_url && movie.average_score !== null && movie.review_count > 0, JSON.stringify(movie));
    jaws = movie;
  });

  it(
    'signs up, logs out and in, finds a movie, plays and seeks its trailer, publishes, edits and deletes a review, logs out',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await withPage(h(), 'journey', {}, async (page) => {
        const person = { username: uniqueName('ana'), password: 'ana-long-password' };

        // Sign up from the header: signing up logs the person in.
        await page.goto('/');
        await page.getByRole('link', { name: 'Sign up', exact: true }).click();
        await atPath(page, /^\/signup/);
        await page.getByLabel('Username', { exact: true }).fill(person.username);
        await page.getByLabel('Password', { exact: true }).fill(person.password);
        await page.getByRole('button', { name: 'Sign up', exact: true }).click();
        await visible(page.getByRole('button', { name: 'Log out', exact: true }));
        await visible(page.getByRole('link', { name: 'My reviews', exact: true }));
        await visible(page.getByRole('link', { name: 'Account', exact: true }));
        assert.equal(await page.getByRole('link', { name: 'Add movie', exact: true }).count(), 0, 'a plain user sees "Add movie"');

        await logOut(page);
        assert.equal(await page.getByRole('link', { name: 'My reviews', exact: true }).count(), 0);

        await page.getByRole('link', { name: 'Log in', exact: true }).click();
        await atPath(page, /^\/login/);
        await logIn(page, person);

        // Find the movie by searching, and open it.
        await page.getByRole('link', { name: 'Butaca', exact: true }).click();
        await atPath(page, /^\/(\?.*)?$/);
        const search = page.getByLabel('Search', { exact: true });
        await search.fill('jaws');
        await search.press('Enter');
        await atPath(page, /[?&]q=jaws(&|$)/);
        const card = page.getByRole('article').filter({ has: page.getByRole('heading', { name: 'Jaws', exact: true }) });
        await visible(card);
        await waitUntil('the search to leave only Jaws', async () => {
          const n = await page.getByRole('article').count();
          return { ok: n === 1, seen: n };
        });
        await card.getByRole('link', { name: 'Jaws', exact: true }).click();
        await atPath(page, `/movies/${jaws.id}`);
        await hasText(page.getByRole('heading', { level: 1 }), 'Jaws');
        await visible(page.getByRole('img', { name: 'Poster of Jaws', exact: true }));

        // The trailer plays (muted, in case the autoplay policy wants that) and seeks.
        const video = page.locator('video');
        await visible(video);
        await video.evaluate((v: MediaElement) => {
          v.muted = true;
          return v.play().catch(() => {});
        });
        await waitUntil('the trailer to have data (readyState ≥ 2)', async () => {
          const state = await video.evaluate((v: MediaElement) => ({ readyState: v.readyState, error: v.error?.code ?? null }));
          assert.equal(state.error, null, 'the video element reports a media error');
          return { ok: state.readyState >= 2, seen: state };
        });
        const seeked = await video.evaluate(
          (v: MediaElement) =>
            new Promise<number>((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error('no "seeked" event within 8 s')), 8000);
              v.addEventListener(
                'seeked',
                () => {
                  clearTimeout(timer);
                  resolve(v.currentTime);
                },
                { once: true },
              );
              v.currentTime = 2.5;
            }),
        );
        assert.ok(Math.abs(seeked - 2.5) < 0.5, `seeked to ${seeked}`);
        await waitUntil('the trailer to have data again after seeking', async () => {
          const readyState = await video.evaluate((v: MediaElement) => v.readyState);
          return { ok: readyState >= 2, seen: readyState };
        });

        // Publish a review: the average moves.
        const before = await shownAverage(page);
        assert.ok(before !== null && Math.abs(before - jaws.average_score!) <= 0.05, `average shown ${before}, API says ${jaws.average_score}`);
        const sum = jaws.average_score! * jaws.rating_count;
        const text = `Still afraid of the water, says ${person.username}.`;
        // No rating is chosen for the person: publishing without one asks for it, at the stars.
        const stars = page.getByRole('slider', { name: 'Rating', exact: true });
        await hasAttribute(stars, 'aria-valuetext', 'Not rated');
        await page.getByLabel('Review', { exact: true }).fill(text);
        await page.getByRole('button', { name: 'Publish review', exact: true }).click();
        await visible(page.getByText('Choose a rating: click or tap the stars, or use the arrow keys.', { exact: true }));
        assert.equal(await stars.evaluate((el: { ownerDocument: { activeElement: unknown } }) => el === el.ownerDocument.activeElement), true, 'the stars have the focus');
        // Home is half a star, the arrow adds another: one star.
        await stars.press('Home');
        await stars.press('ArrowRight');
        await hasAttribute(stars, 'aria-valuetext', '1 star out of 5');
        await page.getByLabel('Review', { exact: true }).fill(text);
        await page.getByRole('button', { name: 'Publish review', exact: true }).click();
        await averageBecomes(page, (sum + 1) / (jaws.rating_count + 1));
        const mine = page.getByRole('listitem').filter({ hasText: text });
        await visible(mine);
        await hasText(mine, new RegExp(person.username));
        await visible(page.getByRole('status').filter({ hasText: 'Your review is published.' }));

        // It is in "My reviews" too; Back returns to the movie.
        await page.getByRole('link', { name: 'My reviews', exact: true }).click();
        await atPath(page, '/my-reviews');
        await visible(page.getByText(text, { exact: true }));
        await visible(page.getByRole('link', { name: 'Jaws' }).first());
        await page.goBack();
        await atPath(page, `/movies/${jaws.id}`);

        // Now the form holds the review, with Save and Delete.
        await waitUntil('the form to hold the review', async () => {
          const value = await page.getByLabel('Review', { exact: true }).inputValue({ timeout: 1000 });
          return { ok: value === text, seen: value };
        });
        assert.equal(await stars.getAttribute('aria-valuenow'), '1');
        assert.equal(await page.getByRole('button', { name: 'Publish review', exact: true }).count(), 0);

        // Edit it.
        const edited = `${text} Less so the second time.`;
        await stars.press('End');
        await page.getByLabel('Review', { exact: true }).fill(edited);
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        await averageBecomes(page, (sum + 5) / (jaws.rating_count + 1));
        await visible(page.getByRole('listitem').filter({ hasText: edited }));

        // Delete it, which asks first (Cancel keeps it): the average is back where it was, the form is blank again.
        await page.getByRole('button', { name: 'Delete review', exact: true }).click();
        await page.getByRole('button', { name: 'Cancel', exact: true }).click();
        await page.getByRole('button', { name: 'Delete review', exact: true }).click();
        await page.getByRole('button', { name: 'Yes, delete it', exact: true }).click();
        await averageBecomes(page, jaws.average_score!);
        await waitUntil('the review to leave the list', async () => {
          const n = await page.getByRole('listitem').filter({ hasText: text }).count();
          return { ok: n === 0, seen: n };
        });
        await visible(page.getByRole('button', { name: 'Publish review', exact: true }));

        await logOut(page);
        await visible(page.getByRole('link', { name: 'Log in to write a review', exact: true }));
      });
    },
  );

  it('logging in from a movie page brings the person back to it', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'login-returns', {}, async (page) => {
      await page.goto(`/movies/${jaws.id}`);
      await hasText(page.getByRole('heading', { level: 1 }), 'Jaws');
      await page.getByRole('link', { name: 'Log in to write a review', exact: true }).click();
      await atPath(page, /^\/login\?/);
      assert.equal(new URL(page.url()).searchParams.get('next'), `/movies/${jaws.id}`);
      await logIn(page, DEMO);
      await atPath(page, `/movies/${jaws.id}`);
      await hasText(page.getByRole('heading', { level: 1 }), 'Jaws');
      // demo has reviewed Jaws already or not: either way the review form is there, not the login link.
      await visible(page.getByLabel('Review', { exact: true }));
      assert.equal(await page.getByRole('link', { name: 'Log in to write a review', exact: true }).count(), 0);
    });
  });

  it('a sign-up the API refuses (422) marks each field, with its message under it, and focuses the first', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'signup-422', {}, async (page, watcher) => {
      watcher.expect(422, /^\/api\/v1\/users$/, 'POST');
      await page.goto('/signup');
      const username = page.getByLabel('Username', { exact: true });
      const password = page.getByLabel('Password', { exact: true });
      await username.fill('ab');
      await password.fill('short');
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/users' && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Sign up', exact: true }).click(),
      ]);
      assert.equal(response.status(), 422);
      for (const field of [username, password]) {
        await hasAttribute(field, 'aria-invalid', 'true');
        const describedBy = await field.getAttribute('aria-describedby');
        assert.ok(describedBy, 'an invalid field without aria-describedby');
        const message = page.locator(`[id="${describedBy}"]`);
        await hasText(message, /\S/);
        const [box, under] = await Promise.all([field.boundingBox(), message.boundingBox()]);
        assert.ok(box && under && under.y >= box.y + box.height - 2, 'the message is not under its field');
      }
      await hasText(page.locator(`[id="${await username.getAttribute('aria-describedby')}"]`), /3/);
      await waitUntil('the first invalid field to get the focus', () => username.evaluate((el: { matches: (s: string) => boolean }) => el.matches(':focus')));
      await atPath(page, '/signup');
      assert.equal(await page.getByRole('button', { name: 'Log out', exact: true }).count(), 0);
    });
  });

  it('signing up with a taken username says so at the username field (409), in the reader’s language', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'signup-409', {}, async (page, watcher) => {
      watcher.expect(409, /^\/api\/v1\/users$/, 'POST');
      await page.goto('/signup');
      await page.getByLabel('Username', { exact: true }).fill('Demo'); // taken, ignoring case
      await page.getByLabel('Password', { exact: true }).fill('another-long-password');
      await page.getByRole('button', { name: 'Sign up', exact: true }).click();
      // Beside the field it is about, as a 422 would be: the field is marked and points at the message.
      const username = page.getByLabel('Username', { exact: true });
      await hasAttribute(username, 'aria-invalid', 'true');
      const describedBy = await username.getAttribute('aria-describedby');
      assert.ok(describedBy, 'the Username field has no aria-describedby');
      await hasText(page.locator(`[id="${describedBy}"]`), /That username is already in use/);
      await atPath(page, /^\/signup/);
      assert.equal(await page.getByRole('button', { name: 'Log out', exact: true }).count(), 0);
    });
  });

  it('the account page changes the password and deletes the account', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(h(), 'account', {}, async (page, watcher) => {
      watcher.expect(401, /^\/api\/v1\/users\/login$/, 'POST');
      const person = { username: uniqueName('leo'), password: 'first-long-password' };
      const changed = { ...person, password: 'second-long-password' };
      await page.goto('/signup');
      await page.getByLabel('Username', { exact: true }).fill(person.username);
      await page.getByLabel('Password', { exact: true }).fill(person.password);
      await page.getByRole('button', { name: 'Sign up', exact: true }).click();
      await page.getByRole('link', { name: 'Account', exact: true }).click();
      await atPath(page, '/account');
      await visible(page.getByText(person.username, { exact: true }));

      await page.getByLabel('Current password', { exact: true }).fill(person.password);
      await page.getByLabel('New password', { exact: true }).fill(changed.password);
      await page.getByRole('button', { name: 'Change password', exact: true }).click();
      await visible(page.getByRole('status').filter({ hasText: /password is changed/ }));

      // The old password no longer opens the account; the new one does.
      await logOut(page);
      await page.goto('/login');
      await page.getByLabel('Username', { exact: true }).fill(person.username);
      await page.getByLabel('Password', { exact: true }).fill(person.password);
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await visible(page.getByRole('alert').filter({ hasText: 'Incorrect username or password' }));
      await logIn(page, changed);

      await page.getByRole('link', { name: 'Account', exact: true }).click();
      await atPath(page, '/account');
      await page.getByRole('region', { name: 'Delete account' }).getByLabel('Password', { exact: true }).fill(changed.password);
      await page.getByRole('button', { name: 'Delete account', exact: true }).click();
      await atPath(page, '/');
      await visible(page.getByText('Your account is deleted.'));
      await visible(page.getByRole('link', { name: 'Log in', exact: true }));
      const gone = await fetch(h().url('/auth'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(changed),
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(gone.status, 401);
    });
  });
});
