import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, SelectQueryNode, SqliteDialect, type TransactionSettings } from 'kysely';

/**
 * Group commit for SQLite: the writes of concurrent requests share one COMMIT, so one fsync.
 *
 * With synchronous=FULL every COMMIT waits for the disk (2.2 ms here: `dd oflag=dsync`), and
 * better-sqlite3 waits synchronously, so one commit per write caps writes at a few hundred a
 * second and stalls every other request meanwhile. Here the first transaction opens an outer
 * transaction (BEGIN IMMEDIATE) and each Kysely transaction becomes a savepoint inside it; the
 * outer COMMIT runs once no one is queued for the connection, or rather when its turn in the
 * queue comes, after the transactions that were already waiting. A write is never acknowledged
 * before its COMMIT: whoever wrote waits for it when handing the connection back, so the
 * request's answer still follows the fsync. A transaction that fails rolls back to its own
 * savepoint and leaves the others alone; a failed COMMIT fails every write of the batch.
 *
 * The cost: a read on the one connection may see a write of the open batch a millisecond before
 * it is durable (a crash in that millisecond loses it, and nobody was told it was saved).
 */
export class GroupCommitSqliteDialect extends SqliteDialect {
  /** Batches whose COMMIT failed and were rolled back (src/db/data-version.ts reads it). */
  readonly rollbacks = { count: 0 };

  override createDriver(): Driver {
    return new GroupCommitDriver(super.createDriver(), this.rollbacks);
  }
}

interface Batch {
  committed: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const SAVEPOINT = 'butaca_write';

function openBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const committed = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Readers do not wait for the commit; a failure must not become an unhandled rejection.
  committed.catch(() => {});
  return { committed, resolve, reject };
}

class GroupCommitDriver implements Driver {
  #batch: Batch | undefined;
  #commitQueued = false;
  /** Whether the current holder of the connection wrote inside the open batch. */
  #wrote = false;

  constructor(
    private readonly inner: Driver,
    private readonly rollbacks: { count: number },
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    return {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        // A statement outside a Kysely transaction that writes while a batch is open joins the
        // batch: its caller must wait for the batch's COMMIT too.
        if (this.#batch !== undefined && !SelectQueryNode.is(query.query)) this.#wrote = true;
        return connection.executeQuery<R>(query);
      },
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(query, chunkSize),
    };
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    if (this.#batch === undefined) {
      // IMMEDIATE: take the write lock now, so another process's writer waits here (busy_timeout)
      // instead of failing later when a deferred transaction tries to upgrade its lock.
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      this.#batch = openBatch();
    }
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${SAVEPOINT}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${SAVEPOINT}`));
    this.#wrote = true;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${SAVEPOINT}`));
    await connection.executeQuery(CompiledQuery.raw(`release ${SAVEPOINT}`));
  }

  savepoint: Driver['savepoint'] = (connection, name, compile) => this.inner.savepoint!(connection, name, compile);
  rollbackToSavepoint: Driver['rollbackToSavepoint'] = (connection, name, compile) => this.inner.rollbackToSavepoint!(connection, name, compile);
  releaseSavepoint: Driver['releaseSavepoint'] = (connection, name, compile) => this.inner.releaseSavepoint!(connection, name, compile);

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const mustWait = this.#wrote ? this.#batch?.committed : undefined;
    this.#wrote = false;
    await this.inner.releaseConnection(connection);
    if (this.#batch !== undefined && !this.#commitQueued) {
      this.#commitQueued = true;
      setImmediate(() => void this.#commit());
    }
    if (mustWait) await mustWait;
  }

  /** Queues for the connection like anyone else: those already waiting join the batch first. */
  async #commit(): Promise<void> {
    const connection = await this.inner.acquireConnection();
    const batch = this.#batch;
    this.#batch = undefined;
    this.#commitQueued = false;
    try {
      if (batch === undefined) return;
      try {
        await connection.executeQuery(CompiledQuery.raw('commit'));
        batch.resolve();
      } catch (err) {
        // Counted first: a read cache's lookup between this await and the next must already see
        // that what the batch wrote is gone.
        this.rollbacks.count += 1;
        await connection.executeQuery(CompiledQuery.raw('rollback')).catch(() => {});
        batch.reject(err);
      }
    } finally {
      await this.inner.releaseConnection(connection);
    }
  }

  async destroy(): Promise<void> {
    if (this.#batch !== undefined) await this.#commit();
    await this.inner.destroy();
  }
}
