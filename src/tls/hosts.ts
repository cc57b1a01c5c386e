import { isIP } from 'node:net';

/**
 * A host name or address in one comparable form: lower case, no brackets, IPv6 compressed (node
 * prints a certificate's ::1 as 0:0:0:0:0:0:0:1), IPv4-mapped IPv6 (::ffff:127.0.0.1, what a
 * dual-stack socket reports) as plain IPv4.
 */
export function canonicalHost(name: string): string {
  let host = name.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host.startsWith('::ffff:') && isIP(host.slice(7)) === 4) host = host.slice(7);
  if (isIP(host) === 6) host = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  return host;
}

/** The host part of a URL: IPv6 in brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
