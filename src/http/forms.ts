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
  return { csrfCheck: { preHandler: fastify.csrfProtection } };
}

/** A form field as a string ('' when missing or not a string), capped at `max` characters. */
export function formField(body: unknown, name: string, max = 1024): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

export function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null, locale: request.i18n.locale };
}
