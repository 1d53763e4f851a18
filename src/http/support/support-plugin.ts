import { ApprovalsPage, type ApprovalsPageProps } from './approvals-views.tsx';
import type { CallCheckStarted } from '../../service/caller-verification-service.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import type { App } from '../../service/app.ts';
import type { OperatorAuth } from '../../service/operator-service.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { httpStatus } from '../errors.ts';
import { sendHtml } from '../send-html.ts';
import { clearSupportCookie, supportCookieSpec } from './support-session.ts';
import { setConsoleStepCookie } from '../account/console-step-plugin.ts';
import { PasskeyPage, type PasskeyProblemId } from '../account/passkey-views.tsx';
import { SupportSecurityPage } from './security-views.tsx';
import {
  isSupportDone,
  SupportReferencePage,
  SupportSigninPage,
  TicketPage,
  TicketsPage,
  type SupportDoneId,
} from './support-views.tsx';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in operator (support console routes only). */
    operator: OperatorAuth | null;
  }
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The Technical Support console: `/support/signin`, `/support/signout`, `/support` (tickets) and
 * `/support/tickets/:id` with its actions (record verification, issue a reset link, reset an
 * administrator's console second factor, promote another account, close). Operators sign in with their own accounts and cookie; a person's
 * session gives no access here, and an operator's none to the admin console.
 */
export async function supportPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(fastifyCookie);
  const cookie = supportCookieSpec(app.config.public_url);
  fastify.decorateRequest('operator', null);
  fastify.addHook('preHandler', async (request) => {
    const token = request.cookies?.[cookie.name];
    request.operator = token ? await app.operators.authenticate(token) : null;
  });

  const { csrfCheck } = await registerForms(fastify, app, async (request, reply) => {
    if (!request.operator) return signinPage(reply, '', 'csrf_invalid');
    const id = ticketId(request);
    if (id) return ticketPage(request, reply, id, { problem: 'csrf_invalid' });
    return reply.redirect('/support', 303);
  });

  async function requireOperator(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> {
    if (!request.operator) return reply.redirect('/support/signin', 303);
  }
  const post = { preHandler: [requireOperator, csrfCheck.preHandler] };

  function signinPage(reply: FastifyReply, login: string, problem: string | null, status?: number) {
    return sendHtml(
      reply,
      SupportSigninPage({ csrf: reply.generateCsrf(), login, problem }),
      status ?? (problem === null ? 200 : httpStatus(problem)),
    );
  }

  function ticketId(request: FastifyRequest): string | null {
    const id = (request.params as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' && ID.test(id) ? id : null;
  }

  async function ticketPage(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    o: { notice?: SupportDoneId; problem?: string; phrase?: CallCheckStarted } = {},
  ): Promise<FastifyReply> {
    const detail = await app.support.getTicket(id);
    if (!detail.ok) return reply.redirect('/support', 303);
    // the requester's caller verification (and, for an administrator, the second operator's approval)
    const who = detail.value.ticket.requester;
    const caller =
      who && detail.value.ticket.status === 'open'
        ? await app.callers.status(request.operator!.actor, { id: who.accountId, role: who.role })
        : null;
    return sendHtml(
      reply,
      TicketPage({
        operatorName: request.operator!.operator.displayName,
        csrf: reply.generateCsrf(),
        detail: detail.value,
        notice: o.notice ?? null,
        problem: o.problem ?? null,
        caller,
        phrase: o.phrase ?? null,
        verifyCallUrl: `${app.config.public_url}/verify-call`,
      }),
      o.problem ? httpStatus(o.problem) : 200,
    );
  }

  fastify.get('/support/signin', async (request, reply) => {
    if (request.operator) return reply.redirect('/support', 303);
    return signinPage(reply, '', null);
  });

  fastify.post('/support/signin', csrfCheck, async (request, reply) => {
    const login = formField(request.body, 'login', 100);
    const result = await app.operators.signIn(
      login,
      formField(request.body, 'password', 1024),
      requestContext(request),
    );
    if (!result.ok) {
      if (result.retryAfterMs) void reply.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
      return signinPage(reply, login, result.error, result.error === 'signin_throttled' ? 429 : 400);
    }
    // the password opened a pending console sign-in: the second step sets the support cookie
    setConsoleStepCookie(app, reply, result.value.token);
    return reply.redirect('/support/second-factor', 303);
  });

  fastify.post('/support/signout', csrfCheck, async (request, reply) => {
    const token = request.cookies?.[cookie.name];
    if (token) await app.operators.signOut(token, requestContext(request));
    clearSupportCookie(app, reply);
    return reply.redirect('/support/signin', 303);
  });

  fastify.get('/support', { preHandler: requireOperator }, async (request, reply) => {
    const operator = request.operator!.operator;
    const [open, closed, recoveryCodesLeft] = await Promise.all([
      app.support.listTickets('open'),
      app.support.listTickets('closed', 50),
      app.consoleFactors.setup.recoveryCodesLeft({ kind: 'operator', id: operator.id }),
    ]);
    return sendHtml(
      reply,
      TicketsPage({
        operatorName: operator.displayName,
        csrf: reply.generateCsrf(),
        open,
        closed,
        recoveryCodesLeft,
      }),
    );
  });

  // ---- the operator's own sign-in security: passkeys for the console's second step ----

  fastify.get('/support/security', { preHandler: requireOperator }, async (request, reply) => {
    const auth = request.operator!;
    const query = request.query as Record<string, unknown>;
    const [passkeys, recoveryCodesLeft] = await Promise.all([
      app.consoleFactors.operatorPasskeys.list(auth),
      app.consoleFactors.setup.recoveryCodesLeft({ kind: 'operator', id: auth.operator.id }),
    ]);
    return sendHtml(
      reply,
      SupportSecurityPage({
        operatorName: auth.operator.displayName,
        csrf: reply.generateCsrf(),
        passkeys,
        recoveryCodesLeft,
        notice: query.done === 'passkey' ? 'added' : query.removed === 'passkey' ? 'removed' : null,
      }),
    );
  });

  async function passkeyPage(
    request: FastifyRequest,
    reply: FastifyReply,
    problem: PasskeyProblemId | null,
    status = 200,
  ): Promise<FastifyReply> {
    const options = await app.consoleFactors.operatorPasskeys.options(request.operator!);
    return sendHtml(
      reply,
      PasskeyPage({
        csrf: reply.generateCsrf(),
        options: options.ok ? JSON.stringify(options.value) : null,
        problem: problem ?? (options.ok ? null : options.error),
        action: '/support/security/passkeys',
        back: { href: '/support/security', label: 'support.security.back' },
        intro: 'support.security.passkeyIntro',
      }),
      problem ? status : options.ok ? 200 : 409,
    );
  }

  fastify.get('/support/security/passkeys', { preHandler: requireOperator }, (request, reply) =>
    passkeyPage(request, reply, null),
  );

  fastify.post('/support/security/passkeys', post, async (request, reply) => {
    const result = await app.consoleFactors.operatorPasskeys.register(
      request.operator!,
      formField(request.body, 'credential', 60_000),
      formField(request.body, 'name', 200),
      request.i18n.t('securityinfo.passkey.defaultName'),
      requestContext(request),
    );
    if (!result.ok) return passkeyPage(request, reply, result.error, 400);
    return reply.redirect('/support/security?done=passkey', 303);
  });

  fastify.post('/support/security/passkeys/:id/remove', post, async (request, reply) => {
    const id = String((request.params as Record<string, unknown>).id ?? '').slice(0, 64);
    await app.consoleFactors.operatorPasskeys.remove(request.operator!, id, requestContext(request));
    return reply.redirect('/support/security?removed=passkey', 303);
  });

  fastify.get('/support/reference', { preHandler: requireOperator }, async (request, reply) => {
    const auth = request.operator!;
    const reference = formField(request.query, 'ref', 40).trim().toUpperCase();
    const found = reference ? await app.help.findReference(auth.actor, reference) : null;
    const finding = found?.ok ? found.value : null;
    return sendHtml(
      reply,
      SupportReferencePage({ operatorName: auth.operator.displayName, csrf: reply.generateCsrf(), reference, finding }),
      reference && !finding ? 404 : 200,
    );
  });

  fastify.get('/support/tickets/:id', { preHandler: requireOperator }, async (request, reply) => {
    const id = ticketId(request);
    if (!id) return reply.redirect('/support', 303);
    const done = formField(request.query, 'done', 20);
    return ticketPage(request, reply, id, isSupportDone(done) ? { notice: done } : {});
  });

  /**
   * Runs an action on a ticket: back to the ticket with a notice (its id in `?done=`, put into
   * words by the page in the operator's language), or the ticket with the problem's code.
   */
  function action(
    path: string,
    run: (auth: OperatorAuth, id: string, request: FastifyRequest) => Promise<{ ok: boolean; error?: string }>,
    done: SupportDoneId,
  ): void {
    fastify.post(`/support/tickets/:id/${path}`, post, async (request, reply) => {
      const id = ticketId(request);
      if (!id) return reply.redirect('/support', 303);
      const r = await run(request.operator!, id, request);
      if (!r.ok) return ticketPage(request, reply, id, { problem: r.error ?? 'ticket_not_found' });
      return reply.redirect(`/support/tickets/${id}?done=${done}`, 303);
    });
  }

  action(
    'verify',
    (auth, id, request) =>
      app.support.recordVerification(auth, id, formField(request.body, 'note', 2000), requestContext(request)),
    'verified',
  );
  action('reset-link', (auth, id, request) => app.support.issueResetLink(auth, id, requestContext(request)), 'link');
  action(
    'second-factor/reset',
    (auth, id, request) => app.support.resetSecondFactor(auth, id, requestContext(request)),
    'factor_reset',
  );
  action(
    'promote',
    (auth, id, request) =>
      app.support.promote(auth, id, formField(request.body, 'target', 64), requestContext(request)),
    'promoted',
  );
  // ---- caller verification, the second operator and the reverse check --------------------

  /** The ticket's requester account, or null. */
  async function requesterOf(id: string): Promise<string | null> {
    const detail = await app.support.getTicket(id);
    return detail.ok ? (detail.value.ticket.requester?.accountId ?? null) : null;
  }
  const SENDING: Record<string, string> = { sending_limited: 'sending_limit' };
  action(
    'verify-caller',
    async (auth, id, request) => {
      const account = await requesterOf(id);
      if (!account) return { ok: false, error: 'ticket_not_found' };
      const r = await app.callers.start(auth.actor, account, requestContext(request));
      return r.ok ? r : { ok: false, error: SENDING[r.error] ?? r.error };
    },
    'caller_sent',
  );
  action(
    'verify-caller/confirm',
    async (auth, id, request) => {
      const account = await requesterOf(id);
      if (!account) return { ok: false, error: 'ticket_not_found' };
      const r = await app.callers.confirm(
        auth.actor,
        account,
        formField(request.body, 'code', 20),
        requestContext(request),
      );
      return r.ok ? r : { ok: false, error: 'invalid_code' };
    },
    'caller_verified',
  );
  action(
    'approval',
    async (auth, id, request) => {
      const account = await requesterOf(id);
      if (!account) return { ok: false, error: 'ticket_not_found' };
      return app.callers.requestApproval(auth.actor, account, requestContext(request));
    },
    'approval',
  );
  // the other ways: the requester reads their authenticator app's code, or uses their passkey on the
  // public page (the ticket's page shows the ticket while it is open); nothing is sent
  for (const way of ['authenticator', 'passkey'] as const) {
    fastify.post(`/support/tickets/:id/verify-caller/${way}`, post, async (request, reply) => {
      const id = ticketId(request);
      const account = id ? await requesterOf(id) : null;
      if (!id || !account) return reply.redirect('/support', 303);
      const r = await app.callers.startByWay(request.operator!.actor, account, way, requestContext(request));
      if (r.ok) return reply.redirect(`/support/tickets/${id}#caller-title`, 303);
      return ticketPage(request, reply, id, { problem: r.error });
    });
  }

  fastify.post('/support/tickets/:id/call-check', post, async (request, reply) => {
    const id = ticketId(request);
    const account = id ? await requesterOf(id) : null;
    if (!id || !account) return reply.redirect('/support', 303);
    const auth = request.operator!;
    const agent = `${auth.operator.displayName} (Technical Support)`;
    const r = await app.callers.startCallCheck(auth.actor, account, agent, requestContext(request));
    return ticketPage(request, reply, id, r.ok ? { phrase: r.value } : { problem: r.error });
  });

  async function approvalsPage(request: FastifyRequest, reply: FastifyReply, outcome: ApprovalsPageProps['outcome']) {
    const auth = request.operator!;
    return sendHtml(
      reply,
      ApprovalsPage({
        operatorName: auth.operator.displayName,
        me: `operator:${auth.operator.id}`,
        csrf: reply.generateCsrf(),
        approvals: await app.callers.openApprovals(),
        outcome,
      }),
      outcome === null || outcome === 'done' ? 200 : 403,
    );
  }
  fastify.get('/support/approvals', { preHandler: requireOperator }, async (request, reply) => {
    return approvalsPage(request, reply, formField(request.query, 'done', 10) === '1' ? 'done' : null);
  });
  fastify.post('/support/approvals/:id/approve', post, async (request, reply) => {
    const id = ticketId(request);
    if (!id) return reply.redirect('/support/approvals', 303);
    const r = await app.callers.approve(request.operator!.actor, id, requestContext(request));
    if (r.ok) return reply.redirect('/support/approvals?done=1', 303);
    return approvalsPage(request, reply, r.error === 'own_request' ? 'own_request' : 'approval_not_found');
  });

  action(
    'close',
    (auth, id, request) =>
      app.support.dismiss(auth, id, formField(request.body, 'reason', 2000), requestContext(request)),
    'closed',
  );
}
