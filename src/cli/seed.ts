import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import sharp from 'sharp';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { MediaKind } from '../domain/enums.js';
import { AVATAR_INSPECT, type WarnLog, inspectOptions, inspectStream, removeFiles, saveAvatar, saveMedia, storeAvatar, storeMedia } from '../modules/media/index.js';
import { rebuildActivities } from '../modules/activity/index.js';
import { createComment } from '../modules/comments/index.js';
import { createEntry } from '../modules/diary/index.js';
import { follow } from '../modules/follows/index.js';
import { likeReview } from '../modules/likes/index.js';
import { createList, putItem } from '../modules/lists/index.js';
import { insertMovie } from '../modules/movies/index.js';
import { createReview, writeRating } from '../modules/reviews/index.js';
import { insertUser, updateProfile } from '../modules/users/index.js';
import { addToWatchlist } from '../modules/watchlist/index.js';
import { hashPassword } from '../security/passwords.js';
import { createStore } from '../storage/index.js';
import {
  DEMO_ADMIN,
  DEMO_ADMIN_PASSWORD,
  DEMO_COMMENTS,
  DEMO_LISTS,
  DEMO_MOVIES,
  DEMO_PASSWORD,
  DEMO_PROFILES,
  DEMO_REVIEWERS,
  DEMO_TAGS,
  REVIEW_ASIDES,
  REVIEW_TEXTS,
} from './demo-catalogue.js';

/** Two levels up from both src/cli/ and dist/cli/. */
export const DEMO_TRAILER = fileURLToPath(new URL('../../assets/demo/trailer.mp4', import.meta.url));

/** The seed would not run: the database is not empty. */
export class SeedRefused extends Error {}

export interface SeedSummary {
  movies: number;
  users: number;
  reviews: number;
  ratings: number;
  diary: number;
  follows: number;
  likes: number;
  comments: number;
  lists: number;
  watchlist: number;
  avatars: number;
  posters: number;
  trailers: number;
}

/** A small deterministic PRNG (mulberry32): the same demo every time, without a dependency. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hsl(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))))
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** Greedy word wrap to at most `width` characters a line (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

const POSTER_WIDTH = 600;
const POSTER_HEIGHT = 900;
const TEXT_WIDTH = 520;
// Bold sans glyphs average about 0.62 em (DejaVu Sans Bold, the usual fallback, is a wide face).
const EM_PER_CHAR = 0.62;

/** The largest title size whose wrapped lines fit the poster's width in at most five lines. */
function layoutTitle(title: string): { size: number; lines: string[] } {
  for (const size of [88, 76, 66, 58, 50, 44, 38]) {
    const perLine = Math.floor(TEXT_WIDTH / (size * EM_PER_CHAR));
    const lines = wrap(title, perLine);
    if (lines.length <= 5 && lines.every((l) => l.length <= perLine)) return { size, lines };
  }
  return { size: 34, lines: wrap(title, Math.floor(TEXT_WIDTH / (34 * EM_PER_CHAR))) };
}

/** A 600×900 PNG: a gradient in a hue of its own, the title large, the year under it. */
export async function renderPoster(title: string, year: number, index: number): Promise<Buffer> {
  const hue = (index * 137.5) % 360; // the golden angle keeps neighbours' colours apart
  const { size, lines } = layoutTitle(title);
  const lineHeight = Math.round(size * 1.12);
  const top = Math.round(POSTER_HEIGHT * 0.42 - ((lines.length - 1) * lineHeight) / 2);
  const font = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";
  const titleLines = lines
    .map((line, i) => `<text x="300" y="${top + i * lineHeight}" font-size="${size}">${escapeXml(line)}</text>`)
    .join('');
  const yearY = top + (lines.length - 1) * lineHeight + Math.round(size * 0.6) + 70;
  const svg = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${POSTER_WIDTH}" height="${POSTER_HEIGHT}" viewBox="0 0 ${POSTER_WIDTH} ${POSTER_HEIGHT}">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0.35" y2="1">
      <stop offset="0" stop-color="${hsl(hue, 0.55, 0.32)}"/>
      <stop offset="1" stop-color="${hsl((hue + 40) % 360, 0.6, 0.08)}"/>
    </linearGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#bg)"/>
  <circle cx="470" cy="170" r="210" fill="${hsl((hue + 180) % 360, 0.5, 0.6)}" fill-opacity="0.12"/>
  <rect x="24" y="24" width="552" height="852" fill="none" stroke="#ffffff" stroke-opacity="0.35" stroke-width="2"/>
  <g font-family="${font}" font-weight="bold" fill="#ffffff" text-anchor="middle">${titleLines}</g>
  <text x="300" y="${yearY}" font-family="${font}" font-size="44" fill="#ffffff" fill-opacity="0.8" text-anchor="middle" letter-spacing="6">${year}</text>
  <text x="300" y="846" font-family="${font}" font-size="20" fill="#ffffff" fill-opacity="0.55" text-anchor="middle" letter-spacing="8">BUTACA · DEMO</text>
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function countRows(db: Db, table: 'movies' | 'users'): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A 256×256 PNG avatar: the member's initial on a disc of their colour. */
export async function renderAvatar(name: string, index: number): Promise<Buffer> {
  const hue = (index * 83 + 20) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">
  <rect width="256" height="256" fill="${hsl(hue, 0.5, 0.35)}"/>
  <circle cx="128" cy="128" r="100" fill="${hsl((hue + 30) % 360, 0.6, 0.55)}"/>
  <text x="128" y="165" font-family="'DejaVu Sans', sans-serif" font-weight="bold" font-size="110" fill="#ffffff" text-anchor="middle">${escapeXml(name.slice(0, 1).toUpperCase())}</text>
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const DAY_MS = 86_400_000;
/** A day within the last year (`daysAgo` 1–365) as YYYY-MM-DD. */
const dayAgo = (daysAgo: number): string => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);

/**
 * Dates what the demo wrote (all of it "now") over the past year, as a community's history would
 * be: members joined a little over a year ago, each review and rating on the day of its latest
 * viewing in the diary (or a day of the year when not logged), each entry on the evening of its
 * day. Only timestamps change, so every aggregate the writes kept stays exact. A demo's history
 * is nothing the API does, so these updates live here and not in a module's data layer.
 */
async function spreadOverPastYear(trx: Db): Promise<void> {
  const rand = random(1999);
  const yearAgo = new Date(Date.now() - 400 * DAY_MS).toISOString();
  await trx.updateTable('users').set({ created_at: yearAgo }).execute();
  await trx.updateTable('movies').set({ created_at: yearAgo, updated_at: yearAgo }).execute();
  const evening = (day: string, salt: number) => `${day}T${String(18 + (salt % 5)).padStart(2, '0')}:${String((salt * 7) % 60).padStart(2, '0')}:00.000Z`;
  const entries = await trx.selectFrom('diary_entries').select(['id', 'user_id', 'movie_id', 'watched_on']).execute();
  const latest = new Map<string, string>();
  for (const e of entries) {
    await trx.updateTable('diary_entries').set({ created_at: evening(e.watched_on, e.id), updated_at: evening(e.watched_on, e.id) }).where('id', '=', e.id).execute();
    const key = `${e.user_id}:${e.movie_id}`;
    if ((latest.get(key) ?? '') < e.watched_on) latest.set(key, e.watched_on);
  }
  const dayOf = (userId: number, movieId: number) => latest.get(`${userId}:${movieId}`) ?? dayAgo(1 + Math.floor(rand() * 365));
  for (const r of await trx.selectFrom('ratings').select(['user_id', 'movie_id']).execute()) {
    const at = evening(dayOf(r.user_id, r.movie_id), r.user_id * 31 + r.movie_id);
    await trx.updateTable('ratings').set({ created_at: at, updated_at: at }).where('user_id', '=', r.user_id).where('movie_id', '=', r.movie_id).execute();
    await trx.updateTable('reviews').set({ created_at: at, updated_at: at }).where('user_id', '=', r.user_id).where('movie_id', '=', r.movie_id).execute();
  }
  // Comments a day or two after their review; follows, likes and lists over the last months.
  for (const c of await trx.selectFrom('comments').innerJoin('reviews', 'reviews.id', 'comments.review_id').select(['comments.id', 'reviews.created_at']).execute()) {
    await trx.updateTable('comments').set({ created_at: new Date(Date.parse(c.created_at) + (1 + (c.id % 2)) * DAY_MS).toISOString() }).where('id', '=', c.id).execute();
  }
  for (const f of await trx.selectFrom('follows').select('id').execute()) {
    await trx.updateTable('follows').set({ created_at: evening(dayAgo(300 - ((f.id * 37) % 280)), f.id) }).where('id', '=', f.id).execute();
  }
  for (const l of await trx.selectFrom('lists').select('id').execute()) {
    const at = evening(dayAgo(20 + l.id * 9), l.id);
    await trx.updateTable('lists').set({ created_at: at, updated_at: at }).where('id', '=', l.id).execute();
  }
  // Added over the last months, in the order added (the list shows the last added first).
  const added = await trx.selectFrom('watchlist').select('id').orderBy('id').execute();
  for (const [i, w] of added.entries()) {
    await trx.updateTable('watchlist').set({ added_at: evening(dayAgo(200 - Math.floor((i * 190) / added.length)), w.id) }).where('id', '=', w.id).execute();
  }
}

/**
 * Loads the demo catalogue through the same code the API uses: users with argon2id hashes,
 * movies, posters and trailers stored and checked as uploads are, and reviews written by
 * `createReview`, which keeps each movie's count and average exact. All rows go in one
 * transaction, so a failure leaves the database as it was; the files written before it are
 * deleted (and whatever a crash leaves is swept at a later start).
 */
export async function seedDemo(db: Db, config: Config, opts: { force?: boolean } = {}): Promise<SeedSummary> {
  const store = await createStore(config.mediaStore);
  const warnings: string[] = [];
  const log: WarnLog = { warn: (_details, message) => warnings.push(message) };
  const target = { store, stagingDir: path.join(config.dataDir, 'tmp'), log };
  const options = inspectOptions(config);
  const written: string[] = [];
  const summary: SeedSummary = { movies: 0, users: 0, reviews: 0, ratings: 0, diary: 0, watchlist: 0, follows: 0, likes: 0, comments: 0, lists: 0, avatars: 0, posters: 0, trailers: 0 };

  // Hashing is the slow part of making users; done before the transaction holds the write lock.
  const [adminHash, reviewerHash] = await Promise.all([hashPassword(DEMO_ADMIN_PASSWORD), hashPassword(DEMO_PASSWORD)]);

  const attach = async (trx: Db, movieId: number, kind: MediaKind, body: Readable) => {
    const media = await storeMedia(target, movieId, kind, inspectStream(body, options[kind]));
    written.push(media.keyPrefix);
    await saveMedia(trx, media, 'create');
  };

  try {
    await db.transaction().execute(async (trx) => {
      // Inside the transaction, so a concurrent writer cannot slip in between the check and the load.
      const [movies, users] = await Promise.all([countRows(trx, 'movies'), countRows(trx, 'users')]);
      if (movies > 0) {
        throw new SeedRefused(
          `the database already has ${plural(movies, 'movie')} and ${plural(users, 'user')}; seed --demo loads only into a database without movies: ` +
            'point DATA_DIR (or DATABASE_URL) at a new one, as in DATA_DIR=./demo-data npx butaca seed --demo',
        );
      }
      if (users > 0 && !opts.force) {
        throw new SeedRefused(
          `the database already has ${plural(users, 'user')} (and no movies); add --force to load the demo catalogue and its users beside them, ` +
            'or point DATA_DIR (or DATABASE_URL) at a new database',
        );
      }
      // With --force beside existing accounts: the demo's own logins must not take over one of theirs.
      const taken = await trx
        .selectFrom('users')
        .select('username')
        .where(sql<string>`lower(username)`, 'in', [DEMO_ADMIN, ...DEMO_REVIEWERS])
        .execute();
      if (taken.length > 0) {
        throw new SeedRefused(
          `the demo makes the users ${[DEMO_ADMIN, ...DEMO_REVIEWERS].join(', ')}, and "${taken[0]!.username}" already exists; ` +
            'point DATA_DIR (or DATABASE_URL) at a new database for the demo',
        );
      }

      await insertUser(trx, DEMO_ADMIN, adminHash, 'admin');
      const reviewers = [];
      for (const name of DEMO_REVIEWERS) reviewers.push(await insertUser(trx, name, reviewerHash, 'user'));
      summary.users = reviewers.length + 1;

      const rand = random(2026);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
      for (const [i, reviewer] of reviewers.entries()) {
        const profile = DEMO_PROFILES[reviewer.username as (typeof DEMO_REVIEWERS)[number]];
        await updateProfile(trx, reviewer.id, { display_name: profile.name, bio: profile.bio });
        // One member without an avatar, so the demo shows the initials in its place too.
        if (i === DEMO_REVIEWERS.length - 1) continue;
        const avatar = await storeAvatar(target, reviewer.id, inspectStream(Readable.from([await renderAvatar(profile.name, i)]), AVATAR_INSPECT));
        written.push(avatar.keyPrefix);
        await saveAvatar(trx, avatar);
        summary.avatars += 1;
      }
      // No two reviews say the same thing: a phrase for the rating and an aside, a pair used once.
      const said = new Set<string>();
      const reviewText = (language: 'en' | 'es', halves: number): string => {
        const phrases = REVIEW_TEXTS[language][Math.ceil(halves / 2) - 1]!;
        for (;;) {
          const text = `${pick(phrases)} ${pick(REVIEW_ASIDES[language])}`;
          if (!said.has(text)) {
            said.add(text);
            return text;
          }
        }
      };
      const seen = new Map<number, Set<number>>(reviewers.map((r) => [r.id, new Set<number>()]));
      const movieIds: number[] = [];
      for (const [index, entry] of DEMO_MOVIES.entries()) {
        const movie = await insertMovie(trx, {
          title: entry.title,
          year: entry.year,
          synopsis: entry.synopsis,
          original_title: entry.original_title,
          directors: [...entry.directors],
          genres: [...entry.genres],
          runtime: entry.runtime,
          imdb_id: null,
        });
        movieIds.push(movie.id);
        summary.movies += 1;

        const png = await renderPoster(entry.title, entry.year, index);
        await attach(trx, movie.id, 'poster', Readable.from([png]));
        summary.posters += 1;
        if (entry.trailer) {
          await attach(trx, movie.id, 'trailer', createReadStream(DEMO_TRAILER));
          summary.trailers += 1;
        }

        // Three to five members saw each movie, ratings in half stars spread around a per-movie
        // base; most log the viewing in their diary, some write a review, the rest only rate.
        const base = 2 + rand() * 3;
        const shuffled = [...reviewers];
        for (let i = shuffled.length - 1; i > 0; i -= 1) {
          const j = Math.floor(rand() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const count = 3 + Math.floor(rand() * 3);
        for (const [nth, reviewer] of shuffled.slice(0, count).entries()) {
          const halves = Math.min(10, Math.max(1, Math.round((base + (rand() - 0.5) * 2.5) * 2)));
          const profile = DEMO_PROFILES[reviewer.username as (typeof DEMO_REVIEWERS)[number]];
          seen.get(reviewer.id)!.add(movie.id);
          const when = 1 + Math.floor(rand() * 365);
          if (rand() < 0.8) {
            await createEntry(trx, reviewer.id, {
              movieId: movie.id,
              watchedOn: dayAgo(when),
              rewatch: rand() < 0.2,
              halves,
              liked: halves >= 8 && rand() < 0.8,
              tags: rand() < 0.5 ? [pick(DEMO_TAGS[profile.language])] : [],
            });
            summary.diary += 1;
            // A second viewing now and then, months later.
            if (rand() < 0.15 && when > 60) {
              await createEntry(trx, reviewer.id, { movieId: movie.id, watchedOn: dayAgo(when - 45), rewatch: true, halves: null, liked: false, tags: [] });
              summary.diary += 1;
            }
          }
          // The first two always write, so every movie has something to read.
          if (nth < 2 || rand() < 0.35) {
            await createReview(trx, reviewer.id, movie.id, reviewText(profile.language, halves), halves);
            summary.reviews += 1;
          } else {
            await writeRating(trx, reviewer.id, movie.id, halves);
          }
          summary.ratings += 1;
        }
      }
      // Each member means to see a few of the movies they have not seen, added over the year.
      for (const reviewer of reviewers) {
        const unseen = movieIds.filter((id) => !seen.get(reviewer.id)!.has(id));
        for (const id of unseen.slice(0, 2 + Math.floor(rand() * 3))) {
          await addToWatchlist(trx, reviewer.id, id);
          summary.watchlist += 1;
        }
      }
      // Everyone follows most of the others; they like and answer each other's reviews.
      for (const [i, reviewer] of reviewers.entries()) {
        for (const [j, other] of reviewers.entries()) {
          if (i === j || (i + j) % 4 === 3) continue;
          await follow(trx, reviewer.id, other.id);
          summary.follows += 1;
        }
      }
      const allReviews = await trx.selectFrom('reviews').select(['id', 'user_id']).orderBy('id').execute();
      for (const review of allReviews) {
        for (const reviewer of reviewers) {
          if (reviewer.id === review.user_id || rand() > 0.4) continue;
          await likeReview(trx, reviewer.id, review.id);
          summary.likes += 1;
        }
        if (rand() < 0.25) {
          const others = reviewers.filter((r) => r.id !== review.user_id);
          const commenter = pick(others);
          const profile = DEMO_PROFILES[commenter.username as (typeof DEMO_REVIEWERS)[number]];
          await createComment(trx, commenter.id, review.id, pick(DEMO_COMMENTS[profile.language]));
          summary.comments += 1;
        }
      }
      for (const [n, spec] of DEMO_LISTS.entries()) {
        const owner = reviewers.find((r) => r.username === spec.owner)!;
        const list = await createList(trx, owner.id, { title: spec.title, description: spec.description, ranked: spec.ranked, public: spec.public });
        for (let k = 0; k < spec.films; k += 1) await putItem(trx, list.id, movieIds[(n * 7 + k * 3) % movieIds.length]!, undefined, k === 0 ? 'Start here.' : null);
        summary.lists += 1;
      }
      // What was written is dated now: spread it over the past year as a real community's would be,
      // and the feeds made again in the order things were done.
      await spreadOverPastYear(trx);
      await rebuildActivities(trx);
    });
  } catch (err) {
    if (err instanceof SeedRefused) throw err;
    await removeFiles(store, log, written);
    const reason = ((err as Error).message ?? String(err)).replace(/\s+/g, ' ').trim();
    const leftovers = warnings.length > 0 ? '; some media files may be left over, which `serve` sweeps at a start an hour or more later' : '';
    throw new Error(`seed failed and nothing was loaded (the database is unchanged): ${reason}${leftovers}`, { cause: err });
  } finally {
    await store.close();
  }
  return summary;
}
