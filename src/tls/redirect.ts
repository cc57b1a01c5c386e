import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { canonicalHost, urlHost } from './hosts.js';

export interface RedirectOptions {
  /** The HTTPS port to send clients to. */
  httpsPort: number;
  /** The configured HOST: a name clients may use unless it is a wildcard. */
  host: string;
  /** The names in the TLS certificate: clients may use any of them. */
  certNames: string[];
}

/**
 * The host to redirect a request to. The Host header is the client's say, so it is only followed
 * when it names this server: `localhost`, the configured HOST, a name on our certificate, or the
 * address the connection actually arrived at. Anything else would make this an open redirect
 * (a forged Host sending a browser, or a cache serving the answer to others, to a site of the
 * attacker's choosing); such requests go to the configured HOST or, when HOST is a wildcard, to the
 * address the connection arrived at, which is this server whatever the header said. A wildcard certificate name (*.example.com) is not followed:
 * it may cover hosts that are not this server.
 */
export function redirectHost(req: IncomingMessage, opts: RedirectOptions): string {
  const local = req.socket.localAddress ? canonicalHost(req.socket.localAddress) : undefined;
  const allowed = new Set(['localhost', canonicalHost(opts.host), ...opts.certNames.map(canonicalHost)]);
  if (local) allowed.add(local);
  const header = req.headers.host;
  if (header) {
    try {
      const asked = canonicalHost(new URL(`http://${header}/`).hostname);
      if (allowed.has(asked)) return asked;
    } catch {
      // not a host name at all: fall through
    }
  }
  const configured = canonicalHost(opts.host);
  if (configured !== '0.0.0.0' && configured !== '::') return configured;
  return local ?? 'localhost';
}

/** The https:// URL for a request: same path and query, the host above, the HTTPS port. */
export function redirectLocation(req: IncomingMessage, opts: RedirectOptions): string {
  const port = opts.httpsPort === 443 ? '' : `:${opts.httpsPort}`;
  // An absolute-form target ("GET http://elsewhere/ HTTP/1.1") names a host of its own; it gets the root.
  const target = req.url?.startsWith('/') ? req.url : '/';
  return `https://${urlHost(redirectHost(req, opts))}${port}${target}`;
}

/**
 * A plain-HTTP server whose every answer is 308 to the same path over HTTPS. 308 rather than 301 so
 * that a POST stays a POST. The body is never read: the connection closes after the answer, so an
 * upload sent here by mistake is not received in full only to be thrown away.
 */
export function createRedirectServer(opts: RedirectOptions): Server {
  // Nothing here takes long: a client that has not sent its headers in 10 s is not going to.
  return createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(308, { location: redirectLocation(req, opts), 'content-length': '0', connection: 'close' });
    res.end();
  });
}
