import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import type { App } from '../../service/app.ts';
import { SessionService, type Authenticated } from '../../service/session-service.ts';
import { isLocalHttp, type CookieSpec } from '../reset/flow-cookie.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person, when the request carries a live session cookie. */
    auth: Authenticated | null;
  }
}

export const SECURE_SESSION_COOKIE = '__Host-sspr_session';
export const PLAIN_SESSION_COOKIE = 'sspr_session';

/** The session cookie: `__Host-`, Secure, HttpOnly, SameSite=Lax (plain name on http://localhost only). */
export function sessionCookieSpec(publicUrl: string): CookieSpec {
  const local = isLocalHttp(publicUrl);
  return {
    name: local ? PLAIN_SESSION_COOKIE : SECURE_SESSION_COOKIE,
    options: { path: '/', httpOnly: true, sameSite: 'lax', secure: !local },
  };
}

/**
 * Reads the session cookie on every request (root level, so every plugin sees `request.auth`).
 * Requests without the cookie cost nothing.
 */
export async function registerSessions(fastify: FastifyInstance, app: App): Promise<void> {
  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(fastifyCookie);
  const cookie = sessionCookieSpec(app.config.public_url);
  fastify.decorateRequest('auth', null);
  fastify.addHook('preHandler', async (request) => {
    const token = request.cookies?.[cookie.name];
    request.auth = token ? await app.sessions.authenticate(token) : null;
  });
}

export function setSessionCookie(app: App, reply: FastifyReply, token: string): void {
  const cookie = sessionCookieSpec(app.config.public_url);
  void reply.setCookie(cookie.name, token, { ...cookie.options });
}

export function clearSessionCookie(app: App, reply: FastifyReply): void {
  const cookie = sessionCookieSpec(app.config.public_url);
  void reply.clearCookie(cookie.name, { ...cookie.options });
}

/** Where to send someone after sign-in: a local path only (no open redirect). */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/[A-Za-z0-9/_\-.?=&%]*$/.test(value) && !value.startsWith('//')
    ? value
    : '/account';
}

/**
 * preHandler for pages that need a signed-in person: to /signin when there is none, to the
 * forced password change when one is pending.
 */
export async function requireSignedIn(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> {
  if (!request.auth) return reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 303);
  if (request.auth.account.mustChangePassword && !request.url.startsWith('/account/password')) {
    return reply.redirect('/account/password', 303);
  }
}

/**
 * preHandler for the admin console: a signed-in admin with no pending password change and both
 * reset methods registered. Others get a 403 page explaining why (from `renderForbidden`).
 */
export function requireConsole(
  renderForbidden: (request: FastifyRequest, reply: FastifyReply, reason: 'not_admin' | 'methods_missing') => unknown,
) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    if (!request.auth) return reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 303);
    const access = SessionService.consoleAccess(request.auth);
    if (access === 'must_change_password') return reply.redirect('/account/password', 303);
    if (access !== 'ok') {
      await renderForbidden(request, reply, access);
      return reply;
    }
  };
}
