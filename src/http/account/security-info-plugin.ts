import { namedPlugin } from '../plugin-name.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MethodKind } from '../../core/contact.ts';
import { isAdminRole } from '../../core/directory-model.ts';
import type { App } from '../../service/app.ts';
import type { Authenticated } from '../../service/session-service.ts';
import type { SecurityInfoError } from '../../service/security-info-service.ts';
import { ERROR_STATUS } from '../errors.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { sendHtml } from '../send-html.ts';
import { requireSignedIn } from './session.ts';
import { ConfirmCodePage, MethodFormPage, SecurityInfoPage, type SecurityProblemId } from './security-info-views.tsx';
import { qrSvg } from './authenticator-qr.ts';
import { AuthenticatorPage, type AuthenticatorProblemId } from './authenticator-views.tsx';
import { PasskeyPage, type PasskeyProblemId } from './passkey-views.tsx';

/**
 * "My security info" pages: /account/security (both methods, masked), /account/security/{kind}
 * (type a new value), /account/security/{kind}/confirm (type the code, or ask for a new one),
 * and the once-per-session re-confirmation prompt: a GET /account of someone whose method is due
 * is redirected to /account/security?review=1 (the console is never blocked by it).
 *
 * Register it at the root BEFORE the account pages: it adds that prompt as a root-level hook
 * (this plugin is not encapsulated, like fastify-plugin), and its pages in their own scope.
 */
export async function securityInfoPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  fastify.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'GET' || request.routeOptions.url !== '/account') return;
    const auth = request.auth;
    if (!auth || auth.account.mustChangePassword) return;
    if (await app.securityInfo.promptReconfirm(auth, requestContext(request))) {
      return reply.redirect('/account/security?review=1', 303);
    }
  });
  await fastify.register(namedPlugin(securityInfoPages), { app });
}
// not encapsulated (what fastify-plugin does): the prompt hook must reach the account pages
(securityInfoPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

const KINDS: ReadonlySet<string> = new Set(['email', 'phone']);

function kindOf(request: FastifyRequest): MethodKind | null {
  const kind = (request.params as Record<string, unknown>)?.kind;
  return typeof kind === 'string' && KINDS.has(kind) ? (kind as MethodKind) : null;
}

function statusOf(error: SecurityInfoError): number {
  return ERROR_STATUS[error];
}

async function securityInfoPages(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, async (request, reply) => {
    if (!request.auth) return reply.redirect('/signin?next=%2Faccount%2Fsecurity', 303);
    return showOverview(request, reply, request.auth, 403, 'csrf_invalid');
  });
  const post = { preHandler: [csrfCheck.preHandler, requireSignedIn] };

  async function showOverview(
    request: FastifyRequest,
    reply: FastifyReply,
    auth: Authenticated,
    status: number,
    problem: SecurityProblemId | null,
  ) {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const overview = await app.securityInfo.overview(auth);
    const authenticator = await app.securityInfo.authenticator.status(auth);
    const done = typeof query.done === 'string' && KINDS.has(query.done) ? (query.done as MethodKind) : null;
    const authenticatorChange =
      query.done === 'authenticator' ? 'added' : query.removed === 'authenticator' ? 'removed' : null;
    return sendHtml(
      reply,
      SecurityInfoPage({
        csrf: reply.generateCsrf(),
        overview,
        isAdmin: isAdminRole(auth.account.role),
        review: query.review === '1',
        confirmed: done,
        problem,
        authenticator,
        authenticatorChange,
        passkeys: await app.securityInfo.passkeys.list(auth),
        passkeyChange: query.done === 'passkey' ? 'added' : query.removed === 'passkey' ? 'removed' : null,
        recoveryCodesLeft: isAdminRole(auth.account.role)
          ? await app.consoleFactors.setup.recoveryCodesLeft({ kind: 'account', id: auth.account.id })
          : null,
      }),
      status,
    );
  }

  async function showForm(
    reply: FastifyReply,
    auth: Authenticated,
    kind: MethodKind,
    value: string,
    status: number,
    problem: SecurityProblemId | null,
  ) {
    const overview = await app.securityInfo.overview(auth);
    return sendHtml(
      reply,
      MethodFormPage({ csrf: reply.generateCsrf(), kind, current: overview[kind], value, problem }),
      status,
    );
  }

  async function showConfirm(
    reply: FastifyReply,
    auth: Authenticated,
    kind: MethodKind,
    status: number,
    problem: SecurityProblemId | null,
    resent = false,
  ) {
    const pending = await app.securityInfo.pending(auth, kind);
    if (!pending) return reply.redirect(`/account/security/${kind}`, 303);
    return sendHtml(
      reply,
      ConfirmCodePage({ csrf: reply.generateCsrf(), pending, problem, resent, now: app.clock.now() }),
      status,
    );
  }

  fastify.get('/account/security', { preHandler: requireSignedIn }, async (request, reply) =>
    showOverview(request, reply, request.auth!, 200, null),
  );

  // ---- the authenticator app (static routes: they win over /account/security/:kind) ----

  async function showAuthenticator(
    reply: FastifyReply,
    auth: Authenticated,
    status: number,
    problem: AuthenticatorProblemId | null,
  ) {
    const setup = await app.securityInfo.authenticator.pending(auth);
    return sendHtml(
      reply,
      AuthenticatorPage({
        csrf: reply.generateCsrf(),
        setup: setup ? { ...setup, qrSvg: await qrSvg(setup.uri) } : null,
        problem,
      }),
      status,
    );
  }

  fastify.get('/account/security/authenticator', { preHandler: requireSignedIn }, async (request, reply) => {
    const auth = request.auth!;
    if ((await app.securityInfo.authenticator.status(auth)).confirmedAt !== null) {
      return reply.redirect('/account/security', 303);
    }
    return showAuthenticator(reply, auth, 200, null);
  });

  fastify.post('/account/security/authenticator', post, async (request, reply) => {
    const auth = request.auth!;
    const result = await app.securityInfo.authenticator.start(auth, requestContext(request));
    if (!result.ok) return showOverview(request, reply, auth, 409, result.error);
    return reply.redirect('/account/security/authenticator', 303);
  });

  fastify.post('/account/security/authenticator/confirm', post, async (request, reply) => {
    const auth = request.auth!;
    const result = await app.securityInfo.authenticator.confirm(
      auth,
      formField(request.body, 'code', 32),
      requestContext(request),
    );
    if (!result.ok) return showAuthenticator(reply, auth, 400, result.error);
    return reply.redirect('/account/security?done=authenticator', 303);
  });

  fastify.post('/account/security/authenticator/remove', post, async (request, reply) => {
    await app.securityInfo.authenticator.remove(request.auth!, requestContext(request));
    return reply.redirect('/account/security?removed=authenticator', 303);
  });

  // ---- passkeys (static routes too) ----

  async function showPasskey(
    request: FastifyRequest,
    reply: FastifyReply,
    auth: Authenticated,
    status: number,
    problem: PasskeyProblemId | null,
  ) {
    const options = await app.securityInfo.passkeys.options(auth, requestContext(request));
    return sendHtml(
      reply,
      PasskeyPage({
        csrf: reply.generateCsrf(),
        options: options.ok ? JSON.stringify(options.value) : null,
        problem: problem ?? (options.ok ? null : options.error),
      }),
      problem ? status : options.ok ? 200 : 409,
    );
  }

  fastify.get('/account/security/passkeys', { preHandler: requireSignedIn }, async (request, reply) =>
    showPasskey(request, reply, request.auth!, 200, null),
  );

  fastify.post('/account/security/passkeys', post, async (request, reply) => {
    const auth = request.auth!;
    const result = await app.securityInfo.passkeys.register(
      auth,
      formField(request.body, 'credential', 60_000),
      formField(request.body, 'name', 200),
      request.i18n.t('securityinfo.passkey.defaultName'),
      requestContext(request),
    );
    if (!result.ok) return showPasskey(request, reply, auth, 400, result.error);
    return reply.redirect('/account/security?done=passkey', 303);
  });

  fastify.post('/account/security/passkeys/:id/remove', post, async (request, reply) => {
    const id = String((request.params as Record<string, unknown>).id ?? '').slice(0, 64);
    await app.securityInfo.passkeys.remove(request.auth!, id, requestContext(request));
    return reply.redirect('/account/security?removed=passkey', 303);
  });

  fastify.get('/account/security/:kind', { preHandler: requireSignedIn }, async (request, reply) => {
    const kind = kindOf(request);
    if (!kind) return reply.callNotFound();
    return showForm(reply, request.auth!, kind, '', 200, null);
  });

  fastify.post('/account/security/:kind', post, async (request, reply) => {
    const kind = kindOf(request);
    if (!kind) return reply.callNotFound();
    const auth = request.auth!;
    const value = formField(request.body, 'value', 320);
    const result = await app.securityInfo.startChange(auth, kind, value, requestContext(request));
    if (!result.ok) {
      if (result.waitMs) void reply.header('retry-after', String(Math.ceil(result.waitMs / 1000)));
      return showForm(reply, auth, kind, value, statusOf(result.error), result.error);
    }
    return reply.redirect(`/account/security/${kind}/confirm`, 303);
  });

  fastify.post('/account/security/:kind/reconfirm', post, async (request, reply) => {
    const kind = kindOf(request);
    if (!kind) return reply.callNotFound();
    const auth = request.auth!;
    const result = await app.securityInfo.startReconfirm(auth, kind, requestContext(request));
    if (!result.ok) {
      if (result.waitMs) void reply.header('retry-after', String(Math.ceil(result.waitMs / 1000)));
      return showOverview(request, reply, auth, statusOf(result.error), result.error);
    }
    return reply.redirect(`/account/security/${kind}/confirm`, 303);
  });

  fastify.get('/account/security/:kind/confirm', { preHandler: requireSignedIn }, async (request, reply) => {
    const kind = kindOf(request);
    if (!kind) return reply.callNotFound();
    const resent = (request.query as Record<string, unknown>)?.resent === '1';
    return showConfirm(reply, request.auth!, kind, 200, null, resent);
  });

  fastify.post('/account/security/:kind/confirm', post, async (request, reply) => {
    const kind = kindOf(request);
    if (!kind) return reply.callNotFound();
    const auth = request.auth!;
    const result = await app.securityInfo.confirm(
      auth,
      kind,
      formField(request.body, 'code', 32),
      requestContext(request),
    );
    if (!result.ok) {
      const problem = result.error;
      const pending = await app.securityInfo.pending(auth, kind);
      // nothing left to confirm in this session: back to the start, with the reason
      if (!pending) return showForm(reply, auth, kind, '', 400, problem);
      return showConfirm(reply, auth, kind, 400, problem);
    }
    return reply.redirect(`/account/security?done=${kind}`, 303);
  });

  fastify.post('/account/security/:kind/resend', post, async (request, reply) => {
    const kind = kindOf(request);
    if (!kind) return reply.callNotFound();
    const auth = request.auth!;
    const result = await app.securityInfo.resend(auth, kind, requestContext(request));
    if (!result.ok) {
      if (result.error === 'nothing_pending') return reply.redirect(`/account/security/${kind}`, 303);
      if (result.waitMs) void reply.header('retry-after', String(Math.ceil(result.waitMs / 1000)));
      return showConfirm(reply, auth, kind, statusOf(result.error), result.error);
    }
    return reply.redirect(`/account/security/${kind}/confirm?resent=1`, 303);
  });
}
