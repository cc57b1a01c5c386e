/**
 * A member's data in and out, measured on the real server:
 *
 *   npm run bench:transfer                    # 10,000 diary lines; --lines N for another size; --skip-build
 *
 * Builds the server (unless --skip-build), loads a catalogue of 20,000 movies with `catalogue
 * import` from a generated title.basics.tsv, starts `node bin/butaca.js serve` (compiled) on a fresh
 * SQLite DATA_DIR, and registers a member. Then:
 *
 * - **import**: a Letterboxd-format ZIP (made here with yazl) of N diary lines over N/2 films,
 *   N/2 ratings, N/10 watchlist films and a list of N/20 films, one film in fifty unknown to the
 *   catalogue, POSTed to /api/v1/users/me/import/letterboxd; the wall time gives lines a second
 *   (diary lines, the measure) and the server's peak RSS over idle (VmHWM, reset first).
 * - **export**: GET /api/v1/users/me/export of that member, read at full speed and then by a slow
 *   reader (64 KiB every 20 ms, a slow phone); the peak RSS over idle for each, and what the ZIP holds.
 *
 * The report is printed as markdown and written to bench/results/transfer-<date>.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import yazl from 'yazl';
import { ROOT, freePort, readMemory, resetPeak, runCli, stop, waitReady } from './server-process.js';

const MiB = 1024 * 1024;
const CATALOGUE = 20_000;
const out = (text: string) => process.stdout.write(`${text}\n`);
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

const { values } = parseArgs({ options: { lines: { type: 'string', default: '10000' }, 'skip-build': { type: 'boolean', default: false } } });
const LINES = Number(values.lines);
if (!Number.isInteger(LINES) || LINES < 100 || LINES > 200_000) throw new Error('--lines: a whole number from 100 to 200000');

const title = (i: number) => `Bench Film ${i}`;
const yearOf = (i: number) => 1930 + (i % 90);

function catalogueTsv(): string {
  const rows = ['tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres'];
  for (let i = 1; i <= CATALOGUE; i++) rows.push(`tt${String(i).padStart(7, '0')}\tmovie\t${title(i)}\t${title(i)}\t0\t${yearOf(i)}\t\\N\t100\tDrama`);
  return `${rows.join('\n')}\n`;
}

async function exportZip(lines: number): Promise<Buffer> {
  const films = Math.max(1, Math.floor(lines / 2));
  // One film in fifty is not in the catalogue (its number is past the catalogue's end).
  const film = (k: number) => (k % 50 === 49 ? CATALOGUE + k : 1 + (k % CATALOGUE));
  const row = (fields: (string | number)[]) => fields.map(String).join(',');
  const diary = ['Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date'];
  for (let k = 0; k < lines; k++) {
    const i = film(k % films);
    const day = `20${String(10 + (k % 15)).padStart(2, '0')}-${String(1 + (k % 12)).padStart(2, '0')}-${String(1 + (k % 28)).padStart(2, '0')}`;
    diary.push(row([day, title(i), yearOf(i), `https://boxd.it/d${k}`, (1 + (k % 10)) / 2, k >= films ? 'Yes' : '', k % 3 === 0 ? '"cinema, friends"' : '', day]));
  }
  const ratings = ['Date,Name,Year,Letterboxd URI,Rating'];
  for (let k = 0; k < films; k++) ratings.push(row(['2024-01-01', title(film(k)), yearOf(film(k)), '', (1 + (k % 10)) / 2]));
  const watchlist = ['Date,Name,Year,Letterboxd URI'];
  for (let k = 0; k < Math.floor(lines / 10); k++) watchlist.push(row(['2024-02-01', title(film(films + k)), yearOf(film(films + k)), '']));
  const items = ['Position,Name,Year,URL,Description'];
  for (let k = 0; k < Math.min(5000, Math.floor(lines / 20)); k++) items.push(row([k + 1, title(film(k)), yearOf(film(k)), '', '']));
  const list = `Letterboxd list export v7\nDate,Name,Tags,URL,Description\n2024-01-01,Bench list,,,\n\n${items.join('\n')}\n`;
  const zip = new yazl.ZipFile();
  for (const [name, text] of [
    ['diary.csv', `${diary.join('\n')}\n`],
    ['ratings.csv', `${ratings.join('\n')}\n`],
    ['watchlist.csv', `${watchlist.join('\n')}\n`],
    ['lists/bench-list.csv', list],
  ] as const) {
    zip.addBuffer(Buffer.from(text), name);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Runs `work` while sampling the server's RSS; the peak (VmHWM, reset first) over the idle RSS before. */
async function peakOver<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; idle: number; peak: number; ms: number }> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = readMemory(pid).rss;
  const hwm = resetPeak(pid);
  let sampled = idle;
  const timer = setInterval(() => (sampled = Math.max(sampled, readMemory(pid).rss)), 50);
  const started = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - started;
    const after = readMemory(pid);
    return { result, idle, peak: Math.max(sampled, after.rss, hwm ? after.hwm : 0), ms };
  } finally {
    clearInterval(timer);
  }
}

/** Reads the export, at full speed or `chunk` bytes every `everyMs`; the number of bytes. */
function readExport(port: number, token: string, slow?: { chunk: number; everyMs: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/users/me/export', headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`export: HTTP ${res.statusCode}`));
      let bytes = 0;
      if (!slow) {
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.once('end', () => resolve(bytes));
        return;
      }
      res.pause();
      const pull = () => {
        let got: Buffer | null;
        let taken = 0;
        while (taken < slow.chunk && (got = res.read() as Buffer | null) !== null) {
          bytes += got.length;
          taken += got.length;
        }
        if (res.readableEnded) return resolve(bytes);
        setTimeout(pull, slow.everyMs);
      };
      res.once('end', () => resolve(bytes));
      setTimeout(pull, slow.everyMs);
    });
    req.once('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  if (!values['skip-build']) {
    const built = spawnSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('build failed');
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'butaca-bench-transfer-'));
  let server: ChildProcess | undefined;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'production' };
    delete env.DATABASE_URL;
    const tsv = path.join(dataDir, 'title.basics.tsv');
    writeFileSync(tsv, catalogueTsv());
    await runCli(['catalogue', 'import', tsv], env, dataDir, '');
    const port = await freePort();
    let log = '';
    server = spawn(process.execPath, [path.join(ROOT, 'bin/butaca.js'), 'serve'], { cwd: dataDir, env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/readyz`, server, () => log);
    const username = 'bench-member';
    const password = 'bench-password-123';
    const made = await fetch(`${base}/api/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (!made.ok) throw new Error(`register: ${made.status}`);
    const auth = await fetch(`${base}/auth`, { method: 'POST', body: new URLSearchParams({ username, password }) });
    const token = ((await auth.json()) as { access_token: string }).access_token;

    const zip = await exportZip(LINES);
    const imported = await peakOver(server.pid!, async () => {
      const res = await fetch(`${base}/api/v1/users/me/import/letterboxd`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' }, body: zip });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`import: HTTP ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as { matched: number; unmatched: unknown[]; created: Record<string, number> };
    });
    const fast = await peakOver(server.pid!, () => readExport(port, token));
    // The throttle allows one export a minute: the slow read waits it out.
    await new Promise((resolve) => setTimeout(resolve, 61_000));
    const slow = await peakOver(server.pid!, () => readExport(port, token, { chunk: 64 * 1024, everyMs: 20 }));

    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'unknown';
    const c = imported.result.created;
    const lines = [
      `# A member's data in and out: ${LINES.toLocaleString('en')} diary lines`,
      '',
      `${new Date().toISOString()} · commit ${commit} · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}`,
      '',
      `Command: \`npm run bench:transfer -- --lines ${LINES}\`. Server: \`node bin/butaca.js serve\` (compiled), SQLite, a catalogue of ${CATALOGUE.toLocaleString('en')} movies; ` +
        'RSS of the server from /proc/<pid>/status (peak: VmHWM, reset before each step, and 50 ms samples), over its idle RSS just before.',
      '',
      '| step | wall | rate | server peak RSS over idle |',
      '|---|---:|---:|---:|',
      `| import: ${mib(zip.length)} ZIP, ${LINES.toLocaleString('en')} diary lines (${c.diary} entries, ${c.ratings} ratings, ${c.watchlist} watchlist, ${c.lists} list; ${imported.result.matched} films matched, ${imported.result.unmatched.length} not) | ${(imported.ms / 1000).toFixed(2)} s | ${Math.round(LINES / (imported.ms / 1000)).toLocaleString('en')} diary lines/s | ${mib(imported.peak - imported.idle)} |`,
      `| export, read at full speed: ${mib(fast.result)} ZIP | ${(fast.ms / 1000).toFixed(2)} s | — | ${mib(fast.peak - fast.idle)} |`,
      `| export, read 64 KiB every 20 ms | ${(slow.ms / 1000).toFixed(2)} s | — | ${mib(slow.peak - slow.idle)} |`,
      '',
      `Idle RSS before the import: ${mib(imported.idle)}.`,
    ];
    const markdown = lines.join('\n');
    out(markdown);
    const file = path.join(ROOT, 'bench', 'results', `transfer-${new Date().toISOString().slice(0, 10)}.md`);
    writeFileSync(file, `${markdown}\n`);
    out(`\nwritten to ${path.relative(ROOT, file)}`);
  } finally {
    if (server) await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
