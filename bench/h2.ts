/**
 * HTTP/2 against HTTP/1.1, both over TLS (issue 18, target 4): Butaca with HTTPS=self-signed
 * (its development certificate, HTTP/2 with HTTP/1.1 for clients that do not offer h2), seeded
 * through its API with 1,000 movies and a real poster; h2load on the other core drives the movie
 * page and a 320-pixel poster thumbnail over h2 with 1 and with 10 streams a connection, and over
 * HTTP/1.1 (`--h1`, one request at a time a connection, as browsers use it). Run by bench/run.ts
 * (`npm run bench`, or `--only http2`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { BENCH_PASSWORD } from './seed-catalogue.js';
import { ROOT, freePort, pinned, runCli, stop } from './server-process.js';

export interface Http2Options {
  connections: number;
  seconds: number;
  warmup: number;
  serverCpu: number | undefined;
  clientCpu: number | undefined;
}

interface H2Result {
  perSecond: number;
  succeeded: number;
  failed: number;
  meanMs: number;
  protocol: string;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** One HTTPS call that trusts the server's own development certificate. */
function call(base: string, ca: Buffer, method: string, url: string, headers: Record<string, string>, body?: Buffer | string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(base + url, { method, headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An answer's exact bytes and headers (without those of the connection), for the bare server. */
function rawGet(base: string, ca: Buffer, url: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    request(base + url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (!['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(k) && typeof v === 'string') headers[k] = v;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('base64') });
      });
    })
      .on('error', reject)
      .end();
  });
}

async function ok(p: Promise<{ status: number; text: string }>, what: string): Promise<unknown> {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.text ? (JSON.parse(r.text) as unknown) : undefined;
}

/** h2load's summary: "finished in 10.00s, 1234.50 req/s", "requests: … succeeded, … failed", "time for request: min max mean". */
function parseH2load(text: string): H2Result {
  const perSecond = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(text)?.[1] ?? NaN);
  const req = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(text);
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(text)?.[1] ?? '';
  const meanMs = mean.endsWith('ms') ? Number(mean.slice(0, -2)) : mean.endsWith('us') ? Number(mean.slice(0, -2)) / 1000 : Number(mean.slice(0, -1)) * 1000;
  const protocol = /Application protocol: (\S+)/.exec(text)?.[1] ?? '?';
  if (!Number.isFinite(perSecond) || !req) throw new Error(`h2load's output was not understood:\n${text.slice(-1500)}`);
  return { perSecond, succeeded: Number(req[1]), failed: Number(req[2]), meanMs, protocol };
}

export function h2loadMissing(): string | undefined {
  return spawnSync('h2load', ['--version']).status === 0 ? undefined : 'h2load is not installed (apt-get install nghttp2-client)';
}

/** Runs the comparison; its report (markdown). */
export async function compareHttp2(opts: Http2Options, log: (line: string) => void): Promise<string> {
  const missing = h2loadMissing();
  if (missing) return `**Not measured**: ${missing}.`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'butaca-bench-h2-'));
  let child: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  try {
    const dataDir = path.join(dir, 'data');
    const port = await freePort();
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'production', HTTPS: 'self-signed' };
    const [command, args] = pinned(opts.serverCpu, process.execPath, [path.join(ROOT, 'bin/butaca.js'), 'serve']);
    child = spawn(command, args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-2000)));
    const base = `https://localhost:${port}`;
    // The certificate is made at start-up; until then the readiness probe cannot be trusted.
    const certFile = path.join(dataDir, 'tls', 'dev-cert.pem');
    const until = Date.now() + 30_000;
    let ca: Buffer | undefined;
    while (ca === undefined && Date.now() < until) {
      try {
        ca = readFileSync(certFile);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (ca === undefined) throw new Error(`no development certificate at ${certFile}: ${out}`);
    const cert = ca;
    await waitReadyTls(base, cert, child, () => out);
    await runCli(['user', 'create', 'h2admin', '--admin'], env, dir, `${BENCH_PASSWORD}\n`);
    const login = (await ok(call(base, cert, 'POST', '/auth', { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams({ username: 'h2admin', password: BENCH_PASSWORD }).toString()), 'login')) as { access_token: string };
    const auth = { authorization: `Bearer ${login.access_token}`, 'content-type': 'application/json' };
    log('  http2: seeding 1,000 movies and a poster…');
    for (let m = 1; m <= 1000; m++) await ok(call(base, cert, 'POST', '/api/v1/movies', auth, JSON.stringify({ title: `Film number ${m}`, year: 1930 + (m % 95) })), 'movie');
    const poster = await sharp({ create: { width: 1000, height: 1500, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 85 }).toBuffer();
    await ok(call(base, cert, 'PUT', '/api/v1/movies/1/poster', { ...auth, 'content-type': 'image/jpeg' }, poster), 'poster');
    const movie = (await ok(call(base, cert, 'GET', '/api/v1/movies/1', {}), 'movie 1')) as { poster_url: string };
    const thumb = `${movie.poster_url}${movie.poster_url.includes('?') ? '&' : '?'}w=320`;
    const thumbBytes = Buffer.from((await rawGet(base, cert, thumb)).body, 'base64').length;

    // The limit: node:http2's secure server answering the same bytes, through the same compatibility API.
    const answers: Record<string, { status: number; headers: Record<string, string>; body: string }> = {};
    for (const url of ['/api/v1/movies?page=1&limit=10', thumb]) answers[url] = await rawGet(base, cert, url);
    const answersFile = path.join(dir, 'answers.json');
    writeFileSync(answersFile, JSON.stringify(answers));
    const [bareCommand, bareArgs] = pinned(opts.serverCpu, process.execPath, [path.join(ROOT, 'bench/bare-server.mjs'), answersFile, certFile, path.join(dataDir, 'tls', 'dev-key.pem')]);
    bare = spawn(bareCommand, bareArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    const barePort = await new Promise<number>((resolve) => bare!.stdout!.on('data', (c: Buffer) => resolve(Number(/listening (\d+)/.exec(c.toString())?.[1]))));
    const bareBase = `https://localhost:${barePort}`;

    const h2load = (at: string, url: string, h1: boolean, streams: number): H2Result => {
      const hArgs = ['-c', String(opts.connections), '-m', String(streams), '-t', '1', '-D', String(opts.seconds), '--warm-up-time', String(opts.warmup), ...(h1 ? ['--h1'] : []), at + url];
      const [cmd, a] = pinned(opts.clientCpu, 'h2load', hArgs);
      const r = spawnSync(cmd, a, { encoding: 'utf8', timeout: (opts.seconds + opts.warmup + 30) * 1000 });
      return parseH2load(`${r.stdout}\n${r.stderr}`);
    };
    const rows: string[] = [];
    const verdicts: string[] = [];
    const modes = [
      ['HTTP/1.1', true, 1],
      ['h2, 1 stream', false, 1],
      ['h2, 10 streams', false, 10],
    ] as const;
    for (const [what, url] of [
      ['movie page', '/api/v1/movies?page=1&limit=10'],
      [`poster thumbnail (${fmt(thumbBytes / 1024, 1)} KiB JPEG)`, thumb],
    ] as const) {
      log(`  http2: ${url} over HTTP/1.1 and h2, Butaca and the bare server…`);
      const results = modes.map(([mode, h1, streams]) => ({ mode, butaca: h2load(base, url, h1, streams), bare: h2load(bareBase, url, h1, streams) }));
      for (const r of results) {
        const failed = r.butaca.failed + r.bare.failed;
        rows.push(`| ${what} | ${r.mode} (${r.butaca.protocol}) | ${fmt(r.butaca.perSecond)} | ${fmt(r.butaca.meanMs, 2)} | ${fmt(r.bare.perSecond)} | ${fmt((100 * r.butaca.perSecond) / r.bare.perSecond, 1)}% | ${failed} |`);
      }
      const h1 = results[0]!;
      const h2 = results[2]!;
      verdicts.push(
        `${what}: h2 with 10 streams a connection ÷ HTTP/1.1 = **${fmt(h2.butaca.perSecond / h1.butaca.perSecond, 2)}×** for Butaca, ${fmt(h2.bare.perSecond / h1.bare.perSecond, 2)}× for the bare server`,
      );
    }
    return [
      `Butaca with \`HTTPS=self-signed\` (TLS 1.3, its development certificate; HTTP/2 and HTTP/1.1 on one port by ALPN), every default on (read cache, access log, security headers, rate limit), pinned to CPU ${opts.serverCpu ?? '(not pinned)'}, 1,000 movies and a real poster made through its API; the bare limit is node:http2's secure server (HTTP/1.1 allowed, compatibility API, as Fastify uses it) answering Butaca's bytes from memory, on the same core; h2load (${spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim()}, one thread) on CPU ${opts.clientCpu ?? '(not pinned)'}; ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.seconds} s each.`,
      '',
      '| resource | protocol (ALPN) | Butaca r/s | mean ms | bare r/s | Butaca ÷ bare | failed |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      ...verdicts.map((v) => `- ${v}.`),
    ].join('\n');
  } finally {
    if (child) await stop(child);
    if (bare) await stop(bare);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitReadyTls(base: string, ca: Buffer, server: ChildProcess, logText: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}: ${logText()}`);
    try {
      if ((await call(base, ca, 'GET', '/readyz', {})).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base}/readyz did not answer 200 in 30 s: ${logText()}`);
}
