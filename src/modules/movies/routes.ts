import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { pageOf, setPageHeaders } from '../../http/pagination.js';
import { BODY_ERRORS, IdParams, NoContent, errors } from '../../http/schemas.js';
import { trimBodyFields } from '../../http/trim.js';
import { mediaRoutes } from '../media/index.js';
import { MOVIE_TABLES, findMovie, insertMovie, listMovies, movieDependencies, movieExists, movieListDependencies, updateMovie } from './data.js';
import { EMPTY_MOVIE_FIELDS, Movie, MovieCreate, editableOf, MovieListQuery, MoviePatch, TRIMMED_FIELDS } from './schemas.js';
import { deleteMovie, toMovie } from './service.js';
import { feature } from '../../http/feature.js';

// Titles are compared and stored trimmed; trimming before validation makes all-blank a 422.
const trimTitle = trimBodyFields(...TRIMMED_FIELDS);

/** The catalogue: the movie list and each movie, written by administrators, with its poster and trailer routes. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(mediaRoutes, { movieExists });

  app.get(
    '/api/v1/movies',
    {
      config: {
        readCache: {
          tables: MOVIE_TABLES,
          scope: (payload, request) => {
            const { q, sort, genre, decade, year, director } = request.query as Static<typeof MovieListQuery>;
            const filtered = [genre, decade, year, director].some((f) => f !== undefined);
            return movieListDependencies({ q: q?.trim() || undefined, sort, filtered }, payload as Movie[]);
          },
        },
      },
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
      const { genre, decade, year, director, sort } = request.query;
      const q = request.query.q?.trim() || undefined; // an empty (or blank) search box means no filter
      const order = request.query.order ?? (sort === 'rating' || sort === 'reviews' ? 'desc' : 'asc');
      const { rows, total } = await listMovies(app.db, { page, limit, q, genre, decade, year, director, sort: sort ?? (q === undefined ? 'id' : undefined), order });
      setPageHeaders(request, reply, { page, limit }, total);
      return rows.map(toMovie);
    },
  );

  app.get(
    '/api/v1/movies/:id',
    {
      config: { readCache: { tables: MOVIE_TABLES, scope: (payload) => movieDependencies([payload as Movie]) } },
      schema: { tags: ['movies'], summary: 'One movie', params: IdParams, response: { 200: Movie, ...errors(404, 422) } },
    },
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
      const movie = await insertMovie(app.db, { ...EMPTY_MOVIE_FIELDS, ...editableOf(request.body), title: request.body.title });
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
        description: 'Omitted fields become null, or [] for directors and genres.',
        params: IdParams,
        body: MovieCreate,
        response: { 200: Movie, ...errors(404, 409, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      const movie = await updateMovie(app.db, request.params.id, { ...EMPTY_MOVIE_FIELDS, ...editableOf(request.body), title: request.body.title });
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
      const movie = await updateMovie(app.db, request.params.id, editableOf(request.body));
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
