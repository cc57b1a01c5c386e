/**
 * A realistic catalogue for the benchmark, written through the data layer (the same insertUser,
 * insertMovie and createReview the API calls, so aggregates are maintained the way the service
 * maintains them). Deterministic: the same scale gives the same database.
 *
 * Reviews are spread unevenly, as on a real site: a few movies get many, most get a handful
 * (movie index drawn as M·r² for uniform r); every user reviews a movie at most once.
 */
import { random } from '../src/cli/seed.js';
import type { Db } from '../src/db/connect.js';
import { GENRES } from '../src/domain/enums.js';
import { insertMovie } from '../src/modules/movies/index.js';
import { createReview } from '../src/modules/reviews/index.js';
import { insertUser } from '../src/modules/users/index.js';
import { hashPassword } from '../src/security/passwords.js';

export const SCALES = {
  small: { movies: 1_000, reviews: 10_000 },
  medium: { movies: 10_000, reviews: 100_000 },
  large: { movies: 100_000, reviews: 1_000_000 },
} as const;
export type Scale = keyof typeof SCALES;

/** Reviews per user: 20 on average, so a scale's users are reviews / 20. */
const REVIEWS_PER_USER = 20;
const BATCH = 5_000;

export const BENCH_PASSWORD = 'bench-password-123';

const WORDS = [
  'night', 'river', 'silent', 'city', 'last', 'summer', 'glass', 'empire', 'shadow', 'garden', 'iron', 'letter',
  'winter', 'golden', 'stranger', 'harbor', 'dream', 'paper', 'storm', 'mirror', 'wild', 'blue', 'secret', 'road',
];
const PHRASES = [
  'A slow start, but the last act earns every minute.',
  'Beautifully shot; the score does half the storytelling.',
  'The cast is better than the script they were given.',
  'I went in expecting little and came out moved.',
  'Too long by twenty minutes, still worth seeing on a big screen.',
  'A quiet film about loss that never turns sentimental.',
  'Funny, sharp and over before you want it to be.',
];

const FIRST_NAMES = ['Agnès', 'Pedro', 'Akira', 'Lucía', 'Víctor', 'Ridley', 'Hayao', 'Icíar', 'Jean', 'María', 'Bong', 'Chantal'];
const LAST_NAMES = ['Varda', 'Almodóvar', 'Kurosawa', 'Martel', 'Erice', 'Scott', 'Miyazaki', 'Bollaín', 'Renoir', 'Novaro', 'Joon', 'Akerman'];

const pick = <T>(items: readonly T[], r: () => number): T => items[Math.floor(r() * items.length)]!;

function title(i: number, r: () => number): string {
  const words = 1 + Math.floor(r() * 3);
  const parts = Array.from({ length: words }, () => pick(WORDS, r));
  const text = parts.join(' ');
  // The index keeps titles unique together with the year, however the words fall.
  return `${text[0]!.toUpperCase()}${text.slice(1)} ${i + 1}`;
}

export interface SeedResult {
  movies: number;
  users: number;
  reviews: number;
  seconds: number;
}

/** Seeds an empty, migrated database. `progress` is told after each batch. */
export async function seedCatalogue(db: Db, scale: Scale, progress: (what: string) => void = () => {}): Promise<SeedResult> {
  const started = performance.now();
  const { movies, reviews } = SCALES[scale];
  const users = Math.ceil(reviews / REVIEWS_PER_USER);
  const r = random(20261126);
  // One hash for every seeded user: argon2id takes ~20 ms by design, and the logins of the
  // benchmark only need the password to be right.
  const hash = await hashPassword(BENCH_PASSWORD);

  for (let start = 0; start < movies; start += BATCH) {
    await db.transaction().execute(async (trx) => {
      for (let i = start; i < Math.min(movies, start + BATCH); i++) {
        const genres = [...new Set([pick(GENRES, r), pick(GENRES, r)])];
        await insertMovie(trx, {
          title: title(i, r),
          year: 1930 + Math.floor(r() * 96),
          synopsis: `${pick(PHRASES, r)} ${pick(PHRASES, r)}`,
          original_title: r() < 0.2 ? `${pick(WORDS, r)} ${pick(LAST_NAMES, r)}` : null,
          directors: [`${pick(FIRST_NAMES, r)} ${pick(LAST_NAMES, r)} ${i % 97}`],
          genres,
          runtime: 80 + Math.floor(r() * 80),
          imdb_id: `tt${String(i + 1).padStart(7, '0')}`,
        });
      }
    });
    progress(`movies ${Math.min(movies, start + BATCH)}/${movies}`);
  }
  for (let start = 0; start < users; start += BATCH) {
    await db.transaction().execute(async (trx) => {
      for (let i = start; i < Math.min(users, start + BATCH); i++) await insertUser(trx, `user${i + 1}`, hash);
    });
    progress(`users ${Math.min(users, start + BATCH)}/${users}`);
  }

  // Users and movies were inserted in order into empty tables, so their ids are 1..N.
  let written = 0;
  for (let user = 1; user <= users && written < reviews; user += 0) {
    await db.transaction().execute(async (trx) => {
      const until = Math.min(reviews, written + BATCH);
      while (written < until && user <= users) {
        const seen = new Set<number>();
        const count = Math.min(REVIEWS_PER_USER, until - written);
        while (seen.size < count) seen.add(1 + Math.floor(movies * r() ** 2));
        for (const movie of seen) {
          await createReview(trx, user, movie, `${pick(PHRASES, r)} ${pick(PHRASES, r)}`, 1 + Math.floor(r() * 5));
        }
        written += count;
        user += 1;
      }
    });
    progress(`reviews ${written}/${reviews}`);
  }
  return { movies, users, reviews: written, seconds: (performance.now() - started) / 1000 };
}
