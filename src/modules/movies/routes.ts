import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { pageOf, setPageHeaders } from '../../http/pagination.js';
import { BODY_ERRORS, IdParams, NoContent, errors } from '../../http/schemas.js';
import { trimBodyFields } from '../../http/trim.js';
import { mediaRoutes } from '../media/index.js';
import { findMovie, insertMovie, listMovies, movieExists, updateMovie } from './data.js';
import { Movie, type MovieFields, MovieCreate, MovieListQuery, MoviePatch, type MovieSort } from './schemas.js';
import { deleteMovie, toMovie } from './service.js';
import { feature } from '../../http/feature.js';

// Titles are compared and stored trimmed; trimming before validation makes all-blank a 422.
const trimTitle = trimBodyFields('title');

/** The catalogue: the movie list and each movie, written by administrators, with its poster and trailer routes. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(mediaRoutes, { movieExists });

  app.get(
    '/api/v1/movies',
    {
      config: { readCache: true },
      schema: {
        tags: ['movies'],
        summary: 'List movies',
        description: 'A plain JSON array; `X-Total-Count` and `Link` tell the total and the other pages.',
        querystring: MovieListQuery,
        response: { 200: Type.Array(Movie, { description: 'A page of movies' }), ...errors(422) },
      },
    },
    async (request, reply) => {
      const { page, limit } = pageOf(request.query);
      const q = request.query.q || undefined; // an empty search box means no filter
      const sort: MovieSort = request.query.sort ?? 'id';
      const order = request.query.order ?? (sort === 'rating' || sort === 'reviews' ? 'desc' : 'asc');
      const { rows, total } = await listMovies(app.db, { page, limit, q, sort, order });
      setPageHeaders(request, reply, { page, limit }, total);
      return rows.map(toMovie);
    },
  );

  app.get(
    '/api/v1/movies/:id',
    { config: { readCache: true }, schema: { tags: ['movies'], summary: 'One movie', params: IdParams, response: { 200: Movie, ...errors(404, 422) } } },
    async (request) => {
      const movie = await findMovie(app.db, request.params.id);
      if (!movie) throw new DomainError('movie_not_found');
      return toMovie(movie);
    },
  );

  app.post(
    '/api/v1/movies',
    {
      config: { auth: 'admin' },
      preValidation: trimTitle,
      schema: { tags: ['movies'], summary: 'Add a movie', body: MovieCreate, response: { 201: Movie, ...errors(409, ...BODY_ERRORS) } },
    },
    async (request, reply) => {
      const { title, year = null, synopsis = null } = request.body;
      const movie = await insertMovie(app.db, { title, year, synopsis });
      return reply.code(201).header('location', `/api/v1/movies/${movie.id}`).send(toMovie(movie));
    },
  );

  app.put(
    '/api/v1/movies/:id',
    {
      config: { auth: 'admin' },
      preValidation: trimTitle,
      schema: {
        tags: ['movies'],
        summary: 'Replace a movie’s editable fields',
        description: 'Omitted year or synopsis become null.',
        params: IdParams,
        body: MovieCreate,
        response: { 200: Movie, ...errors(404, 409, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      const { title, year = null, synopsis = null } = request.body;
      const movie = await updateMovie(app.db, request.params.id, { title, year, synopsis });
      if (!movie) throw new DomainError('movie_not_found');
      return toMovie(movie);
    },
  );

  app.patch(
    '/api/v1/movies/:id',
    {
      config: { auth: 'admin' },
      preValidation: trimTitle,
      schema: {
        tags: ['movies'],
        summary: 'Change some of a movie’s fields',
        params: IdParams,
        body: MoviePatch,
        response: { 200: Movie, ...errors(404, 409, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      const { title, year, synopsis } = request.body;
      const fields = Object.fromEntries(
        Object.entries({ title, year, synopsis }).filter(([, v]) => v !== undefined),
      ) as Partial<MovieFields>;
      const movie = await updateMovie(app.db, request.params.id, fields);
      if (!movie) throw new DomainError('movie_not_found');
      return toMovie(movie);
    },
  );

  app.delete(
    '/api/v1/movies/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['movies'],
        summary: 'Delete a movie with its reviews, poster and trailer',
        params: IdParams,
        response: { 204: NoContent, ...errors(404, 422) },
      },
    },
    async (request, reply) => {
      if (!(await deleteMovie(app.db, app.store, request.log, request.params.id))) throw new DomainError('movie_not_found');
      return reply.code(204).send();
    },
  );
};

export default feature('movies', routes);
