import assert from 'node:assert/strict';
import { Redis } from 'ioredis';

/*
 * The Redis the counter tests use (TEST_REDIS_URL, default the local one) and the check that a
 * service a test needs is there.
 */

export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when Redis answers PING within `timeoutMs`. */
export async function redisAnswers(timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(REDIS_TEST_URL, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Removes every Redis key under `prefix` (a test run's own). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_TEST_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let i = 0; i < 1000; i++) {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    client.disconnect();
  }
}

/**
 * Whether a service the test needs is there. Outside CI a missing one skips that part with the
 * reason; in CI (CI set) it is a failure, so a broken set-up cannot pass as green.
 */
export async function needService(t: { skip: (reason: string) => void }, name: string, answers: () => Promise<boolean>): Promise<boolean> {
  if (await answers()) return true;
  const ci = process.env.CI !== undefined && !['', 'false', '0'].includes(process.env.CI);
  if (ci) assert.fail(`${name} does not answer, and CI is set`);
  t.skip(`${name} does not answer on this machine`);
  return false;
}
