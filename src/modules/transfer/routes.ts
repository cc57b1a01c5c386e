import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CounterStore } from '../../counters/store.js';
import { DomainError } from '../../domain/errors.js';
import { principalOf } from '../../http/principal.js';
import { errors } from '../../http/schemas.js';
import { checkDeclaredLength, saveUpload, uploadPart } from '../../http/upload.js';
import { findUserById } from '../users/index.js';
import { IMPORT_MAX_BYTES, ImportQuery, ImportSummary, TRANSFERS_PER_MINUTE } from './schemas.js';
import { exportMember, importLetterboxd } from './service.js';

const MINUTE = 60_000;
const UPLOAD_TYPES = ['application/zip', 'text/csv'] as const;
/** What a raw body may be sent as besides those: how browsers and tools label a ZIP or a CSV, and "some bytes". */
const RAW_TYPES = new Set<string>([...UPLOAD_TYPES, 'application/x-zip-compressed', 'application/octet-stream', 'application/vnd.ms-excel']);

/** A raw body of another type (JSON, a form) is not a file: 415, as for every route. */
function checkUploadType(contentType: string | undefined, multipart: boolean): void {
  if (multipart) return;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && !RAW_TYPES.has(type)) throw new DomainError('unsupported_media_type', { accepted: ['multipart/form-data', ...RAW_TYPES].join(', ') });
}

/** One import (or export) a minute per member, from any address, counted in the shared counters so it holds across instances. */
async function throttle(counters: CounterStore, what: 'import' | 'export', userId: number): Promise<void> {
  const { count, resetAt } = await counters.hit(`${what}:${userId}`, MINUTE);
  if (count > TRANSFERS_PER_MINUTE) throw new DomainError('too_many_requests', { retry_after: Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)) });
}

const zipFile = {
  description: "The member's data: Letterboxd's CSV files and butaca.json",
  content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
};

/** A member's data in and out: an import of a Letterboxd export, an export of everything in Letterboxd's format and Butaca's own. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(multipart, { limits: { files: 1, fields: 20, parts: 40, fieldSize: 1024 } });
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  const stagingDir = path.join(app.config.dataDir, 'tmp');

  app.post(
    '/api/v1/users/me/import/letterboxd',
    {
      config: { auth: 'user', upload: UPLOAD_TYPES },
      schema: {
        tags: ['users'],
        summary: 'Import a Letterboxd export',
        description:
          `The ZIP that Letterboxd's "Export your data" gives, or one of its CSV files, as multipart/form-data (field \`file\`) or the raw body; at most ${IMPORT_MAX_BYTES} bytes. ` +
          'Reads diary.csv, ratings.csv, reviews.csv, watchlist.csv, watched.csv and lists/*.csv; matches films by title or original title and year, ignoring case and accents. ' +
          'All or nothing: a wrong value is a 422 naming its file and line. Importing the same file again creates nothing. One import a minute.',
        consumes: ['multipart/form-data', ...UPLOAD_TYPES],
        querystring: ImportQuery,
        response: { 200: ImportSummary, ...errors(413, 415, 422, 429) },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      checkUploadType(request.headers['content-type'], request.isMultipart());
      await throttle(app.counters, 'import', me.userId);
      checkDeclaredLength(request, reply, IMPORT_MAX_BYTES);
      const { source, filename } = await uploadPart(request, IMPORT_MAX_BYTES);
      await mkdir(stagingDir, { recursive: true });
      const file = path.join(stagingDir, `import-${randomBytes(12).toString('hex')}`);
      try {
        await saveUpload(request, reply, source, IMPORT_MAX_BYTES, file);
        return await importLetterboxd(app.db, me.userId, file, request.query.name ?? filename);
      } finally {
        await rm(file, { force: true });
      }
    },
  );

  app.get(
    '/api/v1/users/me/export',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['users'],
        summary: 'Download all your data',
        description:
          "A ZIP made as it is sent: diary.csv, ratings.csv, reviews.csv, watchlist.csv and lists/<title>.csv in Letterboxd's format, " +
          'and butaca.json with everything (profile, diary, ratings, reviews, watchlist, lists, follows, comments, likes). One export a minute.',
        response: { 200: zipFile, ...errors(429) },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      const user = await findUserById(app.db, me.userId);
      if (!user) throw new DomainError('not_authenticated');
      reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="butaca-${user.username}-${new Date().toISOString().slice(0, 10)}.zip"`)
        .header('cache-control', 'private, no-store');
      // A HEAD says what a GET would send without making it, or spending the minute's export.
      if (request.method === 'HEAD') return reply.send();
      await throttle(app.counters, 'export', me.userId);
      return reply.send(await exportMember(app.db, user));
    },
  );
};

export default routes;
