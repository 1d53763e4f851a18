import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../core/admin-rules.ts';
import type { App } from '../../service/app.ts';
import { requireConsole } from '../account/session.ts';
import { ERROR_STATUS } from '../errors.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { sendHtml } from '../send-html.ts';
import { renderConsoleForbidden } from './admin-plugin.ts';
import {
  API_KEY_PROBLEMS,
  ApiKeyCreatedPage,
  ApiKeyNotFoundPage,
  ApiKeysPage,
  DEFAULT_EXPIRY_DAYS,
  EMPTY_FORM,
  EXPIRY_CHOICES,
  type ApiKeyProblem,
  type ApiKeysFormValues,
  type ApiKeysFrame,
  type ApiKeysNotice,
} from './api-keys-views.tsx';

const DAY_MS = 86_400_000;
const KEY_ID = /^[0-9a-f]{24}$/;

/** All values of a form field that may repeat (`scope=a&scope=b`), capped. */
function formValues(body: unknown, name: string, max = 20): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const value = (body as Record<string, unknown>)[name];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string').slice(0, max);
}

/**
 * The console's API keys section, `/admin/api-keys`: the tenant's keys (never a secret), create
 * (the full key is shown once, on the answer to the POST, with a warning to copy it now) and
 * revoke. Behind `requireConsole`; `app.apiKeys` checks that the admin belongs to the key's
 * tenant (another tenant's key answers 404, like an unknown one).
 */
export async function apiKeysPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, async (request, reply) => {
    if (!request.auth) return reply.redirect('/signin', 303);
    return showList(request, reply, 403, EMPTY_FORM, 'csrf', null);
  });
  const guard = requireConsole(renderConsoleForbidden);
  const post = { preHandler: [guard, csrfCheck.preHandler] };

  const actor = (request: FastifyRequest): Actor => ({ kind: 'admin', account: request.auth!.account });

  async function frame(request: FastifyRequest, reply: FastifyReply): Promise<ApiKeysFrame> {
    const tenant = request.auth!.tenant;
    return {
      tenantName: tenant.name,
      activeAdmins: await app.directory.countActiveAdmins(tenant.id),
      csrf: reply.generateCsrf(),
    };
  }

  async function showList(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: ApiKeysFormValues,
    problem: ApiKeyProblem | null,
    notice: ApiKeysNotice | null,
  ) {
    const tenantId = request.auth!.tenant.id;
    const keys = await app.apiKeys.list(tenantId);
    const creators: Record<string, string> = {};
    for (const by of new Set(keys.map((k) => k.createdBy))) {
      const account = by.startsWith('admin:') ? await app.accounts.accountName(by.slice(6)) : null;
      // the command line (`cli`) is named by the page, in its language
      if (account && account.tenantId === tenantId) creators[by] = account.login;
    }
    return sendHtml(
      reply,
      ApiKeysPage({ ...(await frame(request, reply)), keys, creators, form, problem, notice }),
      status,
    );
  }

  fastify.get('/admin/api-keys', { preHandler: guard }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>)?.done;
    return showList(request, reply, 200, EMPTY_FORM, null, done === 'revoked' ? 'revoked' : null);
  });

  fastify.post('/admin/api-keys', post, async (request, reply) => {
    const expiryText = formField(request.body, 'expiry_days', 10);
    const choice = EXPIRY_CHOICES.find((c) => String(c.days) === expiryText);
    const form: ApiKeysFormValues = {
      name: formField(request.body, 'name', 200),
      scopes: formValues(request.body, 'scope'),
      expiryDays: choice?.days ?? DEFAULT_EXPIRY_DAYS,
    };
    if (!choice) return showList(request, reply, 400, form, 'expiry_invalid', null);
    const r = await app.apiKeys.create({
      tenantId: request.auth!.tenant.id,
      name: form.name,
      scopes: form.scopes,
      expiresAt: choice.days === 0 ? null : app.clock.now() + choice.days * DAY_MS,
      by: actor(request),
      rc: requestContext(request),
    });
    if (!r.ok) {
      const status = ERROR_STATUS[r.error];
      const problem = (API_KEY_PROBLEMS as readonly string[]).includes(r.error)
        ? (r.error as ApiKeyProblem)
        : 'not_allowed';
      return showList(request, reply, status, form, problem, null);
    }
    // the one and only time the key is shown; the answer is never cached (Cache-Control: no-store)
    return sendHtml(
      reply,
      ApiKeyCreatedPage({ ...(await frame(request, reply)), key: r.value.key, token: r.value.token }),
    );
  });

  fastify.post('/admin/api-keys/:id/revoke', post, async (request, reply) => {
    const id = (request.params as Record<string, unknown>).id;
    const r =
      typeof id === 'string' && KEY_ID.test(id)
        ? await app.apiKeys.revoke({ keyId: id, by: actor(request), rc: requestContext(request) })
        : null;
    // already revoked: the outcome the admin wanted
    if (r && (r.ok || r.error === 'already_revoked')) return reply.redirect('/admin/api-keys?done=revoked', 303);
    const { csrf: _csrf, ...rest } = await frame(request, reply);
    return sendHtml(reply, ApiKeyNotFoundPage(rest), 404);
  });
}
