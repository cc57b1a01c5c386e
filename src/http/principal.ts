import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { Role } from '../domain/enums.js';

/**
 * Who is calling: set by the auth module's request hook (src/modules/auth/plugin.ts) on routes
 * that ask for it, read by any route and by cross-cutting plugins (the read cache keys a
 * caller's answers by it). Declared here, below every module, so a module needs the auth
 * module's hook at run time but none of its code.
 */
export interface Principal {
  sessionId: number;
  userId: number;
  username: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
  via: 'bearer' | 'cookie';
}

/**
 * Who may call a route: any signed-in user, or an administrator; or `optional`, anyone, with the
 * caller known when they send a valid session (what shows a private list to its owner alone).
 */
export type AuthLevel = 'user' | 'admin' | 'optional';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; checked before the body is read. */
    auth?: AuthLevel;
    /** Refuse the request from another site even though it carries no session yet (login). */
    sameOrigin?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Methods whose cookie-authenticated requests are refused cross-site (the docs declare that 403 from here too). */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The caller of a route with `auth: 'optional'`, when signed in. */
export const callerOf = (request: FastifyRequest): Principal | undefined => request.principal ?? undefined;

/** The caller of a route declared with `config.auth`; the auth hook guarantees it is set. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('not_authenticated');
  return request.principal;
}
