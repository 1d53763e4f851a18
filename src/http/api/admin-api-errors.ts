import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../core/error-codes.ts';
import type { z } from 'zod';
import { translator, type I18n } from '../../core/i18n.ts';
import { ERROR_STATUS, httpErrorIn, type ErrorBody } from '../errors.ts';
import { ErrorBodySchema } from './reset-api-schemas.ts';

/**
 * The admin API's error codes and words (statuses: `ERROR_STATUS` in ../errors.ts). Bodies are `{error: {code, message, requestId}}`
 * like the reset API's; the message is in the request's language (`adminapi.error.<code>`), the code and status never change.
 * - 401 `unauthorized`: no key, a malformed, unknown, revoked or expired key — one answer for all,
 *   so that keys cannot be probed.
 * - 403: the key lacks a scope (`scope_missing`) or the rules refuse (`needs_global_admin`,
 *   `self`, `not_allowed`).
 * - 404 `not_found`: unknown ids and ids of another tenant alike (nothing reveals they exist).
 * - 409: the target is not in a state that allows it (`no_methods`, `request_closed`).
 * - 400: `invalid_request` (validation) and the services' input problems.
 */
const ADMIN_API_CODES = [
  'unauthorized',
  'scope_missing',
  'needs_global_admin',
  'self',
  'not_allowed',
  'not_found',
  'no_methods',
  'request_closed',
  'email_invalid',
  'phone_invalid',
  'reason_missing',
  'reason_too_long',
  'invalid_request',
  'invalid_directory_settings',
  'not_directory_account',
  'directory_unreachable',
  'directory_not_allowed',
  'directory_tls_required',
  'directory_rejected',
  'directory_not_configured',
  'look_invalid',
  'host_taken',
  'logo_empty',
  'logo_too_large',
  'logo_not_image',
  'caller_not_verified',
  'approval_required',
  'invalid_code',
  'code_malformed',
  'nothing_pending',
  'sending_limit',
] as const satisfies readonly ErrorCode[];

export type AdminApiErrorCode = (typeof ADMIN_API_CODES)[number];

/**
 * An admin API error's message in a language: `adminapi.error.<code>` of the catalogue
 * (`invalid_request`: the generic `http.invalid_request.message`); English without `i18n`.
 */
export function adminApiMessage(i18n: Pick<I18n, 't'> | null, code: AdminApiErrorCode): string {
  if (code === 'invalid_request') return httpErrorIn(i18n, 'invalid_request').message;
  return (i18n?.t ?? translator('en'))(`adminapi.error.${code}`);
}

/** The English words of each code (the catalogue's), for documentation and tests. */
export const ADMIN_API_ERRORS: Readonly<Record<AdminApiErrorCode, { readonly message: string }>> = Object.fromEntries(
  ADMIN_API_CODES.map((code) => [code, { message: adminApiMessage(null, code) }]),
) as Record<AdminApiErrorCode, { readonly message: string }>;

/** What a service's refusal means over the API: another tenant's id is exactly an unknown id. */
export function adminApiCode(serviceError: string): AdminApiErrorCode {
  switch (serviceError) {
    case 'account_not_found':
    case 'request_not_found':
    case 'other_tenant':
      return 'not_found';
    default:
      // an unexpected code is a refusal, never a success
      return Object.hasOwn(ADMIN_API_ERRORS, serviceError) ? (serviceError as AdminApiErrorCode) : 'not_allowed';
  }
}

/** The statuses each route may answer, and their descriptions in the OpenAPI document. */
export const ADMIN_ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: '`invalid_request` (the message names the field), or an input problem: `email_invalid`, `phone_invalid`, `reason_missing`, `reason_too_long`.',
  401: '`unauthorized`: the API key is missing, malformed, unknown, revoked or expired (one answer for all).',
  403: '`scope_missing`: the key lacks a scope this call needs; `needs_global_admin`: the account is an administrator (keys act on users only); `caller_not_verified`: verify the caller first (`POST /users/{id}/verify-caller`, then `/verify-caller/confirm`).',
  404: '`not_found`: no such id in the key’s organisation (another organisation’s ids answer the same).',
  409: '`no_methods` (nothing to send a link to), `request_closed` (the help request was already answered) or `not_directory_account` (nothing to unlock).',
  502: '`directory_not_allowed`, `directory_tls_required` or `directory_rejected`: the directory refused (a rights or settings problem; the diagnostic is in the audit log).',
  503: '`directory_unreachable`: no directory server answered in time; nothing was changed.',
};

/** The OpenAPI security scheme of the admin API (a bearer API key). */
export const ADMIN_API_KEY_SCHEME = 'apiKey';
/** The security and tag of every admin API route in the OpenAPI document. */
export const ADMIN_SECURITY = [{ [ADMIN_API_KEY_SCHEME]: [] as string[] }];
export const ADMIN_TAGS = ['admin'];

type ResponseSpec = { description: string; content: { 'application/json': { schema: z.ZodType } } };

/**
 * An admin API route's responses in the OpenAPI document: its success schema, and an Error body for
 * 401, 403 and each of `errorStatuses`, described by ADMIN_ERROR_DESCRIPTIONS (or `descriptions`,
 * for statuses a route family words its own way).
 */
export function adminResponses(
  success: readonly [number, z.ZodType, string],
  errorStatuses: readonly number[],
  descriptions: Readonly<Record<number, string>> = {},
): Record<number, ResponseSpec> {
  const json = (schema: z.ZodType, description: string): ResponseSpec => ({
    description,
    content: { 'application/json': { schema } },
  });
  const out: Record<number, ResponseSpec> = { [success[0]]: json(success[1], success[2]) };
  for (const status of [401, 403, ...errorStatuses])
    out[status] = json(ErrorBodySchema, ADMIN_ERROR_DESCRIPTIONS[status] ?? descriptions[status] ?? 'Error.');
  return out;
}

export function sendAdminApiError(
  request: FastifyRequest,
  reply: FastifyReply,
  code: AdminApiErrorCode,
  /** Replaces the catalogue's words: already in the request's language (`request.i18n.t`). */
  message?: string,
): FastifyReply {
  if (code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="sspr-admin-api"');
  // the request's language (Accept-Language or the sspr_lang cookie); the code never changes
  const i18n = (request.i18n as typeof request.i18n | null) ?? null;
  const body: ErrorBody = { error: { code, message: message ?? adminApiMessage(i18n, code), requestId: request.id } };
  return reply.code(ERROR_STATUS[code]).type('application/json; charset=utf-8').send(body);
}
