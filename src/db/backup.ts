import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATION_NAMES } from './migrate.js';

/**
 * Backing up and restoring the embedded SQLite database (`npx butaca backup FILE`, `restore FILE`).
 *
 * The copy is made with SQLite's online backup API (through better-sqlite3) in a single step: one
 * read transaction over the whole file, so the copy is the database as it was at one instant while
 * the server goes on writing (in WAL mode a reader does not block writers, and a write is
 * acknowledged only after its COMMIT: src/db/group-commit.ts). A copy made in several steps would
 * restart whenever the server wrote between two of them, and under steady writes never finish.
 */

/** A problem with a backup or a restore that the operator can act on: one line, exit status 1. */
export class BackupError extends Error {}

export interface BackupCheck {
  /** The last migration the copy has. */
  migration: string;
  bytes: number;
}

/**
 * Checks a database file: SQLite's `integrity_check`, and a migration this Butaca knows (a copy
 * made by a newer release would be misread). Opened read-only, so checking changes nothing.
 */
export function checkDatabaseFile(file: string): BackupCheck {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError(`${file} cannot be opened as a SQLite database: ${(err as Error).message}`);
  }
  try {
    let rows: { integrity_check: string }[];
    try {
      rows = db.pragma('integrity_check') as { integrity_check: string }[];
    } catch (err) {
      throw new BackupError(`${file} is not a SQLite database: ${(err as Error).message}`);
    }
    if (rows.length !== 1 || rows[0]!.integrity_check !== 'ok') throw new BackupError(`${file} fails SQLite's integrity check: ${rows.map((r) => r.integrity_check).slice(0, 3).join('; ')}`);
    const table = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
    if (!table) throw new BackupError(`${file} is not a Butaca database (it has no migrations table)`);
    const last = (db.prepare('select name from kysely_migration order by name desc limit 1').get() as { name: string } | undefined)?.name;
    if (last === undefined) throw new BackupError(`${file} is not a Butaca database (no migration was ever applied to it)`);
    if (!MIGRATION_NAMES.includes(last)) throw new BackupError(`${file} was made by a newer Butaca (its last migration is ${last}): restore it with that release`);
    return { migration: last, bytes: 0 };
  } finally {
    db.close();
  }
}

/** fsync a file (or a directory, so a rename in it is on disk). */
async function sync(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Copies the database at `source` to `dest` while it serves: into `dest.partial`, turned into a
 * single self-contained file (rollback journal, no -wal beside it), checked, made durable, and
 * only then renamed to `dest`. A failure leaves no `dest` and no partial file.
 */
export async function backupDatabase(source: string, dest: string): Promise<BackupCheck> {
  const target = path.resolve(dest);
  if ([source, `${source}-wal`, `${source}-shm`].some((f) => path.resolve(f) === target)) {
    throw new BackupError(`${dest} is the database itself: back it up to another file`);
  }
  const partial = `${dest}.partial`;
  await rm(partial, { force: true });
  let db: Database.Database;
  try {
    db = new Database(source, { fileMustExist: true });
  } catch (err) {
    throw new BackupError(`cannot open the database ${source}: ${(err as Error).message}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    // All remaining pages in the next step: one read transaction, one instant (see above).
    await db.backup(partial, { progress: () => 0x7fffffff });
  } catch (err) {
    await rm(partial, { force: true });
    throw new BackupError(`the backup failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
  try {
    const copy = new Database(partial);
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const check = checkDatabaseFile(partial);
    await sync(partial);
    await rename(partial, dest);
    await sync(path.dirname(path.resolve(dest)));
    return { ...check, bytes: (await stat(dest)).size };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Who serves a database file: restore must not pull it from under a running server.

const markerPrefix = (dbPath: string) => `${path.basename(dbPath)}.serving.`;

/**
 * Marks `dbPath` as served by this process (a file `<db>.serving.<pid>` beside it) until the
 * returned function is called. A process killed with -9 leaves its marker behind; it is ignored
 * once no process has that pid.
 */
export function markServing(dbPath: string): () => void {
  const marker = path.join(path.dirname(dbPath), `${markerPrefix(dbPath)}${process.pid}`);
  writeFileSync(marker, `${process.pid}\n`);
  return () => rmSync(marker, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pids of the live processes serving `dbPath`. */
export function servingPids(dbPath: string): number[] {
  let names: string[];
  try {
    names = readdirSync(path.dirname(dbPath));
  } catch {
    return [];
  }
  const prefix = markerPrefix(dbPath);
  return names
    .filter((n) => n.startsWith(prefix))
    .map((n) => Number(n.slice(prefix.length)))
    .filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid));
}

/**
 * Puts the backup `file` in place of the database at `dbPath`: refused while a server uses it;
 * the backup checked first; copied beside the target, made durable, and renamed over it (a crash
 * leaves the old database or the new one, never half of either). A database already there is kept
 * as `<db>.before-restore-<time>` with its -wal, so nothing is lost by a restore to the wrong place.
 */
export async function restoreDatabase(file: string, dbPath: string): Promise<BackupCheck & { keptAs: string | undefined }> {
  const pids = servingPids(dbPath);
  if (pids.length > 0) throw new BackupError(`a server (pid ${pids.join(', ')}) is using ${dbPath}: stop it before restoring`);
  const check = checkDatabaseFile(file);
  const dir = path.dirname(path.resolve(dbPath));
  // A new DATA_DIR: made here, as serve would.
  await mkdir(dir, { recursive: true });
  const incoming = `${dbPath}.restoring`;
  await rm(incoming, { force: true });
  await copyFile(file, incoming);
  await sync(incoming);
  let keptAs: string | undefined;
  const existing = await stat(dbPath).catch(() => undefined);
  if (existing) {
    keptAs = `${dbPath}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(dbPath, keptAs);
  }
  // The old database's write-ahead log must not be read as the new one's.
  for (const suffix of ['-wal', '-shm']) {
    if (keptAs !== undefined) await rename(`${dbPath}${suffix}`, `${keptAs}${suffix}`).catch(() => {});
    await rm(`${dbPath}${suffix}`, { force: true });
  }
  await rename(incoming, dbPath);
  await sync(dir);
  return { ...check, bytes: (await stat(dbPath)).size, keptAs };
}

