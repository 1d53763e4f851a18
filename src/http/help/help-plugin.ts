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

  /** The login of the reset flow bound to this browser, or null. */
  async function fromFlow(request: FastifyRequest): Promise<string | null> {
    const cookies = (request as { cookies?: Record<string, string | undefined> }).cookies;
    return app.help.flowLogin(parseFlowCookie(cookies?.[flowCookie]));
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
    return sendHtml(reply, HelpSentPage({ reference: result.value.reference }));
  });
}
