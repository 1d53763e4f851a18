import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import type { ConsoleOwnerKind } from '../../core/console-factor.ts';
import { isAdminRole } from '../../core/directory-model.ts';
import type { App } from '../../service/app.ts';
import type { SecondStepError } from '../../service/console-factor-service.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { isLocalHttp, type CookieSpec } from '../reset/flow-cookie.ts';
import { sendHtml } from '../send-html.ts';
import { setSupportCookie, supportCookieSpec } from '../support/support-session.ts';
import { qrSvg } from './authenticator-qr.ts';
import {
  ConsoleSetupPage,
  ConsoleStepPage,
  RecoveryCodesPage,
  type ConsoleStepProblem,
} from './console-step-views.tsx';
import { safeNext, sessionCookieSpec, setSessionCookie } from './session.ts';

export const SECURE_STEP_COOKIE = '__Host-sspr_console_step';
export const PLAIN_STEP_COOKIE = 'sspr_console_step';

/** The pending console sign-in's cookie: `__Host-`, Secure, HttpOnly, SameSite=Lax (plain name on http://localhost only). */
export function consoleStepCookieSpec(publicUrl: string): CookieSpec {
  const local = isLocalHttp(publicUrl);
  return {
    name: local ? PLAIN_STEP_COOKIE : SECURE_STEP_COOKIE,
    options: { path: '/', httpOnly: true, sameSite: 'lax', secure: !local },
  };
}

export function setConsoleStepCookie(app: App, reply: FastifyReply, token: string): void {
  const c = consoleStepCookieSpec(app.config.public_url);
  void reply.setCookie(c.name, token, { ...c.options });
}

/**
 * The second step of the consoles (console-factor-service.ts): `/signin/second-factor` after an
 * administrator's password, `/support/second-factor` after an operator's. The pending sign-in's
 * own cookie is no session: only these pages read it. Passing sets the console's session cookie
 * and drops the pending one. Also `/admin/recovery-codes` and `/support/recovery-codes`: a new
 * set of recovery codes from a signed-in console.
 */
export async function consoleStepPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(fastifyCookie);
  const stepCookie = consoleStepCookieSpec(app.config.public_url);
  const { csrfCheck } = await registerForms(fastify, app, (request, reply) =>
    reply.redirect(kindOf(request) === 'operator' ? '/support/signin' : '/signin', 303),
  );

  function kindOf(request: FastifyRequest): ConsoleOwnerKind {
    return request.url.startsWith('/support/') ? 'operator' : 'account';
  }
  const bases: Record<ConsoleOwnerKind, string> = {
    account: '/signin/second-factor',
    operator: '/support/second-factor',
  };
  const signinOf: Record<ConsoleOwnerKind, string> = { account: '/signin', operator: '/support/signin' };

  function tokenOf(request: FastifyRequest): string {
    return request.cookies?.[stepCookie.name] ?? '';
  }
  function nextOf(request: FastifyRequest, kind: ConsoleOwnerKind): string {
    if (kind === 'operator') return '/support';
    const n = (request.query as Record<string, unknown> | undefined)?.next;
    return typeof n === 'string' ? safeNext(n) : '/admin';
  }

  async function stepPage(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: ConsoleOwnerKind,
    problem: ConsoleStepProblem | null,
    status = 200,
  ): Promise<FastifyReply> {
    const base = bases[kind];
    const next = nextOf(request, kind);
    if (problem === 'attempts_exhausted') {
      void reply.clearCookie(stepCookie.name, { ...stepCookie.options });
      return sendHtml(
        reply,
        ConsoleStepPage({
          base,
          csrf: '',
          next,
          login: '',
          hasAuthenticator: false,
          passkeyOptions: null,
          problem,
          signinAgain: signinOf[kind],
        }),
        status,
      );
    }
    const p = await app.consoleFactors.pending(tokenOf(request), kind);
    if (!p) return reply.redirect(signinOf[kind], 303);
    if (!p.has.authenticator && !p.has.passkey)
      return reply.redirect(`${base}/setup?next=${encodeURIComponent(next)}`, 303);
    const options = p.has.passkey ? await app.consoleFactors.passkeyOptions(tokenOf(request), kind) : null;
    return sendHtml(
      reply,
      ConsoleStepPage({
        base,
        csrf: reply.generateCsrf(),
        next,
        login: p.login,
        hasAuthenticator: p.has.authenticator,
        passkeyOptions: options ? JSON.stringify(options) : null,
        problem,
        signinAgain: null,
      }),
      status,
    );
  }

  /** The step passed: the console's session cookie, the pending one dropped, on to the console. */
  function signedIn(reply: FastifyReply, kind: ConsoleOwnerKind, token: string, mustChange: boolean, next: string) {
    void reply.clearCookie(stepCookie.name, { ...stepCookie.options });
    if (kind === 'operator') {
      setSupportCookie(app, reply, token);
      return '/support';
    }
    setSessionCookie(app, reply, token);
    return mustChange ? '/account/password' : next;
  }

  function problemOf(e: SecondStepError): ConsoleStepProblem | null {
    return e === 'pending_unknown' || e === 'factor_exists' ? null : e;
  }

  for (const kind of ['account', 'operator'] as const) {
    const base = bases[kind];
    fastify.get(base, async (request, reply) => stepPage(request, reply, kind, null));

    const submit =
      (run: (token: string, request: FastifyRequest) => ReturnType<App['consoleFactors']['verifyAuthenticator']>) =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        const result = await run(tokenOf(request), request);
        if (!result.ok) {
          const problem = problemOf(result.error);
          if (problem === null) return reply.redirect(signinOf[kind], 303);
          return stepPage(request, reply, kind, problem, problem === 'attempts_exhausted' ? 429 : 400);
        }
        const where = signedIn(reply, kind, result.value.token, result.value.mustChangePassword, nextOf(request, kind));
        return reply.redirect(where, 303);
      };
    fastify.post(
      base,
      csrfCheck,
      submit((token, request) =>
        app.consoleFactors.verifyAuthenticator(
          token,
          kind,
          formField(request.body, 'code', 20),
          requestContext(request),
        ),
      ),
    );
    fastify.post(
      `${base}/recovery`,
      csrfCheck,
      submit((token, request) =>
        app.consoleFactors.verifyRecoveryCode(
          token,
          kind,
          formField(request.body, 'recovery', 40),
          requestContext(request),
        ),
      ),
    );
    fastify.post(
      `${base}/passkey`,
      csrfCheck,
      submit((token, request) =>
        app.consoleFactors.verifyPasskey(
          token,
          kind,
          formField(request.body, 'credential', 60_000),
          requestContext(request),
        ),
      ),
    );

    async function setupPage(
      request: FastifyRequest,
      reply: FastifyReply,
      problem: ConsoleStepProblem | null,
      status = 200,
    ) {
      const view = await app.consoleFactors.setup.view(tokenOf(request), kind);
      return sendHtml(
        reply,
        ConsoleSetupPage({
          base,
          csrf: reply.generateCsrf(),
          next: nextOf(request, kind),
          setup: view ? { ...view, qrSvg: await qrSvg(view.uri) } : null,
          problem,
        }),
        status,
      );
    }
    fastify.get(`${base}/setup`, async (request, reply) => {
      const p = await app.consoleFactors.pending(tokenOf(request), kind);
      if (!p) return reply.redirect(signinOf[kind], 303);
      if (p.has.authenticator || p.has.passkey) return reply.redirect(base, 303);
      return setupPage(request, reply, null);
    });
    fastify.post(`${base}/setup`, csrfCheck, async (request, reply) => {
      const started = await app.consoleFactors.setup.start(tokenOf(request), kind, requestContext(request));
      if (!started.ok) return reply.redirect(started.error === 'factor_exists' ? base : signinOf[kind], 303);
      return reply.redirect(`${base}/setup?next=${encodeURIComponent(nextOf(request, kind))}`, 303);
    });
    fastify.post(`${base}/setup/confirm`, csrfCheck, async (request, reply) => {
      const result = await app.consoleFactors.setup.confirm(
        tokenOf(request),
        kind,
        formField(request.body, 'code', 20),
        requestContext(request),
      );
      if (!result.ok) {
        const problem = problemOf(result.error);
        if (problem === null) return reply.redirect(signinOf[kind], 303);
        if (problem === 'attempts_exhausted') return stepPage(request, reply, kind, problem, 429);
        return setupPage(request, reply, problem, 400);
      }
      const where = signedIn(reply, kind, result.value.token, result.value.mustChangePassword, nextOf(request, kind));
      void reply.header('cache-control', 'no-store');
      return sendHtml(reply, RecoveryCodesPage({ codes: result.value.recoveryCodes, next: where }));
    });
  }

  // a new set of recovery codes, from a signed-in console (the old set stops working)
  fastify.post('/admin/recovery-codes', csrfCheck, async (request, reply) => {
    const token = request.cookies?.[sessionCookieSpec(app.config.public_url).name];
    const auth = token ? await app.sessions.authenticate(token) : null;
    if (!auth || !isAdminRole(auth.account.role)) return reply.redirect('/signin', 303);
    const codes = await app.consoleFactors.setup.regenerate(
      { kind: 'account', id: auth.account.id },
      { account: auth.account, operator: null },
      requestContext(request),
    );
    void reply.header('cache-control', 'no-store');
    return sendHtml(reply, RecoveryCodesPage({ codes, next: '/admin' }));
  });
  fastify.post('/support/recovery-codes', csrfCheck, async (request, reply) => {
    const token = request.cookies?.[supportCookieSpec(app.config.public_url).name];
    const auth = token ? await app.operators.authenticate(token) : null;
    if (!auth) return reply.redirect('/support/signin', 303);
    const codes = await app.consoleFactors.setup.regenerate(
      { kind: 'operator', id: auth.operator.id },
      { account: null, operator: auth.operator },
      requestContext(request),
    );
    void reply.header('cache-control', 'no-store');
    return sendHtml(reply, RecoveryCodesPage({ codes, next: '/support' }));
  });
}
