import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';

/** The names the development certificate is good for: what a browser on this machine may type. */
export const DEV_CERT_DNS = ['localhost'];
export const DEV_CERT_IPS = ['127.0.0.1', '::1'];

/** A year, like the certificates browsers accept; a new one is made when fewer than this many days remain. */
const VALID_DAYS = 365;
const RENEW_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

export interface DevCert {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** True when this start made it; false when an earlier one's was reused. */
  created: boolean;
}

export function devCertPaths(dir: string): { certFile: string; keyFile: string } {
  return { certFile: path.join(dir, 'dev-cert.pem'), keyFile: path.join(dir, 'dev-key.pem') };
}

/**
 * The certificate an earlier start made, if it is still one to serve: both files readable, the key
 * its own, not about to expire. Anything else means "make a new one" — these files are ours, so a
 * damaged pair is replaced rather than reported.
 */
async function reusable(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer } | null> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return null;
    if (Date.parse(x509.validTo) - Date.now() < RENEW_DAYS * DAY_MS) return null;
    return { cert, key };
  } catch {
    return null;
  }
}

/**
 * Makes (once) and returns the development certificate in `dir`: self-signed, for localhost,
 * 127.0.0.1 and ::1, with the private key readable by its owner only. Later starts reuse it, so a
 * browser or system that was told to trust it keeps trusting it.
 */
export async function ensureDevCert(dir: string): Promise<DevCert> {
  const { certFile, keyFile } = devCertPaths(dir);
  const existing = await reusable(certFile, keyFile);
  if (existing) return { certFile, keyFile, ...existing, created: false };

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const notBeforeDate = new Date(Date.now() - 60_000); // a minute's slack for a clock slightly behind
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    // P-256: as strong as RSA-3072 for TLS, and made in milliseconds rather than a second.
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALID_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...DEV_CERT_DNS.map((value) => ({ type: 2 as const, value })), ...DEV_CERT_IPS.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  // Each file is written beside its final name and then renamed into place, the key first: a start
  // that dies half-way leaves either the old pair or a mismatch that the next start replaces,
  // never a truncated key being served.
  const pid = process.pid;
  await writeFile(`${keyFile}.${pid}.tmp`, pems.private, { mode: 0o600 });
  await writeFile(`${certFile}.${pid}.tmp`, pems.cert, { mode: 0o644 });
  try {
    await rename(`${keyFile}.${pid}.tmp`, keyFile);
    await rename(`${certFile}.${pid}.tmp`, certFile);
  } finally {
    await rm(`${keyFile}.${pid}.tmp`, { force: true });
    await rm(`${certFile}.${pid}.tmp`, { force: true });
  }
  return { certFile, keyFile, cert: Buffer.from(pems.cert), key: Buffer.from(pems.private), created: true };
}
