/**
 * The catalogue import's benchmark: generates IMDb-format files (title.basics, and with
 * --directors a matching title.crew and name.basics) of ROWS movies, gzipped, in a temporary
 * directory; runs the real CLI (`catalogue import`) into a fresh SQLite DATA_DIR; measures its
 * wall time (rows/s) and its peak RSS (VmHWM of /proc/<pid>/status, polled: the high-water mark
 * only grows, so the last reading before exit is the peak). Writes the table to
 * bench/results/2026-12-01-import.md.
 *
 *   npm run bench:import                       # 1,000,000 rows, basics alone and with crew + names
 *   ROWS=200000 npm run bench:import
 *
 * Targets (docs: the import issue): ≥ 50,000 rows/s, < 200 MiB peak RSS.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
// The demo's deterministic PRNG: the same files on every run.
import { random } from '../src/cli/seed.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROWS = Number(process.env.ROWS ?? 1_000_000);
const DIRECTORS = Math.ceil(ROWS / 4);
const RESULT = path.join(ROOT, 'bench', 'results', '2026-12-01-import.md');

const WORDS = ['the', 'night', 'río', 'amor', 'city', 'dark', 'last', 'summer', 'île', 'winter', 'blood', 'road', 'dream', 'ghost', 'king', 'war', 'sea', 'fuego', 'día', 'silent', 'garden', 'lost', 'house', 'star'];
const GENRE_NAMES = ['Action', 'Adventure', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Family', 'Fantasy', 'Horror', 'Romance', 'Sci-Fi', 'Thriller', 'Western', 'War'];
const FIRST = ['Ana', 'José', 'Chloé', 'Kenji', 'Lucía', 'Marcos', 'Søren', 'Agnès', 'Pedro', 'Ingrid'];
const LAST = ['Almodóvar', 'Varda', 'Kurosawa', 'Bergman', 'Erice', 'del Toro', 'Núñez', 'Lindqvist', 'Moreau', 'Ōshima'];

const tt = (i: number) => `tt${String(i + 1).padStart(8, '0')}`;
const nm = (i: number) => `nm${String(i + 1).padStart(8, '0')}`;

/** Writes `lines()` to a gzipped file, honouring the stream's backpressure (memory stays flat). */
async function writeGz(file: string, header: string, lines: (i: number) => string, count: number): Promise<void> {
  const gz = createGzip({ level: 1 });
  const out = createWriteStream(file);
  gz.pipe(out);
  gz.write(`${header}\n`);
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += `${lines(i)}\n`;
    if (chunk.length > 1 << 16) {
      if (!gz.write(chunk)) await once(gz, 'drain');
      chunk = '';
    }
  }
  gz.end(chunk);
  await once(out, 'finish');
}

async function generate(dir: string): Promise<{ basics: string; crew: string; names: string }> {
  const rnd = random(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const basics = path.join(dir, 'title.basics.tsv.gz');
  await writeGz(
    basics,
    'tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres',
    (i) => {
      const words = 1 + Math.floor(rnd() * 4);
      const title = Array.from({ length: words }, () => pick(WORDS)).join(' ');
      const primary = title[0]!.toUpperCase() + title.slice(1) + (rnd() < 0.05 ? ` "${pick(WORDS)}"` : '');
      const original = rnd() < 0.2 ? `${primary} (${pick(WORDS)})` : primary;
      const year = rnd() < 0.02 ? '\\N' : String(1900 + Math.floor(rnd() * 125));
      const runtime = rnd() < 0.1 ? '\\N' : String(60 + Math.floor(rnd() * 120));
      const genres = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(GENRE_NAMES));
      return `${tt(i)}\tmovie\t${primary}\t${original}\t0\t${year}\t\\N\t${runtime}\t${[...new Set(genres)].join(',')}`;
    },
    ROWS,
  );
  const crew = path.join(dir, 'title.crew.tsv.gz');
  await writeGz(
    crew,
    'tconst\tdirectors\twriters',
    (i) => {
      const n = rnd() < 0.1 ? 0 : rnd() < 0.85 ? 1 : 2;
      const ds = Array.from({ length: n }, () => nm(Math.floor(rnd() * DIRECTORS)));
      return `${tt(i)}\t${ds.length ? [...new Set(ds)].join(',') : '\\N'}\t\\N`;
    },
    ROWS,
  );
  const names = path.join(dir, 'name.basics.tsv.gz');
  await writeGz(
    names,
    'nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles',
    (i) => `${nm(i)}\t${pick(FIRST)} ${pick(LAST)} ${i}\t${1900 + (i % 90)}\t\\N\tdirector,writer\t${tt(i % ROWS)}`,
    DIRECTORS,
  );
  return { basics, crew, names };
}

interface Run {
  label: string;
  seconds: number;
  peakMiB: number;
  code: number | null;
  summary: string;
}

/**
 * The CLI compiled as `npm start` runs it (no tsx in the measured process), into a directory of
 * the benchmark's own so the shared dist/ is left alone; package.json, web/ and assets/ beside it
 * as the compiled code expects them (two levels up from dist/cli/).
 */
function buildCli(dir: string): string {
  const root = path.join(dir, 'build');
  mkdirSync(root);
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(root, 'dist')], { stdio: 'inherit' });
  copyFileSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  for (const linked of ['node_modules', 'web', 'assets']) symlinkSync(path.join(ROOT, linked), path.join(root, linked));
  return path.join(root, 'dist', 'cli', 'main.js');
}

let CLI = '';

/** Runs the CLI to its end (bounded: 30 minutes), polling its VmHWM. */
async function runImport(label: string, args: string[], dataDir: string): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'catalogue', 'import', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: `sqlite:${path.join(dataDir, 'butaca.db')}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      // gone
    }
  }, 50);
  const killer = setTimeout(() => child.kill('SIGKILL'), 30 * 60_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearInterval(poll);
  clearTimeout(killer);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${label}: exit ${code}\n${stderr}`);
  return { label, seconds, peakMiB: peakKiB / 1024, code, summary: stdout.trim() };
}

const dir = mkdtempSync(path.join(tmpdir(), 'butaca-import-bench-'));
try {
  CLI = buildCli(dir);
  const t0 = performance.now();
  const files = await generate(dir);
  const genSeconds = (performance.now() - t0) / 1000;
  const mib = (f: string) => (statSync(f).size / 2 ** 20).toFixed(1);
  process.stderr.write(`generated ${ROWS.toLocaleString('en-US')} rows in ${genSeconds.toFixed(1)} s (basics ${mib(files.basics)} MiB, crew ${mib(files.crew)} MiB, names ${mib(files.names)} MiB gzipped)\n`);
  const runs: Run[] = [];
  const fresh = (name: string) => path.join(dir, name);
  runs.push(await runImport('basics, fresh database', [files.basics], fresh('a')));
  runs.push(await runImport('basics again (all unchanged)', [files.basics], fresh('a')));
  runs.push(await runImport('basics + crew + names, fresh database', [files.basics, '--crew', files.crew, '--names', files.names], fresh('b')));
  const rows = (r: Run) => Math.round(ROWS / r.seconds);
  const table = [
    `# Catalogue import: ${ROWS.toLocaleString('en-US')} generated movies into SQLite`,
    '',
    `\`npm run bench:import\` (bench/import.ts), ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${process.platform}/${process.arch}; the compiled CLI (node dist/cli/main.js); wall time of the whole process (start-up and migrations included), synchronous=FULL, WAL. Targets: ≥ 50,000 rows/s, < 200 MiB peak RSS.`,
    '',
    '| run | wall time | movies/s | peak RSS (VmHWM) |',
    '| --- | ---: | ---: | ---: |',
    ...runs.map((r) => `| ${r.label} | ${r.seconds.toFixed(1)} s | ${rows(r).toLocaleString('en-US')} | ${r.peakMiB.toFixed(0)} MiB |`),
    '',
    'Summaries:',
    '',
    ...runs.map((r) => `\`\`\`\n# ${r.label}\n${r.summary}\n\`\`\``),
    '',
  ].join('\n');
  writeFileSync(RESULT, table);
  process.stdout.write(table);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
