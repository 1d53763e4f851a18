import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAdminRole } from '../../core/directory-model.ts';
import type { App } from '../../service/app.ts';
import { ERROR_STATUS } from '../errors.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { sendHtml } from '../send-html.ts';
import { setConsoleStepCookie } from './console-step-plugin.ts';
import { AccountHomePage, ChangePasswordPage, SigninPage, type SigninProblemId } from './account-views.tsx';
import { clearSessionCookie, requireSignedIn, safeNext, sessionCookieSpec, setSessionCookie } from './session.ts';

/**
 * Sign-in, sign-out, the account home and password change. Sessions are read for every request by
 * `registerSessions` (root level); this plugin only adds the pages.
 */
export async function accountPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, (request, reply) =>
    showSignin(request, reply, 403, '', '/account', 'csrf_invalid'),
  );

  function showSignin(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    login: string,
    next: string,
    problem: SigninProblemId | null,
    unlockHint = false,
  ) {
    return sendHtml(reply, SigninPage({ csrf: reply.generateCsrf(), login, next, problem, unlockHint }), status);
  }

  fastify.get('/', async (request, reply) => reply.redirect(request.auth ? '/account' : '/signin', 303));

  fastify.get('/signin', async (request, reply) => {
    if (request.auth) return reply.redirect('/account', 303);
    const next = safeNext((request.query as Record<string, unknown>)?.next);
    return showSignin(request, reply, 200, '', next, null);
  });

  fastify.post('/signin', csrfCheck, async (request, reply) => {
    const login = formField(request.body, 'login', 320);
    const password = formField(request.body, 'password', 1024);
    const next = safeNext(formField(request.body, 'next', 300));
    const result = await app.sessions.signIn(login, password, requestContext(request));
    if (!result.ok) {
      const status = ERROR_STATUS[result.error];
      if (result.retryAfterMs) void reply.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)));
      return showSignin(request, reply, status, login, next, result.error, result.unlockOffered === true);
    }
    if (result.value.secondStep) {
      // an administrator: the password opened a pending console sign-in, the second step comes next
      setConsoleStepCookie(app, reply, result.value.token);
      return reply.redirect(`/signin/second-factor?next=${encodeURIComponent(next)}`, 303);
    }
    setSessionCookie(app, reply, result.value.token);
    return reply.redirect(result.value.account.mustChangePassword ? '/account/password' : next, 303);
  });

  fastify.post('/signout', csrfCheck, async (request, reply) => {
    const token = request.cookies?.[sessionCookieName(app)];
    if (token) await app.sessions.signOut(token, requestContext(request));
    clearSessionCookie(app, reply);
    return reply.redirect('/signin', 303);
  });

  fastify.get('/account', { preHandler: requireSignedIn }, async (request, reply) => {
    const auth = request.auth!;
    const methods = await app.accounts.methods(auth.account.id);
    return sendHtml(
      reply,
      AccountHomePage({
        csrf: reply.generateCsrf(),
        displayName: auth.account.displayName,
        login: auth.account.login,
        methods,
        isAdmin: isAdminRole(auth.account.role),
        passwordChanged: (request.query as Record<string, unknown>)?.changed === '1',
      }),
    );
  });

  fastify.get('/account/password', { preHandler: requireSignedIn }, async (request, reply) => {
    const auth = request.auth!;
    return sendHtml(
      reply,
      ChangePasswordPage({
        csrf: reply.generateCsrf(),
        forced: auth.account.mustChangePassword,
        directory: auth.account.externalId !== null,
        minLength: auth.tenant.policy.passwordMinLength,
        problem: null,
      }),
    );
  });

  fastify.post('/account/password', { preHandler: [csrfCheck.preHandler, requireSignedIn] }, async (request, reply) => {
    const auth = request.auth!;
    const result = await app.sessions.changePassword(
      auth,
      formField(request.body, 'current'),
      formField(request.body, 'password'),
      formField(request.body, 'confirm'),
      requestContext(request),
    );
    if (!result.ok) {
      return sendHtml(
        reply,
        ChangePasswordPage({
          csrf: reply.generateCsrf(),
          forced: auth.account.mustChangePassword,
          directory: auth.account.externalId !== null,
          minLength: auth.tenant.policy.passwordMinLength,
          problem: result.error,
        }),
        400,
      );
    }
    setSessionCookie(app, reply, result.value.token);
    return reply.redirect('/account?changed=1', 303);
  });
}

function sessionCookieName(app: App): string {
  return sessionCookieSpec(app.config.public_url).name;
}
