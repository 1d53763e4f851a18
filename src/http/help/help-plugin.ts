import type { FastifyInstance, FastifyReply } from 'fastify';
import type { App } from '../../service/app.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { sendHtml } from '../send-html.ts';
import { HelpFormPage, HelpSentPage, type HelpProblemId } from './help-views.tsx';

/**
 * `GET/POST /help`: the help request form that every dead end of the reset flow links to. The
 * answer to a well-formed request is the same page for every login (existing, unknown, disabled),
 * with a reference code; only the service knows where the request went.
 */
export async function helpPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, (request, reply) =>
    form(reply, formField(request.body, 'login', 320), formField(request.body, 'message', 4000), 'csrf_invalid'),
  );

  async function form(reply: FastifyReply, login: string, message: string, problem: HelpProblemId | null) {
    const challenge = JSON.stringify(await app.captcha.challenge());
    return sendHtml(
      reply,
      HelpFormPage({ csrf: reply.generateCsrf(), challenge, login, message, problem }),
      problem === null ? 200 : problem === 'csrf_invalid' ? 403 : 400,
    );
  }

  fastify.get('/help', async (request, reply) => form(reply, formField(request.query, 'login', 320), '', null));

  fastify.post('/help', csrfCheck, async (request, reply) => {
    const login = formField(request.body, 'login', 320);
    const message = formField(request.body, 'message', 4000);
    if (!(await app.captcha.verify(formField(request.body, 'altcha', 8_192)))) {
      return form(reply, login, message, 'captcha_failed');
    }
    const result = await app.help.submit(login, message, requestContext(request));
    if (!result.ok) return form(reply, login, message, result.error);
    return sendHtml(reply, HelpSentPage({ reference: result.value.reference }));
  });
}
