import type { FastifyInstance, FastifyReply } from 'fastify';
import type { App } from '../../service/app.ts';
import { CALLER_PASSKEY_PATH } from '../../service/caller-verification-service.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { sendHtml } from '../send-html.ts';
import { CallerPasskeyPage, type CallerPasskeyState } from './caller-passkey-views.tsx';

/**
 * `/caller-passkey`: the public page of caller verification by passkey (issue 13 item 5). The
 * caller types the ticket the agent read to them (a CAPTCHA on every try, and the service's limit
 * per client address), then signs with their passkey (`/caller-passkey/answer`); the agent's
 * console then shows the caller verified. The ticket travels only in form bodies, never in a URL
 * (URLs reach logs and history). A wrong, used, expired or exhausted ticket all get the same
 * answer (nothing about any account).
 */
export async function callerPasskeyPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, async (_request, reply) =>
    page(reply, { kind: 'ticket', ticket: '', problem: 'no' }, 403),
  );

  async function page(reply: FastifyReply, state: CallerPasskeyState, status = 200) {
    const challenge = state.kind === 'ticket' ? JSON.stringify(await app.captcha.challenge()) : '';
    return sendHtml(reply, CallerPasskeyPage({ csrf: reply.generateCsrf(), challenge, state }), status);
  }

  fastify.get(CALLER_PASSKEY_PATH, async (_request, reply) =>
    page(reply, { kind: 'ticket', ticket: '', problem: null }),
  );

  fastify.post(CALLER_PASSKEY_PATH, csrfCheck, async (request, reply) => {
    const ticket = formField(request.body, 'ticket', 20);
    if (!(await app.captcha.verify(formField(request.body, 'altcha', 8_192)))) {
      return page(reply, { kind: 'ticket', ticket, problem: 'captcha' }, 400);
    }
    const r = await app.callers.passkeyOptions(ticket, requestContext(request));
    if (r.ok) {
      const { organisation, options: o } = r.value;
      return page(reply, { kind: 'ask', ticket, organisation, options: JSON.stringify(o) });
    }
    return r.error === 'rate_limited'
      ? page(reply, { kind: 'ticket', ticket, problem: 'limited' }, 429)
      : page(reply, { kind: 'ticket', ticket: '', problem: 'no' });
  });

  fastify.post(`${CALLER_PASSKEY_PATH}/answer`, csrfCheck, async (request, reply) => {
    const ticket = formField(request.body, 'ticket', 20);
    const credential = formField(request.body, 'credential', 60_000);
    const r = await app.callers.passkeyAnswer(ticket, credential, requestContext(request));
    if (r.ok) return page(reply, { kind: 'ok', organisation: r.value.organisation });
    if (r.error === 'rate_limited') return page(reply, { kind: 'ticket', ticket, problem: 'limited' }, 429);
    if (r.error === 'passkey_refused') return page(reply, { kind: 'ticket', ticket, problem: 'refused' }, 400);
    return page(reply, { kind: 'ticket', ticket: '', problem: 'no' });
  });
}
