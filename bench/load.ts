/**
 * The load generator, pinned to its own core: wrk when it is installed (a C client, so the client
 * is never what limits the bare server), autocannon from npm otherwise. Both run a fixed number of
 * connections for a bounded duration and report the same figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, pinned } from './server-process.js';

/**
 * What one endpoint's load sends. `vary` makes each request differ where repeating one would not
 * measure the real thing: a PUT that cycles the score, a POST whose (user, movie) pair is new.
 */
export interface LoadSpec {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  vary?:
    | { kind: 'put-score'; review: string }
    | { kind: 'post-review'; tokens: string[]; movies: number; first: number }
    | { kind: 'paths'; paths: string[] }
    | { kind: 'sequence'; requests: SequenceRequest[] };
  /** Connections for this load instead of the run's (a latency measured without queueing). */
  connections?: number;
}

/** One request of a `sequence`, which the load sends in order, over and over (a mix of reads and writes). */
export interface SequenceRequest {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  base: string;
  connections: number;
  seconds: number;
  cpu: number | undefined;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts and answers with a status of 400 or more. */
  errors: number;
}

export type Tool = 'wrk' | 'autocannon';

export function availableTool(): Tool {
  return spawnSync('wrk', ['--version']).error === undefined ? 'wrk' : 'autocannon';
}

const lua = (text: string) => JSON.stringify(text); // a JSON string is a valid Lua string literal here (ASCII)

function wrkScript(spec: LoadSpec): string {
  const lines = [`wrk.method = ${lua(spec.method)}`];
  for (const [name, value] of Object.entries(spec.headers)) lines.push(`wrk.headers[${lua(name)}] = ${lua(value)}`);
  if (spec.body !== undefined) lines.push(`wrk.body = ${lua(spec.body)}`);
  const vary = spec.vary;
  if (vary?.kind === 'put-score') {
    lines.push(
      'local c = 0',
      'request = function()',
      '  c = c + 1',
      `  return wrk.format(nil, nil, nil, '{"review": ' .. ${lua(JSON.stringify(vary.review))} .. ', "score": ' .. ((c % 5) + 1) .. '}')`,
      'end',
    );
  } else if (vary?.kind === 'paths') {
    lines.push(
      `local paths = {${vary.paths.map(lua).join(', ')}}`,
      'local c = 0',
      'request = function()',
      '  c = c + 1',
      '  return wrk.format(nil, paths[(c % #paths) + 1])',
      'end',
    );
  } else if (vary?.kind === 'sequence') {
    // Formatted once, at start: the loop then only picks the next string.
    const one = (r: SequenceRequest) => {
      const headers = Object.entries({ ...spec.headers, ...r.headers }).map(([k, v]) => `[${lua(k)}] = ${lua(v)}`);
      return `wrk.format(${lua(r.method)}, ${lua(r.path)}, {${headers.join(', ')}}, ${r.body === undefined ? 'nil' : lua(r.body)})`;
    };
    lines.push(
      'local sequence = {}',
      'init = function()',
      ...vary.requests.map((r, i) => `  sequence[${i + 1}] = ${one(r)}`),
      'end',
      'local c = 0',
      'request = function()',
      '  c = c + 1',
      '  return sequence[((c - 1) % #sequence) + 1]',
      'end',
    );
  } else if (vary?.kind === 'post-review') {
    lines.push(
      `local tokens = {${vary.tokens.map(lua).join(', ')}}`,
      `local movies = ${vary.movies}`,
      `local c = ${vary.first}`,
      'request = function()',
      '  local t = tokens[(c % #tokens) + 1]',
      '  local m = (math.floor(c / #tokens) % movies) + 1',
      '  c = c + 1',
      '  local h = {}',
      '  for k, v in pairs(wrk.headers) do h[k] = v end',
      '  h["Authorization"] = "Bearer " .. t',
      `  return wrk.format(nil, nil, h, '{"movie_id": ' .. m .. ', "review": "Seen it twice, liked it more the second time.", "score": 4}')`,
      'end',
    );
  }
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('BENCHJSON {"requests":%d,"duration":%d,"errors":%d,"p50":%d,"p99":%d}\\n',`,
    '    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,',
    '    latency:percentile(50), latency:percentile(99)))',
    'end',
  );
  return lines.join('\n');
}

async function runWrk(spec: LoadSpec, opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'butaca-wrk-'));
  try {
    const script = path.join(dir, 'load.lua');
    writeFileSync(script, wrkScript(spec));
    const args = ['-t1', `-c${spec.connections ?? opts.connections}`, `-d${opts.seconds}s`, '--timeout', '5s', '-s', script, opts.base + spec.path];
    const output = await collect(...pinned(opts.cpu, 'wrk', args));
    const match = /BENCHJSON (\{.*\})/.exec(output);
    if (!match) throw new Error(`wrk printed no result: ${output}`);
    const r = JSON.parse(match[1]!) as { requests: number; duration: number; errors: number; p50: number; p99: number };
    return { requests: r.requests, perSecond: r.requests / (r.duration / 1e6), p50: r.p50 / 1000, p99: r.p99 / 1000, errors: r.errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runAutocannon(spec: LoadSpec, opts: LoadOptions): Promise<LoadResult> {
  const driver = path.join(ROOT, 'bench/autocannon-driver.ts');
  const output = await collect(...pinned(opts.cpu, process.execPath, ['--import', 'tsx', driver, JSON.stringify({ spec, opts })]));
  const match = /BENCHJSON (\{.*\})/.exec(output);
  if (!match) throw new Error(`autocannon printed no result: ${output}`);
  return JSON.parse(match[1]!) as LoadResult;
}

export function runLoad(tool: Tool, spec: LoadSpec, opts: LoadOptions): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(spec, opts) : runAutocannon(spec, opts);
}

function collect(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${out}`))));
  });
}
