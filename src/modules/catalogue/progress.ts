/**
 * The import's progress on stderr: on a terminal, one line redrawn in place (a bar, the rate,
 * the time left), from the bytes read of the file against its size (a gzipped file's bytes on
 * disk, so the estimate holds without knowing its decompressed size); elsewhere (a log, a pipe),
 * plain lines: one once the first batch is in (so a watcher knows it runs), then one every few
 * seconds, then a last one.
 */
export interface Progress {
  /** `lines` read so far of the current file, `bytes` of its `size`. */
  update(lines: number, bytes: number): void;
  /** The file is done (or the import stops): the last line. */
  finish(lines: number, bytes?: number): void;
}

const PLAIN_EVERY_MS = 5000;
const REDRAW_EVERY_MS = 100;
const BAR_WIDTH = 24;

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Where progress is written: stderr, or what forwards to it (the import runs in a worker thread, src/cli/catalogue-worker.ts). */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
}

export function progressOn(stream: ProgressOutput, label: string, size: number): Progress {
  const tty = stream.isTTY === true;
  const started = performance.now();
  let last = -Infinity;
  let said = false;
  const line = (lines: number, bytes: number, done: boolean): string => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? lines / elapsed : 0;
    const fraction = size > 0 ? Math.min(1, bytes / size) : 1;
    const eta = done ? 0 : fraction > 0 ? (elapsed * (1 - fraction)) / fraction : Infinity;
    const pct = `${(fraction * 100).toFixed(0).padStart(3)}%`;
    const tail = done ? `in ${duration(elapsed)}` : `ETA ${duration(eta)}`;
    if (!tty) return `${label}: ${pct.trim()}, ${count(lines)} lines, ${count(rate)} lines/s, ${tail}`;
    const filled = Math.round(fraction * BAR_WIDTH);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${pct} ${count(lines)} lines ${count(rate)}/s ${tail}`;
  };
  return {
    update(lines, bytes) {
      const now = performance.now();
      if (tty) {
        if (now - last < REDRAW_EVERY_MS) return;
        stream.write(`\r${line(lines, bytes, false)}\x1b[K`);
      } else {
        if (said && now - last < PLAIN_EVERY_MS) return;
        stream.write(`${line(lines, bytes, false)}\n`);
        said = true;
      }
      last = now;
    },
    finish(lines, bytes = size) {
      stream.write(tty ? `\r${line(lines, bytes, true)}\x1b[K\n` : `${line(lines, bytes, true)}\n`);
    },
  };
}
