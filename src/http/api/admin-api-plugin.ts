import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { canView, type ApiScope } from '../../core/admin-rules.ts';
import { maskMethod } from '../../core/contact.ts';
import type { ApiKeyActor } from '../../service/api-key-service.ts';
import type { App } from '../../service/app.ts';
import type { RequestContext } from '../../service/request-context.ts';
import { directorySettingsApiRoutes } from './directory-settings-api.ts';
import { lookApiRoutes } from './look-api.ts';
import { policyApiRoutes } from './policy-api.ts';
import { callerApiRoutes } from './caller-api.ts';
import {
  ADMIN_API_KEY_SCHEME,
  ADMIN_SECURITY as SECURITY,
  ADMIN_TAGS as TAGS,
  adminApiCode,
  adminResponses as responses,
  sendAdminApiError,
} from './admin-api-errors.ts';
import {
  AdminAuditPageSchema,
  AdminAuditQuerySchema,
  AdminDismissBodySchema,
  AdminHelpActionResponseSchema,
  AdminHelpListSchema,
  AdminHelpQuerySchema,
  AdminMethodBodySchema,
  AdminMethodResponseSchema,
  AdminResetLinkResponseSchema,
  AdminUnblockResponseSchema,
  AdminUnlockResponseSchema,
  AdminUserListSchema,
  AdminUserResponseSchema,
  AdminUsersQuerySchema,
  HelpIdParamsSchema,
  MethodParamsSchema,
  UserIdParamsSchema,
} from './admin-api-schemas.ts';

/** Where the admin API lives. */
export const ADMIN_API_PREFIX = '/api/v1/admin';
/** The name of the API key security scheme in the OpenAPI document. */
export { ADMIN_API_KEY_SCHEME };
export const ADMIN_BODY_LIMIT = 4 * 1024;

/** What the admin API adds to the shared OpenAPI document (see reset-api-plugin.ts). */
export const ADMIN_API_OPENAPI = {
  securitySchemes: {
    [ADMIN_API_KEY_SCHEME]: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'sspr_<keyId>_<secret>',
      description:
        'An admin API key of one tenant (`sspr apikey create` or the console’s API keys page), sent as ' +
        '`Authorization: Bearer sspr_…`. Each key has scopes; each route names the ones it needs.',
    },
  },
  tag: {
    name: 'admin',
    description:
      'Administer one organisation with an API key: users, contact methods, admin-assisted reset links, help requests, audit log.',
  },
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key behind an admin API request (set by the admin API's onRequest hook). */
    apiActor: ApiKeyActor | null;
  }
}

const needs = (scopes: readonly ApiScope[]) =>
  `Needs the scope${scopes.length > 1 ? 's' : ''} ${scopes.map((s) => `\`${s}\``).join(' and ')}.`;

function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null };
}

/**
 * The admin API: `/api/v1/admin/…` with `Authorization: Bearer sspr_…`. Every request is
 * authenticated first (onRequest: a bad key answers 401 before anything else is looked at), then
 * each route checks its scopes with the rules of `core/admin-rules.ts`, and the services check the
 * tenant wall and who may do what to whom (another tenant's ids answer 404). Every change is
 * audited by the service with the actor `api_key:<keyId>`. API keys send reset links only: a
 * temporary password is a secret for a person to read once, not for a machine to receive.
 *
 * Registered inside the reset API plugin's scope (see reset-api-plugin.ts), so it shares its zod
 * validation, JSON-only bodies, validation error answers and the OpenAPI document.
 */
export async function adminApiRoutes(instance: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const api = instance.withTypeProvider<ZodTypeProvider>();

  instance.decorateRequest('apiActor', null);
  instance.addHook('onRequest', async (request, reply) => {
    const actor = await app.apiKeys.authenticate(request.headers.authorization);
    if (!actor) return sendAdminApiError(request, reply, 'unauthorized');
    request.apiActor = actor;
  });

  /** The key, when it has every scope; otherwise answers 403 and returns null. */
  function keyWith(request: FastifyRequest, reply: FastifyReply, scopes: readonly ApiScope[]): ApiKeyActor | null {
    const actor = request.apiActor!;
    for (const scope of scopes) {
      const denial = canView(actor, { tenantId: actor.tenantId }, scope);
      if (denial) {
        void sendAdminApiError(
          request,
          reply,
          adminApiCode(denial),
          request.i18n.t('adminapi.error.scope_missing.named', { scope }),
        );
        return null;
      }
    }
    return actor;
  }

  function refused(request: FastifyRequest, reply: FastifyReply, error: string): FastifyReply {
    return sendAdminApiError(request, reply, adminApiCode(error));
  }

  // ---- users ----------------------------------------------------------------------------

  api.get(
    '/users',
    {
      schema: {
        tags: TAGS,
        summary: 'List users',
        description: `Accounts of the key’s organisation matching the filters. ${needs(['users:read'])}`,
        security: SECURITY,
        querystring: AdminUsersQuerySchema,
        response: responses([200, AdminUserListSchema, 'The matching accounts.'], [400]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['users:read']);
      if (!actor) return reply;
      const q = request.query;
      const users = await app.admin.listUsers(actor, {
        ...(q.search?.trim() ? { search: q.search.trim() } : {}),
        ...(q.role ? { role: q.role } : {}),
        ...(q.registration ? { registration: q.registration } : {}),
        ...(q.blocked ? { blocked: q.blocked === 'true' } : {}),
        limit: q.limit,
      });
      if (!users.ok) return refused(request, reply, users.error);
      return reply.code(200).send({ users: users.value });
    },
  );

  api.get(
    '/users/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One user, with methods (masked)',
        description: needs(['users:read']),
        security: SECURITY,
        params: UserIdParamsSchema,
        response: responses([200, AdminUserResponseSchema, 'The account.'], [400, 404]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['users:read']);
      if (!actor) return reply;
      const user = await app.admin.getUser(actor, request.params.id);
      if (!user.ok) return refused(request, reply, user.error);
      return reply.code(200).send({ user: user.value });
    },
  );

  api.put(
    '/users/:id/methods/:kind',
    {
      bodyLimit: ADMIN_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Pre-fill the alternate email or the mobile phone',
        description:
          'Records the method as verified (administrator pre-fill is trusted) and tells the person by email, at the old ' +
          `address too when the email changes. Not for administrators’ accounts (403 \`needs_global_admin\`). ${needs(['users:write'])}`,
        security: SECURITY,
        params: MethodParamsSchema,
        body: AdminMethodBodySchema,
        response: responses([200, AdminMethodResponseSchema, 'The method was saved.'], [400, 404]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['users:write']);
      if (!actor) return reply;
      const { id, kind } = request.params;
      const r = await app.admin.prefillMethod(actor, id, kind, request.body.value, requestContext(request));
      if (!r.ok) return refused(request, reply, r.error);
      const method = (await app.accounts.methods(id)).find((m) => m.kind === kind);
      // saved in the same call: missing now means the account was deleted in between
      if (!method) return refused(request, reply, 'account_not_found');
      return reply
        .code(200)
        .send({ method: { kind, masked: maskMethod(kind, method.value), verifiedAt: method.verifiedAt } });
    },
  );

  api.post(
    '/users/:id/reset-link',
    {
      schema: {
        tags: TAGS,
        summary: 'Send an admin-assisted reset link',
        description:
          'Queues a one-time reset link (24 hours) to the person’s registered alternate email and login address; the ' +
          'link is never returned. The person and the other administrators are notified. Users only: an ' +
          'administrator’s account answers 403 `needs_global_admin`. API keys cannot set temporary passwords. ' +
          needs(['resets:write']),
        security: SECURITY,
        params: UserIdParamsSchema,
        response: responses([202, AdminResetLinkResponseSchema, 'The link was queued.'], [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['resets:write']);
      if (!actor) return reply;
      const r = await app.admin.assistedReset(actor, request.params.id, 'link', requestContext(request));
      if (!r.ok) return refused(request, reply, r.error);
      return reply.code(202).send({ mode: 'link' as const, expiresAt: r.value.expiresAt });
    },
  );

  api.post(
    '/users/:id/unblock',
    {
      schema: {
        tags: TAGS,
        summary: 'Unblock self-service reset',
        description: `Lifts the block set after too many failed verifications. ${needs(['users:write'])}`,
        security: SECURITY,
        params: UserIdParamsSchema,
        response: responses([200, AdminUnblockResponseSchema, 'Unblocked.'], [400, 404]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['users:write']);
      if (!actor) return reply;
      const r = await app.admin.unblock(actor, request.params.id, requestContext(request));
      if (!r.ok) return refused(request, reply, r.error);
      return reply.code(200).send({ id: request.params.id, blocked: false as const });
    },
  );

  api.post(
    '/users/:id/unlock',
    {
      schema: {
        tags: TAGS,
        summary: 'Unlock the account in its directory (keep its password)',
        description: `Clears the lockout the organisation's directory set after wrong passwords (AD \`lockoutTime\`, OpenLDAP \`pwdAccountLockedTime\`) without changing the password or signing anyone out. The person is told by email. 409 \`not_directory_account\` for an account whose password sspr keeps; 502/503 \`directory_*\` when the directory refuses or does not answer. Not for administrators’ accounts (403 \`needs_global_admin\`). ${needs(['users:write'])}`,
        security: SECURITY,
        params: UserIdParamsSchema,
        response: responses([200, AdminUnlockResponseSchema, 'Unlocked.'], [400, 404, 409, 502, 503]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['users:write']);
      if (!actor) return reply;
      const r = await app.admin.unlockInDirectory(actor, request.params.id, 'api', requestContext(request));
      if (!r.ok) return refused(request, reply, r.error);
      return reply.code(200).send({ id: request.params.id, locked: false as const, wasLocked: r.value.wasLocked });
    },
  );

  // ---- help requests --------------------------------------------------------------------

  api.get(
    '/help-requests',
    {
      schema: {
        tags: TAGS,
        summary: 'List help requests',
        description: `Requests sent to the organisation’s administrators, newest first. ${needs(['help:read'])}`,
        security: SECURITY,
        querystring: AdminHelpQuerySchema,
        response: responses([200, AdminHelpListSchema, 'The requests.'], [400]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['help:read']);
      if (!actor) return reply;
      const requests = await app.help.listForTenant(actor, request.query.status, request.query.limit);
      return reply.code(200).send({ requests });
    },
  );

  api.post(
    '/help-requests/:id/resolve',
    {
      schema: {
        tags: TAGS,
        summary: 'Resolve a help request with a reset link',
        description:
          'Sends the requester an admin-assisted reset link (as `POST /users/{id}/reset-link`) and closes the request; ' +
          `the requester is told. ${needs(['help:write', 'resets:write'])}`,
        security: SECURITY,
        params: HelpIdParamsSchema,
        response: responses([200, AdminHelpActionResponseSchema, 'Resolved.'], [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['help:write', 'resets:write']);
      if (!actor) return reply;
      const r = await app.help.resolve(actor, request.params.id, 'link', requestContext(request));
      if (!r.ok) return refused(request, reply, r.error);
      return reply.code(200).send({ id: request.params.id, status: 'resolved' as const });
    },
  );

  api.post(
    '/help-requests/:id/dismiss',
    {
      bodyLimit: ADMIN_BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Dismiss a help request',
        description: `Closes the request without changing anything; the reason is sent to the requester. ${needs(['help:write'])}`,
        security: SECURITY,
        params: HelpIdParamsSchema,
        body: AdminDismissBodySchema,
        response: responses([200, AdminHelpActionResponseSchema, 'Dismissed.'], [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['help:write']);
      if (!actor) return reply;
      const r = await app.help.dismiss(actor, request.params.id, request.body.reason, requestContext(request));
      if (!r.ok) return refused(request, reply, r.error);
      return reply.code(200).send({ id: request.params.id, status: 'dismissed' as const });
    },
  );

  // ---- directory settings (directory-settings-api.ts) -------------------------------------
  await directorySettingsApiRoutes(instance, app);

  // ---- look and words (look-api.ts) -------------------------------------------------------
  await lookApiRoutes(instance, app);

  // ---- the reset gates (policy-api.ts) -----------------------------------------------------
  await policyApiRoutes(instance, app);

  // ---- caller verification and the reverse check (caller-api.ts) ---------------------------
  await callerApiRoutes(instance, app);

  // ---- audit log ------------------------------------------------------------------------

  api.get(
    '/audit',
    {
      schema: {
        tags: TAGS,
        summary: 'Read the audit log',
        description:
          'The organisation’s audit events matching the filters, newest first, one page at a time: pass `nextCursor` ' +
          `as \`cursor\` for the next page. ${needs(['audit:read'])}`,
        security: SECURITY,
        querystring: AdminAuditQuerySchema,
        response: responses([200, AdminAuditPageSchema, 'A page of events.'], [400]),
      },
    },
    async (request, reply) => {
      const actor = keyWith(request, reply, ['audit:read']);
      if (!actor) return reply;
      const q = request.query;
      const page = await app.insights.auditPage(
        actor,
        {
          ...(q.since !== undefined ? { since: q.since } : {}),
          ...(q.until !== undefined ? { until: q.until } : {}),
          ...(q.account?.trim() ? { account: q.account.trim() } : {}),
          ...(q.type?.trim() ? { type: q.type.trim() } : {}),
          ...(q.outcome?.trim() ? { outcome: q.outcome.trim() } : {}),
        },
        q.cursor ?? null,
        q.limit,
      );
      if (!page.ok) return refused(request, reply, page.error);
      return reply.code(200).send({ events: page.value.rows, nextCursor: page.value.nextCursor });
    },
  );
}
