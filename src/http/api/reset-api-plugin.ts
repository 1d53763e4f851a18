import fastifySwagger from '@fastify/swagger';
import { namedPlugin } from '../plugin-name.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { Result } from '../../core/result.ts';
import { messagesDelayedText } from '../../core/ui-text.ts';
import type { App } from '../../service/app.ts';
import type { FlowHandle, StepError, StepOk } from '../../service/reset-service.ts';
import type { RequestContext } from '../../service/request-context.ts';
import { ERROR_STATUS } from '../errors.ts';
import { errorCodeOf } from '../log-redaction.ts';
import { API_ERROR_CODES, sendApiError, validationMessage } from './api-errors.ts';
import { parseFlowSecretHeader } from './flow-secret-header.ts';
import { pageLocale } from '../forms.ts';
import { ADMIN_API_OPENAPI, ADMIN_API_PREFIX, adminApiRoutes } from './admin-api-plugin.ts';
import {
  ChallengeSchema,
  CodeBodySchema,
  ErrorBodySchema,
  FlowResponseSchema,
  LinkBodySchema,
  type MessagesDelayedSchema,
  PasskeyBodySchema,
  PasskeyOptionsResponseSchema,
  PasswordBodySchema,
  PhoneBodySchema,
  resetApiRegistry,
  StartBodySchema,
  StartResponseSchema,
  StepResponseSchema,
} from './reset-api-schemas.ts';

/** Where the reset API lives. */
export const RESET_API_PREFIX = '/api/v1/reset';
/** The OpenAPI 3 document of the API. */
export const OPENAPI_PATH = '/api/openapi.json';
/** `start` carries the ALTCHA payload (up to 8 KiB); every other body is a few short strings. */
export const START_BODY_LIMIT = 16 * 1024;
export const STEP_BODY_LIMIT = 4 * 1024;
/** The name of the security scheme for `X-Flow-Secret` in the OpenAPI document. */
export const FLOW_SECRET_SCHEME = 'flowSecret';

export interface ResetApiOptions {
  readonly app: App;
}

const FLOW_SECURITY = [{ [FLOW_SECRET_SCHEME]: [] as string[] }];
const TAGS = ['reset'];
const STEP_OK = 'The step succeeded: use the returned `flowSecret` from now on.';

/** The codes each status can carry, for the route descriptions in the document. */
function codesWith(status: number): string {
  return API_ERROR_CODES.filter((code) => ERROR_STATUS[code] === status)
    .map((code) => `\`${code}\``)
    .join(', ');
}

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: `Invalid request (\`invalid_request\`, the message names the field) or a step problem: ${codesWith(400)}.`,
  403: `${codesWith(403)}: the link was used without the X-Flow-Secret of the flow it was sent to; the link still works.`,
  404: `${codesWith(404)}: X-Flow-Secret is missing, malformed, unknown or superseded.`,
  410: `${codesWith(410)}: the flow is over; start a new one.`,
  413: '`payload_too_large`.',
  415: '`unsupported_media_type`: send `Content-Type: application/json`.',
  429: `${codesWith(429)}; see the Retry-After header.`,
  409: `${codesWith(409)}: the organisation's directory refused the change for now; nothing was changed.`,
  502: `${codesWith(502)}: the organisation's directory refused for a reason only an administrator can fix (rights, TLS, settings); nothing was changed.`,
  503: `${codesWith(503)}: a dependency does not answer (the organisation's directory: the flow stays on the new-password step until it expires); nothing was changed, try again in a few minutes.`,
};

type ResponseSpec = { description: string; content: { 'application/json': { schema: z.ZodType } } };

/** A route's responses: its success schema and an Error body for each error status, with descriptions. */
function responses(
  success: readonly [number, z.ZodType, string],
  errorStatuses: readonly number[],
): Record<number, ResponseSpec> {
  const json = (schema: z.ZodType, description: string): ResponseSpec => ({
    description,
    content: { 'application/json': { schema } },
  });
  const out: Record<number, ResponseSpec> = { [success[0]]: json(success[1], success[2]) };
  for (const status of errorStatuses) out[status] = json(ErrorBodySchema, ERROR_DESCRIPTIONS[status] ?? 'Error.');
  return out;
}

function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  // the API client's Accept-Language (or its sspr_lang cookie) picks the language of the messages it causes
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : null, locale: pageLocale(request) };
}

/**
 * The self-service reset as a JSON API, over the same service and rules as the pages. A client
 * gets an ALTCHA challenge, solves it, starts a flow and then calls each step with
 * `X-Flow-Secret: <flowId>.<flowSecret>`, replacing the secret with the one each answer returns.
 * Registered by `buildServer`; encapsulated: its validators, serializers, JSON-only body parsing
 * and validation errors apply to its own routes only. Also serves the OpenAPI document.
 */
export async function resetApiPlugin(fastify: FastifyInstance, options: ResetApiOptions): Promise<void> {
  const { app } = options;
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);

  // JSON only: a form post from another site cannot reach the API without a CORS preflight.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    fastify.getDefaultJsonParser('error', 'error'),
  );

  fastify.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });

  fastify.setErrorHandler((error, request, reply) => {
    const e = error as { validation?: unknown; validationContext?: string };
    if (Array.isArray(e.validation)) {
      request.log.info({ errorCode: errorCodeOf(error), statusCode: 400 }, 'request rejected');
      return sendApiError(request, reply, 'invalid_request', {
        message: validationMessage(e.validation, e.validationContext),
      });
    }
    // everything else is answered by the server's error handler
    throw error;
  });

  await fastify.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sspr self-service password reset API',
        version: '1.0.0',
        description:
          'The self-service password reset flow as JSON. Start with `GET /api/v1/reset/challenge`, solve the ALTCHA ' +
          'proof of work, `POST /api/v1/reset/start`, then send `X-Flow-Secret: <flowId>.<flowSecret>` on every call, ' +
          'replacing `flowSecret` with the one each answer returns. Codes and links arrive by email and SMS. The ' +
          'answers to `start` are the same whether or not the account exists. The admin API (`/api/v1/admin/…`, ' +
          'tag `admin`) administers one organisation with an API key: `Authorization: Bearer sspr_…`.',
      },
      components: {
        securitySchemes: {
          [FLOW_SECRET_SCHEME]: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Flow-Secret',
            description: '`<flowId>.<flowSecret>` from `start`; the secret rotates at every step.',
          },
          ...ADMIN_API_OPENAPI.securitySchemes,
        },
      },
      tags: [{ name: 'reset', description: 'Self-service password reset' }, ADMIN_API_OPENAPI.tag],
    },
    transform: createJsonSchemaTransform({ schemaRegistry: resetApiRegistry }),
    transformObject: createJsonSchemaTransformObject({ schemaRegistry: resetApiRegistry }),
  });

  fastify.get(OPENAPI_PATH, { schema: { hide: true } as object }, async () => fastify.swagger());

  await fastify.register(namedPlugin(resetRoutes), { app, prefix: RESET_API_PREFIX });
  // the admin API shares this scope: zod validation, JSON-only bodies, error answers, the document
  await fastify.register(namedPlugin(adminApiRoutes), { app, prefix: ADMIN_API_PREFIX });
}

async function resetRoutes(instance: FastifyInstance, options: ResetApiOptions): Promise<void> {
  const { app } = options;
  const api = instance.withTypeProvider<ZodTypeProvider>();

  /** `{ notice }` while email or SMS has been failing for over a minute (no I/O; the same for every login), else `{}`. */
  function notice(): { notice?: z.infer<typeof MessagesDelayedSchema> } {
    const channels = app.deliveryHealth.delayed();
    const text = messagesDelayedText(channels);
    return text ? { notice: { code: 'messages_delayed', channels, title: text.title, message: text.message } } : {};
  }

  /** Runs a step with the header's handle and answers `{flowSecret, flow}` or the step's error. */
  async function step(
    request: FastifyRequest,
    reply: FastifyReply,
    run: (handle: FlowHandle) => Promise<Result<StepOk, StepError> & { waitMs?: number }>,
  ): Promise<FastifyReply> {
    const handle = parseFlowSecretHeader(request);
    if (!handle) return sendApiError(request, reply, 'flow_not_found');
    const result = await run(handle);
    if (!result.ok) {
      let retryAfterMs = result.waitMs;
      if (result.error === 'resend_too_soon' && retryAfterMs === undefined) {
        // submitPhone does not say how long to wait; the flow's view does
        const view = await app.reset.view(handle);
        const at = view.ok ? view.value.resendAvailableAt : null;
        if (at !== null) retryAfterMs = at - app.clock.now();
      }
      return sendApiError(request, reply, result.error, { retryAfterMs, detail: result.detail });
    }
    return reply.code(200).send({ flowSecret: result.value.secret, flow: result.value.view, ...notice() });
  }

  api.get(
    '/challenge',
    {
      schema: {
        tags: TAGS,
        summary: 'A proof-of-work challenge for start',
        description: 'A fresh signed ALTCHA challenge. Each solution is accepted once, before the challenge expires.',
        response: responses([200, ChallengeSchema, 'An ALTCHA challenge.'], []),
      },
    },
    async () => (await app.captcha.challenge()) as z.infer<typeof ChallengeSchema>,
  );

  api.post(
    '/start',
    {
      bodyLimit: START_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Start a reset',
        description:
          'Creates a flow for the user ID typed. Answers 202 with the same shape whether or not the account exists; ' +
          'only a registered account is sent a code. Rate limited per IP (429 `rate_limited`).',
        body: StartBodySchema,
        response: responses(
          [202, StartResponseSchema, 'A flow was started (for an unknown account too).'],
          [400, 413, 415, 429],
        ),
      },
    },
    async (request, reply) => {
      const captcha = app.captcha.check(request.body.altcha);
      if (!captcha) return sendApiError(request, reply, 'captcha_failed');
      const started = await app.reset.start(request.body.login, requestContext(request), captcha);
      if (!started.ok) return sendApiError(request, reply, started.error, { retryAfterMs: started.retryAfterMs });
      const { flowId, secret, view } = started.value;
      return reply.code(202).send({ flowId, flowSecret: secret, flow: view, ...notice() });
    },
  );

  api.get(
    '/flow',
    {
      schema: {
        tags: TAGS,
        summary: 'Where the flow is',
        security: FLOW_SECURITY,
        response: responses([200, FlowResponseSchema, 'The flow.'], [404, 410]),
      },
    },
    async (request, reply) => {
      const handle = parseFlowSecretHeader(request);
      if (!handle) return sendApiError(request, reply, 'flow_not_found');
      const view = await app.reset.view(handle);
      if (!view.ok) return sendApiError(request, reply, view.error);
      return reply.code(200).send({ flow: view.value, ...notice() });
    },
  );

  api.post(
    '/flow/code',
    {
      bodyLimit: STEP_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Submit the security code (email or SMS, whichever the flow waits for)',
        description:
          'A wrong, expired or used code answers `invalid_code` with the same message; 5 wrong codes kill the code.',
        security: FLOW_SECURITY,
        body: CodeBodySchema,
        response: responses([200, StepResponseSchema, STEP_OK], [400, 404, 410, 413, 415]),
      },
    },
    async (request, reply) =>
      step(request, reply, (h) => app.reset.submitCode(h, request.body.code, requestContext(request))),
  );

  api.post(
    '/flow/resend',
    {
      bodyLimit: STEP_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Send a new code on the current channel (the previous one stops working)',
        description:
          'At most 3 codes per flow, 60 s apart. Does not rotate the secret: the answer repeats the one sent.',
        security: FLOW_SECURITY,
        response: responses([200, StepResponseSchema, STEP_OK], [400, 404, 410, 413, 415, 429]),
      },
    },
    async (request, reply) =>
      step(request, reply, async (h) => {
        const sent = await app.reset.resend(h, requestContext(request));
        return sent.ok ? { ok: true, value: { secret: h.secret, view: sent.value } } : sent;
      }),
  );

  const moves = [
    ['/flow/use-phone', 'Verify with the mobile phone instead of email', 'usePhone'],
    ['/flow/use-authenticator', 'Verify with a code from the authenticator app', 'useAuthenticator'],
    ['/flow/use-passkey', 'Verify with a passkey', 'usePasskey'],
    ['/flow/back-to-email', 'Go back to the email code', 'backToEmail'],
    ['/flow/retype-phone', 'Type the mobile number again', 'retypePhone'],
  ] as const;
  for (const [url, summary, method] of moves) {
    api.post(
      url,
      {
        bodyLimit: STEP_BODY_LIMIT,
        schema: {
          tags: TAGS,
          summary,
          security: FLOW_SECURITY,
          response: responses([200, StepResponseSchema, STEP_OK], [400, 404, 410, 413, 415]),
        },
      },
      async (request, reply) => step(request, reply, (h) => app.reset[method](h, requestContext(request))),
    );
  }

  api.get(
    '/flow/passkey/options',
    {
      schema: {
        tags: TAGS,
        summary: 'The passkey step’s WebAuthn options, with a new challenge bound to the flow',
        description:
          'Only in `passkey_check` (otherwise 409 `wrong_step`). Each call makes a new challenge (5 minutes, single use, stored only as an HMAC). Does not rotate the secret. Hand `options` to `navigator.credentials.get({ publicKey })` (or an authenticator library), then send the assertion to `POST /flow/passkey`.',
        security: FLOW_SECURITY,
        response: responses([200, PasskeyOptionsResponseSchema, 'The options.'], [400, 404, 409, 410]),
      },
    },
    async (request, reply) => {
      const handle = parseFlowSecretHeader(request);
      if (!handle) return sendApiError(request, reply, 'flow_not_found');
      const options = await app.reset.passkeyOptions(handle);
      if (!options.ok) return sendApiError(request, reply, options.error, { detail: options.detail });
      return reply.code(200).send({ options: options.value as unknown as Record<string, unknown> });
    },
  );

  api.post(
    '/flow/passkey',
    {
      bodyLimit: 16 * 1024,
      schema: {
        tags: TAGS,
        summary: 'Pass the passkey gate with an assertion',
        description:
          'The assertion must answer a live challenge of this flow (`GET /flow/passkey/options`), come from a passkey of the flow’s account with user verification, carry a valid signature and a signature counter above the stored one. Otherwise 400 `passkey_refused` (a new challenge is needed; every refusal is audited); 403 `method_cooling_off` for a passkey added less than the cooling-off ago (the message says until when). Passing the gate rotates the secret like every step.',
        security: FLOW_SECURITY,
        body: PasskeyBodySchema,
        response: responses([200, StepResponseSchema, STEP_OK], [400, 403, 404, 409, 410, 413, 415]),
      },
    },
    async (request, reply) =>
      step(request, reply, (h) =>
        app.reset.submitPasskey(h, JSON.stringify(request.body.credential), requestContext(request)),
      ),
  );

  api.post(
    '/flow/phone',
    {
      bodyLimit: STEP_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Type the full mobile number on file; the SMS code goes out only if it matches',
        description:
          'The answer is the same whether or not the number matched. After the email gate passed, 403 `sms_paused` when text message codes of the account are paused by a self-service block (the message says until when).',
        security: FLOW_SECURITY,
        body: PhoneBodySchema,
        response: responses([200, StepResponseSchema, STEP_OK], [400, 403, 404, 410, 413, 415, 429]),
      },
    },
    async (request, reply) =>
      step(request, reply, (h) => app.reset.submitPhone(h, request.body.phone, requestContext(request))),
  );

  api.post(
    '/flow/password',
    {
      bodyLimit: STEP_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Set the new password (typed twice)',
        description:
          "Ends the flow (`state: completed`): every session and outstanding code of the account is revoked. No sign-in follows. For an account whose password lives in the organisation's directory, the password is written there first; a refusal answers its `directory_*` code, nothing else changes and the flow stays on the new-password step (another password may be tried). `GET /flow` on that step carries `flow.directoryRules`.",
        security: FLOW_SECURITY,
        body: PasswordBodySchema,
        response: responses([200, StepResponseSchema, STEP_OK], [400, 403, 404, 409, 410, 413, 415, 502, 503]),
      },
    },
    async (request, reply) =>
      step(request, reply, async (h) => {
        const set = await app.reset.setPassword(
          h,
          request.body.password,
          request.body.confirm,
          requestContext(request),
        );
        return set.ok ? { ok: true, value: { secret: h.secret, view: set.value } } : set;
      }),
  );

  api.post(
    '/flow/unlock',
    {
      bodyLimit: STEP_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Unlock the directory account instead of setting a new password',
        description:
          "Only on the new-password step of an account whose password lives in the organisation's directory (`flow.canUnlock`; otherwise 409 `wrong_step`). The directory clears its lockout and the password stays as it is; the flow ends (`state: unlocked`); no session is revoked. A directory refusal answers its `directory_*` code and the flow stays on the new-password step.",
        security: FLOW_SECURITY,
        response: responses([200, StepResponseSchema, STEP_OK], [400, 403, 404, 409, 410, 413, 415, 502, 503]),
      },
    },
    async (request, reply) =>
      step(request, reply, async (h) => {
        const done = await app.reset.unlockAccount(h, requestContext(request));
        return done.ok ? { ok: true, value: { secret: h.secret, view: done.value } } : done;
      }),
  );

  api.post(
    '/link',
    {
      bodyLimit: STEP_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Use the link from the email (instead of typing its code)',
        description:
          'Works only with the X-Flow-Secret of the flow the email was sent to; otherwise 403 `wrong_browser` and the link stays valid.',
        security: FLOW_SECURITY,
        body: LinkBodySchema,
        response: responses([200, StepResponseSchema, STEP_OK], [400, 403, 404, 410, 413, 415]),
      },
    },
    async (request, reply) => {
      const handle = parseFlowSecretHeader(request);
      const result = await app.reset.consumeLink(request.body.token, handle, requestContext(request));
      if (!result.ok) return sendApiError(request, reply, result.error, { detail: result.detail });
      return reply.code(200).send({ flowSecret: result.value.secret, flow: result.value.view, ...notice() });
    },
  );
}
