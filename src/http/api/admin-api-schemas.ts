import { z } from 'zod';
import { ROLES } from '../../core/directory-model.ts';
import { REGISTRATIONS } from '../../service/admin-service.ts';
import { resetApiRegistry } from './reset-api-schemas.ts';

/**
 * The JSON shapes of the admin API (`/api/v1/admin/…`) as zod schemas. They live in the same
 * registry as the reset API's (one OpenAPI document, one `Error` schema); every id here starts
 * with `Admin` so that the two sets cannot collide. Never a secret: no codes, no passwords, no
 * token, methods masked.
 */
function named<T extends z.ZodType>(schema: T, id: string, description: string): T {
  resetApiRegistry.add(schema, { id, description });
  return schema;
}

const epochMs = z.number().int().describe('Milliseconds since 1970-01-01T00:00:00Z.');
const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);
const denial = z
  .enum(['other_tenant', 'self', 'needs_global_admin', 'scope_missing', 'not_allowed'])
  .nullable()
  .describe('Null: allowed. Otherwise why this key may not do it.');

export const AdminUserSchema = named(
  z.object({
    id: z.string(),
    login: z.string(),
    displayName: z.string(),
    role: z.enum(ROLES as ['user', 'admin', 'global_admin']),
    enabled: z.boolean(),
    mustChangePassword: z.boolean(),
    registration: z
      .enum(REGISTRATIONS as ['complete', 'incomplete', 'none'])
      .describe('Verified alternate email and mobile phone: both, one, or none.'),
    maskedEmail: z.string().nullable(),
    maskedPhone: z.string().nullable(),
    blocked: z.boolean().describe('Whether self-service reset is blocked now (too many failed verifications).'),
  }),
  'AdminUser',
  'An account of the key’s tenant. Contact methods are masked.',
);

export const AdminMethodSchema = named(
  z.object({
    kind: z.enum(['email', 'phone']),
    masked: z.string(),
    verifiedAt: epochMs.nullable(),
  }),
  'AdminMethod',
  'A registered contact method, masked.',
);

export const AdminUserDetailSchema = named(
  AdminUserSchema.extend({
    createdAt: epochMs,
    updatedAt: epochMs,
    methods: z.array(AdminMethodSchema),
    blockedUntil: epochMs.nullable().describe('When the self-service block ends; null when not blocked.'),
    permissions: z
      .object({ credentials: denial, account: denial })
      .describe('What this key may do to the account: `credentials` (reset link), `account` (methods, unblock).'),
  }),
  'AdminUserDetail',
  'An account of the key’s tenant, with its methods (masked) and what the key may do to it.',
);

export const AdminUserListSchema = named(
  z.object({ users: z.array(AdminUserSchema) }),
  'AdminUserList',
  'Accounts matching the filters, by login.',
);
export const AdminUserResponseSchema = named(
  z.object({ user: AdminUserDetailSchema }),
  'AdminUserResponse',
  'One account.',
);

export const AdminUsersQuerySchema = z.object({
  search: z.string().max(200).optional().describe('Part of the login or display name, case-insensitive.'),
  role: z.enum(ROLES as ['user', 'admin', 'global_admin']).optional(),
  registration: z.enum(REGISTRATIONS as ['complete', 'incomplete', 'none']).optional(),
  blocked: z.enum(['true', 'false']).optional().describe('Only blocked (`true`) or unblocked (`false`) accounts.'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const UserIdParamsSchema = z.object({ id: id.describe('The account id.') });
export const MethodParamsSchema = z.object({
  id: id.describe('The account id.'),
  kind: z.enum(['email', 'phone']).describe('`email`: the alternate email; `phone`: the mobile phone.'),
});

export const AdminMethodBodySchema = named(
  z.object({
    value: z
      .string()
      .min(1)
      .max(320)
      .describe('An address like name@example.com, or a mobile number with its country code like +447700900123.'),
  }),
  'AdminMethodRequest',
  'The contact method to pre-fill. It is recorded as verified; the person is told by email.',
);
export const AdminMethodResponseSchema = named(
  z.object({ method: AdminMethodSchema }),
  'AdminMethodResponse',
  'The method as now registered (masked).',
);

export const AdminResetLinkResponseSchema = named(
  z.object({
    mode: z.literal('link'),
    expiresAt: epochMs.describe('When the link stops working (24 hours).'),
  }),
  'AdminResetLinkResponse',
  'A one-time reset link was queued to the person’s registered alternate email and login address. The link is never returned.',
);

export const AdminUnblockResponseSchema = named(
  z.object({ id: z.string(), blocked: z.literal(false) }),
  'AdminUnblockResponse',
  'Self-service reset is unblocked for the account.',
);

export const AdminUnlockResponseSchema = named(
  z.object({
    id: z.string(),
    locked: z.literal(false),
    wasLocked: z.boolean().describe('Whether the directory had the account locked before this call.'),
  }),
  'AdminUnlockResponse',
  'The account is unlocked in its directory; its password was not changed.',
);

export const AdminHelpRequestSchema = named(
  z.object({
    id: z.string(),
    reference: z.string(),
    status: z.enum(['open', 'resolved', 'dismissed', 'void']),
    createdAt: epochMs,
    message: z.string().nullable().describe('What the requester wrote.'),
    requester: z
      .object({
        accountId: z.string(),
        login: z.string(),
        displayName: z.string(),
        role: z.enum(ROLES as ['user', 'admin', 'global_admin']),
        enabled: z.boolean(),
        maskedEmail: z.string().nullable(),
        maskedPhone: z.string().nullable(),
      })
      .nullable(),
    resolvedAt: epochMs.nullable(),
    resolvedBy: z.string().nullable().describe('Audit name of who answered: `admin:<id>`, `api_key:<id>`.'),
    resolution: z.enum(['reset_link', 'temp_password', 'dismissed', 'promoted', 'second_factor_reset']).nullable(),
    resolutionNote: z.string().nullable().describe('The reason of a dismissal.'),
  }),
  'AdminHelpRequest',
  'A help request ("Contact your administrator") of the key’s tenant.',
);
export const AdminHelpListSchema = named(
  z.object({ requests: z.array(AdminHelpRequestSchema) }),
  'AdminHelpRequestList',
  'Help requests, newest first.',
);
export const AdminHelpQuerySchema = z.object({
  status: z.enum(['open', 'closed']).default('open').describe('`open`, or `closed` (resolved and dismissed).'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const HelpIdParamsSchema = z.object({ id: id.describe('The help request id.') });
export const AdminDismissBodySchema = named(
  z.object({ reason: z.string().max(2000).describe('Why; it is sent to the requester. Required.') }),
  'AdminHelpDismissRequest',
  'Closes the request without changing anything.',
);
export const AdminHelpActionResponseSchema = named(
  z.object({ id: z.string(), status: z.enum(['resolved', 'dismissed']) }),
  'AdminHelpActionResponse',
  'The request is closed; the requester is told at their registered addresses.',
);

export const AdminAuditEventSchema = named(
  z.object({
    id: z.number().int(),
    at: epochMs,
    accountId: z.string().nullable(),
    accountLogin: z.string().nullable(),
    actor: z.string().describe('`self`, `system`, `cli`, `admin:<id>`, `operator:<id>`, `api_key:<id>`.'),
    actorLogin: z.string().nullable(),
    type: z.string().describe('e.g. `reset.requested`, `admin.reset_link_sent`.'),
    outcome: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  }),
  'AdminAuditEvent',
  'An event of the tenant’s audit log. Never contains a secret.',
);
export const AdminAuditPageSchema = named(
  z.object({
    events: z.array(AdminAuditEventSchema),
    nextCursor: z
      .number()
      .int()
      .nullable()
      .describe('Pass as `cursor` for the next (older) page; null on the last page.'),
  }),
  'AdminAuditPage',
  'A page of the audit log, newest first.',
);
export const AdminAuditQuerySchema = z.object({
  since: z.coerce.number().int().min(0).optional().describe('Only events at or after this time (ms).'),
  until: z.coerce.number().int().min(0).optional().describe('Only events before this time (ms).'),
  account: z.string().max(320).optional().describe('Only events of this login.'),
  type: z.string().max(100).optional().describe('Only events of this type, e.g. `reset.requested`.'),
  outcome: z.string().max(100).optional().describe('Only events with this outcome, e.g. `ok`.'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.coerce.number().int().min(1).optional().describe('`nextCursor` of the previous page.'),
});
