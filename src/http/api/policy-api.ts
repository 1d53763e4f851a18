import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TenantPolicy } from '../../core/directory-model.ts';
import { GATE_AUDIENCES, GATE_FIELDS, legacyGateSwitches } from '../../core/gate-policy.ts';
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
 * The admin API's gate policy of the key's organisation: `GET|PUT /api/v1/admin/policy/gates` and
 * `GET /api/v1/admin/policy/gates/coverage`. For users and for administrators: which methods count as
 * reset gates, how many gates, whether a passkey is required (core/gate-policy). `userGates` and
 * `adminsRequirePasskey`, the two switches that came first, stay readable and writable. Reading needs
 * `policy:read`, changing `policy:write`; a policy no one could pass is refused (400, each problem
 * named); each change is audited (`admin.policy_updated`, actor `api_key:<id>`).
 */
const GateName = z.enum(['email', 'sms', 'totp', 'passkey']);
const GateRuleSchema = z
  .object({
    methods: z
      .array(GateName)
      .describe('The methods that count as a gate; always holds `email` (every reset starts with it).'),
    count: z
      .union([z.literal(1), z.literal(2)])
      .describe('Gates to pass: 1 (any method that counts), or 2 (the email, then another kind).'),
    passkeyRequired: z.boolean().describe('The second gate is a passkey and nothing else (needs `count` 2).'),
  })
  .describe('The gates of one kind of account.');
resetApiRegistry.add(GateRuleSchema, { id: 'GateRule' });

const AdminGatePolicySchema = z
  .object({
    users: GateRuleSchema,
    admins: GateRuleSchema,
    userGates: z.union([z.literal(1), z.literal(2)]).describe('Same as `users.count` (kept for older clients).'),
    adminsRequirePasskey: z.boolean().describe('Same as `admins.passkeyRequired` (kept for older clients).'),
  })
  .describe('The organisation’s reset gates.');
resetApiRegistry.add(AdminGatePolicySchema, { id: 'AdminGatePolicy' });

const GateRuleInputSchema = z
  .object({
    methods: z.array(GateName).max(4).optional(),
    count: z.union([z.literal(1), z.literal(2)]).optional(),
    passkeyRequired: z.boolean().optional(),
  })
  .strict();

const AdminGatePolicyInputSchema = z
  .object({
    users: GateRuleInputSchema.optional(),
    admins: GateRuleInputSchema.optional(),
    adminsRequirePasskey: z.boolean().optional(),
    userGates: z.union([z.literal(1), z.literal(2)]).optional(),
  })
  .strict()
  .describe('The fields to change; the others stay.');

const CoverageCountSchema = z.object({ total: z.number().int(), cannot: z.number().int() });
const GateCoverageSchema = z
  .object({
    gates: z.object({ users: GateRuleSchema, admins: GateRuleSchema }),
    users: CoverageCountSchema.describe('Enabled users, and how many could not reset under the policy.'),
    admins: CoverageCountSchema.describe('Enabled administrators, and how many could not.'),
    adminsWhoCannot: z
      .array(z.object({ id: z.string(), login: z.string(), displayName: z.string() }))
      .describe('The administrators who could not (at most 50, by login).'),
    adminsNotListed: z.number().int().describe('Administrators who could not, beyond those listed.'),
  })
  .describe('Who could reset under the gate policy with the methods they registered today.');
resetApiRegistry.add(GateCoverageSchema, { id: 'AdminGateCoverage' });

const gatesOf = (p: TenantPolicy) => ({
  users: p.gates.users,
  admins: p.gates.admins,
  ...legacyGateSwitches(p.gates),
});

/** The body as the policy's flat fields (core/gate-policy `GATE_FIELDS`). */
function flatFields(body: z.infer<typeof AdminGatePolicyInputSchema>): Record<string, string> {
  const input: Record<string, string> = {};
  if (body.userGates !== undefined) input.userGates = String(body.userGates);
  if (body.adminsRequirePasskey !== undefined) input.adminsRequirePasskey = String(body.adminsRequirePasskey);
  for (const audience of GATE_AUDIENCES) {
    const rule = body[audience];
    if (!rule) continue;
    const f = GATE_FIELDS[audience];
    if (rule.count !== undefined) input[f.count] = String(rule.count);
    if (rule.methods !== undefined) input[f.methods] = rule.methods.join(' ');
    if (rule.passkeyRequired !== undefined) input[f.passkeyRequired] = String(rule.passkeyRequired);
  }
  return input;
}

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
          'For users and for administrators: the methods that count as gates, how many gates, and whether a passkey is required. Needs the scope `policy:read`.',
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
          'Changes the fields sent (`users` and `admins` field by field; `userGates` and `adminsRequirePasskey` as before). A policy no one could pass is refused with `invalid_request`, the message naming each problem: the email must count, administrators pass 2 gates, 2 gates need a second kind of method, a required passkey must count and is the second of 2 gates. With `passkeyRequired`, the second reset gate is a passkey and nothing else: people without one then need the help desk. Audited. Needs the scope `policy:write`.',
        security: SECURITY,
        body: AdminGatePolicyInputSchema,
        response: responses([200, AdminGatePolicySchema, 'Saved (or already so).'], [400]),
      },
    },
    async (request, reply) => {
      const r = await app.admin.updatePolicy(request.apiActor!, flatFields(request.body), requestContext(request));
      if (!r.ok && r.error === 'policy_invalid' && 'fields' in r) {
        // each problem in the request's language, after the field it concerns
        const lines = r.fields.map((f) => `- ${f.field}: ${f.id ? request.i18n.t(f.id, f.params) : f.message}`);
        return sendAdminApiError(request, reply, 'invalid_request', lines.join('\n'));
      }
      if (!r.ok) return refused(request, reply, r.error);
      return reply.code(200).send(gatesOf(r.value));
    },
  );

  api.get(
    '/policy/gates/coverage',
    {
      schema: {
        tags: TAGS,
        summary: 'Who could reset under the reset gates',
        description:
          'How many enabled users and administrators could not reset their password under the gate policy with the methods they registered today (a verified email or phone out of its cooling-off, a confirmed authenticator app, a passkey), and which administrators. Needs the scope `policy:read`.',
        security: SECURITY,
        response: responses([200, GateCoverageSchema, 'The coverage.'], []),
      },
    },
    async (request, reply) => {
      const r = await app.admin.gateCoverage(request.apiActor!);
      if (!r.ok) return refused(request, reply, r.error);
      const { gates, coverage, adminsWhoCannot, adminsNotListed } = r.value;
      return reply.code(200).send({ gates, ...coverage, adminsWhoCannot, adminsNotListed });
    },
  );
}
