import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { feature } from '../../http/feature.js';
import { pageOf, setPageHeaders } from '../../http/pagination.js';
import { principalOf } from '../../http/principal.js';
import { BODY_ERRORS, IdParams, NoContent, errors, idsOf } from '../../http/schemas.js';
import { type EntryUpdate, createEntry, deleteEntry, findEntry, listDiary, movieStates, updateEntry } from './data.js';
import { DiaryQuery, Entry, EntryCreate, EntryPatch, MovieState, MovieStatesQuery } from './schemas.js';
import { authorizeEntry, halvesOrNull, normalTags } from './service.js';

/** Tags are kept trimmed; trimming before validation makes an all-blank tag a 422 beside other errors. */
async function trimTags(request: FastifyRequest): Promise<void> {
  const body = request.body as { tags?: unknown } | null;
  if (body && typeof body === 'object' && Array.isArray(body.tags)) body.tags = body.tags.map((t: unknown) => (typeof t === 'string' ? t.trim() : t));
}

const EntryPage = Type.Array(Entry, { description: 'A page of the diary, latest viewing first' });

/** The film diary: one entry per viewing, many per movie, each member's listed latest first. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function diaryPage(request: FastifyRequest, reply: FastifyReply, userId: number, query: { page?: number; limit?: number }) {
    const page = pageOf(query);
    const diary = await listDiary(app.db, userId, page);
    if (!diary) throw new DomainError('user_not_found');
    setPageHeaders(request, reply, page, diary.total);
    return diary.entries;
  }

  app.post(
    '/api/v1/diary',
    {
      config: { auth: 'user' },
      preValidation: trimTags,
      schema: { tags: ['diary'], summary: 'Log a viewing', body: EntryCreate, response: { 201: Entry, ...errors(404, ...BODY_ERRORS) } },
    },
    async (request, reply) => {
      const b = request.body;
      const entry = await createEntry(app.db, principalOf(request).userId, {
        movieId: b.movie_id,
        watchedOn: b.watched_on,
        rewatch: b.rewatch ?? false,
        halves: halvesOrNull(b.rating),
        liked: b.liked ?? false,
        tags: normalTags(b.tags ?? []),
      });
      return reply.code(201).header('location', `/api/v1/diary/${entry.id}`).send(entry);
    },
  );

  app.get(
    '/api/v1/diary/:id',
    { schema: { tags: ['diary'], summary: 'One diary entry', params: IdParams, response: { 200: Entry, ...errors(404, 422) } } },
    async (request) => {
      const entry = await findEntry(app.db, request.params.id);
      if (!entry) throw new DomainError('diary_entry_not_found');
      return entry;
    },
  );

  app.patch(
    '/api/v1/diary/:id',
    {
      config: { auth: 'user' },
      preValidation: trimTags,
      schema: { tags: ['diary'], summary: 'Change your diary entry', params: IdParams, body: EntryPatch, response: { 200: Entry, ...errors(403, 404, ...BODY_ERRORS) } },
    },
    async (request) => {
      await authorizeEntry(app.db, request.params.id, principalOf(request));
      const b = request.body;
      const changes: EntryUpdate = {};
      if (b.watched_on !== undefined) changes.watchedOn = b.watched_on;
      if (b.rewatch !== undefined) changes.rewatch = b.rewatch;
      if (b.rating !== undefined) changes.halves = halvesOrNull(b.rating);
      if (b.liked !== undefined) changes.liked = b.liked;
      if (b.tags !== undefined) changes.tags = normalTags(b.tags);
      const entry = await updateEntry(app.db, request.params.id, changes);
      if (!entry) throw new DomainError('diary_entry_not_found');
      return entry;
    },
  );

  app.delete(
    '/api/v1/diary/:id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['diary'],
        summary: 'Delete your diary entry',
        description: 'Your rating of the movie stays.',
        params: IdParams,
        response: { 204: NoContent, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      await authorizeEntry(app.db, request.params.id, principalOf(request));
      if (!(await deleteEntry(app.db, request.params.id))) throw new DomainError('diary_entry_not_found');
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/users/me/diary',
    {
      config: { auth: 'user' },
      schema: { tags: ['diary'], summary: 'Your diary, latest viewing first', querystring: DiaryQuery, response: { 200: EntryPage, ...errors(422) } },
    },
    async (request, reply) => diaryPage(request, reply, principalOf(request).userId, request.query),
  );

  app.get(
    '/api/v1/users/:id/diary',
    {
      schema: {
        tags: ['diary'],
        summary: 'A member’s diary, latest viewing first',
        params: IdParams,
        querystring: DiaryQuery,
        response: { 200: EntryPage, ...errors(404, 422) },
      },
    },
    async (request, reply) => diaryPage(request, reply, request.params.id, request.query),
  );

  app.get(
    '/api/v1/users/me/movie-states',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['diary'],
        summary: 'What you have done with some movies',
        description: 'Your rating, review, watchlist mark and number of viewings of each movie asked for, in the order asked (one request for a page of movie cards).',
        querystring: MovieStatesQuery,
        response: { 200: Type.Array(MovieState), ...errors(422) },
      },
    },
    async (request) => movieStates(app.db, principalOf(request).userId, idsOf(request.query)),
  );
};

export default feature('diary', routes);
