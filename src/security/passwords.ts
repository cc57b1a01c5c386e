import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): memory-hard, and about 20 ms here.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false; // a malformed stored hash never lets anyone in
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real check, for a username that does not exist, so the answer's
 * timing does not tell which usernames are taken.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(await prepareDummyHash(), password);
  return false;
}

/** Made at start-up, so even the first unknown-user login costs what the others do. */
export function prepareDummyHash(): Promise<string> {
  dummyHash ??= hashPassword('butaca-dummy-password-for-timing');
  return dummyHash;
}
