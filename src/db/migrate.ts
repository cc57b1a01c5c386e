import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import type { Db } from './connect.js';
import { buildDeferredIndexes } from './deferred-indexes.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_media.js';
import * as m0003 from './migrations/0003_counters.js';
import * as m0004 from './migrations/0004_row_counts.js';
import * as m0005 from './migrations/0005_movies_year_desc.js';
import * as m0006 from './migrations/0006_review_sorts.js';
import * as m0007 from './migrations/0007_film_diary.js';
import * as m0008 from './migrations/0008_community.js';
import * as m0009 from './migrations/0009_search_catalogue.js';
import * as m0010 from './migrations/0010_deferred_indexes.js';
import * as m0011 from './migrations/0011_email_password_reset.js';
import * as m0012 from './migrations/0012_search_prefixes.js';

// Listed here rather than read from a folder, so the same list works from sources and from dist/.
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_media': m0002,
  '0003_counters': m0003,
  '0004_row_counts': m0004,
  '0005_movies_year_desc': m0005,
  '0006_review_sorts': m0006,
  '0007_film_diary': m0007,
  '0008_community': m0008,
  '0009_search_catalogue': m0009,
  '0010_deferred_indexes': m0010,
  '0011_email_password_reset': m0011,
  '0012_search_prefixes': m0012,
};

/** Every migration this release has, in order: a database whose last one is not here was made by a newer release. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations);

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  // Indexes a bulk load set aside and did not live to build (src/db/deferred-indexes.ts).
  await buildDeferredIndexes(db);
  return result;
}

/**
 * Migrates up or down to the named migration (the last one applied afterwards). For the tests that
 * build a database as an earlier release left it; operators only ever go to the latest.
 */
export async function migrateTo(db: Db, target: string): Promise<MigrationResultSet> {
  if (!(target in migrations)) throw new Error(`no migration named ${target}`);
  const result = await new Migrator({ db, provider }).migrateTo(target);
  if (result.error) throw result.error;
  return result;
}
