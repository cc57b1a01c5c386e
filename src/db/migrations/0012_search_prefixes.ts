import { type Kysely, PostgresAdapter, sql } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Search that stays fast as the catalogue grows.
 *
 * SQLite: every word of a search is a prefix (`"night"*`). FTS5 answers a prefix from an index of
 * its own only when one was built for exactly that many characters; 0009 built them for 2 and 3,
 * so a word of 4 characters or more had FTS5 gather every term that starts with it and merge their
 * lists of rows before reading the first one: at 100,000 movies `night` cost 188 µs where an
 * indexed prefix costs 16, and in a million reviews a common word (`minute`) 20 ms. The full-text
 * tables are made again with prefix indexes for 1 to 12 characters (1 to 8 for reviews, written
 * all the time: each length costs a review's text ~5 µs more to index), and with
 * `detail=column`: a search asks which columns a word is in (the tiers), never where in the
 * column, and without the positions the index holds the extra prefixes in the size it had
 * (33 MB for 100,000 movies either way; reviews 158 → 257 MB for a million). The update
 * triggers now fire only when a searched column's value changes, not whenever an UPDATE names it
 * (a PUT of a review that sends the same text with a new score rewrote its index entry).
 *
 * PostgreSQL: GIN answers a prefix from the index alone already; the vector's trigger is split so
 * that an update recomputes it only when a searched column's value changes, as on SQLite.
 *
 * A first catalogue load may have set the movies' triggers aside (0010) and died: they are made
 * here anew, the index rebuilt from the table, so any record of them is spent.
 */

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

interface Searched {
  table: string;
  columns: string[];
}

const SEARCHED: Searched[] = [
  { table: 'movies', columns: ['title', 'original_title', 'directors', 'synopsis'] },
  { table: 'reviews', columns: ['review'] },
  { table: 'users', columns: ['username', 'display_name'] },
  { table: 'lists', columns: ['title', 'description'] },
];

const lengths = (upTo: number) => Array.from({ length: upTo }, (_, i) => i + 1).join(' ');

/** `old.a is not new.a or …`: a searched column's value changed. */
const changed = (s: Searched, distinct: string) => s.columns.map((c) => `old.${c} ${distinct} new.${c}`).join(' or ');

async function remakeSqlite(db: Kysely<any>, s: Searched, prefix: string, detail: 'full' | 'column', onlyChanges: boolean): Promise<void> {
  const fts = `${s.table}_fts`;
  const list = s.columns.join(', ');
  const newValues = s.columns.map((c) => `new.${c}`).join(', ');
  const oldValues = s.columns.map((c) => `old.${c}`).join(', ');
  for (const t of ['insert', 'update', 'delete']) await sql`drop trigger if exists ${sql.raw(`${fts}_${t}`)}`.execute(db);
  await sql`drop table ${sql.raw(fts)}`.execute(db);
  const details = detail === 'full' ? '' : `, detail=${detail}`;
  await sql`create virtual table ${sql.raw(fts)} using fts5(${sql.raw(list)}, content=${sql.lit(s.table)}, content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix=${sql.lit(prefix)}${sql.raw(details)})`.execute(db);
  await sql`create trigger ${sql.raw(`${fts}_insert`)} after insert on ${sql.table(s.table)} begin
      insert into ${sql.raw(fts)} (rowid, ${sql.raw(list)}) values (new.id, ${sql.raw(newValues)}); end`.execute(db);
  await sql`create trigger ${sql.raw(`${fts}_delete`)} after delete on ${sql.table(s.table)} begin
      insert into ${sql.raw(fts)} (${sql.raw(fts)}, rowid, ${sql.raw(list)}) values ('delete', old.id, ${sql.raw(oldValues)}); end`.execute(db);
  const when = onlyChanges ? sql.raw(`when ${changed(s, 'is not')}`) : sql``;
  await sql`create trigger ${sql.raw(`${fts}_update`)} after update of ${sql.raw(list)} on ${sql.table(s.table)} ${when} begin
      insert into ${sql.raw(fts)} (${sql.raw(fts)}, rowid, ${sql.raw(list)}) values ('delete', old.id, ${sql.raw(oldValues)});
      insert into ${sql.raw(fts)} (rowid, ${sql.raw(list)}) values (new.id, ${sql.raw(newValues)}); end`.execute(db);
  await sql`insert into ${sql.raw(fts)} (${sql.raw(fts)}) values ('rebuild')`.execute(db);
  await sql`delete from deferred_indexes where name in (${sql.join(['insert', 'update', 'delete'].map((t) => `${fts}_${t}`))})`.execute(db);
}

async function splitPostgres(db: Kysely<any>, s: Searched, onlyChanges: boolean): Promise<void> {
  const fn = sql.raw(`${s.table}_search_vector`);
  const cols = sql.raw(s.columns.join(', '));
  await sql`drop trigger if exists ${fn} on ${sql.table(s.table)}`.execute(db);
  await sql`drop trigger if exists ${sql.raw(`${s.table}_search_vector_update`)} on ${sql.table(s.table)}`.execute(db);
  if (!onlyChanges) {
    await sql`create trigger ${fn} before insert or update of ${cols} on ${sql.table(s.table)} for each row execute function ${fn}()`.execute(db);
    return;
  }
  await sql`create trigger ${fn} before insert on ${sql.table(s.table)} for each row execute function ${fn}()`.execute(db);
  await sql`create trigger ${sql.raw(`${s.table}_search_vector_update`)} before update of ${cols} on ${sql.table(s.table)}
      for each row when (${sql.raw(changed(s, 'is distinct from'))}) execute function ${fn}()`.execute(db);
}

/**
 * Kysely runs a SQLite migration outside a transaction (it reports no transactional DDL), and this
 * one drops the indexes before it makes them again: a savepoint makes it all or nothing, so a
 * process killed half-way leaves the old indexes, and the next start runs it again.
 */
async function atomically(db: Kysely<any>, work: () => Promise<void>): Promise<void> {
  if (isPostgres(db)) return work();
  await sql`savepoint m0012`.execute(db);
  try {
    await work();
  } catch (error) {
    try {
      await sql`rollback to m0012`.execute(db);
      await sql`release m0012`.execute(db);
    } catch {
      // SQLite rolled the whole transaction back itself (a full disk, say): no savepoint is left, and the first error is the one to tell.
    }
    throw error;
  }
  await sql`release m0012`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await atomically(db, async () => {
    for (const s of SEARCHED) {
      if (isPostgres(db)) await splitPostgres(db, s, true);
      else await remakeSqlite(db, s, lengths(s.table === 'reviews' ? 8 : 12), 'column', true);
    }
  });
}

export async function down(db: Kysely<any>): Promise<void> {
  await atomically(db, async () => {
    for (const s of SEARCHED) {
      if (isPostgres(db)) await splitPostgres(db, s, false);
      else await remakeSqlite(db, s, '2 3', 'full', false);
    }
  });
}
