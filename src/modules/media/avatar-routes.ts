import path from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../../db/connect.js';
import { DomainError } from '../../domain/errors.js';
import { principalOf } from '../../http/principal.js';
import { IdParams, NoContent, errors } from '../../http/schemas.js';
import { checkDeclaredLength, receive, uploadSource } from '../../http/upload.js';
import { AVATAR_MAX_BYTES, type AvatarWidth, DEFAULT_AVATAR_WIDTH, avatarVariant } from '../../media/avatar.js';
import { type Avatar, deleteAvatar, findAvatar, saveAvatar } from './data.js';
import { avatarUrl } from './keys.js';
import { AvatarInfo, AvatarQuery, avatarFile, avatarPart, notModified } from './schemas.js';
import { ACCEPTED_TYPES, AVATAR_INSPECT, removeFiles, storeAvatar } from './service.js';
import { prefersWebp, serveVariant } from './serve.js';

/** What the routes need from the users module, handed over by it (media sits below users and imports none of it). */
export interface AvatarRoutesOptions {
  userExists: (db: Db, id: number) => Promise<boolean>;
}

const toInfo = (avatar: Avatar) => ({
  user_id: avatar.userId,
  url: avatarUrl(avatar.userId, avatar.version),
  content_type: avatar.contentType,
  size: avatar.size,
  sha256: avatar.sha256,
  width: avatar.width,
  height: avatar.height,
  updated_at: avatar.updatedAt,
});

/**
 * Members' avatars: uploaded by their owner (as multipart or the raw body, streamed, checked by
 * its bytes like a poster), stored as square crops, served with the caching rules of posters. A
 * failed upload leaves the previous avatar as it was.
 */
const routes: FastifyPluginAsyncTypebox<AvatarRoutesOptions> = async (app, { userExists }) => {
  await app.register(multipart, { limits: { files: 1, fields: 20, parts: 40, fieldSize: 1024 } });
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  const stagingDir = path.join(app.config.dataDir, 'tmp');
  const types = ACCEPTED_TYPES.poster;

  app.put(
    '/api/v1/users/me/avatar',
    {
      config: { auth: 'user', upload: types },
      schema: {
        tags: ['users'],
        summary: 'Upload or replace your avatar',
        description:
          'Send the image as multipart/form-data (field `file`) or as the raw body; JPEG, PNG or WebP by its bytes, ' +
          `at most ${AVATAR_MAX_BYTES} bytes. It is cropped to its centre square and served at 64, 128 and 256 pixels.`,
        consumes: ['multipart/form-data', ...types],
        response: { 200: { ...AvatarInfo, description: 'Replaced' }, 201: AvatarInfo, ...errors(413, 415, 422) },
      },
    },
    async (request, reply) => {
      const me = principalOf(request);
      checkDeclaredLength(request, reply, AVATAR_MAX_BYTES);
      const source = await uploadSource(request, AVATAR_MAX_BYTES);
      const target = { store: app.store, stagingDir, log: request.log };
      const avatar = await storeAvatar(target, me.userId, (sink) => receive(request, reply, source, AVATAR_INSPECT, sink));
      let replaced: string | undefined;
      try {
        ({ replaced } = await saveAvatar(app.db, avatar));
      } catch (err) {
        await removeFiles(app.store, request.log, [avatar.keyPrefix]);
        throw err;
      }
      if (replaced) await removeFiles(app.store, request.log, [replaced]);
      return reply.code(replaced ? 200 : 201).header('location', avatarUrl(me.userId, avatar.version)).send(toInfo(avatar));
    },
  );

  app.delete(
    '/api/v1/users/me/avatar',
    { config: { auth: 'user' }, schema: { tags: ['users'], summary: 'Remove your avatar', response: { 204: NoContent, ...errors(404) } } },
    async (request, reply) => {
      const prefix = await deleteAvatar(app.db, principalOf(request).userId);
      if (!prefix) throw new DomainError('avatar_not_found');
      await removeFiles(app.store, request.log, [prefix]);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/users/:id/avatar',
    {
      schema: {
        tags: ['users'],
        summary: 'A member’s avatar: a square crop',
        description: 'JPEG, or WebP when Accept allows it (Vary: Accept). With ?v= from avatar_url it may be cached forever.',
        params: IdParams,
        querystring: AvatarQuery,
        response: { 200: avatarFile, 206: avatarPart, 304: notModified, ...errors(404, 416, 422) },
      },
    },
    async (request, reply) => {
      reply.header('vary', 'Accept');
      const id = request.params.id;
      const find = async () => {
        const avatar = await findAvatar(app.db, id);
        if (!avatar) throw new DomainError((await userExists(app.db, id)) ? 'avatar_not_found' : 'user_not_found');
        return avatar;
      };
      const width = (request.query.w ?? DEFAULT_AVATAR_WIDTH) as AvatarWidth;
      const variant = avatarVariant(width, prefersWebp(request.headers.accept) ? 'webp' : 'jpeg');
      return serveVariant(app.store, request, reply, { find, missing: 'avatar_not_found', version: request.query.v, variant });
    },
  );
};

export default routes;
