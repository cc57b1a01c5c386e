import cluster, { type Worker } from 'node:cluster';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import { type FailedMessage, type ListeningMessage, SHUTDOWN_GRACE_MS, loggerMarked, prepareStart, startLines } from './server.js';
import { AggregatorRegistry } from 'prom-client';
import { METRICS_ANSWER, METRICS_REQUEST, type MetricsAnswer, type MetricsRequest } from './plugins/metrics.js';

/*
 * WORKERS=N (N > 1): this process becomes a node:cluster primary. It does the once-per-start work
 * (TLS check, migrations, orphan sweep), forks N workers that serve on the shared port (the primary
 * holds the socket and hands connections round-robin), replaces a worker that dies, and on
 * SIGTERM/SIGINT lets every worker drain as a single process would, then exits.
 */

/** A worker that exits sooner than this after it was forked counts towards a crash loop. */
const QUICK_EXIT_MS = 10_000;
/** Quick exits in a row after which the primary gives up instead of forking forever. */
const MAX_QUICK_EXITS = 5;
/** Longest pause before replacing a worker that keeps dying quickly. */
const MAX_BACKOFF_MS = 5_000;
/** How long the primary waits for its workers to drain: their own grace period, plus time to exit. */
const STOP_WAIT_MS = SHUTDOWN_GRACE_MS + 5_000;

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/**
 * The primary's own logger: the app's pino configuration, marked as the primary. Taken from a
 * Fastify instance that never listens, so pino stays what Fastify brings rather than a second
 * dependency to keep in step.
 */
function primaryLogger(config: Config): FastifyBaseLogger {
  return Fastify({ logger: loggerMarked(config, { role: 'primary' }) }).log;
}

export async function runCluster(config: Config): Promise<void> {
  const log = primaryLogger(config);
  const { tls, swept } = await prepareStart(config);
  if (swept > 0) log.info({ files: swept }, 'removed orphaned media files');

  const aggregator = new AggregatorRegistry();
  const forkedAt = new Map<Worker, number>();
  let started = false;
  let stopping = false;
  let quickExits = 0;
  const listening = new Set<Worker>();
  const respawns = new Set<NodeJS.Timeout>();
  let exitCode = 0;

  /** Ends the primary once no worker is left; stops the rest first when there are some. */
  const finish = (code: number): void => {
    exitCode = Math.max(exitCode, code);
    if (!stopping) stopAll();
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(exitCode);
  };

  const stopAll = (): void => {
    stopping = true;
    for (const timer of respawns) clearTimeout(timer);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => {
      log.error('workers still running after the grace period; killing them');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_WAIT_MS).unref();
  };

  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('error', (err) => log.warn({ err: err.message, worker: worker.id }, 'worker channel error'));
    forkedAt.set(worker, Date.now());
    worker.on('message', (message: unknown) => {
      if (isMessage<MetricsRequest>(message, METRICS_REQUEST)) {
        // A scrape reached this worker: the sum of every worker's metrics (prom-client's aggregation).
        // The asking worker may be gone by the time the answer is ready: sending to it then must not throw in the primary.
        const answer = (reply: MetricsAnswer) => {
          if (worker.isConnected()) worker.send(reply, (err: Error | null) => err && log.warn({ err: err.message }, 'a metrics answer could not reach its worker'));
        };
        aggregator.clusterMetrics().then(
          (text) => answer({ type: METRICS_ANSWER, id: message.id, text }),
          (err: Error) => answer({ type: METRICS_ANSWER, id: message.id, error: err.message }),
        );
      } else if (isMessage<ListeningMessage>(message, 'butaca:listening')) {
        listening.add(worker);
        if (!started && listening.size === config.workers) {
          started = true;
          process.stdout.write(startLines(config, tls, message.port, message.redirectPort, config.workers));
        }
      } else if (isMessage<FailedMessage>(message, 'butaca:failed')) {
        if (started) {
          log.error({ worker: worker.id, workerPid: worker.process.pid, reason: message.line }, 'a new worker could not start');
        } else if (!stopping) {
          // Every worker would fail the same way (port taken, database unreachable): one line, not N.
          process.stderr.write(`${message.line}\n`);
          finish(1);
        }
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (forkedAt.get(worker) ?? 0);
    const wasListening = listening.has(worker);
    forkedAt.delete(worker);
    listening.delete(worker);
    if (stopping) {
      // A worker still starting has no handler for SIGTERM yet and dies of it: nothing was in flight.
      const clean = code === 0 || (!wasListening && signal === 'SIGTERM');
      finish(clean ? exitCode : 1);
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!started) {
      process.stderr.write(`butaca: a worker exited (${how}) before the server was listening\n`);
      finish(1);
      return;
    }
    // A worker ended without the primary asking, whatever the reason (crash, out of memory, kill -9,
    // or a SIGTERM sent to it alone, which it honours by draining): the service stays at N.
    quickExits = lived < QUICK_EXIT_MS ? quickExits + 1 : 0;
    if (quickExits >= MAX_QUICK_EXITS) {
      log.error({ worker: worker.id, workerPid: worker.process.pid, code, signal }, 'workers keep exiting right after they start; stopping');
      process.stderr.write(`butaca: workers keep exiting within ${QUICK_EXIT_MS / 1000} s of starting (${quickExits} in a row, last with ${how}); stopping\n`);
      finish(1);
      return;
    }
    const delay = quickExits === 0 ? 0 : Math.min(250 * 2 ** (quickExits - 1), MAX_BACKOFF_MS);
    log.warn({ worker: worker.id, workerPid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited; starting another');
    const timer = setTimeout(() => {
      respawns.delete(timer);
      if (!stopping) fork();
    }, delay);
    respawns.add(timer);
  });

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    log.info({ signal }, 'shutting down');
    stopAll();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  for (let i = 0; i < config.workers; i++) fork();
}
