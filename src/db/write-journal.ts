import type SQLite from 'better-sqlite3';

/**
 * Which rows this process's own writes touched, and when: what lets the read cache
 * (src/plugins/read-cache.ts) keep an answer that a write did not touch, where the data version
 * alone (src/db/data-version.ts) drops every answer at every write. Edit a review, and only the
 * answers showing that review, its author or its movie are made again, not the 99 other movie
 * pages.
 *
 * SQLite only, and only for this connection: TEMP triggers on the tables that answers name
 * (`install`; they live in this connection alone, so another process's writes are not seen here,
 * and for those the data version still drops everything) record each written row as (table,
 * rowid, insert, update or delete) in a TEMP table, in the writer's own transaction (a write
 * rolled back takes its record with it). Before a cached answer is looked at, what was recorded
 * is read out and forgotten, each row stamped with `total_changes()` at that moment: a number
 * that only grows and that every write moves, so an answer made at stamp S is still good while
 * none of the rows, tables or memberships it depends on has a stamp over S.
 *
 * What is not seen, and so must not be depended on: a table not installed (a dependency on it
 * always counts as changed), a rowid changed by an UPDATE (Butaca never does), and a row deleted
 * by REPLACE conflict resolution (Butaca uses no REPLACE; upserts are UPDATEs). Foreign-key
 * cascades and triggers that write fire the triggers like any write.
 */

/** What an answer depends on: a row (`movies#17`), any write to a table (`media`), or a row added to or taken from it (`movies+`). */
export type Dependency = `${string}#${number}` | `${string}+` | string;

export interface JournalStamp {
  /** data_version and failed commits: anything written by someone else, or undone. */
  external: string;
  /** total_changes() once this connection's writes so far were read out. */
  seq: number;
  /** The data version at the same moment (src/db/data-version.ts's, read from the same two values rather than again). */
  version: string;
}

/** Rows remembered at most; past it everything is forgotten and older answers count as changed. */
const MAX_ROWS = 100_000;
const TOUCHED = 'butaca_touched';

export class WriteJournal {
  readonly #sqlite: SQLite.Database;
  readonly #rollbacks: { count: number };
  /** The tables journaled (installed); empty until `install`. */
  #tables = new Set<string>();
  #wanted: readonly string[] = [];
  readonly #changes: SQLite.Statement;
  readonly #dataVersion: SQLite.Statement;
  #drain: SQLite.Statement | undefined;
  #clear: SQLite.Statement | undefined;
  /** total_changes() after the last read-out: when it has not moved, nothing was written since. */
  #drainedAt = -1;
  /** Answers stamped before it are older than what is remembered. */
  #floor = 0;
  /** Rows this journal's own read-outs deleted: not changes to the data (the data version leaves them out). */
  #ownChanges = 0;
  readonly #written = new Map<string, number>();

  constructor(sqlite: SQLite.Database, rollbacks: { count: number }) {
    this.#sqlite = sqlite;
    this.#rollbacks = rollbacks;
    this.#changes = sqlite.prepare('select total_changes()').pluck();
    this.#dataVersion = sqlite.prepare('pragma data_version').pluck();
  }

  /** total_changes() without this journal's own deletes: what src/db/data-version.ts counts. */
  dataChanges(): number {
    return Number(this.#changes.get()) - this.#ownChanges;
  }

  /**
   * Journals these tables from now on (the read cache calls it once the app is ready, after the
   * migrations, outside any transaction: DDL inside a savepoint that rolls back would be undone
   * with it). Those that do not exist, or have no rowid, are left out.
   */
  install(tables: readonly string[]): void {
    this.#wanted = [...new Set(tables)];
    this.#make();
  }

  #make(): void {
    const sqlite = this.#sqlite;
    if (sqlite.inTransaction) throw new Error('the write journal is installed outside a transaction');
    sqlite.exec(`create temp table if not exists ${TOUCHED} (tbl text not null, id integer not null, op text not null)`);
    const existing = new Set(
      (sqlite.prepare(`select name from pragma_table_list where schema = 'main' and type = 'table' and wr = 0`).pluck().all() as string[]),
    );
    this.#tables = new Set();
    for (const name of this.#wanted) {
      if (!/^\w+$/.test(name) || !existing.has(name)) continue;
      for (const [op, when, row] of [['i', 'insert', 'new'], ['u', 'update', 'old'], ['d', 'delete', 'old']] as const) {
        sqlite.exec(`create temp trigger if not exists ${TOUCHED}_${name}_${op} after ${when} on main."${name}" begin insert into ${TOUCHED} values ('${name}', ${row}.rowid, '${op}'); end`);
      }
      this.#tables.add(name);
    }
    this.#drain = sqlite.prepare(`select tbl, id, op from ${TOUCHED}`).raw();
    this.#clear = sqlite.prepare(`delete from ${TOUCHED}`);
  }

  /** Reads out what was written since the last call, stamping it. */
  #catchUp(): number {
    let seq = Number(this.#changes.get());
    if (seq === this.#drainedAt || this.#drain === undefined) return seq;
    let rows: [string, number, string][];
    try {
      rows = this.#drain.all() as [string, number, string][];
      if (rows.length > 0) this.#ownChanges += this.#clear!.run().changes;
    } catch {
      // The TEMP table gone (dropped by hand, or with a schema reset): whatever went unrecorded
      // counts as a change to everything, until it is made again outside a transaction.
      this.#written.clear();
      this.#floor = Number.MAX_SAFE_INTEGER;
      if (this.#sqlite.inTransaction) return seq;
      this.#make();
      this.#floor = this.#drainedAt = Number(this.#changes.get());
      return this.#drainedAt;
    }
    seq = Number(this.#changes.get());
    if (this.#written.size + rows.length * 3 > MAX_ROWS) {
      // Too much to remember: every answer older than now counts as changed.
      this.#written.clear();
      this.#floor = seq;
    } else {
      for (const [tbl, id, op] of rows) {
        this.#written.set(tbl, seq);
        if (op !== 'u') this.#written.set(`${tbl}+`, seq);
        this.#written.set(`${tbl}#${id}`, seq);
      }
    }
    this.#drainedAt = seq;
    return seq;
  }

  /** Now, for an answer about to be made: take it before the answer's first query. */
  stamp(): JournalStamp {
    const seq = this.#catchUp();
    const dataVersion = String(this.#dataVersion.get());
    const rollbacks = this.#rollbacks.count;
    return { external: `${dataVersion}.${rollbacks}`, seq, version: `${dataVersion}.${seq - this.#ownChanges}.${rollbacks}` };
  }

  /** Whether none of `deps` was written since `since` (by anyone: another process's writes count as everything); `now`, a stamp just taken. */
  unchanged(since: JournalStamp, deps: readonly Dependency[], now: JournalStamp = this.stamp()): boolean {
    if (now.external !== since.external || since.seq < this.#floor) return false;
    for (const dep of deps) {
      const table = /^\w+/.exec(dep)?.[0] ?? '';
      if (!this.#tables.has(table)) return false;
      if ((this.#written.get(dep) ?? -1) > since.seq) return false;
    }
    return true;
  }
}
