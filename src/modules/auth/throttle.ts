import { createHash } from 'node:crypto';
import type { CounterStore } from '../../counters/store.js';

/** One counted key and how many attempts it may have in the window. */
export interface ThrottleKey {
  key: string;
  max: number;
}

/**
 * Counts password attempts per key (a username, a client address) in a fixed window, in the
 * shared counter store, so that attempts on any instance count everywhere.
 */
export class LoginThrottle {
  constructor(
    private readonly store: CounterStore,
    private readonly windowSeconds: number,
  ) {}

  /**
   * Counts one attempt on every key at once and answers 0, or, when any key is past its limit,
   * takes the attempt back from all of them and answers the seconds to wait. Counting first and
   * checking after is what keeps parallel attempts from all passing a check made before counting.
   */
  async take(keys: ThrottleKey[], now = Date.now()): Promise<number> {
    const states = await Promise.all(keys.map(({ key }) => this.store.hit(key, this.windowSeconds * 1000)));
    const over = states.filter((state, i) => state.count > keys[i]!.max);
    if (over.length === 0) return 0;
    // A refused attempt is not an attempt: it must not lengthen another key's lockout.
    await Promise.all(keys.map(({ key }) => this.store.forgive(key)));
    return Math.max(1, ...over.map((state) => Math.ceil((state.resetAt - now) / 1000)));
  }

  /** Takes back one counted attempt (one that turned out to be right). */
  forgive(key: string): Promise<void> {
    return this.store.forgive(key);
  }

  reset(key: string): Promise<void> {
    return this.store.reset(key);
  }
}

/**
 * The counter key of a username. Hashed: what people type as a username is sometimes their
 * password, and the counters (a table, a Redis) are read by more people than the users table.
 */
export function usernameKey(username: string): string {
  return `login:user:${createHash('sha256').update(username.toLowerCase()).digest('hex').slice(0, 32)}`;
}

export function addressKey(ip: string): string {
  return `login:addr:${ip}`;
}
