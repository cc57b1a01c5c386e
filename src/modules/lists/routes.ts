import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { feature } from '../../http/feature.js';
import { PageQuery, pageOf, setPageHeaders } from '../../http/pagination.js';
import { callerOf, principalOf } from '../../http/principal.js';
import { BODY_ERRORS, IdParams, NoContent, errors } from '../../http/schemas.js';
import { trimBodyFields } from '../../http/trim.js';
import { userExists } from '../users/index.js';
import { createList, deleteList, listItems, listUserLists, putItem, removeItem, updateList } from './data.js';
import { Item, ItemPut, List, ListCreate, ListPatch, MovieIdParams } from './schemas.js';
import { authorizeList, visibleList } from './service.js';

/** Empty or blank text clears an optional field, as the profile's do. */
const blankToNull = (value: string | null | undefined): string | null | undefined => (value === undefined ? undefined : value === null || value === '' ? null : value);
const trimList = trimBodyFields('title', 'description');
const PageOnly = Type.Object({ ...PageQuery });

/**
 * A PUT of an item with no body at all (no Content-Type either) is `{}`: add the film last, or
 * leave it where it is; the watchlist's PUT takes no body, and a client adding a film need not
 * send one here either.
 */
async function emptyBodyIsNothingToChange(request: FastifyRequest): Promise<void> {
  if (request.body === undefined && request.headers['content-type'] === undefined) request.body = {};
}

/** Members' lists of movies: public or private, ranked or not, with notes on their items. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/lists',
    {
      config: { auth: 'user' },
      preValidation: trimList,
      schema: { tags: ['lists'], summary: 'Make a list', body: ListCreate, response: { 201: List, ...errors(...BODY_ERRORS) } },
    },
    async (request, reply) => {
      const { title, description, ranked = false, public: isPublic = true } = request.body;
      const list = await createList(app.db, principalOf(request).userId, { title, description: blankToNull(description) ?? null, ranked, public: isPublic });
      return reply.code(201).header('location', `/api/v1/lists/${list.id}`).send(list);
    },
  );

  app.get(
    '/api/v1/lists/:id',
    {
      config: { auth: 'optional', readCache: true },
      schema: { tags: ['lists'], summary: 'A list (a private one: its owner only, 404 to others)', params: IdParams, response: { 200: List, ...errors(404, 422) } },
    },
    async (request) => visibleList(app.db, request.params.id, callerOf(request)),
  );

  app.patch(
    '/api/v1/lists/:id',
    {
      config: { auth: 'user' },
      preValidation: trimList,
      schema: { tags: ['lists'], summary: 'Change your list', params: IdParams, body: ListPatch, response: { 200: List, ...errors(403, 404, ...BODY_ERRORS) } },
    },
    async (request) => {
      await authorizeList(app.db, request.params.id, principalOf(request), 'change');
      const { description, ...rest } = request.body;
      const updated = await updateList(app.db, request.params.id, { ...rest, ...(description !== undefined ? { description: blankToNull(description) ?? null } : {}) });
      if (!updated) throw new DomainError('list_not_found');
      return updated;
    },
  );

  app.delete(
    '/api/v1/lists/:id',
    {
      config: { auth: 'user' },
      schema: { tags: ['lists'], summary: 'Delete a list (its owner, or an administrator for a public one)', params: IdParams, response: { 204: NoContent, ...errors(403, 404, 422) } },
    },
    async (request, reply) => {
      await authorizeList(app.db, request.params.id, principalOf(request), 'delete');
      if (!(await deleteList(app.db, request.params.id))) throw new DomainError('list_not_found');
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/lists/:id/items',
    {
      config: { auth: 'optional', readCache: true },
      schema: {
        tags: ['lists'],
        summary: 'A list’s movies, by position',
        params: IdParams,
        querystring: PageOnly,
        response: { 200: Type.Array(Item, { description: 'A page of items, by position' }), ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      const list = await visibleList(app.db, request.params.id, callerOf(request));
      const page = pageOf(request.query);
      const items = await listItems(app.db, list, page);
      setPageHeaders(request, reply, page, list.item_count);
      return items;
    },
  );

  app.put(
    '/api/v1/lists/:id/items/:movie_id',
    {
      config: { auth: 'user' },
      preValidation: [emptyBodyIsNothingToChange, trimBodyFields('note')],
      schema: {
        tags: ['lists'],
        summary: 'Add a movie to your list, or move it, or change its note',
        description:
          'Moving an item shifts the others: positions stay 1…n. The body may be `{}` or absent (no Content-Type): the movie goes last, or stays where it is (its note too).',
        params: MovieIdParams,
        body: ItemPut,
        response: { 200: Item, ...errors(403, 404, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      await authorizeList(app.db, request.params.id, principalOf(request), 'change');
      const item = await putItem(app.db, request.params.id, request.params.movie_id, request.body.position, blankToNull(request.body.note));
      if (!item) throw new DomainError('list_not_found');
      return item;
    },
  );

  app.delete(
    '/api/v1/lists/:id/items/:movie_id',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['lists'],
        summary: 'Take a movie off your list (idempotent)',
        params: MovieIdParams,
        response: { 204: NoContent, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      await authorizeList(app.db, request.params.id, principalOf(request), 'change');
      await removeItem(app.db, request.params.id, request.params.movie_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/users/me/lists',
    {
      config: { auth: 'user', readCache: true },
      schema: { tags: ['lists'], summary: 'Your lists, newest first, private ones too', querystring: PageOnly, response: { 200: Type.Array(List, { description: 'A page of lists' }), ...errors(422) } },
    },
    async (request, reply) => {
      const page = pageOf(request.query);
      const { lists, total } = await listUserLists(app.db, principalOf(request).userId, true, page);
      setPageHeaders(request, reply, page, total);
      return lists;
    },
  );

  app.get(
    '/api/v1/users/:id/lists',
    {
      config: { auth: 'optional', readCache: true },
      schema: {
        tags: ['lists'],
        summary: 'A member’s lists, newest first (the private ones only to their owner)',
        params: IdParams,
        querystring: PageOnly,
        response: { 200: Type.Array(List, { description: 'A page of lists' }), ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      const userId = request.params.id;
      if (!(await userExists(app.db, userId))) throw new DomainError('user_not_found');
      const page = pageOf(request.query);
      const { lists, total } = await listUserLists(app.db, userId, callerOf(request)?.userId === userId, page);
      setPageHeaders(request, reply, page, total);
      return lists;
    },
  );
};

export default feature('lists', routes);
