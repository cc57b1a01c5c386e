/**
 * Counts failed logins per key (a username, a client address) in a fixed window. In one process's
 * memory: enough for one instance; a shared store replaces it when Butaca runs as several.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly windowSeconds: number) {}

  /** Seconds to wait before `key` may try again, or 0 when it may try now. */
  retryAfter(key: string, max: number, now = Date.now()): number {
    const entry = this.failures.get(key);
    if (!entry || entry.resetAt <= now) return 0;
    return entry.count >= max ? Math.ceil((entry.resetAt - now) / 1000) : 0;
  }

  fail(key: string, now = Date.now()): void {
    const entry = this.failures.get(key);
    if (!entry || entry.resetAt <= now) {
      this.failures.set(key, { count: 1, resetAt: now + this.windowSeconds * 1000 });
      if (this.failures.size > 100_000) this.prune(now);
    } else {
      entry.count += 1;
    }
  }

  /** Takes back one counted attempt (one that turned out to be right). */
  forgive(key: string): void {
    const entry = this.failures.get(key);
    if (entry && entry.count > 0) entry.count -= 1;
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private prune(now: number): void {
    for (const [key, entry] of this.failures) if (entry.resetAt <= now) this.failures.delete(key);
  }
}
