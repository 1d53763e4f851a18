import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../core/error-codes.ts';
import type { z } from 'zod';
import { ERROR_STATUS, HTTP_ERRORS, type ErrorBody } from '../errors.ts';
import { ErrorBodySchema } from './reset-api-schemas.ts';

/**
 * The admin API's error codes and words (statuses: `ERROR_STATUS` in ../errors.ts). Bodies are `{error: {code, message, requestId}}`
 * like the reset API's.
 * - 401 `unauthorized`: no key, a malformed, unknown, revoked or expired key — one answer for all,
 *   so that keys cannot be probed.
 * - 403: the key lacks a scope (`scope_missing`) or the rules refuse (`needs_global_admin`,
 *   `self`, `not_allowed`).
 * - 404 `not_found`: unknown ids and ids of another tenant alike (nothing reveals they exist).
 * - 409: the target is not in a state that allows it (`no_methods`, `request_closed`).
 * - 400: `invalid_request` (validation) and the services' input problems.
 */
export const ADMIN_API_ERRORS = {
  unauthorized: { message: 'Send a valid, live API key: Authorization: Bearer sspr_<keyId>_<secret>.' },
  scope_missing: { message: 'This API key does not have the scope this call needs.' },
  needs_global_admin: {
    message:
      'Only a global administrator can do this to an administrator’s account; API keys act on users only. Use the admin console.',
  },
  self: { message: 'Nobody may do this to their own account.' },
  not_allowed: { message: 'This API key may not do this.' },
  not_found: { message: 'There is no such resource in this organisation.' },
  no_methods: { message: 'The account has no registered alternate email to send a link to. Pre-fill its email first.' },
  request_closed: { message: 'This help request is already closed.' },
  email_invalid: { message: 'The value is not a valid email address.' },
  phone_invalid: {
    message: 'The value is not a valid mobile number; give it with its country code, like +447700900123.',
  },
  reason_missing: { message: 'A reason is required to dismiss a request.' },
  reason_too_long: { message: 'The reason is too long.' },
  invalid_request: { message: HTTP_ERRORS.invalid_request.message },
  invalid_directory_settings: { message: 'The directory settings were not saved; the message names each problem.' },
  not_directory_account: {
    message: 'The account’s password is kept by sspr, not by a directory: it has no directory lock to clear.',
  },
  directory_unreachable: { message: 'No directory server answered in time; nothing was changed. Try again later.' },
  directory_not_allowed: {
    message:
      'The directory did not allow the service account to do this (a rights problem); the diagnostic is in the audit log.',
  },
  directory_tls_required: {
    message: 'The directory requires an encrypted connection (a settings problem); the diagnostic is in the audit log.',
  },
  directory_rejected: {
    message: 'The directory refused, or its settings cannot be used; the diagnostic is in the audit log.',
  },
  directory_not_configured: {
    message:
      'The organisation keeps its passwords in sspr: there is no directory to check. Save settings first (PUT /directory).',
  },
  look_invalid: { message: 'The look was not saved; the message names each problem.' },
  host_taken: { message: 'Another organisation already uses this address.' },
  logo_empty: { message: 'The body is empty: send the PNG or JPEG file as the body.' },
  logo_too_large: { message: 'The logo is larger than 256 KiB: save a smaller PNG or JPEG.' },
  logo_not_image: {
    message: 'The logo must be a PNG or JPEG image that opens (SVG and other formats are not accepted).',
  },
} as const satisfies Partial<Record<ErrorCode, { message: string }>>;

export type AdminApiErrorCode = keyof typeof ADMIN_API_ERRORS;

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
  403: '`scope_missing`: the key lacks a scope this call needs; `needs_global_admin`: the account is an administrator (keys act on users only).',
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
  message?: string,
): FastifyReply {
  const spec = ADMIN_API_ERRORS[code];
  if (code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="sspr-admin-api"');
  const body: ErrorBody = { error: { code, message: message ?? spec.message, requestId: request.id } };
  return reply.code(ERROR_STATUS[code]).type('application/json; charset=utf-8').send(body);
}
