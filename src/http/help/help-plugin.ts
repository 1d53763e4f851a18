import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../service/app.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { flowCookieSpec, parseFlowCookie } from '../reset/flow-cookie.ts';
import { sendHtml } from '../send-html.ts';
import { HelpFormPage, HelpSentPage, type HelpProblemId } from './help-views.tsx';

/**
 * `GET/POST /help`: the help request form that every dead end of the reset flow links to. The
 * answer to a well-formed request is the same page for every login (existing, unknown, disabled),
 * with a reference code; only the service knows where the request went.
 *
 * Sent from a browser with a reset flow (the flow cookie, checked like a step's binding), the form
 * uses the login typed at the start of that flow and asks no CAPTCHA: the flow's start solved one.
 * Without one, the person types their user ID (prefilled from `?login=`) and solves the CAPTCHA.
 */
/** Help requests one reset flow may send without a CAPTCHA (per instance); then the CAPTCHA is asked again. */
export const HELP_PER_FLOW = 3;
const TRACKED_FLOWS_MAX = 10_000;

export async function helpPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const flowCookie = flowCookieSpec(app.config.public_url).name;
  const { csrfCheck } = await registerForms(fastify, app, async (request, reply) =>
    form(
      reply,
      (await fromFlow(request)) ?? formField(request.body, 'login', 320),
      formField(request.body, 'message', 4000),
      'csrf_invalid',
      (await fromFlow(request)) !== null,
    ),
  );

  const sentFromFlow = new Map<string, number>();

  function flowHandle(request: FastifyRequest) {
    const cookies = (request as { cookies?: Record<string, string | undefined> }).cookies;
    return parseFlowCookie(cookies?.[flowCookie]);
  }

  /** The login of the reset flow bound to this browser, or null (also once the flow sent its share of requests). */
  async function fromFlow(request: FastifyRequest): Promise<string | null> {
    const handle = flowHandle(request);
    if (handle && (sentFromFlow.get(handle.flowId) ?? 0) >= HELP_PER_FLOW) return null;
    return app.help.flowLogin(handle);
  }

  function countFromFlow(request: FastifyRequest): void {
    const handle = flowHandle(request);
    if (!handle) return;
    if (sentFromFlow.size >= TRACKED_FLOWS_MAX) sentFromFlow.clear();
    sentFromFlow.set(handle.flowId, (sentFromFlow.get(handle.flowId) ?? 0) + 1);
  }

  async function form(
    reply: FastifyReply,
    login: string,
    message: string,
    problem: HelpProblemId | null,
    loginFromFlow: boolean,
  ) {
    const challenge = loginFromFlow ? null : JSON.stringify(await app.captcha.challenge());
    return sendHtml(
      reply,
      HelpFormPage({ csrf: reply.generateCsrf(), challenge, login, message, problem, loginFromFlow }),
      problem === null ? 200 : problem === 'csrf_invalid' ? 403 : 400,
    );
  }

  fastify.get('/help', async (request, reply) => {
    const flowLogin = await fromFlow(request);
    return form(reply, flowLogin ?? formField(request.query, 'login', 320), '', null, flowLogin !== null);
  });

  fastify.post('/help', csrfCheck, async (request, reply) => {
    const flowLogin = await fromFlow(request);
    const login = flowLogin ?? formField(request.body, 'login', 320);
    const message = formField(request.body, 'message', 4000);
    if (flowLogin === null && !(await app.captcha.verify(formField(request.body, 'altcha', 8_192)))) {
      return form(reply, login, message, 'captcha_failed', false);
    }
    const result = await app.help.submit(login, message, requestContext(request));
    if (!result.ok) return form(reply, login, message, result.error, flowLogin !== null);
    if (flowLogin !== null) countFromFlow(request);
    return sendHtml(reply, HelpSentPage({ reference: result.value.reference }));
  });
}
