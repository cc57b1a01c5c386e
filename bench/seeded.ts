/**
 * The seeded SQLite database of each scale, made once through the data layer and kept in the
 * system's temp directory, keyed by the code that makes it (its migrations and the seed), so the
 * benchmarks (bench/run.ts, bench/backup.ts) share it and a change to either makes a new one.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { type Scale, seedCatalogue } from './seed-catalogue.js';
import { ROOT } from './server-process.js';

const out = (text: string) => process.stdout.write(`${text}\n`);

export function seedKey(scale: Scale): string {
  const hash = createHash('sha256');
  const migrations = path.join(ROOT, 'src/db/migrations');
  for (const file of readdirSync(migrations).sort()) hash.update(readFileSync(path.join(migrations, file)));
  for (const file of ['bench/seed-catalogue.ts', 'src/modules/movies/data.ts', 'src/modules/reviews/data.ts', 'src/modules/reviews/ratings.ts', 'src/modules/users/data.ts']) {
    hash.update(readFileSync(path.join(ROOT, file)));
  }
  return `butaca_bench_${scale}_${hash.digest('hex').slice(0, 12)}`;
}

/** The path of the seeded file of `scale` (made now if missing): copy it before writing to it. */
export async function seededDatabase(scale: Scale): Promise<string> {
  const cached = path.join(os.tmpdir(), `${seedKey(scale)}.db`);
  if (existsSync(cached)) return cached;
  const building = `${cached}.building`;
  rmSync(building, { force: true });
  const db = connect({ kind: 'sqlite', path: building });
  await migrateToLatest(db);
  const result = await seedCatalogue(db, scale, (what) => process.stderr.write(`\r  seeding ${scale}: ${what}      `));
  await db.destroy();
  process.stderr.write('\n');
  // One self-contained file (the WAL folded in) that can be copied as is.
  const Sqlite = (await import('better-sqlite3')).default;
  const file = new Sqlite(building);
  file.pragma('wal_checkpoint(TRUNCATE)');
  file.pragma('journal_mode = DELETE');
  file.close();
  copyFileSync(building, cached);
  for (const suffix of ['', '-wal', '-shm']) rmSync(building + suffix, { force: true });
  out(`  seeded ${scale}: ${result.movies} movies, ${result.users} users, ${result.reviews} reviews in ${result.seconds.toFixed(1)} s`);
  return cached;
}
