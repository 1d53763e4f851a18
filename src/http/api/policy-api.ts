import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TenantPolicy } from '../../core/directory-model.ts';
import type { App } from '../../service/app.ts';
import { requestContext } from '../forms.ts';
import {
  ADMIN_SECURITY as SECURITY,
  ADMIN_TAGS as TAGS,
  adminApiCode,
  adminResponses as responses,
  sendAdminApiError,
} from './admin-api-errors.ts';
import { resetApiRegistry } from './reset-api-schemas.ts';

/**
 * The admin API's reset gates of the key's organisation: `GET|PUT /api/v1/admin/policy/gates`.
 * Today: how many gates users pass, and whether administrators must use a passkey as their second
 * gate (the console's policy form has the same switch; the gate policy of issue 13 item 3 extends
 * this object). Reading needs `policy:read`, changing `policy:write`; each change is audited
 * (`admin.policy_updated`, actor `api_key:<id>`).
 */
const AdminGatePolicySchema = z
  .object({
    userGates: z.union([z.literal(1), z.literal(2)]).describe('Gates a user passes (administrators always pass 2).'),
    adminsRequirePasskey: z
      .boolean()
      .describe(
        'Administrators must pass a passkey as their second gate (no text message or authenticator app instead).',
      ),
  })
  .describe('The organisation’s reset gates.');
resetApiRegistry.add(AdminGatePolicySchema, { id: 'AdminGatePolicy' });

const AdminGatePolicyInputSchema = z
  .object({
    adminsRequirePasskey: z.boolean().optional(),
    userGates: z.union([z.literal(1), z.literal(2)]).optional(),
  })
  .strict()
  .describe('The fields to change; the others stay.');

const gatesOf = (p: TenantPolicy) => ({ userGates: p.userGates, adminsRequirePasskey: p.adminsRequirePasskey });

function refused(request: FastifyRequest, reply: FastifyReply, error: string): FastifyReply {
  return sendAdminApiError(request, reply, adminApiCode(error));
}

export async function policyApiRoutes(instance: FastifyInstance, app: App): Promise<void> {
  const api = instance.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/policy/gates',
    {
      schema: {
        tags: TAGS,
        summary: 'The reset gates',
        description:
          'How many gates users pass, and whether administrators must use a passkey. Needs the scope `policy:read`.',
        security: SECURITY,
        response: responses([200, AdminGatePolicySchema, 'The gates.'], []),
      },
    },
    async (request, reply) => {
      const r = await app.admin.getPolicy(request.apiActor!);
      if (!r.ok) return refused(request, reply, r.error);
      return reply.code(200).send(gatesOf(r.value));
    },
  );

  api.put(
    '/policy/gates',
    {
      bodyLimit: 4 * 1024,
      schema: {
        tags: TAGS,
        summary: 'Change the reset gates',
        description:
          'Changes the fields sent. With `adminsRequirePasskey` true, an administrator’s second reset gate is a passkey and nothing else: administrators without one then need the help desk. Audited. Needs the scope `policy:write`.',
        security: SECURITY,
        body: AdminGatePolicyInputSchema,
        response: responses([200, AdminGatePolicySchema, 'Saved (or already so).'], [400]),
      },
    },
    async (request, reply) => {
      const input: Record<string, string> = {};
      if (request.body.adminsRequirePasskey !== undefined)
        input.adminsRequirePasskey = String(request.body.adminsRequirePasskey);
      if (request.body.userGates !== undefined) input.userGates = String(request.body.userGates);
      const r = await app.admin.updatePolicy(request.apiActor!, input, requestContext(request));
      if (!r.ok) return refused(request, reply, r.error === 'policy_invalid' ? 'invalid_request' : r.error);
      return reply.code(200).send(gatesOf(r.value));
    },
  );
}
