import { useEffect, useRef, useState } from 'preact/hooks';
import { isAbort } from '../api/errors';

export type Send<T> = (onProgress: (fraction: number) => void, signal: AbortSignal) => Promise<T>;

/**
 * One upload at a time with its progress (0–1, null when none is running) and a way to cancel it;
 * leaving the page cancels one still running. `start` resolves with the answer, or 'cancelled'.
 */
export function useUpload() {
  const [progress, setProgress] = useState<number | null>(null);
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);

  async function start<T>(send: Send<T>): Promise<T | 'cancelled'> {
    const controller = new AbortController();
    running.current = controller;
    setProgress(0);
    try {
      return await send(setProgress, controller.signal);
    } catch (err) {
      if (isAbort(err)) return 'cancelled';
      throw err;
    } finally {
      running.current = null;
      setProgress(null);
    }
  }

  return { progress, percent: progress === null ? 0 : Math.round(progress * 100), start, cancel: () => running.current?.abort() };
}
