/**
 * How much memory a big trailer upload costs the server.
 *
 *   npm run bench:upload                      # a 1 GiB trailer, raw body then multipart
 *   npm run bench:upload -- --size 256MiB     # any size; --skip-build to reuse dist/
 *   npm run bench:upload -- --store s3        # media in S3 (s3rver started here on loopback)
 *
 * Builds the project and starts the real server (`node bin/butaca.js serve`, so the TypeScript
 * loader is not measured) on a fresh DATA_DIR and a free port, makes an admin through the CLI and a
 * movie through the API, then uploads a generated MP4 of the requested size with PUT, replacing a
 * small warm-up upload (200): as the raw body on one fresh server, as multipart/form-data on
 * another. The file is the sample
 * trailer's ftyp and moov boxes followed by one mdat box of the remaining size, produced by a
 * generator as it is sent: never held in memory, never written to disk on this side.
 *
 * While each upload runs, the server's VmRSS is sampled every 100 ms from /proc/<pid>/status, and
 * its VmHWM (peak RSS, reset before each upload through /proc/<pid>/clear_refs) is read at the end.
 * The target: a 1 GiB upload raises the peak RSS by less than 64 MiB over the idle server. The
 * report is printed as markdown and written to bench/results/upload-memory-<date>.md; the exit
 * status is 1 when an upload fails, the stored size differs, or the target is missed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { TEST_BUCKET, TEST_CREDENTIALS, type TestS3Server, startS3Server } from '../test/support/s3.js';
import { mp4Body, mp4Head } from './mp4.js';
import { ROOT, freePort, readMemory, resetPeak, runCli, waitReady } from './server-process.js';

const MiB = 1024 * 1024;
const TARGET_INCREASE = 64 * MiB;
const WARM_UP_BYTES = 16 * MiB;
const DEADLINE_MS = 10 * 60 * 1000;
const SAMPLE_EVERY_MS = 100;

const out = (text: string) => process.stdout.write(`${text}\n`);

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(k|m|g)?i?b?$/i.exec(text.trim());
  if (!match) throw new Error(`--size: expected bytes or a size such as 512MiB or 1GiB, got "${text}"`);
  const unit = { '': 1, k: 1024, m: MiB, g: 1024 * MiB }[(match[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(match[1]) * unit);
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

// The generated trailer comes from bench/mp4.ts, the process helpers from bench/server-process.ts.

async function api<T>(base: string, method: string, url: string, token: string | undefined, body: unknown): Promise<T> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

// ---------------------------------------------------------------------------------------------
// One upload

type Mode = 'raw' | 'multipart';
type Store = 'file' | 's3';

interface Upload {
  status: number;
  body: string;
  ms: number;
}

/** Sends the generated file over node:http with its Content-Length, respecting backpressure. */
async function upload(port: number, token: string, method: 'POST' | 'PUT', url: string, mode: Mode, size: number, head: Buffer): Promise<Upload> {
  const boundary = `----butaca-bench-${Date.now()}`;
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  function* body(): Generator<Buffer> {
    if (mode === 'multipart') yield preamble;
    yield* mp4Body(size, head);
    if (mode === 'multipart') yield epilogue;
  }
  const length = mode === 'multipart' ? preamble.length + size + epilogue.length : size;
  const started = performance.now();
  const req = request({
    host: '127.0.0.1',
    port,
    method,
    path: url,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': mode === 'multipart' ? `multipart/form-data; boundary=${boundary}` : 'video/mp4',
      'content-length': String(length),
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  // An early error answer (413, 415) ends the sending with EPIPE/ECONNRESET; the answer is what counts.
  const sent = pipeline(Readable.from(body()), req).catch((err: unknown) => err);
  const { status, body: text } = await response;
  await sent;
  return { status, body: text, ms: performance.now() - started };
}

interface Row {
  mode: Mode;
  method: string;
  size: number;
  status: number;
  expected: number;
  baseline: number;
  peak: number;
  sampledPeak: number;
  peakIsHwm: boolean;
  ms: number;
  storedSize: number;
}

async function measure(
  base: string,
  port: number,
  pid: number,
  token: string,
  movieId: number,
  mode: Mode,
  method: 'POST' | 'PUT',
  expected: number,
  size: number,
  head: Buffer,
): Promise<Row> {
  // Let the previous step's garbage and freed file buffers settle before the baseline.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const baseline = readMemory(pid).rss;
  const peakIsHwm = resetPeak(pid);
  let sampledPeak = baseline;
  const sampler = setInterval(() => {
    try {
      sampledPeak = Math.max(sampledPeak, readMemory(pid).rss);
    } catch {
      // the server is gone; the upload reports it
    }
  }, SAMPLE_EVERY_MS);
  let result: Upload;
  try {
    result = await upload(port, token, method, `/api/v1/movies/${movieId}/trailer`, mode, size, head);
  } finally {
    clearInterval(sampler);
  }
  const after = readMemory(pid);
  sampledPeak = Math.max(sampledPeak, after.rss);
  const peak = peakIsHwm ? Math.max(after.hwm, sampledPeak) : sampledPeak;
  const headRes = await fetch(`${base}/api/v1/movies/${movieId}/trailer`, { method: 'HEAD' });
  const storedSize = headRes.status === 200 ? Number(headRes.headers.get('content-length')) : -1;
  if (result.status !== expected) out(`  ${mode}: HTTP ${result.status} ${result.body.slice(0, 300)}`);
  return { mode, method, size, status: result.status, expected, baseline, peak, sampledPeak, peakIsHwm, ms: result.ms, storedSize };
}

// ---------------------------------------------------------------------------------------------

function report(rows: Row[], size: number, command: string, store: Store): { markdown: string; ok: boolean } {
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  const lines = [
    `# Upload memory: ${mib(size)} trailer`,
    '',
    `${new Date().toISOString()} · commit ${commit}${dirty ? ' (with uncommitted changes in src/)' : ''} · Node ${process.version} · ` +
      `${os.type()} ${os.release()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · ${mib(os.totalmem())} RAM`,
    '',
    `Command: \`${command}\`. Server: \`node bin/butaca.js serve\` (compiled), SQLite and ${store === 's3' ? 'an S3 store (s3rver on loopback, in the benchmark process, not measured)' : 'file store'} on a fresh DATA_DIR; ` +
      `RSS of the server process from /proc/<pid>/status, sampled every ${SAMPLE_EVERY_MS} ms; peak is VmHWM, reset before each upload. ` +
      `Each kind of upload runs on its own fresh server; baseline: that server idle after a ${mib(WARM_UP_BYTES)} warm-up upload, which the measured one replaces. Target: peak − baseline < ${mib(TARGET_INCREASE)}.`,
    '',
    '| upload | bytes | HTTP | baseline RSS | peak RSS | increase | time | throughput | stored size (HEAD) | target |',
    '|---|---:|---|---:|---:|---:|---:|---:|---|---|',
  ];
  let ok = true;
  for (const row of rows) {
    const increase = row.peak - row.baseline;
    const statusOk = row.status === row.expected;
    const sizeOk = row.storedSize === row.size;
    const targetOk = increase < TARGET_INCREASE;
    ok &&= statusOk && sizeOk && targetOk;
    lines.push(
      `| ${row.method} ${row.mode === 'raw' ? 'raw video/mp4' : 'multipart/form-data'} | ${row.size} | ${row.status}${statusOk ? '' : ` (expected ${row.expected})`} ` +
        `| ${mib(row.baseline)} | ${mib(row.peak)}${row.peakIsHwm ? '' : ' (sampled)'} | ${mib(increase)} | ${(row.ms / 1000).toFixed(1)} s ` +
        `| ${((row.size / MiB) / (row.ms / 1000)).toFixed(0)} MiB/s | ${row.storedSize === row.size ? 'equal' : `${row.storedSize} ≠ ${row.size}`} ` +
        `| ${targetOk ? 'met' : 'MISSED'} |`,
    );
  }
  lines.push('');
  return { markdown: lines.join('\n'), ok };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { size: { type: 'string', default: '1GiB' }, 'skip-build': { type: 'boolean', default: false }, store: { type: 'string', default: 'file' } },
  });
  const size = parseSize(values.size);
  if (values.store !== 'file' && values.store !== 's3') throw new Error(`--store: file or s3, got "${values.store}"`);
  const store: Store = values.store;
  const head = mp4Head();
  const command = `npm run bench:upload${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

  if (!values['skip-build']) {
    out('building (npm run build)…');
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }

  const work = mkdtempSync(path.join(os.tmpdir(), 'butaca-bench-'));
  const dataDir = path.join(work, 'data');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Everything Butaca reads is set here; the working directory is the empty temp one, so no .env applies.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${path.join(dataDir, 'butaca.db')}`,
    MEDIA_STORE: `file:${path.join(dataDir, 'media')}`,
    TRAILER_MAX_BYTES: String(Math.max(size, 1024 * MiB)),
    LOG_LEVEL: 'warn',
  };

  let s3: TestS3Server | undefined;
  if (store === 's3') {
    s3 = await startS3Server();
    Object.assign(env, {
      MEDIA_STORE: `s3://${TEST_BUCKET}/bench`,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
  }

  let server: ChildProcess | undefined;
  const deadline = setTimeout(() => {
    process.stderr.write(`upload-memory: aborted after ${DEADLINE_MS / 60000} minutes\n`);
    server?.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
    process.exit(1);
  }, DEADLINE_MS);

  /**
   * One server per kind of upload: memory a process has grown rarely goes back to the system, so
   * a second upload on the same server would start from the first one's peak and look free.
   */
  async function session(mode: Mode): Promise<Row> {
    rmSync(dataDir, { recursive: true, force: true });
    let serverLog = '';
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/butaca.js'), 'serve'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    const keep = (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    try {
      await waitReady(`${base}/readyz`, child, () => serverLog);
      const password = 'bench-admin-password';
      await runCli(['user', 'create', 'bench-admin', '--admin'], env, work, `${password}\n`);
      const { access_token: token } = await api<{ access_token: string }>(base, 'POST', '/auth', undefined, { username: 'bench-admin', password });
      const movie = await api<{ id: number }>(base, 'POST', '/api/v1/movies', token, { title: 'Upload benchmark', year: 2026 });
      // A smaller upload first loads and compiles the upload path, so the measured increase is the
      // big upload's, not start-up's; the big one then replaces it (200). 16 MiB: more than two
      // S3 parts, so that on S3 the multipart path is warmed too (4 MiB went through one PutObject,
      // and the SDK's multipart code then counted as the big upload's memory).
      const warm = await upload(port, token, 'PUT', `/api/v1/movies/${movie.id}/trailer`, mode, WARM_UP_BYTES, head);
      if (warm.status !== 201) throw new Error(`warm-up ${mode} upload: ${warm.status} ${warm.body}`);
      out(`uploading ${mib(size)} as ${mode === 'raw' ? 'the raw body' : 'multipart/form-data'}…`);
      return await measure(base, port, child.pid!, token, movie.id, mode, 'PUT', 200, size, head);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 15_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    }
  }

  try {
    const rows = [await session('raw'), await session('multipart')];
    const { markdown, ok } = report(rows, size, command, store);
    out('');
    out(markdown);
    const dir = path.join(ROOT, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `upload-memory-${store === 's3' ? 's3-' : ''}${new Date().toISOString().slice(0, 10)}.md`);
    writeFileSync(`${file}.tmp`, markdown);
    renameSync(`${file}.tmp`, file);
    out(`written to ${path.relative(ROOT, file)}`);
    return ok ? 0 : 1;
  } finally {
    clearTimeout(deadline);
    await s3?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`upload-memory: ${(err as Error).message ?? String(err)}\n`);
    process.exit(1);
  },
);
