import { parentPort, workerData } from 'node:worker_threads';
import type { DatabaseConfig } from '../config.js';
import { connect } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { CatalogueImportError, type ImportFiles, type ImportSummary, TsvError, importCatalogue } from '../modules/catalogue/index.js';

/**
 * `catalogue import` runs here, in a worker thread with a bounded heap: what it holds at once is a
 * batch, a few megabytes, but V8 given the whole machine lets garbage pile up (a young generation
 * of 48 MiB, an old one of a few hundred) before collecting it. Bounded, the import of a million
 * titles peaks under 200 MiB instead of 220 at the same speed; smaller still, the collections
 * cost speed (bench/import.ts; 96 + 12 MiB: -8%). The main thread keeps the terminal: Ctrl-C, the summary.
 */

/** Old generation of the import's thread: room for 20 batches of the longest lines (tsv.ts MAX_LINE). */
export const IMPORT_HEAP_MB = 96;
/** Young generation (three semi-spaces): a batch's garbage dies in it. */
export const IMPORT_YOUNG_HEAP_MB = 24;

export interface ImportWorkerData {
  /** The main thread's configuration, so the two never disagree. */
  database: DatabaseConfig;
  files: ImportFiles;
  /** Whether the main thread's stderr is a terminal (a worker's own never is: it is forwarded). */
  tty: boolean;
}

/** From the main thread: stop after the batch being written. */
export type ToImportWorker = { type: 'stop' };

export type FromImportWorker =
  | { type: 'done'; summary: ImportSummary }
  /** `usage`: the user's file is at fault (a malformed line, a missing column), said in one line. */
  | { type: 'failed'; usage: boolean; message: string };

async function run(port: NonNullable<typeof parentPort>): Promise<void> {
  const { database, files, tty } = workerData as ImportWorkerData;
  let stopping = false;
  port.on('message', (message: ToImportWorker) => {
    if (message.type === 'stop') stopping = true;
  });
  const db = connect(database);
  try {
    await migrateToLatest(db);
    const summary = await importCatalogue(db, files, { progress: { isTTY: tty, write: (text) => process.stderr.write(text) }, stopRequested: () => stopping });
    port.postMessage({ type: 'done', summary } satisfies FromImportWorker);
  } catch (err) {
    const usage = err instanceof CatalogueImportError || err instanceof TsvError;
    port.postMessage({ type: 'failed', usage, message: (err as Error).message ?? String(err) } satisfies FromImportWorker);
  } finally {
    await db.destroy();
    // The 'stop' listener would keep the thread alive.
    port.close();
  }
}

if (parentPort !== null) await run(parentPort);
