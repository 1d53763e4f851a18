import type { FastifyInstance, FastifyReply } from 'fastify';
import { problemIn } from '../../core/ui-text.ts';
import type { App } from '../../service/app.ts';
import { ASSISTED_GRANT_TTL_MS } from '../../service/assisted-reset-service.ts';
import { ERROR_STATUS } from '../errors.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { isLocalHttp, type CookieSpec } from '../reset/flow-cookie.ts';
import { sendHtml } from '../send-html.ts';
import {
  AssistedContinuePage,
  AssistedDonePage,
  AssistedPasswordPage,
  AssistedProblemPage,
  type AssistedLinkProblem,
} from './assisted-reset-views.tsx';

export const SECURE_ASSISTED_COOKIE = '__Host-sspr_assisted';
export const PLAIN_ASSISTED_COOKIE = 'sspr_assisted';

/** The browser grant after a link was redeemed: `__Host-`, Secure, HttpOnly, SameSite=Lax (plain name on http://localhost only). */
export function assistedCookieSpec(publicUrl: string): CookieSpec {
  const local = isLocalHttp(publicUrl);
  return {
    name: local ? PLAIN_ASSISTED_COOKIE : SECURE_ASSISTED_COOKIE,
    options: { path: '/', httpOnly: true, sameSite: 'lax', secure: !local },
  };
}

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * `/reset/assisted?t=…` — the link of an admin-assisted reset. GET shows Continue (changes nothing);
 * POST redeems the token and sets the grant cookie, then redirects to `/reset/assisted/password`
 * (a URL without the token) where the new password is chosen.
 */
export async function assistedResetPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const cookie = assistedCookieSpec(app.config.public_url);
  const { csrfCheck } = await registerForms(fastify, app, (_request, reply) => problem(reply, 'csrf_invalid', 403));

  function problem(reply: FastifyReply, id: AssistedLinkProblem, status: number) {
    return sendHtml(reply, AssistedProblemPage({ problem: id }), status);
  }

  fastify.get('/reset/assisted', async (request, reply) => {
    const t = (request.query as Record<string, unknown>)?.t;
    if (typeof t !== 'string' || !TOKEN.test(t)) return problem(reply, 'link_invalid', 404);
    const checked = await app.admin.assisted.check(t);
    if (!checked.ok) {
      return problem(reply, checked.error, ERROR_STATUS[checked.error]);
    }
    return sendHtml(reply, AssistedContinuePage({ token: t, csrf: reply.generateCsrf() }));
  });

  fastify.post('/reset/assisted', csrfCheck, async (request, reply) => {
    const t = formField(request.body, 't', 200);
    if (!TOKEN.test(t)) return problem(reply, 'link_invalid', 404);
    const redeemed = await app.admin.assisted.redeem(t, requestContext(request));
    if (!redeemed.ok) {
      return problem(reply, redeemed.error, ERROR_STATUS[redeemed.error]);
    }
    void reply.setCookie(cookie.name, redeemed.value.grant, {
      ...cookie.options,
      maxAge: Math.floor(ASSISTED_GRANT_TTL_MS / 1000),
    });
    return reply.redirect('/reset/assisted/password', 303);
  });

  fastify.get('/reset/assisted/password', async (request, reply) => {
    const grant = request.cookies?.[cookie.name] ?? '';
    const view = await app.admin.assisted.view(grant);
    if (!view.ok) return problem(reply, 'grant_invalid', 403);
    return sendHtml(
      reply,
      AssistedPasswordPage({
        csrf: reply.generateCsrf(),
        login: view.value.login,
        minLength: view.value.passwordMinLength,
        problem: null,
      }),
    );
  });

  fastify.post('/reset/assisted/password', csrfCheck, async (request, reply) => {
    const grant = request.cookies?.[cookie.name] ?? '';
    const result = await app.admin.assisted.setPassword(
      grant,
      formField(request.body, 'password'),
      formField(request.body, 'confirm'),
      requestContext(request),
    );
    if (result.ok) {
      void reply.clearCookie(cookie.name, { ...cookie.options });
      return reply.redirect('/reset/assisted/done', 303);
    }
    if (result.error === 'grant_invalid') return problem(reply, 'grant_invalid', 403);
    const view = await app.admin.assisted.view(grant);
    if (!view.ok) return problem(reply, 'grant_invalid', 403);
    return sendHtml(
      reply,
      AssistedPasswordPage({
        csrf: reply.generateCsrf(),
        login: view.value.login,
        minLength: view.value.passwordMinLength,
        problem: problemIn(request.i18n, result.error),
      }),
      400,
    );
  });

  fastify.get('/reset/assisted/done', async (_request, reply) => sendHtml(reply, AssistedDonePage()));
}
