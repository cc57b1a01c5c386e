import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The Content-Security-Policy of every response. The built web client is one module script and
 * one stylesheet from /assets, with nothing inline (Preact's `style={{…}}` goes through the CSSOM,
 * which style-src does not govern); posters and trailers come from the same origin, and the client
 * may show a picked file before upload as a blob: URL. Swagger UI at /docs keeps to 'self' too.
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  // Swagger UI draws its icons as data: images, as the client may do for placeholders.
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:'],
  styleSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  fontSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
  // helmet adds upgrade-insecure-requests by default; over plain HTTP on a LAN address it would
  // send the browser to an https:// port that is not there.
  upgradeInsecureRequests: null,
};

/** Built once (see below); also run once against a recording response for the answers Node's parser refuses. */
const applyHelmet = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  // HSTS is sent by the HTTPS set-up only when the connection really is TLS (src/tls/); sent
  // over plain HTTP it is ignored by browsers at best and pins a dev host to HTTPS at worst.
  strictTransportSecurity: false,
  // frame-ancestors 'none' says it for modern browsers; X-Frame-Options DENY for older ones.
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
});

let recorded: readonly (readonly [string, string])[] | undefined;

/**
 * The headers helmet writes, as name/value pairs (lower-case names), for answers written without
 * Fastify: those to requests Node could not parse (http/client-errors.ts). The directives are
 * static, so every answer gets the same ones.
 */
export function securityHeaderList(): readonly (readonly [string, string])[] {
  if (recorded) return recorded;
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]): void {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
    },
    removeHeader(name: string): void {
      headers.delete(name.toLowerCase());
    },
  };
  applyHelmet({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  recorded = [...headers];
  return recorded;
}

/**
 * Security headers on every response (JSON, HTML, media, errors): the ones helmet writes, recorded
 * once (the directives are static) and set as Fastify's own reply headers. Not helmet on each
 * request: it calls res.setHeader a dozen times, each validated, and a header set on the raw
 * response sends Node's writeHead down its slow path (merging with the headers Fastify passes);
 * nor @fastify/helmet, which builds a new helmet middleware (parsing the CSP directives again) on
 * every request. The same headers either way (test/hardening.test.ts checks them on every kind of answer).
 */
export default fp(
  async function securityHeaders(app: FastifyInstance) {
    const headers = Object.fromEntries(securityHeaderList());
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
  },
  { name: 'security-headers' },
);
