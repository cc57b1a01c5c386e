import type { Readable } from 'node:stream';
import { DomainError } from '../domain/errors.js';

export interface StoredObject {
  key: string;
  size: number;
  modified: Date;
}

/** An inclusive byte range, as in HTTP's `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Raised by `get` when the key does not exist (deleted by a concurrent replace, say). */
export class MissingObjectError extends Error {
  constructor(readonly key: string) {
    super(`no stored object at ${key}`);
    this.name = 'MissingObjectError';
  }
}

/**
 * The store itself failed (unreachable, refusing the credentials, no such bucket): the client
 * gets a 503 with a plain detail, the cause stays on the error for the server's log.
 */
export class StoreUnavailableError extends DomainError {
  constructor(cause: unknown) {
    super('media_store_unavailable', {}, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Where posters and trailers live. Keys are made by Butaca (never from a client's file name):
 * lower-case segments separated by "/". An object appears whole or not at all: `put` writes
 * elsewhere first and only then makes it visible under its key.
 */
export interface MediaStore {
  /** Streams `body` into the object at `key`; resolves once it is complete and durable. */
  put(key: string, body: Readable): Promise<{ size: number }>;
  /** A stream of the object's bytes, or of one range of them. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredObject | undefined>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): AsyncIterable<StoredObject>;
  /**
   * Drops leftovers of writes that never finished (a crash mid-upload) and have seen no write since
   * `idleSince`; a store that cannot tell when a write last made progress must keep a wider margin.
   */
  removeIncomplete(idleSince: Date): Promise<number>;
  /** Lets go of what the store holds open (the S3 client's sockets); called once, by whoever made the store. */
  close(): Promise<void>;
}

const SAFE_KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

/** Refuses anything that could climb out of the store or name a hidden file. */
export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
  }
}

export async function deletePrefix(store: MediaStore, prefix: string): Promise<void> {
  for await (const object of store.list(prefix)) await store.delete(object.key);
}
