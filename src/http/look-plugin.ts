import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { lookStylesheet, lookTimeZone, type TenantLook } from '../core/tenant-look.ts';
import { PSEUDO_LOCALE, type Locale } from '../core/i18n.ts';
import type { App } from '../service/app.ts';
import type { PageI18n, PageLook } from './views/i18n-context.tsx';
import { wantsHtml } from './errors.ts';
import { resolveRequestLocale } from './i18n-plugin.ts';

/** Where a tenant's logo and colour stylesheet are served: `/brand/<tenant>/logo-<sha256>.png`, `…/look-<hash>.css`. */
export const LOGO_PATH_PREFIX = '/brand';

const SKIP = /^\/(?:api|static|brand|metrics|healthz|readyz|dev)(?:\/|$)/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

function stylesheetHash(css: string): string {
  return createHash('sha256').update(css).digest('hex').slice(0, 16);
}

/** What a page shows of a tenant's look, in the page's language. */
export function pageLook(tenantId: string, look: TenantLook, locale: string): PageLook | null {
  const css = lookStylesheet(look);
  if (!look.displayName && !look.logo && !css && Object.keys(look.startNotes).length === 0) return null;
  const base = `${LOGO_PATH_PREFIX}/${encodeURIComponent(tenantId)}`;
  const noteLocale = (locale === PSEUDO_LOCALE ? 'en' : locale) as Locale;
  return {
    displayName: look.displayName,
    logo: look.logo
      ? { src: `${base}/logo-${look.logo.hash}.png`, width: look.logo.width, height: look.logo.height }
      : null,
    stylesheet: css ? `${base}/look-${stylesheetHash(css)}.css` : null,
    startNote: look.startNotes[noteLocale] ?? null,
  };
}

/** Requests whose look was already looked for (the pages' preHandler, or an error page). */
const LOOKED = new WeakSet<FastifyRequest>();

/**
 * Puts the tenant's look (and its default language and time zone) on `request.i18n`: the
 * signed-in person's tenant, else the tenant that chose this request's host. Never the tenant of
 * a typed login. Once per request.
 */
async function applyLook(app: App, request: FastifyRequest, pseudo: boolean): Promise<void> {
  if (LOOKED.has(request)) return;
  LOOKED.add(request);
  const auth = (request as FastifyRequest & { auth?: { tenant: { id: string } } | null }).auth;
  const found = auth
    ? { tenantId: auth.tenant.id, look: await app.looks.forTenant(auth.tenant.id) }
    : await app.looks.forHost(request.host);
  if (!found) return;
  // the tenant is known (signed in, or from the address): its default language is the step
  // after Accept-Language, and its time zone is the page's
  if (found.look.defaultLocale || found.look.timeZone) {
    request.i18n = resolveRequestLocale(request, pseudo, {
      defaultLocale: found.look.defaultLocale,
      timeZone: lookTimeZone(found.look),
    });
  }
  const look = pageLook(found.tenantId, found.look, request.i18n.locale);
  if (look) request.i18n = { ...request.i18n, look };
}

/**
 * The look on an error page (404, a thrown error, a refused body or URL): the pages' preHandler
 * has not run when the request failed before it (a malformed URL, a body too large or not
 * parsable, an error in an earlier hook), so the tenant is looked for here, the same way (the
 * session's tenant when already known, else the host; never a typed login). Only for HTML; a
 * failure to read the look (the database is down) leaves sspr's own look, never a second error.
 */
export async function lookOnErrorPage(app: App, request: FastifyRequest): Promise<void> {
  if (LOOKED.has(request) || !wantsHtml(request)) return;
  const pseudo = app.config.pseudo_locale === true;
  try {
    // refused before any hook ran (a malformed URL): the language from Accept-Language alone
    if (!(request.i18n as PageI18n | null)) request.i18n = resolveRequestLocale(request, pseudo);
    await applyLook(app, request, pseudo);
  } catch (error) {
    request.log.warn({ err: error }, 'the error page is shown without the tenant look');
  }
}

/**
 * The tenant's look on its pages (root level, after the sessions and the language): the
 * signed-in person's tenant, else the tenant that chose this request's host. Never the tenant of
 * a typed login: before sign-in, only the address says which tenant a page belongs to, so the
 * generic address shows sspr's own look to everyone. Also serves the logo and the colour
 * stylesheet (same origin, so the strict CSP holds: no inline style anywhere). Error pages get
 * the look from `lookOnErrorPage` (http/server.ts).
 */
export async function registerLook(fastify: FastifyInstance, app: App): Promise<void> {
  const pseudo = app.config.pseudo_locale === true;
  fastify.addHook('preHandler', async (request) => {
    if (SKIP.test(request.url) || !request.i18n) return;
    await applyLook(app, request, pseudo);
  });

  fastify.get<{ Params: { tenant: string; file: string } }>(
    `${LOGO_PATH_PREFIX}/:tenant/:file`,
    async (request, reply) => {
      const { tenant, file } = request.params;
      const logo = /^logo-([0-9a-f]{64})\.png$/.exec(file);
      if (logo) {
        const stored = await app.looks.logo(tenant, logo[1]!);
        if (!stored) return reply.callNotFound();
        return reply
          .header('cache-control', IMMUTABLE)
          .header('x-content-type-options', 'nosniff')
          .header('content-disposition', 'inline; filename="logo.png"')
          .type('image/png')
          .send(Buffer.from(stored.png));
      }
      const sheet = /^look-([0-9a-f]{16})\.css$/.exec(file);
      if (sheet && tenant.length <= 100) {
        const css = lookStylesheet(await app.looks.forTenant(tenant));
        // only the current stylesheet: an old address is gone (its hash no longer matches)
        if (!css || stylesheetHash(css) !== sheet[1]) return reply.callNotFound();
        return reply
          .header('cache-control', IMMUTABLE)
          .header('x-content-type-options', 'nosniff')
          .type('text/css; charset=utf-8')
          .send(css);
      }
      return reply.callNotFound();
    },
  );
}
