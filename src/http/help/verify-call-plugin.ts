import type { FastifyInstance, FastifyReply } from 'fastify';
import type { App } from '../../service/app.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { sendHtml } from '../send-html.ts';
import { VerifyCallPage, type VerifyCallAnswer } from './verify-call-views.tsx';

/**
 * `GET/POST /verify-call`: the reverse check's public page (issue 13 item 6). A CAPTCHA on every
 * try and a limit per client address (the service's); the answer names the agent who asked for
 * the phrase, or tells the person to hang up. A phrase is looked up by its HMAC only, and a wrong,
 * expired or malformed phrase all get the same answer: nothing tells whether an account exists.
 */
export async function verifyCallPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, async (_request, reply) => page(reply, { kind: 'no' }, 403));

  async function page(reply: FastifyReply, answer: VerifyCallAnswer | null, status = 200) {
    const challenge = JSON.stringify(await app.captcha.challenge());
    return sendHtml(reply, VerifyCallPage({ csrf: reply.generateCsrf(), challenge, answer }), status);
  }

  fastify.get('/verify-call', async (_request, reply) => page(reply, null));

  fastify.post('/verify-call', csrfCheck, async (request, reply) => {
    if (!(await app.captcha.verify(formField(request.body, 'altcha', 8_192)))) {
      return page(reply, { kind: 'captcha' }, 400);
    }
    const r = await app.callers.confirmCall(formField(request.body, 'phrase', 40), requestContext(request));
    if (r.ok) return page(reply, { kind: 'ok', agent: r.value.agentName, organisation: r.value.organisation });
    return r.error === 'rate_limited' ? page(reply, { kind: 'limited' }, 429) : page(reply, { kind: 'no' });
  });
}
