import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  directorySettingsInput,
  settingsProblemLine,
  type DirectorySettings,
  type SettingsProblem,
} from '../../core/directory-settings.ts';
import { stepIn } from '../../core/directory-rules.ts';
import type { ApiKeyActor } from '../../service/api-key-service.ts';
import type { App } from '../../service/app.ts';
import type { RequestContext } from '../../service/request-context.ts';
import {
  ADMIN_SECURITY as SECURITY,
  ADMIN_TAGS as TAGS,
  adminApiCode,
  adminResponses as responses,
  sendAdminApiError,
} from './admin-api-errors.ts';
import { resetApiRegistry } from './reset-api-schemas.ts';

/**
 * The admin API's directory settings: `GET|PUT|DELETE /api/v1/admin/directory` and
 * `POST /api/v1/admin/directory/check`, for the key's tenant. Registered by the admin API plugin
 * inside its scope (its API key hook, validation and OpenAPI document). The bind password is only
 * ever a reference (`env:…`, `file:…`) in the tenant's own place; the answers never hold a secret.
 */

function named<T extends z.ZodType>(schema: T, id: string, description: string): T {
  resetApiRegistry.add(schema, { id, description });
  return schema;
}

const epochMs = z.number().int().describe('Milliseconds since 1970-01-01T00:00:00Z.');

const SETTINGS_FIELDS = {
  kind: z
    .enum(['ldap', 'ad'])
    .describe('`ldap` (OpenLDAP and other LDAP servers) or `ad` (Active Directory, Samba AD).'),
  urls: z
    .array(z.string().max(300))
    .max(10)
    .describe('Tried in order: `ldaps://host:636`, or `ldap://host:389` with `startTls`.'),
  startTls: z.boolean(),
  caFile: z
    .string()
    .max(500)
    .nullable()
    .describe('Absolute path of a PEM file with the CA that signs the servers’ certificates.'),
  tlsServerName: z.string().max(300).nullable(),
  bindDn: z.string().max(1000).describe('The service account sspr binds as.'),
  bindPassword: z
    .string()
    .max(500)
    .describe(
      'A reference, never the password: `env:NAME` or `file:/path`, in the organisation’s own place (see `secretPlaces`). Empty on PUT: keep the saved one.',
    ),
  baseDn: z.string().max(1000),
  userFilter: z
    .string()
    .max(1000)
    .describe('A filter with `{login}` where the typed login goes (escaped per RFC 4515).'),
  loginAttribute: z.string().max(64),
  displayNameAttribute: z.string().max(64),
  emailAttribute: z.string().max(64).describe('`-`: none.'),
  mobileAttribute: z.string().max(64).describe('`-`: none.'),
  adminGroups: z.array(z.string().max(1000)).max(50).describe('Groups (DNs) whose members are administrators in sspr.'),
  passwordPolicyDn: z.string().max(1000).nullable(),
  disabledAttribute: z.string().max(200).nullable().describe('`name=value` marking a disabled account.'),
  trustContactAttributes: z.boolean(),
  timeoutMs: z.number().int(),
  poolSize: z.number().int(),
  syncIntervalMinutes: z.number().int(),
  testLogin: z.string().max(300).nullable(),
  allowInsecure: z.boolean().describe('Lab only: password operations over plain LDAP (warned everywhere).'),
};

export const AdminDirectorySettingsSchema = named(
  z.object(SETTINGS_FIELDS),
  'AdminDirectorySettings',
  'A tenant’s directory settings; the bind password only as its reference.',
);

export const AdminDirectorySettingsInputSchema = named(
  z.object(SETTINGS_FIELDS).partial(),
  'AdminDirectorySettingsBody',
  'Directory settings to save: absent fields take their default for the kind (not the saved value), except an absent or empty `bindPassword`, which keeps the saved reference.',
);

const kindSchema = z.enum(['builtin', 'ldap', 'ad']);

export const AdminDirectoryResponseSchema = named(
  z.object({
    kind: kindSchema.describe('`builtin`: sspr keeps the passwords (no settings).'),
    settings: AdminDirectorySettingsSchema.nullable(),
    updatedAt: epochMs.nullable(),
    secretPlaces: z
      .object({ envPrefix: z.string(), folder: z.string() })
      .describe(
        'Where the bind password may be: an environment variable of the sspr process whose name starts with `envPrefix`, or a file in a folder named `folder`.',
      ),
  }),
  'AdminDirectoryResponse',
  'The organisation’s directory settings.',
);

export const AdminDirectorySetResponseSchema = named(
  z.object({
    kind: z.enum(['ldap', 'ad']),
    settings: AdminDirectorySettingsSchema,
    changed: z.array(z.string()).describe('Names of the settings that changed; empty: nothing was written.'),
    created: z.boolean(),
  }),
  'AdminDirectorySetResponse',
  'The saved settings.',
);

export const AdminDirectoryRemoveResponseSchema = named(
  z.object({
    removed: z.boolean().describe('False: there was no directory.'),
    directoryAccounts: z.number().int().describe('Accounts from the directory: no password in sspr until reset.'),
  }),
  'AdminDirectoryRemoveResponse',
  'The organisation keeps its passwords in sspr again.',
);

export const AdminDirectoryCheckResponseSchema = named(
  z.object({
    verdict: z.enum(['ready', 'not_ready']),
    steps: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        status: z.enum(['pass', 'warn', 'fail', 'skip']),
        detail: z.string(),
        fix: z.string().optional(),
      }),
    ),
  }),
  'AdminDirectoryCheckResponse',
  'The check of the saved settings: each step, what to fix, and the verdict (`ready` only when no step failed).',
);

const WHO =
  'The key’s organisation only. Changes are audited and every administrator of the organisation is told by email.';

function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null };
}

function settingsJson(s: DirectorySettings) {
  const input = directorySettingsInput(s);
  return { ...input, kind: s.kind } as z.infer<typeof AdminDirectorySettingsSchema>;
}

function refused(
  request: FastifyRequest,
  reply: FastifyReply,
  error: string,
  problems?: readonly SettingsProblem[],
): FastifyReply {
  if (error === 'invalid_directory_settings') {
    // each problem in the request's language (Accept-Language; English by default), the setting as sent
    const locale = (request.i18n as typeof request.i18n | null)?.locale ?? 'en';
    return sendAdminApiError(
      request,
      reply,
      'invalid_directory_settings',
      `${request.i18n.t('adminapi.error.invalid_directory_settings.list')}\n${(problems ?? [])
        .map((p) => `- ${settingsProblemLine(p, locale)}`)
        .join('\n')}`,
    );
  }
  if (error === 'tenant_not_found') return sendAdminApiError(request, reply, 'not_found');
  return sendAdminApiError(request, reply, adminApiCode(error));
}

export async function directorySettingsApiRoutes(instance: FastifyInstance, app: App): Promise<void> {
  const api = instance.withTypeProvider<ZodTypeProvider>();
  const actorOf = (request: FastifyRequest): ApiKeyActor => request.apiActor!;

  api.get(
    '/directory',
    {
      schema: {
        tags: TAGS,
        summary: 'The directory settings',
        description:
          'Where the organisation’s passwords live (`builtin`, `ldap`, `ad`) and the settings; the bind password only as its reference. Needs the scope `directory:read`.',
        security: SECURITY,
        response: responses([200, AdminDirectoryResponseSchema, 'The settings.'], []),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const r = await app.directorySettings.get(actor, actor.tenantId);
      if (!r.ok) return refused(request, reply, r.error);
      const v = r.value;
      return reply.code(200).send({
        kind: v.kind,
        settings: v.settings ? settingsJson(v.settings) : null,
        updatedAt: v.updatedAt,
        secretPlaces: v.secretPlaces,
      });
    },
  );

  api.put(
    '/directory',
    {
      bodyLimit: 16 * 1024,
      schema: {
        tags: TAGS,
        summary: 'Save the directory settings',
        description: `Validates every setting (400 \`invalid_directory_settings\` names each problem), saves them and drops the open connections. ${WHO} Needs the scope \`directory:write\`.`,
        security: SECURITY,
        body: AdminDirectorySettingsInputSchema,
        response: responses([200, AdminDirectorySetResponseSchema, 'Saved (or already so).'], [400]),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const r = await app.directorySettings.set(actor, actor.tenantId, request.body, requestContext(request));
      if (!r.ok) return refused(request, reply, r.error, 'problems' in r ? r.problems : undefined);
      const { settings, changed, created } = r.value;
      return reply
        .code(200)
        .send({ kind: settings.kind, settings: settingsJson(settings), changed: [...changed], created });
    },
  );

  api.delete(
    '/directory',
    {
      schema: {
        tags: TAGS,
        summary: 'Remove the directory',
        description: `Back to \`builtin\`: sspr keeps the passwords again. ${WHO} Needs the scope \`directory:write\`.`,
        security: SECURITY,
        response: responses([200, AdminDirectoryRemoveResponseSchema, 'Removed (or there was none).'], []),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const r = await app.directorySettings.remove(actor, actor.tenantId, requestContext(request));
      if (!r.ok) return refused(request, reply, r.error);
      return reply.code(200).send(r.value);
    },
  );

  api.post(
    '/directory/check',
    {
      schema: {
        tags: TAGS,
        summary: 'Check the saved directory settings',
        description:
          'Tries each URL and its certificate, binds the service account, finds the test account, reads the password rules and probes the reset and unlock rights without changing anyone. 200 with the verdict either way; 404 `directory_not_configured` when the organisation has no directory. Needs the scope `directory:read`.',
        security: SECURITY,
        response: responses([200, AdminDirectoryCheckResponseSchema, 'The report.'], [404]),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const r = await app.directorySettings.check(actor, actor.tenantId, requestContext(request));
      if (!r.ok) return refused(request, reply, r.error);
      // each step's words in the request's language (English without Accept-Language)
      const steps = r.value.report.steps.map((step) => ({
        id: step.id,
        status: step.status,
        ...stepIn(request.i18n.t, step),
      }));
      return reply.code(200).send({ verdict: r.value.report.verdict, steps });
    },
  );
}
