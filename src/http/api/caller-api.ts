import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canView, type ApiScope } from '../../core/admin-rules.ts';
import type { App } from '../../service/app.ts';
import type { RequestContext } from '../../service/request-context.ts';
import {
  ADMIN_SECURITY as SECURITY,
  ADMIN_TAGS as TAGS,
  adminApiCode,
  adminResponses,
  sendAdminApiError,
} from './admin-api-errors.ts';
import { UserIdParamsSchema } from './admin-api-schemas.ts';
import { resetApiRegistry } from './reset-api-schemas.ts';

/**
 * The admin API's caller verification (issue 13 item 5). A key proves it spoke with the account's
 * owner the way an agent does: `POST /users/:id/verify-caller` sends a one-time code to the
 * account's registered methods, the caller reads it to the integrator, who sends it to
 * `POST /users/:id/verify-caller/confirm`. The proof is bound to the key (`api_key:<id>`) and the
 * account and holds 10 minutes; until then `reset-link`, `unblock` and `unlock` answer 403
 * `caller_not_verified` (the gate is in the services, so no route can skip it).
 * `POST /users/:id/call-check` gives a phrase for the reverse check (/verify-call).
 */

function named<T extends z.ZodType>(schema: T, id: string, description: string): T {
  resetApiRegistry.add(schema, { id, description });
  return schema;
}

const VerifyStartedSchema = named(
  z.object({
    expiresAt: z.number().int().describe('When the code expires (ms since the epoch).'),
    channels: z.array(z.enum(['email', 'sms'])).describe('Where the code went.'),
    authenticator: z.boolean().describe('Whether the caller may read their authenticator app’s code instead.'),
  }),
  'AdminVerifyCallerStarted',
  'A code was sent to the account’s registered methods.',
);
const VerifyConfirmBodySchema = named(
  z.object({ code: z.string().max(20).describe('The six digits the caller read out.') }).strict(),
  'AdminVerifyCallerConfirmBody',
  'The code the caller read out.',
);
const VerifiedSchema = named(
  z.object({
    verified: z.literal(true),
    until: z.number().int().describe('Sensitive actions on this account are open to this key until then.'),
  }),
  'AdminCallerVerified',
  'The caller is verified.',
);
const CallCheckSchema = named(
  z.object({
    phrase: z.string().describe('Eight digits the person called types on /verify-call.'),
    expiresAt: z.number().int(),
  }),
  'AdminCallCheck',
  'The reverse check’s phrase (shown once).',
);

const CALLER_ERRORS: Readonly<Record<number, string>> = {
  400: '`invalid_code` (wrong or expired; counted), `code_malformed`, `nothing_pending` (no verification started).',
  409: '`no_methods`: the account has no registered method to send a code to.',
  429: '`sending_limit`: the account’s sending limits are reached for now.',
};

function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null, locale: null };
}

const needs = (scope: ApiScope) => `Needs the scope \`${scope}\`.`;

export async function callerApiRoutes(instance: FastifyInstance, app: App): Promise<void> {
  const api = instance.withTypeProvider<ZodTypeProvider>();

  /** The key when it has `scope` (answered 403 otherwise). */
  function key(request: FastifyRequest, scope: ApiScope) {
    const actor = request.apiActor!;
    return canView(actor, { tenantId: actor.tenantId }, scope) ? null : actor;
  }

  api.post(
    '/users/:id/verify-caller',
    {
      schema: {
        tags: TAGS,
        summary: 'Verify the caller: send a one-time code',
        description: `Sends a code (6 digits, 10 minutes) to the account’s registered alternate email and mobile phone; the caller reads it to you. ${needs('resets:write')}`,
        security: SECURITY,
        params: UserIdParamsSchema,
        response: adminResponses([202, VerifyStartedSchema, 'The code was queued.'], [404, 409, 429], CALLER_ERRORS),
      },
    },
    async (request, reply) => {
      const actor = key(request, 'resets:write');
      if (!actor) return sendAdminApiError(request, reply, 'scope_missing');
      const r = await app.callers.start(actor, request.params.id, requestContext(request));
      if (!r.ok)
        return sendAdminApiError(
          request,
          reply,
          adminApiCode(r.error === 'sending_limited' ? 'sending_limit' : r.error),
        );
      return reply.code(202).send({ ...r.value, channels: [...r.value.channels] });
    },
  );

  api.post(
    '/users/:id/verify-caller/confirm',
    {
      schema: {
        tags: TAGS,
        summary: 'Verify the caller: check the code they read out',
        description: `Checks the code (5 tries per code); on success the sensitive actions on this account are open to this key for 10 minutes. ${needs('resets:write')}`,
        security: SECURITY,
        params: UserIdParamsSchema,
        body: VerifyConfirmBodySchema,
        response: adminResponses([200, VerifiedSchema, 'Verified.'], [400, 404], CALLER_ERRORS),
      },
    },
    async (request, reply) => {
      const actor = key(request, 'resets:write');
      if (!actor) return sendAdminApiError(request, reply, 'scope_missing');
      const r = await app.callers.confirm(actor, request.params.id, request.body.code, requestContext(request));
      if (!r.ok) return sendAdminApiError(request, reply, adminApiCode(r.error));
      return reply.code(200).send({ verified: true as const, until: r.value.until });
    },
  );

  api.post(
    '/users/:id/call-check',
    {
      schema: {
        tags: TAGS,
        summary: 'The reverse check: a phrase for the person called',
        description: `A phrase (10 minutes) the person types on /verify-call to see the call comes from their help desk; not confirmed in time, the call is flagged in the audit log. ${needs('users:read')}`,
        security: SECURITY,
        params: UserIdParamsSchema,
        response: adminResponses([201, CallCheckSchema, 'The phrase.'], [404]),
      },
    },
    async (request, reply) => {
      const actor = key(request, 'users:read');
      if (!actor) return sendAdminApiError(request, reply, 'scope_missing');
      const r = await app.callers.startCallCheck(
        actor,
        request.params.id,
        `API key ${actor.keyId}`,
        requestContext(request),
      );
      if (!r.ok) return sendAdminApiError(request, reply, adminApiCode(r.error));
      return reply.code(201).send(r.value);
    },
  );
}
