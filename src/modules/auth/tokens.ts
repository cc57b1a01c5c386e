import { hash, randomBytes } from 'node:crypto';

/** A new session secret: 256 random bits, URL-safe. Only the client ever holds it. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database stores instead of the secret. A fast hash is right here: the secret has full entropy. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

/** Secrets we hand out are 43 base64url characters; anything else is not worth a database lookup. */
export function looksLikeSecret(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
