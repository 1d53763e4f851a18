import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Denial } from '../../core/admin-rules.ts';
import type { ProblemText } from '../../core/ui-text.ts';
import type { App } from '../../service/app.ts';
import type { HelpRequestView } from '../../service/help-request-service.ts';
import { SessionService } from '../../service/session-service.ts';
import { requireConsole } from '../account/session.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { httpStatus } from '../errors.ts';
import { sendHtml } from '../send-html.ts';
import { consoleActor, renderConsoleForbidden } from './admin-plugin.ts';
import type { Translate } from '../../core/i18n.ts';
import { denialText, DENIAL_TEXT } from './admin-text.tsx';
import type { CallerStatus } from '../../service/caller-verification-service.ts';
import { missingWayText } from './caller-views.tsx';
import {
  REQUESTS_NOTICES,
  REQUESTS_PROBLEMS,
  RequestsPage,
  RequestTempPasswordPage,
  type RequestsNotice,
  type RequestsProblem,
} from './requests-views.tsx';
import { RequestReferencePage } from './reference-page.tsx';

const ID = /^[A-Za-z0-9-]{1,64}$/;

/** The problem a code stands for: the section's own (translated by the page), or the console's denial text. */
function problemOf(code: string, t: Translate): RequestsProblem | ProblemText {
  if ((REQUESTS_PROBLEMS as readonly string[]).includes(code)) return code as RequestsProblem;
  if (code === 'other_tenant' || code === 'account_not_found') return 'request_not_found';
  if (Object.hasOwn(DENIAL_TEXT, code)) return denialText(t, code as Denial);
  return 'failed';
}

/**
 * The console's help requests section, `/admin/requests`: the open requests of the admin's own
 * tenant (requester, masked methods, message, time) with their actions — a reset link, a
 * temporary password (shown once) or a dismissal with a reason — and the answered ones. Every
 * action goes through `app.help`, which goes through `app.admin` for the reset itself.
 */
export async function requestsPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, async (request, reply) => {
    if (!request.auth) return reply.redirect('/signin', 303);
    const access = SessionService.consoleAccess(request.auth);
    if (access === 'must_change_password') return reply.redirect('/account/password', 303);
    if (access !== 'ok') return renderConsoleForbidden(request, reply, access);
    return list(request, reply, { problem: 'csrf_invalid' });
  });
  const guard = requireConsole(renderConsoleForbidden);
  const post = { preHandler: [guard, csrfCheck.preHandler] };

  async function actorNames(views: readonly HelpRequestView[]): Promise<Record<string, string>> {
    const names: Record<string, string> = {};
    for (const v of views) {
      const by = v.resolvedBy;
      if (!by || by in names) continue;
      // operators, API keys and former administrators are named by the page, in its language
      if (by.startsWith('admin:')) {
        const account = await app.accounts.accountName(by.slice('admin:'.length));
        if (account) names[by] = account.displayName;
      }
    }
    return names;
  }

  /** The caller verification of each open request's requester (the gate of its reset link and temporary password). */
  async function callers(request: FastifyRequest, open: readonly HelpRequestView[]) {
    const out: Record<string, CallerStatus> = {};
    for (const r of open) {
      if (r.requester)
        out[r.id] = await app.callers.status(consoleActor(request), {
          id: r.requester.accountId,
          role: r.requester.role,
        });
    }
    return out;
  }

  async function list(
    request: FastifyRequest,
    reply: FastifyReply,
    o: { notice?: RequestsNotice; problem?: ProblemText | string } = {},
  ): Promise<FastifyReply> {
    const auth = request.auth!;
    const actor = consoleActor(request);
    const [open, answered, activeAdmins] = await Promise.all([
      app.help.listForTenant(actor, 'open'),
      app.help.listForTenant(actor, 'closed', 50),
      app.admin.activeAdminCount(auth.tenant.id),
    ]);
    return sendHtml(
      reply,
      RequestsPage({
        tenantName: auth.tenant.name,
        activeAdmins,
        csrf: reply.generateCsrf(),
        open,
        answered,
        actorNames: await actorNames(answered),
        notice: o.notice ?? null,
        callers: await callers(request, open),
        problem: typeof o.problem === 'string' ? problemOf(o.problem, request.i18n.t) : (o.problem ?? null),
      }),
      typeof o.problem === 'string' ? httpStatus(o.problem) : o.problem ? 400 : 200,
    );
  }

  function requestId(request: FastifyRequest): string | null {
    const id = (request.params as { id?: unknown }).id;
    return typeof id === 'string' && ID.test(id) ? id : null;
  }

  fastify.get('/admin/requests/reference', { preHandler: guard }, async (request, reply) => {
    const auth = request.auth!;
    const reference = formField(request.query, 'ref', 40).trim().toUpperCase();
    const found = reference ? await app.help.findReference(consoleActor(request), reference) : null;
    const finding = found?.ok ? found.value : null;
    return sendHtml(
      reply,
      RequestReferencePage({
        tenantName: auth.tenant.name,
        activeAdmins: await app.admin.activeAdminCount(auth.tenant.id),
        reference,
        finding,
      }),
      reference && !finding ? 404 : 200,
    );
  });

  fastify.get('/admin/requests', { preHandler: guard }, async (request, reply) => {
    const done = formField(request.query, 'done', 20);
    const notice = (REQUESTS_NOTICES as readonly string[]).includes(done) ? (done as RequestsNotice) : undefined;
    return list(request, reply, notice ? { notice } : {});
  });

  fastify.post('/admin/requests/:id/reset-link', post, async (request, reply) => {
    const id = requestId(request);
    if (!id) return list(request, reply, { problem: 'request_not_found' });
    const r = await app.help.resolve(consoleActor(request), id, 'link', requestContext(request));
    if (!r.ok) return list(request, reply, { problem: r.error });
    return reply.redirect('/admin/requests?done=link', 303);
  });

  fastify.post('/admin/requests/:id/temp-password', post, async (request, reply) => {
    const id = requestId(request);
    if (!id) return list(request, reply, { problem: 'request_not_found' });
    const actor = consoleActor(request);
    const before = await app.help.getForTenant(actor, id);
    if (!before.ok) return list(request, reply, { problem: before.error });
    const r = await app.help.resolve(actor, id, 'temp_password', requestContext(request));
    if (!r.ok) return list(request, reply, { problem: r.error });
    const auth = request.auth!;
    return sendHtml(
      reply,
      RequestTempPasswordPage({
        tenantName: auth.tenant.name,
        activeAdmins: await app.admin.activeAdminCount(auth.tenant.id),
        request: before.value,
        tempPassword: r.value.temporaryPassword ?? '',
      }),
    );
  });

  // ---- caller verification of the requester (the same gate and service as the user's page) ----

  /** The open request's requester account, or the problem to show. */
  async function requesterOf(request: FastifyRequest): Promise<{ id: string; accountId: string } | string> {
    const id = requestId(request);
    if (!id) return 'request_not_found';
    const r = await app.help.getForTenant(consoleActor(request), id);
    if (!r.ok) return r.error;
    if (r.value.status !== 'open') return 'request_closed';
    if (!r.value.requester) return 'request_not_found';
    return { id, accountId: r.value.requester.accountId };
  }

  fastify.post('/admin/requests/:id/verify-caller', post, async (request, reply) => {
    const req = await requesterOf(request);
    if (typeof req === 'string') return list(request, reply, { problem: req });
    const result = await app.callers.start(consoleActor(request), req.accountId, requestContext(request));
    if (result.ok) return reply.redirect(`/admin/requests?done=caller_sent#request-${req.id}`, 303);
    if (result.error === 'sending_limited') {
      const { t } = request.i18n;
      return list(request, reply, {
        problem: { title: t('caller.sendingLimit.title'), message: t('caller.sendingLimit.message') },
      });
    }
    return list(request, reply, { problem: result.error });
  });

  for (const way of ['authenticator', 'passkey'] as const) {
    fastify.post(`/admin/requests/:id/verify-caller/${way}`, post, async (request, reply) => {
      const req = await requesterOf(request);
      if (typeof req === 'string') return list(request, reply, { problem: req });
      const result = await app.callers.startByWay(consoleActor(request), req.accountId, way, requestContext(request));
      if (result.ok) return reply.redirect(`/admin/requests#request-${req.id}`, 303);
      if (result.error === 'no_authenticator' || result.error === 'no_passkey') {
        return list(request, reply, { problem: missingWayText(request, result.error) });
      }
      return list(request, reply, { problem: result.error });
    });
  }

  fastify.post('/admin/requests/:id/verify-caller/confirm', post, async (request, reply) => {
    const req = await requesterOf(request);
    if (typeof req === 'string') return list(request, reply, { problem: req });
    const code = formField(request.body, 'code', 20);
    const result = await app.callers.confirm(consoleActor(request), req.accountId, code, requestContext(request));
    if (result.ok) return reply.redirect(`/admin/requests?done=caller_verified#request-${req.id}`, 303);
    if (result.error === 'account_not_found' || result.error === 'other_tenant') {
      return list(request, reply, { problem: 'request_not_found' });
    }
    const { t } = request.i18n;
    return list(request, reply, {
      problem: { title: t('caller.invalid.title'), message: t('caller.invalid.message') },
    });
  });

  fastify.post('/admin/requests/:id/dismiss', post, async (request, reply) => {
    const id = requestId(request);
    if (!id) return list(request, reply, { problem: 'request_not_found' });
    const r = await app.help.dismiss(
      consoleActor(request),
      id,
      formField(request.body, 'reason', 2000),
      requestContext(request),
    );
    if (!r.ok) return list(request, reply, { problem: r.error });
    return reply.redirect('/admin/requests?done=dismissed', 303);
  });
}
