/** Where a counter stands: `count` hits in the window that ends at `resetAt` (epoch milliseconds). */
export interface CounterState {
  count: number;
  resetAt: number;
}

/**
 * Fixed-window counters shared by every instance of the service (login throttle, request-rate
 * limits). A window starts at the first hit after the previous one ended and lasts `windowMs`;
 * hits inside it do not move its end.
 */
export interface CounterStore {
  /** Counts one hit on `key`, atomically across processes, and answers the count including it. */
  hit(key: string, windowMs: number): Promise<CounterState>;
  /** The live window of `key`, or null when it has none. */
  peek(key: string): Promise<CounterState | null>;
  /** Takes back one hit (one that turned out to be allowed), never below zero. */
  forgive(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}
