import { existsSync } from 'node:fs';
import path from 'node:path';

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

export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; poolSize: number };

export type TrustProxy = boolean | number | string[];

export type MediaStoreConfig = { kind: 'file'; root: string };

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
  mediaStore: MediaStoreConfig;
  /** Largest poster and trailer uploads, in bytes. */
  posterMaxBytes: number;
  trailerMaxBytes: number;
}

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
    return { kind: 'postgres', url: raw, poolSize: positiveInt(env, 'DATABASE_POOL_SIZE', 10, 1000) };
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
  const scheme = raw.includes(':') ? raw.slice(0, raw.indexOf(':') + 1) : raw;
  throw new ConfigError('MEDIA_STORE', `unsupported store "${scheme}": this version stores media as files (file:PATH)`);
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
  return {
    host,
    port: parsePort(env),
    dataDir,
    database: parseDatabase(env, dataDir),
    logLevel: parseLogLevel(env),
    trustProxy: parseTrustProxy(env),
    sessionIdleTimeout: positiveInt(env, 'SESSION_IDLE_TIMEOUT', 24 * 3600),
    sessionMaxAge: positiveInt(env, 'SESSION_MAX_AGE', 7 * 24 * 3600),
    loginMaxFailuresPerUser: positiveInt(env, 'LOGIN_MAX_FAILURES', 5, 1_000_000),
    loginMaxFailuresPerAddress: positiveInt(env, 'LOGIN_MAX_FAILURES_PER_ADDRESS', 30, 1_000_000),
    loginWindow: positiveInt(env, 'LOGIN_WINDOW', 15 * 60),
    bodyLimit: positiveInt(env, 'BODY_LIMIT', 64 * 1024, 1024 * 1024 * 1024),
    mediaStore: parseMediaStore(env, dataDir),
    posterMaxBytes: positiveInt(env, 'POSTER_MAX_BYTES', 10 * 1024 * 1024, 1024 * 1024 * 1024),
    trailerMaxBytes: positiveInt(env, 'TRAILER_MAX_BYTES', 1024 * 1024 * 1024, 64 * 1024 * 1024 * 1024),
  };
}
