import type { FastifyReply, FastifyRequest } from 'fastify';

const COOKIE = 'butaca_session';
const SECURE_COOKIE = '__Host-butaca_session';

/** Under HTTPS the cookie takes the __Host- prefix: Secure, Path=/, no Domain, so no subdomain can plant it. */
export function sessionCookieName(request: FastifyRequest): string {
  return request.protocol === 'https' ? SECURE_COOKIE : COOKIE;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, secret: string, maxAge: number): void {
  reply.setCookie(sessionCookieName(request), secret, {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: request.protocol === 'https',
    maxAge,
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName(request), { httpOnly: true, sameSite: 'lax', path: '/', secure: request.protocol === 'https' });
}
