import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import { matchLocale, negotiateLocaleFrom, PSEUDO_LOCALE } from '../core/i18n.ts';
import type { App } from '../service/app.ts';
import { isLocalHttp } from './reset/flow-cookie.ts';
import { pageI18n, type PageI18n } from './views/i18n-context.tsx';
import { LANGUAGE_PATH } from './views/layout.tsx';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The language of this request, resolved once (onRequest): what its page is rendered in and
     * what the messages it causes are written in. `request.i18n.locale`, `request.i18n.t(id)`.
     */
    i18n: PageI18n;
  }
}

/** The cookie remembering the language a person picked: not a secret, read on every request. */
export const LANGUAGE_COOKIE = 'sspr_lang';
const ONE_YEAR_S = 365 * 24 * 60 * 60;

/**
 * A same-origin path to go back to after switching language, or `/`: only `/…` paths, never
 * `//host`, `/\host`, a scheme, or anything with spaces or control characters (no open redirect).
 * The query string is dropped (it may carry a one-time token).
 */
export function sameOriginPath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u0020\u007f\\]/.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, 'http://sspr.invalid');
  } catch {
    return '/';
  }
  if (url.origin !== 'http://sspr.invalid') return '/';
  return url.pathname.startsWith('//') ? '/' : url.pathname;
}

/**
 * The request's language with what is known so far: the `sspr_lang` cookie, the account's saved
 * language (signed in), `Accept-Language`, and the tenant's default and time zone once the page's
 * tenant is known (http/look-plugin.ts: signed in, or from the address; never a typed login).
 */
export function resolveRequestLocale(
  request: FastifyRequest,
  pseudo: boolean,
  tenant: { readonly defaultLocale: string | null; readonly timeZone: string } | null = null,
): PageI18n {
  const picked = request.cookies?.[LANGUAGE_COOKIE] ?? null;
  const { locale, source } = negotiateLocaleFrom({
    picked,
    saved: request.auth?.account.locale ?? null,
    acceptLanguage: request.headers['accept-language'] ?? null,
    tenantDefault: tenant?.defaultLocale ?? null,
    pseudo,
  });
  const path = (request.i18n as PageI18n | null)?.path ?? '/';
  return { ...pageI18n(locale, path, pseudo, tenant?.timeZone ?? 'UTC'), chosen: source !== 'default' };
}

/**
 * Resolves the language of every request once (root level: every plugin and error page sees
 * `request.i18n`; a signed-in person's saved language is applied once the session is known, the
 * tenant's default and time zone by the look plugin), and serves the language switcher's
 * `GET /language?set=<locale>&next=<path>`, which remembers the choice in the `sspr_lang` cookie
 * (HttpOnly, SameSite=Lax, Secure unless on http://localhost) and goes back to `next`. Works
 * without JavaScript. A GET changes nothing but that cookie (a link on another site can cause
 * it): a signed-in person's choice is saved on the account by their next form post that passes
 * its CSRF check.
 */
export async function registerI18n(fastify: FastifyInstance, app: App): Promise<void> {
  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(fastifyCookie);
  const pseudo = app.config.pseudo_locale === true;
  const secure = !isLocalHttp(app.config.public_url);

  /** The path the switcher brings the person back to: this page, or for a form post the page that shows its result. */
  function returnPath(request: FastifyRequest): string {
    let path = sameOriginPath(request.url.split('?')[0]);
    if (request.method === 'GET' || request.method === 'HEAD') return path;
    while (path !== '/' && !fastify.hasRoute({ method: 'GET', url: path })) {
      path = path.slice(0, path.lastIndexOf('/')) || '/';
    }
    return path;
  }

  fastify.decorateRequest('i18n', null as unknown as PageI18n);
  fastify.addHook('onRequest', async (request) => {
    const { locale, source } = negotiateLocaleFrom({
      picked: request.cookies?.[LANGUAGE_COOKIE] ?? null,
      acceptLanguage: request.headers['accept-language'] ?? null,
      pseudo,
    });
    request.i18n = { ...pageI18n(locale, returnPath(request), pseudo), chosen: source !== 'default' };
  });
  // a signed-in person's saved language, unless they picked one in this browser (request.auth is
  // set by the sessions' preHandler, registered before this one)
  fastify.addHook('preHandler', async (request) => {
    if (!request.auth?.account.locale || request.cookies?.[LANGUAGE_COOKIE]) return;
    const next = resolveRequestLocale(request, pseudo);
    if (next.locale !== request.i18n.locale) request.i18n = next;
  });
  // the language picked in this browser becomes the account's once a signed-in form post passed
  // its CSRF check (never on a GET: a cross-site link must not change what the account's
  // messages are written in)
  fastify.addHook('onResponse', async (request, reply) => {
    if (!request.csrfVerified || !request.auth || reply.statusCode >= 400) return;
    const picked = matchLocale(request.cookies?.[LANGUAGE_COOKIE] ?? null);
    if (!picked || picked === PSEUDO_LOCALE || picked === request.auth.account.locale) return;
    try {
      await app.sessions.saveLanguage(request.auth, picked);
    } catch (error) {
      request.log.warn({ err: error }, 'the language choice was not saved on the account');
    }
  });

  fastify.get(LANGUAGE_PATH, async (request, reply) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const locale = typeof query.set === 'string' ? matchLocale(query.set, { pseudo }) : null;
    if (locale) {
      void reply.setCookie(LANGUAGE_COOKIE, locale, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure,
        maxAge: ONE_YEAR_S,
      });
    }
    return reply.redirect(sameOriginPath(query.next), 303);
  });
}
