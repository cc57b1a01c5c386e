/**
 * End-to-end browser tests: a real `butaca serve` process (the compiled build in dist/, with the
 * web client in dist/web) on a fresh DATA_DIR, driven by Debian's Chromium through playwright-core.
 * No browser is ever downloaded: Chromium comes from the system (/usr/bin/chromium).
 *
 * Each suite gets its own server (optionally loaded with `seed --demo`) and one browser; each test
 * gets a fresh browser context, so cookies and localStorage never leak from one test to the next.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from 'playwright-core';
import { ROOT, cliEnv, dropDatabaseOf } from './cli.js';

export { ROOT };
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
export const OUTPUT = path.join(ROOT, 'test-output');
export const SCREENSHOTS = path.join(OUTPUT, 'screenshots');

/** Navigation (goto, reload, back, waitForURL): 15 s. Any other wait: 10 s. */
export const NAVIGATION_TIMEOUT_MS = 15_000;
export const ACTION_TIMEOUT_MS = 10_000;
/** One test; the whole file (server start, seed, every test) stays under 3 minutes. */
export const TEST_TIMEOUT_MS = 60_000;
export const SUITE_TIMEOUT_MS = 170_000;
const SERVER_START_MS = 30_000;
const SEED_MS = 60_000;
const BUILD_MS = 90_000;

/** The demo users `seed --demo` makes (src/cli/demo-catalogue.ts). */
export const ADMIN = { username: 'admin', password: 'admin-password' } as const;
export const DEMO = { username: 'demo', password: 'demo-password' } as const;

export const fixture = (name: string): string => path.join(ROOT, 'test', 'fixtures', 'media', name);

/**
 * Why the e2e suites do not run here, or false when they do. Outside CI a machine without
 * Chromium skips them (one line says so); in CI nothing is skipped: a missing browser fails.
 */
export function skipReason(): string | false {
  if (process.env.CI === 'true') return false;
  if (!existsSync(CHROMIUM)) return `no ${CHROMIUM} on this machine (apt-get install chromium); e2e browser tests skipped outside CI`;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set<ChildProcess>();
function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
// A test process that dies (or is killed by the runner's timeout) takes its servers with it.
process.on('exit', killChildren);

interface RunResult {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, output });
    });
  });
}

const CLIENT_INDEX = path.join(ROOT, 'dist', 'web', 'index.html');
const SERVER_ENTRY = path.join(ROOT, 'dist', 'cli', 'main.js');
let built: Promise<void> | undefined;

/**
 * `npm run build` once when the built client (dist/web/index.html) is missing. Test files run in
 * parallel processes, so a lock directory makes the others wait for the one that builds.
 */
export function ensureBuilt(): Promise<void> {
  built ??= buildOnce();
  return built;
}

async function buildOnce(): Promise<void> {
  if (existsSync(CLIENT_INDEX) && existsSync(SERVER_ENTRY)) return;
  mkdirSync(OUTPUT, { recursive: true });
  const lock = path.join(OUTPUT, '.build-lock');
  try {
    // A lock left by a run that was killed while building is stale after the build's own limit.
    if (Date.now() - statSync(lock).mtimeMs > BUILD_MS) rmSync(lock, { recursive: true, force: true });
  } catch {
    // no lock
  }
  let mine: boolean;
  try {
    mkdirSync(lock);
    mine = true;
  } catch {
    mine = false;
  }
  // Another process may have finished building between the first look and the lock.
  if (mine && existsSync(CLIENT_INDEX) && existsSync(SERVER_ENTRY)) {
    rmSync(lock, { recursive: true, force: true });
    return;
  }
  if (mine) {
    try {
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const res = await run(npm, ['run', '--silent', 'build'], cliEnv({}), BUILD_MS);
      assert.equal(res.code, 0, `npm run build failed:\n${res.output}`);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  } else {
    const deadline = Date.now() + BUILD_MS;
    while (existsSync(lock)) {
      if (Date.now() > deadline) throw new Error(`another test process has been building for over ${BUILD_MS} ms (${lock})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  for (const file of [SERVER_ENTRY, CLIENT_INDEX]) assert.ok(existsSync(file), `npm run build did not produce ${path.relative(ROOT, file)}`);
}

export interface Server {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  dataDir: string;
  /** What the server printed so far (its JSON log lines at LOG_LEVEL=warn). */
  output: () => string;
  stop: () => Promise<void>;
}

/** Removes a server's DATA_DIR and, with TEST_DATABASE=postgres, the database cliEnv made for it. */
function discard(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
  dropDatabaseOf(dataDir);
}

/** `node bin/butaca.js serve` on a free loopback port over a fresh DATA_DIR, after `seed --demo` when asked. */
export async function startE2eServer(options: { seed?: boolean } = {}): Promise<Server> {
  await ensureBuilt();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'butaca-e2e-'));
  const env = cliEnv({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' });
  try {
    if (options.seed) {
      const seeded = await run(process.execPath, ['bin/butaca.js', 'seed', '--demo'], env, SEED_MS);
      assert.equal(seeded.code, 0, `seed --demo failed:\n${seeded.output}`);
    }
  } catch (err) {
    discard(dataDir);
    throw err;
  }

  const child = spawn(process.execPath, ['bin/butaca.js', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in ${SERVER_START_MS} ms:\n${output}`)), SERVER_START_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /web client: (http:\/\/\S+?)\/?\s*$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early with ${code}:\n${output}`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    discard(dataDir);
    throw err;
  });

  return {
    url,
    dataDir,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 12_000).unref())]);
        if (!stopped) child.kill('SIGKILL');
      }
      children.delete(child);
      discard(dataDir);
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

// ---------------------------------------------------------------------------------------------
// Pages and what went wrong on them

export interface PageOptions {
  /** 1280 (desktop, the default), 375 (phone) or 320 (the narrowest the client promises). */
  width?: 320 | 375 | 1280;
  locale?: 'en-US' | 'es-ES';
}

/** A response with an error status that a test provokes on purpose (or that the client expects). */
export interface Expected {
  status: number;
  /** Matched against the path and query of the request (not the origin). */
  path: RegExp;
  method?: string;
}

/**
 * Errors any page may see without anything being wrong: asking who is logged in while nobody is.
 */
const ALWAYS_EXPECTED: Expected[] = [{ status: 401, path: /^\/api\/v1\/users\/me$/, method: 'GET' }];

/** What went wrong on a page: console errors, uncaught exceptions, failed requests, error responses. */
export class Watcher {
  readonly problems: string[] = [];
  private readonly expected: Expected[] = [...ALWAYS_EXPECTED];

  constructor(page: Page, base: string) {
    const local = (url: string) => (url.startsWith(base) ? url.slice(base.length) : url);
    page.on('pageerror', (err) => this.problems.push(`uncaught exception: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // Chromium logs every error response this way; the response check below judges each one.
      if (msg.text().startsWith('Failed to load resource: the server responded with a status of')) return;
      const where = msg.location().url;
      this.problems.push(`console error: ${msg.text()}${where ? ` (${local(where)})` : ''}`);
    });
    page.on('requestfailed', (request) => {
      const failure = request.failure()?.errorText ?? 'unknown';
      // The browser cancelling a request (leaving the page, a media element re-buffering) is not an error.
      if (failure === 'net::ERR_ABORTED') return;
      this.problems.push(`request failed: ${request.method()} ${local(request.url())} ${failure}`);
    });
    page.on('response', (response) => {
      const status = response.status();
      if (status < 400) return;
      const method = response.request().method();
      const where = local(response.url());
      if (status < 500 && this.expected.some((e) => e.status === status && e.path.test(where) && (!e.method || e.method === method))) return;
      this.problems.push(`${status} from ${method} ${where}`);
    });
  }

  /** This error response is what the test is about. */
  expect(status: number, pathPattern: RegExp, method?: string): void {
    this.expected.push({ status, path: pathPattern, ...(method ? { method } : {}) });
  }
}

export interface Harness {
  server: Server;
  browser: Browser;
  /** server.url + p */
  url: (p: string) => string;
}

/**
 * A describe() with its own server (and demo data when `seed`) and browser, skipped as
 * skipReason() says. The body gets the harness through a function: it exists once `before` ran.
 */
export function e2eSuite(name: string, options: { seed?: boolean }, body: (h: () => Harness) => void): void {
  describe(name, { skip: skipReason(), timeout: SUITE_TIMEOUT_MS }, () => {
    let harness: Harness | undefined;
    let server: Server | undefined;
    let browser: Browser | undefined;
    before(
      async () => {
        // Both start at once; whichever did start is closed by `after` when the other failed.
        const [started, launched] = await Promise.allSettled([startE2eServer(options), launchBrowser()]);
        if (started.status === 'fulfilled') server = started.value;
        if (launched.status === 'fulfilled') browser = launched.value;
        if (started.status === 'rejected') throw started.reason;
        if (launched.status === 'rejected') throw launched.reason;
        const base = server!.url;
        harness = { server: server!, browser: browser!, url: (p) => `${base}${p}` };
      },
      { timeout: 150_000 },
    );
    after(async () => {
      await browser?.close();
      await server?.stop();
      // Anything else this process started and nobody stopped (a hook that timed out) goes too.
      killChildren();
    });
    body(() => {
      assert.ok(harness, 'the e2e harness did not start');
      return harness;
    });
  });
}

/**
 * Runs `test` on a fresh page in a fresh browser context. When it throws, a screenshot of the page
 * goes to test-output/screenshots/failure-<name>.png; when it passes, the page must have had no
 * unexpected console error, uncaught exception, failed request or error response.
 */
export async function withPage(
  h: Harness,
  name: string,
  options: PageOptions,
  test: (page: Page, watcher: Watcher, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const width = options.width ?? 1280;
  const context = await h.browser.newContext({
    viewport: { width, height: width === 1280 ? 900 : width === 375 ? 812 : 640 },
    locale: options.locale ?? 'en-US',
    baseURL: h.server.url,
  });
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  rmSync(path.join(SCREENSHOTS, `failure-${name}.png`), { force: true });
  try {
    const page = await context.newPage();
    const watcher = new Watcher(page, h.server.url);
    try {
      await test(page, watcher, context);
    } catch (err) {
      await screenshot(page, `failure-${name}`).catch(() => {});
      // What else went wrong on the page (and the server's warnings) is often the real story.
      if (err instanceof Error) err.message += diagnostics(h, watcher);
      throw err;
    }
    assert.deepEqual(watcher.problems, [], `unexpected errors on the page during "${name}"${diagnostics(h, watcher)}`);
  } finally {
    await context.close();
  }
}

function diagnostics(h: Harness, watcher: Watcher): string {
  let text = '';
  if (watcher.problems.length > 0) text += `\n  on the page: ${watcher.problems.join('\n               ')}`;
  const logs = h.server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .slice(-10);
  if (logs.length > 0) text += `\n  server log: ${logs.join('\n              ')}`;
  return text;
}

/** A full-page screenshot at test-output/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled', timeout: ACTION_TIMEOUT_MS });
  return file;
}

export function copyScreenshot(file: string, to: string): void {
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(file, to);
}

// ---------------------------------------------------------------------------------------------
// Waiting for what a person would see (playwright-core has no `expect`)

/** Polls `probe` until it returns true; fails with `what` and the last value seen. */
export async function waitUntil(what: string, probe: () => Promise<boolean | { ok: boolean; seen: unknown }>, timeoutMs = ACTION_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: unknown;
  for (;;) {
    let ok = false;
    try {
      const res = await probe();
      if (typeof res === 'boolean') ok = res;
      else ({ ok, seen } = res);
    } catch (err) {
      seen = err instanceof Error ? err.message.split('\n')[0] : err;
    }
    if (ok) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${seen === undefined ? '' : `; last seen: ${JSON.stringify(seen)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const matches = (value: string | null, expected: string | RegExp) =>
  value !== null && (typeof expected === 'string' ? value === expected : expected.test(value));

/** Waits for the element to be visible. */
export async function visible(locator: Locator, timeout = ACTION_TIMEOUT_MS): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator;
}

/** Waits until the attribute equals (string) or matches (RegExp) `expected`. */
export async function hasAttribute(locator: Locator, name: string, expected: string | RegExp, timeoutMs = ACTION_TIMEOUT_MS): Promise<void> {
  await waitUntil(
    `${locator} to have ${name}=${String(expected)}`,
    async () => {
      const value = await locator.getAttribute(name, { timeout: 1000 });
      return { ok: matches(value, expected), seen: value };
    },
    timeoutMs,
  );
}

/** Waits until the element's text (innerText, trimmed) equals or matches `expected`. */
export async function hasText(locator: Locator, expected: string | RegExp, timeoutMs = ACTION_TIMEOUT_MS): Promise<void> {
  await waitUntil(
    `${locator} to have text ${String(expected)}`,
    async () => {
      const value = (await locator.innerText({ timeout: 1000 })).trim();
      return { ok: matches(value, expected), seen: value };
    },
    timeoutMs,
  );
}

/** Waits until the page's path and query (no origin) match. */
export async function atPath(page: Page, expected: string | RegExp): Promise<void> {
  await page.waitForURL((url) => matches(url.pathname + url.search, expected), { timeout: NAVIGATION_TIMEOUT_MS });
}

export const pathOf = (page: Page): string => {
  const url = new URL(page.url());
  return url.pathname + url.search;
};

// ---------------------------------------------------------------------------------------------
// Steps a person takes (through the UI contract's labels)

export async function logIn(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await visible(page.getByRole('button', { name: 'Log out', exact: true }));
}

/** Opens /login, logs in and waits until the header shows the person logged in. */
export async function logInAt(page: Page, user: { username: string; password: string }, next?: string): Promise<void> {
  await page.goto(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  await logIn(page, user);
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await visible(page.getByRole('link', { name: 'Log in', exact: true }));
}

/** A request to the test server's API that must succeed (2xx): its JSON answer (undefined for 204). */
export async function fetchJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  assert.ok(res.ok, `${init.method ?? 'GET'} ${url}: ${res.status} ${res.ok ? '' : await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** A username no other test (or run) uses: 3–50 letters, digits, _ . - */
/** A member made through the API (a unique name from `prefix`), with a bearer token for checking what a page did. */
export async function newMember(base: (p: string) => string, prefix: string, password: string): Promise<{ username: string; password: string; token: string; id: number }> {
  const username = uniqueName(prefix);
  const made = await fetchJson<{ id: number }>(base('/api/v1/users'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const { access_token } = await fetchJson<{ access_token: string }>(base('/auth'), { method: 'POST', body: new URLSearchParams({ username, password }) });
  return { username, password, token: access_token, id: made.id };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

/** The parts of an HTMLMediaElement the tests read (the e2e code is type-checked without the DOM lib). */
export interface MediaElement {
  readyState: number;
  currentTime: number;
  duration: number;
  muted: boolean;
  paused: boolean;
  error: { code: number; message: string } | null;
  play: () => Promise<void>;
  addEventListener: (type: string, listener: () => void, options?: { once?: boolean }) => void;
}

/** The parts of an HTMLImageElement the tests read. */
export interface ImageElement {
  complete: boolean;
  naturalWidth: number;
  currentSrc: string;
  srcset: string;
}
