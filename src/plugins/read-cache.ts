import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { ByteLru } from '../cache/byte-lru.js';
import type { Dependency, JournalStamp } from '../db/write-journal.js';
import { readCacheLookups } from '../metrics/registry.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's 200 answer depends only on its URL, the data and (on a route with `auth`) who
     * asks: answers may be served again from memory. With `scope`, what an answer depends on,
     * from what it shows (before serialization), among `tables`: an answer is kept through the
     * writes that touch none of it (src/db/write-journal.ts); `undefined` for an answer that
     * depends on everything.
     */
    readCache?: boolean | { tables: readonly string[]; scope: (payload: unknown, request: FastifyRequest) => Dependency[] | undefined };
  }
}

/**
 * Counted for each entry besides its key, body and headers (the objects that hold them). Keys and
 * headers count too: a client can make many distinct URLs (a junk query parameter, pages past the
 * end) whose answers are tiny, and those must not grow the cache past its budget either.
 */
const ENTRY_OVERHEAD = 256;
/** What a cached answer carries besides its body; everything else is set per request. */
const KEPT_HEADERS = ['content-type', 'etag', 'x-total-count', 'link'] as const;

interface Answer {
  version: string;
  /** What a scoped answer depends on, and since when: it stays good through writes to anything else. */
  scope: { since: JournalStamp; deps: Dependency[] } | undefined;
  payload: string;
  headers: [string, string][];
}

/**
 * The JSON reads of movies and reviews (routes with `config: { readCache: true }`; the caller's
 * own reviews kept per caller) answered from memory while the data has not changed since the
 * answer was made: the query, the serialization and the ETag hash are skipped (the hook chain,
 * authentication, validation, logging and the security headers still run). "Not changed" is the
 * database's data version (src/db/data-version.ts), read before the handler queries, so an answer
 * is never kept under a version newer than the data it shows: a write between the two only makes
 * the next request miss. On SQLite that version costs a few microseconds; on PostgreSQL it is one
 * round trip (the server's snapshot, shared by the lookups that arrive together) in place of the
 * answer's queries, and any commit anywhere drops every answer (there is no write journal there).
 * READ_CACHE_MB per process (16; 0 turns it off).
 */
export default fp(
  async function readCache(app: FastifyInstance) {
    const dataVersion = app.dataVersion;
    const journal = app.writeJournal;
    const budget = app.config.readCacheBytes;
    if (budget === 0) return;
    // Counted in characters of JSON (ASCII but for titles and texts): near enough to bytes. One
    // answer may take a sixteenth of the budget, so a few large pages cannot push out the rest.
    const answers = new ByteLru<Answer>(budget);
    const maxAnswer = budget / 16;
    const pending = new WeakMap<FastifyRequest, { key: string; version: string; since: JournalStamp | undefined; deps: Dependency[] | undefined }>();

    function lookup(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
      if (request.method !== 'GET') return done();
      // The journal's stamp first: reading out what was written moves the data version.
      const since = journal !== undefined && typeof request.routeOptions.config.readCache === 'object' ? journal.stamp() : undefined;
      // The stamp carries the data version of the same moment: not read twice.
      const version = since !== undefined ? since.version : dataVersion();
      if (typeof version === 'string') return answer(request, reply, done, version, since);
      // PostgreSQL's round trip: if it fails, the handler reads the database (and says what failed).
      version.then(
        (known) => {
          // Out of Fastify's own try: a throw here would leave the request unanswered.
          try {
            answer(request, reply, done, known, since);
          } catch (err) {
            if (!reply.sent) done(err as Error);
          }
        },
        () => done(),
      );
    }

    function answer(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, version: string, since: JournalStamp | undefined): void {
      // A signed-in caller's answers are theirs alone (auth ran in onRequest, before this hook).
      const key = request.principal ? `${request.principal.userId} ${request.url}` : request.url;
      const hit = answers.get(key);
      if (hit !== undefined && (hit.version === version || (hit.scope !== undefined && since !== undefined && journal!.unchanged(hit.scope.since, hit.scope.deps, since)))) {
        readCacheLookups.inc({ result: 'hit' });
        for (const [name, value] of hit.headers) reply.header(name, value);
        // A string with a JSON content type is sent as it is, not serialized again; the ETag hook
        // keeps the ETag already set (and still answers 304 to a matching If-None-Match).
        reply.send(hit.payload);
        return;
      }
      readCacheLookups.inc({ result: 'miss' });
      pending.set(request, { key, version, since, deps: undefined });
      done();
    }

    /** A scoped route's answer, before it is serialized: what it depends on. */
    function scope(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
      const made = pending.get(request);
      const config = request.routeOptions.config.readCache;
      if (made?.since !== undefined && reply.statusCode === 200 && typeof config === 'object') made.deps = config.scope(payload, request);
      done(null, payload);
    }

    function remember(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
      const made = pending.get(request);
      if (made !== undefined && reply.statusCode === 200 && typeof payload === 'string' && payload.length <= maxAnswer) {
        const headers: [string, string][] = [];
        let size = ENTRY_OVERHEAD + made.key.length + payload.length;
        for (const name of KEPT_HEADERS) {
          const value = reply.getHeader(name);
          if (typeof value === 'string') {
            headers.push([name, value]);
            size += value.length;
          }
        }
        const scoped = made.since !== undefined && made.deps !== undefined ? { since: made.since, deps: made.deps } : undefined;
        if (scoped) size += scoped.deps.length * 16;
        answers.set(made.key, { version: made.version, scope: scoped, payload, headers }, size);
      }
      done(null, payload);
    }

    // The tables the scoped routes name, journaled once the app is ready (after the migrations,
    // before any request, so outside any transaction).
    const journaled = new Set<string>();
    if (journal !== undefined) app.addHook('onReady', async () => journal.install([...journaled]));

    app.addHook('onRoute', (route: RouteOptions) => {
      const config = route.config?.readCache;
      if (config === undefined || config === false) return;
      if (typeof config === 'object') for (const table of config.tables) journaled.add(table);
      const asList = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]);
      route.preHandler = [...asList(route.preHandler), lookup] as RouteOptions['preHandler'];
      if (typeof config === 'object') route.preSerialization = [...asList(route.preSerialization), scope] as RouteOptions['preSerialization'];
      route.onSend = [...asList(route.onSend), remember] as RouteOptions['onSend'];
    });
  },
  { name: 'read-cache', decorators: { fastify: ['config', 'dataVersion', 'writeJournal'] } },
);
