import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';

/**
 * What every feature's routes rely on being registered before them: the auth hook (it reads their
 * `config.auth` and completes their documentation as they are added), the error handler, the rate
 * limits (attached to each route as it is added), the read cache and the OpenAPI document.
 */
const BEFORE_ROUTES = ['auth', 'errors', 'rate-limits', 'read-cache', 'docs'];

/**
 * A feature module's routes as a named plugin: encapsulated (its content-type parsers and hooks
 * stay its own), with the plugins it needs declared, so a wrong registration order fails the start
 * instead of quietly leaving routes unguarded or undocumented.
 */
export function feature(name: string, routes: FastifyPluginAsyncTypebox) {
  return fp(routes, { name, encapsulate: true, dependencies: BEFORE_ROUTES, decorators: { fastify: ['config', 'db', 'store'] } });
}
