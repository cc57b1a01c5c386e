import { Redis } from 'ioredis';
import { ConfigError } from '../config.js';

/** `host:port` of a Redis URL: what may be shown in a message or log (never the password). */
export function redisEndpoint(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}`;
}

interface Log {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** How long one counter command may take before it counts as failed (Redis stuck, or a half-open connection). */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

/**
 * A connected client for the counters. Commands fail at once while Redis is unreachable (no
 * offline queue, no retries), and after REDIS_COMMAND_TIMEOUT_MS when it stops answering, so that
 * a request waits for nothing: the callers decide whether that means refusing (logins) or letting
 * through (request rates). The client keeps reconnecting. The start fails when Redis has not
 * answered within `connectTimeoutMs`, whether it refused the connection or accepted it and then
 * said nothing (a stuck server, or some other service on that port), which would otherwise hang
 * the start for good.
 */
export async function connectRedis(url: string, log: Log, connectTimeoutMs = 5000): Promise<Redis> {
  const where = redisEndpoint(url);
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // One line per outage, not one per reconnection attempt; an 'error' without a listener would
  // also be an uncaught exception.
  let down = false;
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
    if (down) return;
    down = true;
    log.warn({ redis: where, err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'redis unreachable');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: where }, 'redis reachable again');
  });
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs / 1000} s`)), connectTimeoutMs);
  });
  try {
    await Promise.race([client.connect(), silent]);
  } catch (err) {
    client.disconnect();
    // connect() itself only says "Connection is closed"; the 'error' event before it says why.
    const cause = (lastError ?? err) as NodeJS.ErrnoException;
    const why = cause.code ?? (/timed out|no answer/i.test(cause.message) ? 'it accepted the connection but did not answer' : cause.message);
    throw new ConfigError('REDIS_URL', `cannot connect to ${where} (${why})`);
  } finally {
    clearTimeout(timer);
  }
  return client;
}
