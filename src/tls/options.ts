import { type KeyObject, X509Certificate, constants as cryptoConstants, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, type TlsConfig } from '../config.js';
import { canonicalHost } from './hosts.js';

/** A certificate and key, read and checked, ready for the server. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Where the certificate came from, to print at start-up. */
  certFile: string;
  /** SHA-256 of the certificate, colon-separated hex as browsers show it. */
  fingerprint: string;
  /** Host names and IP addresses the certificate is valid for (its subjectAltName). */
  names: string[];
  /** TLS_CERT's file, or the development certificate made by this start or reused from an earlier one. */
  origin: 'files' | 'created' | 'reused';
}

/**
 * The cipher suites offered. TLS 1.2: ephemeral ECDH (forward secrecy) with an AEAD cipher only —
 * AES-GCM, or ChaCha20-Poly1305 for clients without AES hardware — for ECDSA and RSA certificates
 * alike. That leaves out what Node's default list lets in through `HIGH`: CBC suites (LUCKY13 and
 * the padding-oracle family), CCM and CCM8 (CCM8's 64-bit tag is too short), ARIA and CAMELLIA
 * (no better than AES, rarely reviewed in TLS), static RSA key exchange and finite-field DHE.
 * Every browser and TLS library of the last decade has at least one of these. TLS 1.3 keeps its
 * three suites in Node's order: Node takes them from the same string, and a string without them
 * would switch TLS 1.3 off.
 */
export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * Concurrent streams one HTTP/2 connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS). Without
 * it nghttp2 announces no limit, and one connection could open thousands of requests at once,
 * each holding a handler and its buffers. 100 is what RFC 9113 recommends as the minimum and what
 * nginx and most servers use; browsers open far fewer per page.
 */
export const HTTP2_MAX_CONCURRENT_STREAMS = 100;

/** What Fastify() needs to serve HTTPS: HTTP/2, with HTTP/1.1 for clients whose ALPN does not offer h2. */
export interface TlsServerOptions {
  http2: true;
  https: {
    key: Buffer;
    cert: Buffer;
    allowHTTP1: true;
    minVersion: 'TLSv1.2';
    ciphers: string;
    honorCipherOrder: true;
    secureOptions: number;
    settings: { maxConcurrentStreams: number };
    requireHostHeader: false;
  };
}

export function tlsServerOptions(material: TlsMaterial): TlsServerOptions {
  return {
    http2: true,
    https: {
      key: material.key,
      cert: material.cert,
      allowHTTP1: true,
      minVersion: 'TLSv1.2',
      ciphers: TLS_CIPHERS,
      // The server's order (Mozilla's "intermediate" one) rather than whatever a client lists
      // first, except that a client listing ChaCha20 first (a phone without AES instructions)
      // gets it.
      honorCipherOrder: true,
      secureOptions: cryptoConstants.SSL_OP_PRIORITIZE_CHACHA,
      // Fastify hands these options to http2.createSecureServer() as they are.
      settings: { maxConcurrentStreams: HTTP2_MAX_CONCURRENT_STREAMS },
      // Since Node 24 the HTTP/1.1 fallback refuses a request without Host itself, with an empty
      // 400; the request-head plugin answers it as every other error instead ({"detail"}, the
      // request id, the security headers), as Fastify's own HTTP server leaves it to do.
      requireHostHeader: false,
    },
  };
}

/** `DNS:a, IP Address:1.2.3.4, …` as node prints it, to a list of names and addresses. */
function altNames(x509: X509Certificate): string[] {
  return (x509.subjectAltName ?? '')
    .split(', ')
    .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry.trim())?.[1])
    .filter((name): name is string => name !== undefined)
    .map(canonicalHost);
}

async function readPem(variable: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ConfigError(variable, `cannot read "${file}": ${why}`);
  }
}

/** Reads and checks TLS_CERT and TLS_KEY; each problem is one ConfigError naming its variable. */
async function fromFiles(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const cert = await readPem('TLS_CERT', certFile);
  const key = await readPem('TLS_KEY', keyFile);
  let x509: X509Certificate;
  try {
    // The first certificate of the file is the server's; any after it are the chain, sent as they are.
    x509 = new X509Certificate(cert);
  } catch {
    throw new ConfigError('TLS_CERT', `"${certFile}" does not hold a PEM certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError('TLS_KEY', `"${keyFile}" does not hold an unencrypted PEM private key`);
  }
  // Otherwise the mismatch would only show as every TLS handshake failing.
  if (!x509.checkPrivateKey(privateKey)) throw new ConfigError('TLS_KEY', `"${keyFile}" is not the key of the certificate in TLS_CERT`);
  return { cert, key, certFile, fingerprint: x509.fingerprint256, names: altNames(x509), origin: 'files' };
}

/** The certificate to serve, or null for plain HTTP. */
export async function loadTls(tls: TlsConfig): Promise<TlsMaterial | null> {
  if (tls.kind === 'off') return null;
  if (tls.kind === 'files') return fromFiles(tls.certFile, tls.keyFile);
  let dev;
  try {
    // Loaded only here: the certificate generator is not needed to start without HTTPS=self-signed.
    const { ensureDevCert } = await import('./dev-cert.js');
    dev = await ensureDevCert(tls.dir);
  } catch (err) {
    throw new ConfigError('HTTPS', `cannot make the development certificate in "${tls.dir}": ${(err as Error).message}`);
  }
  const x509 = new X509Certificate(dev.cert);
  return {
    cert: dev.cert,
    key: dev.key,
    certFile: dev.certFile,
    fingerprint: x509.fingerprint256,
    names: altNames(x509),
    origin: dev.created ? 'created' : 'reused',
  };
}
