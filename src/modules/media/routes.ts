import path from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/connect.js';
import { MEDIA_KINDS, type MediaKind } from '../../domain/enums.js';
import { DomainError } from '../../domain/errors.js';
import { IdParams, NoContent, errors } from '../../http/schemas.js';
import { checkDeclaredLength, closeAfterReply, receive, uploadSource } from '../../http/upload.js';
import { type PosterWidth, posterVariant } from '../../media/poster.js';
import { EXISTS, MISSING, type Media, deleteMedia, findMedia, saveMedia } from './data.js';
import { mediaUrl } from './keys.js';
import { prefersWebp, serveVariant } from './serve.js';
import { MediaInfo, PosterQuery, TrailerQuery, notModified, posterFile, posterPart, trailerFile, trailerPart } from './schemas.js';
import { ACCEPTED_TYPES, inspectOptions, removeFiles, storeMedia } from './service.js';

/** What the routes need from the movies module, handed over by it (media sits below movies and imports none of it). */
export interface MediaRoutesOptions {
  movieExists: (db: Db, id: number) => Promise<boolean>;
}


function toInfo(media: Media) {
  return {
    movie_id: media.movieId,
    kind: media.kind,
    url: mediaUrl(media.movieId, media.kind, media.version),
    content_type: media.contentType,
    size: media.size,
    sha256: media.sha256,
    width: media.width,
    height: media.height,
    updated_at: media.updatedAt,
  };
}

const routes: FastifyPluginAsyncTypebox<MediaRoutesOptions> = async (app, { movieExists }) => {
  // Uploads are the one place request bodies are files: multipart forms, or the raw bytes with
  // any Content-Type (the bytes decide the type, not the header). Both stay streams.
  await app.register(multipart, { limits: { files: 1, fields: 20, parts: 40, fieldSize: 1024 } });
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const stagingDir = path.join(app.config.dataDir, 'tmp');
  const inspect = inspectOptions(app.config);

  /** Stores the upload under a new prefix; returns the media row to switch to. */
  async function store(request: FastifyRequest, reply: FastifyReply, movieId: number, kind: MediaKind): Promise<Media> {
    const options = inspect[kind];
    checkDeclaredLength(request, reply, options.maxBytes);
    const source = await uploadSource(request, options.maxBytes);
    const target = { store: app.store, stagingDir, log: request.log };
    return storeMedia(target, movieId, kind, (sink) => receive(request, reply, source, options, sink));
  }

  async function upload(request: FastifyRequest, reply: FastifyReply, movieId: number, kind: MediaKind, mode: 'create' | 'replace') {
    // Both answered before a byte of the file is read.
    if (!(await movieExists(app.db, movieId))) throw new DomainError('movie_not_found');
    if (mode === 'create' && (await findMedia(app.db, movieId, kind))) {
      closeAfterReply(request, reply);
      throw new DomainError(EXISTS[kind]);
    }
    const media = await store(request, reply, movieId, kind);
    let replaced: string | undefined;
    try {
      ({ replaced } = await saveMedia(app.db, media, mode));
    } catch (err) {
      await removeFiles(app.store, request.log, [media.keyPrefix]);
      throw err;
    }
    if (replaced) await removeFiles(app.store, request.log, [replaced]);
    const url = mediaUrl(movieId, kind, media.version);
    return reply.code(replaced ? 200 : 201).header('location', url).send(toInfo(media));
  }

  async function serve(request: FastifyRequest, reply: FastifyReply, movieId: number, kind: MediaKind, version: string | undefined, variant: string) {
    const find = async () => {
      const media = await findMedia(app.db, movieId, kind);
      if (!media) throw new DomainError((await movieExists(app.db, movieId)) ? MISSING[kind] : 'movie_not_found');
      return media;
    };
    return serveVariant(app.store, request, reply, { find, missing: MISSING[kind], version, variant });
  }

  const uploadDoc = (kind: MediaKind, types: readonly string[]) => ({
    description:
      `Send the file as multipart/form-data (field \`file\`) or as the raw body. The type is decided by the bytes: ` +
      `${inspect[kind].label}. At most ${inspect[kind].maxBytes} bytes.`,
    consumes: ['multipart/form-data', ...types],
  });

  for (const kind of MEDIA_KINDS) {
    const types = ACCEPTED_TYPES[kind];
    const uploadErrors = errors(404, 413, 415, 422);

    app.post(
      `/api/v1/movies/:id/${kind}`,
      {
        config: { auth: 'admin', upload: types },
        schema: { tags: ['media'], summary: `Upload the movie's ${kind}`, ...uploadDoc(kind, types), params: IdParams, response: { 201: MediaInfo, ...uploadErrors, ...errors(409) } },
      },
      async (request, reply) => upload(request, reply, request.params.id, kind, 'create'),
    );
    app.put(
      `/api/v1/movies/:id/${kind}`,
      {
        config: { auth: 'admin', upload: types },
        schema: {
          tags: ['media'],
          summary: `Upload or replace the movie's ${kind}`,
          ...uploadDoc(kind, types),
          params: IdParams,
          response: { 200: { ...MediaInfo, description: 'Replaced' }, 201: MediaInfo, ...uploadErrors },
        },
      },
      async (request, reply) => upload(request, reply, request.params.id, kind, 'replace'),
    );
    app.delete(
      `/api/v1/movies/:id/${kind}`,
      {
        config: { auth: 'admin' },
        schema: { tags: ['media'], summary: `Delete the movie's ${kind}`, params: IdParams, response: { 204: NoContent, ...errors(404, 422) } },
      },
      async (request, reply) => {
        const prefix = await deleteMedia(app.db, request.params.id, kind);
        if (!prefix) throw new DomainError((await movieExists(app.db, request.params.id)) ? MISSING[kind] : 'movie_not_found');
        await removeFiles(app.store, request.log, [prefix]);
        return reply.code(204).send();
      },
    );
  }

  app.get(
    '/api/v1/movies/:id/poster',
    {
      schema: {
        tags: ['media'],
        summary: 'The poster, or a resized copy',
        description: 'JPEG, or WebP when Accept allows it (Vary: Accept). With ?v= from poster_url it may be cached forever.',
        params: IdParams,
        querystring: PosterQuery,
        response: { 200: posterFile, 206: posterPart, 304: notModified, ...errors(404, 416, 422) },
      },
    },
    async (request, reply) => {
      reply.header('vary', 'Accept');
      const format = prefersWebp(request.headers.accept) ? 'webp' : 'jpeg';
      const width = request.query.w as PosterWidth | undefined;
      return serve(request, reply, request.params.id, 'poster', request.query.v, posterVariant(width, format));
    },
  );

  app.get(
    '/api/v1/movies/:id/trailer',
    {
      schema: {
        tags: ['media'],
        summary: 'The trailer; honours Range for seeking',
        params: IdParams,
        querystring: TrailerQuery,
        response: { 200: trailerFile, 206: trailerPart, 304: notModified, ...errors(404, 416, 422) },
      },
    },
    async (request, reply) => serve(request, reply, request.params.id, 'trailer', request.query.v, 'video'),
  );
};

export default routes;
