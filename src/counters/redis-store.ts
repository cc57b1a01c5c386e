import { Redis } from 'ioredis';
import type { CounterState, CounterStore } from './store.js';

// INCR and the first PEXPIRE in one script, so a process dying between them cannot leave a
// counter without an end; a key found without one (set by hand) gets the window too.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
`;

// DECR keeps the key's expiry; a key that has already expired is not brought back.
const FORGIVE = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

type ScriptClient = Redis & {
  counterHit(key: string, windowMs: number): Promise<[number, number]>;
  counterForgive(key: string): Promise<number>;
};

/** Counters in Redis (REDIS_URL), each key under `prefix` and expiring with its window. */
export class RedisCounterStore implements CounterStore {
  private readonly scripts: ScriptClient;

  constructor(
    readonly client: Redis,
    readonly prefix: string,
  ) {
    client.defineCommand('counterHit', { numberOfKeys: 1, lua: HIT });
    client.defineCommand('counterForgive', { numberOfKeys: 1, lua: FORGIVE });
    this.scripts = client as ScriptClient;
  }

  async hit(key: string, windowMs: number): Promise<CounterState> {
    const [count, ttl] = await this.scripts.counterHit(this.prefix + key, windowMs);
    return { count, resetAt: Date.now() + ttl };
  }

  async peek(key: string): Promise<CounterState | null> {
    const [value, ttl] = await Promise.all([this.client.get(this.prefix + key), this.client.pttl(this.prefix + key)]);
    if (value === null || ttl < 0) return null;
    return { count: Number(value), resetAt: Date.now() + ttl };
  }

  async forgive(key: string): Promise<void> {
    await this.scripts.counterForgive(this.prefix + key);
  }

  async reset(key: string): Promise<void> {
    await this.client.del(this.prefix + key);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
