import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { Result } from '../../core/result.ts';
import { messagesDelayedText, problemIn, type ProblemText } from '../../core/ui-text.ts';
import type { App } from '../../service/app.ts';
import type { FlowHandle, FlowView, StepError, StepOk } from '../../service/reset-service.ts';
import type { RequestContext } from '../../service/request-context.ts';
import { ERROR_STATUS } from '../errors.ts';
import { sendHtml as sendPage } from '../send-html.ts';
import { supportReference } from '../support-reference.ts';
import { registerAltchaAssets } from './altcha-assets.ts';
import { UnlockedPage } from './unlock-views.tsx';
import { csrfCookieSpec, flowCookieSpec, flowCookieValue, parseFlowCookie } from './flow-cookie.ts';
import { pageLocale } from '../forms.ts';
import {
  CompletedPage,
  InvalidCodePage,
  LinkPage,
  withMessagesDelayed,
  ProblemPage,
  StartPage,
  StepPage,
  type Helpdesk,
} from './reset-views.tsx';

export interface ResetPagesOptions {
  readonly app: App;
}

/** Every problem a reset page can show, by id. */
export type PageProblemId = StepError | 'login_invalid' | 'captcha_failed' | 'rate_limited' | 'csrf_invalid';

/** The HTTP status of a problem on the pages: the one status map (`ERROR_STATUS`), as the JSON API's. */
export function problemStatus(id: PageProblemId): number {
  return ERROR_STATUS[id];
}

/** Problems about the page's one input: the page is shown again with the field marked. */
const FIELD_PROBLEMS: ReadonlySet<string> = new Set([
  'code_malformed',
  'phone_invalid',
  'password_mismatch',
  'password_reused',
  'password_too_short',
  'password_too_long',
  'password_common',
  'password_personal',
  'password_repetitive',
  // the directory refused the password itself: another one may pass
  'directory_too_short',
  'directory_not_complex',
  'directory_in_history',
]);

/** Problems shown on the current step's page rather than as a dead end. */
const IN_PAGE_PROBLEMS: ReadonlySet<string> = new Set([
  ...FIELD_PROBLEMS,
  'code_superseded',
  'passkey_refused',
  'method_cooling_off',
  'resend_too_soon',
  'too_many_codes',
  'wrong_step',
  // Redis down: the code page again (nothing was checked), so the same code can be typed once it is back
  'service_unavailable',
  // every other refusal of the directory: the flow still waits for a password (nothing was changed)
  'directory_too_young',
  'directory_locked',
  'directory_disabled',
  'directory_must_change',
  'directory_tls_required',
  'directory_not_allowed',
  'directory_unreachable',
  'directory_rejected',
]);

const STEP_STATES = new Set(['email_code', 'phone_number', 'sms_code', 'totp_code', 'passkey_check', 'new_password']);
const LINK_TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

/** In the request's language; `detail`: a step's detail (a time for `code_superseded`, `sms_paused`, `method_cooling_off`, `directory_unreachable`). */
function problemText(request: FastifyRequest, id: PageProblemId, detail?: string): ProblemText {
  return problemIn(request.i18n, id, detail);
}

/** A form field as a string ('' when missing or not a string), capped at `max` characters. */
function field(body: unknown, name: string, max = 1024): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

function isCsrfError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET';
}

/**
 * The help desk of a flow's tenant. The service finds the tenant from the login's domain, so a
 * known and an unknown user ID of the same tenant show the same help desk: it reveals nothing.
 */
function revealedHelpdesk(view: FlowView | null): Helpdesk | null {
  return view ? view.helpdesk : null;
}

/**
 * The self-service reset pages (an encapsulated plugin: its cookie, form and CSRF handling stay
 * inside). Register with `server.register(resetPagesPlugin, { app })`.
 *
 * Routes: GET/POST /reset, GET /reset/challenge, GET /reset/flow, POST /reset/flow/{code,
 * resend, use-phone, back-to-email, retype-phone, phone, password, unlock}, GET(HEAD)/POST /reset/link,
 * and the ALTCHA widget files under /static/altcha/.
 */
export async function resetPagesPlugin(fastify: FastifyInstance, options: ResetPagesOptions): Promise<void> {
  const { app } = options;
  /** Every page here carries the "messages are delayed" notice while email or SMS fails (no I/O: see DeliveryHealthService). */
  const sendHtml = (reply: FastifyReply, page: VNode, status?: number): FastifyReply =>
    sendPage(reply, withMessagesDelayed(messagesDelayedText(app.deliveryHealth.delayed()), page), status);
  const flowCookie = flowCookieSpec(app.config.public_url);
  const csrfCookie = csrfCookieSpec(app.config.public_url);
  const codeMinutes = Math.max(1, Math.round(app.config.code_ttl_ms / 60_000));

  if (!fastify.hasRequestDecorator('cookies')) await fastify.register(fastifyCookie);
  if (!fastify.hasContentTypeParser('application/x-www-form-urlencoded')) await fastify.register(fastifyFormbody);
  await fastify.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: csrfCookie.name,
    cookieOpts: { ...csrfCookie.options },
    // the token travels only in the form body: the check runs as a preHandler, after parsing
    getToken: (request: FastifyRequest) => field(request.body, '_csrf', 256) || undefined,
  });

  registerAltchaAssets(fastify, { production: app.config.production });

  // A missing or wrong CSRF token: a 403 page, nothing done. Anything else goes to the root handler.
  fastify.setErrorHandler((error, request, reply) => {
    if (!isCsrfError(error)) throw error;
    request.log.info({ errorCode: 'csrf_invalid', statusCode: 403 }, 'request rejected');
    return problemPage(request, reply, 'csrf_invalid', null);
  });

  const csrfCheck = { preHandler: fastify.csrfProtection };

  function rc(request: FastifyRequest): RequestContext {
    const ua = request.headers['user-agent'];
    // host: the reset link of its emails comes back to this address when it is the tenant's own
    return {
      ip: request.ip ?? null,
      userAgent: typeof ua === 'string' ? ua : null,
      locale: pageLocale(request),
      host: request.host ?? null,
    };
  }

  function readHandle(request: FastifyRequest): FlowHandle | null {
    return parseFlowCookie(request.cookies[flowCookie.name]);
  }

  function setHandle(reply: FastifyReply, handle: FlowHandle): void {
    reply.setCookie(flowCookie.name, flowCookieValue(handle), { ...flowCookie.options });
  }

  function seeFlow(reply: FastifyReply): FastifyReply {
    return reply.code(303).header('location', '/reset/flow').send();
  }

  function problemPage(
    request: FastifyRequest,
    reply: FastifyReply,
    id: PageProblemId,
    view: FlowView | null,
    detail?: string,
  ): FastifyReply {
    return sendHtml(
      reply,
      ProblemPage({
        problem: problemText(request, id, detail),
        helpdesk: revealedHelpdesk(view),
        reference: supportReference(request, id),
      }),
      problemStatus(id),
    );
  }

  function stepPage(
    reply: FastifyReply,
    view: FlowView,
    problem: PageProblemId | null,
    status = problem ? problemStatus(problem) : 200,
    detail?: string,
    passkeyOptions: string | null = null,
  ): FastifyReply {
    return sendHtml(
      reply,
      StepPage({
        view,
        now: app.clock.now(),
        csrf: reply.generateCsrf(),
        problem: problem ? problemText(reply.request, problem, detail) : null,
        fieldProblem: problem !== null && FIELD_PROBLEMS.has(problem),
        codeMinutes,
        helpdesk: revealedHelpdesk(view),
        passkeyOptions,
      }),
      status,
    );
  }

  /** The passkey step's options with a new challenge bound to the flow (each showing of the page makes one). */
  async function passkeyOptionsOf(handle: FlowHandle, view: FlowView): Promise<string | null> {
    if (view.state !== 'passkey_check') return null;
    const options = await app.reset.passkeyOptions(handle);
    return options.ok ? JSON.stringify(options.value) : null;
  }

  /** Shows a step's expected failure: on the current page when it is about the page, else as a dead end. */
  async function showStepError(
    request: FastifyRequest,
    reply: FastifyReply,
    handle: FlowHandle | null,
    error: StepError,
    detail?: string,
  ): Promise<FastifyReply> {
    // a form of a reset that already ended by unlocking the account (the back button): say that again
    if (error === 'flow_completed' && handle && (await app.reset.peekState(handle.flowId)) === 'unlocked')
      return sendHtml(reply, UnlockedPage());
    const current = handle ? await app.reset.view(handle) : null;
    const view = current?.ok ? current.value : null;
    if (error === 'invalid_code') {
      return sendHtml(
        reply,
        InvalidCodePage({
          helpdesk: revealedHelpdesk(view),
          canRetry:
            view !== null && (view.state === 'email_code' || view.state === 'sms_code' || view.state === 'totp_code'),
          reference: supportReference(request, error),
        }),
        problemStatus(error),
      );
    }
    if (IN_PAGE_PROBLEMS.has(error) && view && STEP_STATES.has(view.state))
      return stepPage(
        reply,
        view,
        error,
        problemStatus(error),
        detail,
        handle ? await passkeyOptionsOf(handle, view) : null,
      );
    // the flow ended meanwhile (expired, say): say that, not the step's problem
    if (IN_PAGE_PROBLEMS.has(error) && current && !current.ok) return problemPage(request, reply, current.error, null);
    return problemPage(request, reply, error, view, detail);
  }

  /** Runs one step for the browser's flow: 303 to the flow page on success (with the rotated cookie). */
  async function runStep(
    request: FastifyRequest,
    reply: FastifyReply,
    action: (handle: FlowHandle, context: RequestContext) => Promise<Result<StepOk | FlowView, StepError>>,
  ): Promise<FastifyReply> {
    const handle = readHandle(request);
    if (!handle) return problemPage(request, reply, 'flow_not_found', null);
    const result = await action(handle, rc(request));
    if (!result.ok) return showStepError(request, reply, handle, result.error, result.detail);
    if ('secret' in result.value) setHandle(reply, { flowId: handle.flowId, secret: result.value.secret });
    return seeFlow(reply);
  }

  // ---- start ---------------------------------------------------------------------------

  const challengeJson = async () => JSON.stringify(await app.captcha.challenge());

  fastify.get('/reset', async (_request, reply) =>
    sendHtml(
      reply,
      StartPage({ csrf: reply.generateCsrf(), challenge: await challengeJson(), login: '', problem: null }),
    ),
  );

  fastify.get('/reset/challenge', async () => app.captcha.challenge());

  fastify.post('/reset', csrfCheck, async (request, reply) => {
    const login = field(request.body, 'login', 320);
    const startPage = async (id: 'captcha_failed' | 'login_invalid') =>
      sendHtml(
        reply,
        StartPage({
          csrf: reply.generateCsrf(),
          challenge: await challengeJson(),
          login,
          problem: problemText(request, id),
          problemField: id === 'login_invalid' ? 'login' : 'captcha',
        }),
        problemStatus(id),
      );
    const captcha = app.captcha.check(field(request.body, 'altcha', 8_192));
    if (!captcha) return startPage('captcha_failed');
    const started = await app.reset.start(login, rc(request), captcha);
    if (!started.ok) {
      if (started.error === 'login_invalid' || started.error === 'captcha_failed') return startPage(started.error);
      reply.header('retry-after', String(Math.max(1, Math.ceil((started.retryAfterMs ?? 60_000) / 1000))));
      return problemPage(request, reply, 'rate_limited', null);
    }
    setHandle(reply, started.value);
    return seeFlow(reply);
  });

  // ---- the flow ------------------------------------------------------------------------

  fastify.get('/reset/flow', async (request, reply) => {
    const handle = readHandle(request);
    if (!handle) return problemPage(request, reply, 'flow_not_found', null);
    const current = await app.reset.view(handle);
    if (!current.ok) {
      if (current.error === 'flow_completed')
        // the flow's browser (its binding checked by view): a reset, or an unlock without one
        return sendHtml(
          reply,
          (await app.reset.peekState(handle.flowId)) === 'unlocked' ? UnlockedPage() : CompletedPage(),
        );
      return problemPage(request, reply, current.error, null);
    }
    if (!STEP_STATES.has(current.value.state)) return problemPage(request, reply, 'flow_expired', null);
    return stepPage(reply, current.value, null, 200, undefined, await passkeyOptionsOf(handle, current.value));
  });

  fastify.post('/reset/flow/code', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.submitCode(h, field(request.body, 'code', 64), c)),
  );
  fastify.post('/reset/flow/resend', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.resend(h, c)),
  );
  fastify.post('/reset/flow/use-phone', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.usePhone(h, c)),
  );
  fastify.post('/reset/flow/use-authenticator', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.useAuthenticator(h, c)),
  );
  fastify.post('/reset/flow/use-passkey', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.usePasskey(h, c)),
  );
  fastify.post('/reset/flow/passkey', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.submitPasskey(h, field(request.body, 'credential', 60_000), c)),
  );
  fastify.post('/reset/flow/back-to-email', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.backToEmail(h, c)),
  );
  fastify.post('/reset/flow/retype-phone', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.retypePhone(h, c)),
  );
  fastify.post('/reset/flow/phone', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.submitPhone(h, field(request.body, 'phone', 64), c)),
  );
  fastify.post('/reset/flow/unlock', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) => app.reset.unlockAccount(h, c)),
  );
  fastify.post('/reset/flow/password', csrfCheck, (request, reply) =>
    runStep(request, reply, (h, c) =>
      app.reset.setPassword(h, field(request.body, 'password'), field(request.body, 'confirm'), c),
    ),
  );

  // ---- the email link ------------------------------------------------------------------

  // GET (and HEAD) change nothing: mail scanners fetch links. Continue posts the token.
  fastify.get('/reset/link', async (request, reply) => {
    const token = field(request.query, 't', 128);
    if (!LINK_TOKEN.test(token)) {
      return sendHtml(
        reply,
        InvalidCodePage({ helpdesk: null, canRetry: false, reference: supportReference(request, 'invalid_code') }),
        400,
      );
    }
    return sendHtml(reply, LinkPage({ token, csrf: reply.generateCsrf() }));
  });

  fastify.post('/reset/link', csrfCheck, async (request, reply) => {
    const handle = readHandle(request);
    const result = await app.reset.consumeLink(field(request.body, 't', 128), handle, rc(request));
    if (!result.ok) return showStepError(request, reply, handle, result.error, result.detail);
    setHandle(reply, { flowId: result.value.view.flowId, secret: result.value.secret });
    return seeFlow(reply);
  });
}
