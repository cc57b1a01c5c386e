import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A configuration problem: the start stops with this one line, never a stack trace. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  /**
   * `queryTimeout`: milliseconds a query may wait for its answer; 0 for no limit.
   * `preparedStatements`: each connection names its statements, parsed once (src/db/pg-statements.ts).
   */
  | { kind: 'postgres'; url: string; poolSize: number; queryTimeout: number; preparedStatements: boolean };

export type TrustProxy = boolean | number | string[];

/** REDIS_URL (may hold a password: never log it) and the prefix of every key Butaca writes. */
export type RedisConfig = { url: string; keyPrefix: string };

/**
 * An S3 bucket (or S3-compatible store) as media store: MEDIA_STORE=s3://bucket/prefix, the
 * endpoint from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (AWS itself when unset), AWS_REGION and
 * AWS_S3_FORCE_PATH_STYLE. Credentials are not here: the SDK's default chain finds them.
 */
export interface S3StoreConfig {
  kind: 's3';
  bucket: string;
  /** Without leading or trailing "/"; '' for the bucket's root. */
  prefix: string;
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean;
}

export type MediaStoreConfig = { kind: 'file'; root: string } | S3StoreConfig;

/**
 * Where the HTTPS certificate comes from: nowhere (plain HTTP), PEM files the operator provides
 * (TLS_CERT + TLS_KEY), or a development certificate for localhost made once under `dir`
 * (HTTPS=self-signed). The files are read and checked at start-up by src/tls/options.ts.
 */
export type TlsConfig = { kind: 'off' } | { kind: 'files'; certFile: string; keyFile: string } | { kind: 'self-signed'; dir: string };

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  database: DatabaseConfig;
  logLevel: string;
  trustProxy: TrustProxy;
  /** Seconds a session may stay unused before it ends. */
  sessionIdleTimeout: number;
  /** Seconds a session lives at most, however much it is used. */
  sessionMaxAge: number;
  /** Failed logins per username, and per client address, allowed within `loginWindow`. */
  loginMaxFailuresPerUser: number;
  loginMaxFailuresPerAddress: number;
  loginWindow: number;
  /** Largest JSON or form request body, in bytes. */
  bodyLimit: number;
  /** Seconds between sweeps of orphaned media files while running; 0 sweeps only at start. */
  mediaSweepInterval: number;
  /** Memory for answers to public reads served again while the data is unchanged (SQLite); 0 is off. */
  readCacheBytes: number;
  mediaStore: MediaStoreConfig;
  /** Largest poster and trailer uploads, in bytes. */
  posterMaxBytes: number;
  trailerMaxBytes: number;
  /** Exact origins allowed to call the API cross-origin (bearer tokens only); [] is CORS off. */
  corsOrigins: string[];
  /** Requests per client address per `rateLimitWindow` seconds on every route; 0 is off. */
  rateLimitMax: number;
  rateLimitWindow: number;
  /** Requests per client address per minute on the two login routes; 0 is off. */
  authRateLimitMax: number;
  /** Seconds a connection may stay silent mid-request (socket idle timeout). */
  idleTimeout: number;
  /** Seconds a client has to send the whole request head (slow-loris guard). */
  headersTimeout: number;
  /** Seconds an idle keep-alive connection stays open between requests. */
  keepAliveTimeout: number;
  /** Largest request head (request line and headers), in bytes; past it 431. */
  maxHeaderSize: number;
  tls: TlsConfig;
  /** A plain-HTTP port whose every answer is a redirect to HTTPS on `port`; null for none. */
  httpRedirectPort: number | null;
  /** Shared counters (login throttle, rate limits) in Redis; null keeps them in the database. */
  redis: RedisConfig | null;
  /** Server processes sharing the port; 1 is a single process, more a node:cluster primary and its workers. */
  workers: number;
  /** The built web client served at `/`: dist/web (not a setting: the tests point it at a stand-in). */
  webRoot: string;
  /** Who may read /metrics: this machine only (`local`), nobody (`off`), or scrapers sending this bearer token. */
  metrics: MetricsConfig;
  /** PUBLIC_URL, for links in emails. */
  publicUrl: string;
  mail: MailConfig;
  /** NODE_ENV=production: a reset link is never written to the log. */
  production: boolean;
}

export type MetricsConfig = { mode: 'local' } | { mode: 'off' } | { mode: 'token'; token: string };

/** Email (password resets): SMTP_URL (may hold a password: never log it), MAIL_FROM. */
export interface MailConfig {
  smtpUrl: string | null;
  from: string;
  /** SMTP_CA_FILE's PEM: a certificate authority the mail server's TLS certificate may chain to. */
  ca: string | undefined;
}

/** PUBLIC_URL: the address people reach the service at, for links in emails; no trailing slash. */
function parsePublicUrl(env: Env, host: string, port: number, tls: TlsConfig): string {
  const raw = (env.PUBLIC_URL ?? '').trim();
  if (raw === '') {
    // An address to listen on on every interface is no address to reach: localhost stands in.
    const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    return `${tls.kind === 'off' ? 'http' : 'https'}://${name}:${port}`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PUBLIC_URL', `must be an http(s) URL such as https://butaca.example.org, got "${raw}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw new ConfigError('PUBLIC_URL', `must be an http(s) URL without credentials, query or fragment, got "${raw}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

function parseMail(env: Env, publicUrl: string): MailConfig {
  const raw = (env.SMTP_URL ?? '').trim();
  let smtpUrl: string | null = null;
  if (raw !== '') {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    // Never repeated back: it may hold the mail server's password.
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
      throw new ConfigError('SMTP_URL', 'must be smtp://[user:password@]host[:port] (STARTTLS when the server offers it) or smtps://… (TLS from the start)');
    }
    smtpUrl = raw;
  }
  const from = (env.MAIL_FROM ?? '').trim() || `Butaca <no-reply@${new URL(publicUrl).hostname}>`;
  if (/[\r\n]/.test(from) || !/@/.test(from)) throw new ConfigError('MAIL_FROM', `must be an address such as "Butaca <no-reply@example.org>", got "${from}"`);
  const caFile = (env.SMTP_CA_FILE ?? '').trim();
  let ca: string | undefined;
  if (caFile !== '') {
    if (!existsSync(caFile)) throw new ConfigError('SMTP_CA_FILE', `no such file: ${caFile}`);
    ca = readFileSync(caFile, 'utf8');
  }
  return { smtpUrl, from, ca };
}

/** The shortest token METRICS may be: a guessable one would publish the service's insides. */
const METRICS_TOKEN_MIN = 16;

function parseMetrics(env: Env): MetricsConfig {
  const raw = (env.METRICS ?? '').trim();
  if (raw === '' || raw === 'local') return { mode: 'local' };
  if (raw === 'off') return { mode: 'off' };
  if (raw.length < METRICS_TOKEN_MIN || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError('METRICS', `must be local, off, or a token of at least ${METRICS_TOKEN_MIN} visible ASCII characters for scrapers to send as "Authorization: Bearer"`);
  }
  return { mode: 'token', token: raw };
}

/** Where `npm run build` puts the client: <project>/dist/web, from src/ or dist/ alike. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../dist/web', import.meta.url));

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function positiveInt(env: Env, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a positive whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < 1 || value > max) throw new ConfigError(name, `must be between 1 and ${max}, got ${value}`);
  return value;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(name, `must be on or off, got "${env[name]}"`);
}

function nonNegativeInt(env: Env, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number (0 turns it off), got "${raw}"`);
  const value = Number(raw.trim());
  if (value > max) throw new ConfigError(name, `must be between 0 and ${max}, got ${value}`);
  return value;
}

function parseCorsOrigins(env: Env): string[] {
  const entries = (env.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    // Browsers send Origin as scheme://host[:port] and nothing else; anything more would never match.
    let origin: string | undefined;
    try {
      origin = new URL(entry).origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined || origin === 'null' || origin !== entry) {
      throw new ConfigError('CORS_ORIGINS', `must be a comma list of origins like https://app.example.com (no path, no trailing slash); got "${entry}"`);
    }
  }
  return entries;
}

function parsePort(env: Env): number {
  const raw = env.PORT;
  if (raw === undefined || raw === '') return 8000;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError('PORT', `must be a number from 0 to 65535, got "${raw}"`);
  const port = Number(raw.trim());
  if (port > 65535) throw new ConfigError('PORT', `must be a number from 0 to 65535, got ${port}`);
  return port;
}

function parseDatabase(env: Env, dataDir: string): DatabaseConfig {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return { kind: 'sqlite', path: path.join(dataDir, 'butaca.db') };
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path, as in sqlite:./data/butaca.db');
    return { kind: 'sqlite', path: file === ':memory:' ? file : path.resolve(file) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return {
      kind: 'postgres',
      url: raw,
      poolSize: positiveInt(env, 'DATABASE_POOL_SIZE', 10, 1000),
      queryTimeout: nonNegativeInt(env, 'DATABASE_QUERY_TIMEOUT', 30, 24 * 3600) * 1000,
      preparedStatements: onOff(env, 'DATABASE_PREPARED_STATEMENTS', true),
    };
  }
  const scheme = raw.includes(':') ? raw.slice(0, raw.indexOf(':') + 1) : raw;
  throw new ConfigError('DATABASE_URL', `unknown scheme "${scheme}": use sqlite:PATH or postgres://…`);
}

function parseMediaStore(env: Env, dataDir: string): MediaStoreConfig {
  const raw = env.MEDIA_STORE;
  if (raw === undefined || raw === '') return { kind: 'file', root: path.join(dataDir, 'media') };
  if (raw.startsWith('file:')) {
    const dir = raw.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (dir === '') throw new ConfigError('MEDIA_STORE', 'file: needs a directory, as in file:./data/media');
    return { kind: 'file', root: path.resolve(dir) };
  }
  if (raw.startsWith('s3:')) return parseS3Store(env, raw);
  const scheme = raw.includes(':') ? raw.slice(0, raw.indexOf(':') + 1) : raw;
  throw new ConfigError('MEDIA_STORE', `unsupported store "${scheme}": use file:PATH or s3://bucket/prefix`);
}

// S3's rules for bucket names that work with both path-style and virtual-hosted addressing.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9_.-]+$/;

function parseS3Store(env: Env, raw: string): S3StoreConfig {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(raw);
  if (!match) throw new ConfigError('MEDIA_STORE', `must look like s3://bucket or s3://bucket/prefix, got "${raw}"`);
  const bucket = match[1] ?? '';
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new ConfigError('MEDIA_STORE', `"${bucket}" is not a valid S3 bucket name (3-63 lower-case letters, digits, "-" and ".")`);
  }
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  if (prefix !== '' && prefix.split('/').some((s) => !PREFIX_SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new ConfigError('MEDIA_STORE', `the key prefix "${prefix}" may hold only letters, digits, "_", "-", "." and single "/" between segments`);
  }
  const endpointVar = env.AWS_ENDPOINT_URL_S3 ? 'AWS_ENDPOINT_URL_S3' : 'AWS_ENDPOINT_URL';
  const endpoint = env[endpointVar] || undefined;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ConfigError(endpointVar, `is not a URL, got "${endpoint}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(endpointVar, `must be an http:// or https:// URL, got "${url.protocol}"`);
    // Keys in the URL would be printed wherever the endpoint is; they belong in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
    if (url.username !== '' || url.password !== '') throw new ConfigError(endpointVar, 'must not carry credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  const region = (env.AWS_REGION ?? '').trim() || 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region)) throw new ConfigError('AWS_REGION', `must be a region name like eu-west-1, got "${env.AWS_REGION}"`);
  const pathStyle = (env.AWS_S3_FORCE_PATH_STYLE ?? '').trim().toLowerCase();
  if (!['', 'true', 'false'].includes(pathStyle)) throw new ConfigError('AWS_S3_FORCE_PATH_STYLE', `must be true or false, got "${env.AWS_S3_FORCE_PATH_STYLE}"`);
  return { kind: 's3', bucket, prefix, region, endpoint, forcePathStyle: pathStyle === 'true' };
}

function parseTrustProxy(env: Env): TrustProxy {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || /^(off|false|no|0)$/i.test(raw)) return false;
  if (/^(on|true|yes)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const address = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
  const bad = entries.find((e) => !address.test(e) && !['loopback', 'linklocal', 'uniquelocal'].includes(e));
  if (bad !== undefined || entries.length === 0) {
    throw new ConfigError('TRUST_PROXY', `must be off, on, a hop count, or a comma list of addresses/CIDRs; got "${raw}"`);
  }
  return entries;
}

function parseTls(env: Env, dataDir: string): TlsConfig {
  const cert = (env.TLS_CERT ?? '').trim();
  const key = (env.TLS_KEY ?? '').trim();
  const mode = (env.HTTPS ?? '').trim().toLowerCase();
  if (mode !== '' && mode !== 'off' && mode !== 'self-signed') {
    throw new ConfigError('HTTPS', `must be off or self-signed; got "${env.HTTPS}"`);
  }
  if (cert === '' && key !== '') throw new ConfigError('TLS_CERT', 'is not set, but TLS_KEY is: HTTPS needs both PEM files');
  if (cert !== '' && key === '') throw new ConfigError('TLS_KEY', 'is not set, but TLS_CERT is: HTTPS needs both PEM files');
  if (cert !== '') {
    // Two sources of certificate at once is a mistake to point out, not one to settle silently.
    if (mode === 'self-signed') throw new ConfigError('HTTPS', 'self-signed conflicts with TLS_CERT/TLS_KEY: unset one or the other');
    return { kind: 'files', certFile: path.resolve(cert), keyFile: path.resolve(key) };
  }
  return mode === 'self-signed' ? { kind: 'self-signed', dir: path.join(dataDir, 'tls') } : { kind: 'off' };
}

function parseRedirectPort(env: Env, tls: TlsConfig, port: number): number | null {
  const raw = (env.HTTP_REDIRECT_PORT ?? '').trim();
  if (raw === '') return null;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError('HTTP_REDIRECT_PORT', `must be a number from 0 to 65535, got "${env.HTTP_REDIRECT_PORT}"`);
  }
  const value = Number(raw);
  if (tls.kind === 'off') throw new ConfigError('HTTP_REDIRECT_PORT', 'redirects to HTTPS, which is off: set TLS_CERT and TLS_KEY, or HTTPS=self-signed');
  if (value !== 0 && value === port) throw new ConfigError('HTTP_REDIRECT_PORT', `must differ from PORT (${port})`);
  return value;
}

/** More processes than this on one machine is a typo, not a deployment. */
const MAX_WORKERS = 256;

function parseWorkers(env: Env, database: DatabaseConfig): number {
  const raw = (env.WORKERS ?? '').trim().toLowerCase();
  if (raw === '') return 1;
  if (!/^(auto|\d+)$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_WORKERS) {
    throw new ConfigError('WORKERS', `must be auto or a whole number from 1 to ${MAX_WORKERS}, got "${env.WORKERS}"`);
  }
  const workers = raw === 'auto' ? availableParallelism() : Number(raw);
  // Each process would have a database of its own, and a user would see a different one per request.
  if (workers > 1 && database.kind === 'sqlite' && database.path === ':memory:') {
    throw new ConfigError('WORKERS', 'more than one process needs a database they share, not sqlite::memory:');
  }
  return workers;
}

function parseRedis(env: Env): RedisConfig | null {
  const raw = (env.REDIS_URL ?? '').trim();
  if (raw === '') return null;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // The message never repeats the value: it may carry a password.
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL, as in redis://127.0.0.1:6379');
  }
  const keyPrefix = (env.REDIS_KEY_PREFIX ?? '').trim() || 'butaca:';
  if (!/^[\w:.-]{1,64}$/.test(keyPrefix)) throw new ConfigError('REDIS_KEY_PREFIX', `must be 1-64 letters, digits, _ : . or -; got "${keyPrefix}"`);
  return { url: raw, keyPrefix };
}

function parseLogLevel(env: Env): string {
  const raw = (env.LOG_LEVEL ?? '').trim().toLowerCase();
  if (raw === '') return 'info';
  if (!LOG_LEVELS.includes(raw)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}; got "${env.LOG_LEVEL}"`);
  return raw;
}

/** Reads `.env` from the working directory into `process.env`; variables already set win. */
export function loadDotEnv(cwd = process.cwd()): void {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return;
  try {
    process.loadEnvFile(file);
  } catch (err) {
    throw new ConfigError('.env', `could not be read: ${(err as Error).message}`);
  }
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : './data');
  const host = (env.HOST ?? '').trim() || '127.0.0.1';
  const port = parsePort(env);
  const tls = parseTls(env, dataDir);
  const publicUrl = parsePublicUrl(env, host, port, tls);
  const database = parseDatabase(env, dataDir);
  return {
    host,
    port,
    dataDir,
    database,
    logLevel: parseLogLevel(env),
    trustProxy: parseTrustProxy(env),
    sessionIdleTimeout: positiveInt(env, 'SESSION_IDLE_TIMEOUT', 24 * 3600),
    sessionMaxAge: positiveInt(env, 'SESSION_MAX_AGE', 7 * 24 * 3600),
    loginMaxFailuresPerUser: positiveInt(env, 'LOGIN_MAX_FAILURES', 5, 1_000_000),
    loginMaxFailuresPerAddress: positiveInt(env, 'LOGIN_MAX_FAILURES_PER_ADDRESS', 30, 1_000_000),
    loginWindow: positiveInt(env, 'LOGIN_WINDOW', 15 * 60),
    bodyLimit: positiveInt(env, 'BODY_LIMIT', 64 * 1024, 1024 * 1024 * 1024),
    readCacheBytes: nonNegativeInt(env, 'READ_CACHE_MB', 16, 4096) * 1024 * 1024,
    mediaSweepInterval: nonNegativeInt(env, 'MEDIA_SWEEP_INTERVAL', 3600, 7 * 24 * 3600),
    mediaStore: parseMediaStore(env, dataDir),
    posterMaxBytes: positiveInt(env, 'POSTER_MAX_BYTES', 10 * 1024 * 1024, 1024 * 1024 * 1024),
    trailerMaxBytes: positiveInt(env, 'TRAILER_MAX_BYTES', 1024 * 1024 * 1024, 64 * 1024 * 1024 * 1024),
    corsOrigins: parseCorsOrigins(env),
    rateLimitMax: nonNegativeInt(env, 'RATE_LIMIT_MAX', 600),
    rateLimitWindow: positiveInt(env, 'RATE_LIMIT_WINDOW', 60, 24 * 3600),
    authRateLimitMax: nonNegativeInt(env, 'AUTH_RATE_LIMIT_MAX', 20),
    idleTimeout: positiveInt(env, 'IDLE_TIMEOUT', 60, 3600),
    headersTimeout: positiveInt(env, 'HEADERS_TIMEOUT', 15, 300),
    keepAliveTimeout: positiveInt(env, 'KEEP_ALIVE_TIMEOUT', 72, 3600),
    maxHeaderSize: positiveInt(env, 'MAX_HEADER_SIZE', 16 * 1024, 1024 * 1024),
    tls,
    httpRedirectPort: parseRedirectPort(env, tls, port),
    redis: parseRedis(env),
    workers: parseWorkers(env, database),
    webRoot: DEFAULT_WEB_ROOT,
    metrics: parseMetrics(env),
    publicUrl,
    mail: parseMail(env, publicUrl),
    production: (env.NODE_ENV ?? '').trim() === 'production',
  };
}
