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

/**
 * A connected client for the counters. Commands fail at once while Redis is unreachable (no
 * offline queue, no retries) so that a request waits for nothing: the callers decide whether that
 * means refusing (logins) or letting through (request rates). The client keeps reconnecting.
 */
export async function connectRedis(url: string, log: Log, connectTimeoutMs = 5000): Promise<Redis> {
  const where = redisEndpoint(url);
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
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
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    // connect() itself only says "Connection is closed"; the 'error' event before it says why.
    const cause = (lastError ?? err) as NodeJS.ErrnoException;
    const why = cause.code ?? cause.message;
    throw new ConfigError('REDIS_URL', `cannot connect to ${where} (${why})`);
  }
  return client;
}
