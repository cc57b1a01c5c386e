import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../domain/errors.js';

/** Deepest nesting of arrays and objects a JSON body may have; no request of the API needs more than 3. */
export const JSON_MAX_DEPTH = 32;

/**
 * True when `text` nests arrays/objects deeper than `max`. One pass over the characters, skipping
 * strings, so a deep body is refused before JSON.parse spends time (and stack) on it. Malformed
 * text is not judged here: the parser refuses it afterwards.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Replaces Fastify's JSON parser with one that first refuses bodies nested deeper than `maxDepth`
 * (400), then parses with Fastify's own parser, which keeps its protection against `__proto__` and
 * `constructor.prototype` poisoning (secure-json-parse) and its empty/invalid body errors.
 *
 * Register before any encapsulated scope that parses JSON: a child scope copies the parsers of
 * its parent when it is created.
 */
export default fp(
  async function bodyLimits(app: FastifyInstance) {
    const maxDepth = JSON_MAX_DEPTH;
    const parse = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      // JSON is UTF-8 (RFC 8259): bytes that are not would be stored as U+FFFD, silently.
      if (typeof body !== 'string' && !isUtf8(body)) {
        done(new DomainError('body_not_utf8'), undefined);
        return;
      }
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (nestsDeeperThan(text, maxDepth)) {
        done(new DomainError('body_too_deep', { max_depth: maxDepth }), undefined);
        return;
      }
      parse(request, text, (err, parsed) => {
        // Fastify's parser says "not valid JSON" for prototype poisoning too; JSON that parses
        // is told apart, so the client looks for the refused key, not for a syntax error.
        if (err && (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' && parsesAsJson(text)) {
          done(new DomainError('body_forbidden_key'), undefined);
          return;
        }
        done(err, parsed);
      });
    });
  },
  { name: 'body-limits' },
);
