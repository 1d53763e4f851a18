import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { App } from '../service/app.ts';
import type { RequestContext } from '../service/request-context.ts';
import { csrfCookieSpec } from './reset/flow-cookie.ts';

/**
 * Form support for a page plugin's scope: urlencoded bodies and CSRF protection (a cookie-held
 * secret shared by every page plugin, the token in the `_csrf` field, checked as a preHandler
 * because the body is parsed after onRequest). A CSRF failure calls `onCsrfError`.
 */
export async function registerForms(
  fastify: FastifyInstance,
  app: App,
  onCsrfError: (request: FastifyRequest, reply: FastifyReply) => unknown,
): Promise<{ csrfCheck: { preHandler: preHandlerHookHandler } }> {
  const csrfCookie = csrfCookieSpec(app.config.public_url);
  if (!fastify.hasContentTypeParser('application/x-www-form-urlencoded')) await fastify.register(fastifyFormbody);
  await fastify.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: csrfCookie.name,
    cookieOpts: { ...csrfCookie.options },
    getToken: (request: FastifyRequest) => formField(request.body, '_csrf', 256) || undefined,
  });
  fastify.setErrorHandler((error, request, reply) => {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('FST_CSRF_')) {
      request.log.info({ errorCode: 'csrf_invalid', statusCode: 403 }, 'request rejected');
      return onCsrfError(request, reply);
    }
    throw error;
  });
  const check = fastify.csrfProtection;
  // marks a request whose CSRF token was checked: only such a form post may save a signed-in
  // person's language choice on the account (http/i18n-plugin.ts), never a GET a link can cause
  const preHandler: preHandlerHookHandler = function (request, reply, done) {
    check.call(this, request, reply, (error?: Error) => {
      if (!error) request.csrfVerified = true;
      done(error);
    });
  };
  return { csrfCheck: { preHandler } };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once this request's form passed its CSRF check (registerForms). */
    csrfVerified?: boolean;
  }
}

/** A form field as a string ('' when missing or not a string), capped at `max` characters. */
export function formField(body: unknown, name: string, max = 1024): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

export function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null, locale: pageLocale(request) };
}

/**
 * The language of the page a request came from, for the messages it causes: its language when
 * something chose it (the person, the account, the browser, the page's tenant); null when it is
 * English only for want of any, so the message can fall back to the account's tenant default.
 */
export function pageLocale(request: FastifyRequest): RequestContext['locale'] {
  const i18n = request.i18n as FastifyRequest['i18n'] | null;
  if (!i18n) return null;
  return i18n.chosen === false ? null : i18n.locale;
}
