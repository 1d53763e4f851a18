import type { FastifyReply, FastifyRequest } from 'fastify';
import { isErrorCode, type ErrorCode } from '../core/error-codes.ts';
import type { I18n, MessageId } from '../core/i18n.ts';
import { ErrorPage } from './views/error-page.tsx';
import { renderPage } from './views/layout.tsx';
import { isUnavailableError } from './unavailable.ts';
import { supportReference } from './support-reference.ts';

/**
 * The one HTTP status of every error code of the catalogue (src/core/error-codes.ts). Pages, the
 * reset API, the admin API and the consoles all answer with these: 404 nothing to see (another
 * tenant's ids included), 410 something that is over, 403 not allowed, 409 a state that does not
 * allow it, 429 wait and retry, 503 a dependency is down, 400 everything else a person can fix.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf_invalid: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,

  login_invalid: 400,
  captcha_failed: 400,
  flow_not_found: 404,
  flow_expired: 410,
  flow_completed: 410,
  wrong_step: 400,
  wrong_browser: 403,
  invalid_code: 400,
  code_superseded: 400,
  code_malformed: 400,
  passkey_refused: 400,
  method_cooling_off: 403,
  sms_paused: 403,
  resend_too_soon: 429,
  too_many_codes: 400,
  sending_limit: 429,
  phone_invalid: 400,
  email_invalid: 400,
  password_mismatch: 400,
  password_reused: 400,
  password_too_short: 400,
  password_too_long: 400,
  password_common: 400,
  password_personal: 400,
  password_repetitive: 400,

  directory_too_short: 400,
  directory_not_complex: 400,
  directory_in_history: 400,
  directory_too_young: 409,
  directory_locked: 403,
  directory_disabled: 403,
  directory_must_change: 409,
  directory_tls_required: 502,
  directory_not_allowed: 502,
  directory_unreachable: 503,
  directory_rejected: 502,

  method_unchanged: 400,
  email_is_login: 400,
  phone_country_not_allowed: 400,
  sms_unavailable: 400,
  nothing_pending: 400,

  invalid_credentials: 400,
  signin_throttled: 429,

  other_tenant: 404,
  self: 403,
  needs_global_admin: 403,
  scope_missing: 403,
  not_allowed: 403,
  account_not_found: 404,
  not_directory_account: 409,
  no_methods: 409,
  mode_not_allowed: 403,
  link_invalid: 404,
  link_expired: 410,
  grant_invalid: 403,
  caller_not_verified: 403,
  approval_required: 403,
  own_request: 403,
  approval_not_found: 404,

  tenant_not_found: 404,
  tenant_name_invalid: 400,
  tenant_exists: 409,
  domain_invalid: 400,
  domain_taken: 409,
  display_name_invalid: 400,
  role_invalid: 400,
  method_kind_invalid: 400,
  login_taken: 400,
  account_invalid: 400,
  operator_login_invalid: 400,
  import_header_invalid: 400,
  import_format_unknown: 400,
  invalid_directory_settings: 400,
  directory_not_configured: 404,
  look_invalid: 400,
  host_taken: 409,
  logo_empty: 400,
  logo_too_large: 413,
  logo_not_image: 415,

  message_missing: 400,
  message_too_long: 400,
  request_not_found: 404,
  request_closed: 409,
  reason_missing: 400,
  reason_too_long: 400,
  ticket_not_found: 404,
  ticket_closed: 409,
  note_missing: 400,
  note_too_long: 400,
  verification_required: 409,
  target_invalid: 400,
  already_admin: 409,

  name_invalid: 400,
  scopes_missing: 400,
  scope_unknown: 400,
  expiry_invalid: 400,
  key_not_found: 404,
  already_revoked: 400,

  from_invalid: 400,
  to_invalid: 400,
  range_reversed: 400,

  transition_not_allowed: 500,
} as const satisfies Record<ErrorCode, number>;

/**
 * The status of a code. A code outside the catalogue is a bug the catalogue test looks for; it
 * answers 400 like a problem a person can fix, never a success.
 */
export function httpStatus(code: string): number {
  return isErrorCode(code) ? ERROR_STATUS[code] : 400;
}

/**
 * The one place that maps error codes to an HTTP status and the words a person reads. Handlers
 * turn an expected failure (a `Result` error code) into a response with `sendError`; anything
 * thrown ends in the error handler, which classifies it with `classifyError`. A 5xx never shows
 * the error's own message or stack: those go to the log, with the request id. Pages show a support
 * reference (`support-reference.ts`) instead of the request id; JSON bodies keep the request id.
 */
export interface ErrorSpec {
  readonly status: number;
  /** Short heading for the HTML page. */
  readonly title: string;
  /** One or two sentences for a person; also the `message` of the JSON body. */
  readonly message: string;
}

export const HTTP_ERRORS = {
  bad_request: {
    title: 'Something is wrong with the request',
    message: 'The request could not be understood. Please go back and try again.',
  },
  invalid_request: {
    title: 'Some fields are not valid',
    message: 'Some of the values sent are missing or not valid.',
  },
  unauthorized: {
    title: 'Please sign in',
    message: 'You need to sign in to see this page.',
  },
  forbidden: {
    title: 'Not allowed',
    message: 'You are not allowed to do this.',
  },
  csrf_invalid: {
    title: 'This form has expired',
    message: 'This form expired or was sent from another page. Please go back, reload the page and try again.',
  },
  not_found: {
    title: 'Page not found',
    message: 'There is nothing at this address. Check the link, or start again from the home page.',
  },
  method_not_allowed: {
    title: 'Not allowed',
    message: 'This address does not accept that kind of request.',
  },
  payload_too_large: {
    title: 'Too much data',
    message: 'The data sent is too large.',
  },
  unsupported_media_type: {
    title: 'Unsupported format',
    message: 'The data was sent in a format this service does not accept.',
  },
  rate_limited: {
    title: 'Too many requests',
    message: 'Too many requests were made in a short time. Please wait a minute and try again.',
  },
  internal_error: {
    title: 'Something went wrong',
    message: 'Something went wrong on our side. Please try again in a moment.',
  },
  service_unavailable: {
    title: 'Temporarily unavailable',
    message: 'The service is temporarily unavailable. Please try again in a moment.',
  },
} as const satisfies Partial<Record<ErrorCode, Omit<ErrorSpec, 'status'>>>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/**
 * The title and message of an HTTP error in a person's language: `http.<code>.title` / `.message`
 * of the catalogues (the English catalogue holds the words of HTTP_ERRORS, word for word).
 */
export function httpErrorIn(
  i18n: Pick<I18n, 't'> | null,
  code: HttpErrorCode,
): { readonly title: string; readonly message: string } {
  if (!i18n) return HTTP_ERRORS[code];
  return {
    title: i18n.t(`http.${code}.title` as MessageId),
    message: i18n.t(`http.${code}.message` as MessageId),
  };
}

export function isHttpErrorCode(code: string): code is HttpErrorCode {
  return Object.hasOwn(HTTP_ERRORS, code);
}

/** The status and words for a code; unknown codes are treated as an internal error. */
export function describeError(code: string): ErrorSpec & { readonly code: HttpErrorCode } {
  const known: HttpErrorCode = isHttpErrorCode(code) ? code : 'internal_error';
  return { code: known, status: ERROR_STATUS[known], ...HTTP_ERRORS[known] };
}

const BY_STATUS: Readonly<Record<number, HttpErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Fastify (and its plugins') error codes whose meaning we know. */
const BY_FRAMEWORK_CODE: Readonly<Record<string, HttpErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
  FST_ERR_VALIDATION: 'invalid_request',
  FST_ERR_BAD_URL: 'bad_request',
  FST_ERR_MAX_PARAM_LENGTH: 'bad_request',
  FST_CSRF_INVALID_TOKEN: 'csrf_invalid',
  FST_CSRF_MISSING_SECRET: 'csrf_invalid',
};

/**
 * What a thrown error means for the client. Only 4xx errors carrying a status (Fastify's own,
 * plugins', or an `HttpError`) keep a specific code; everything else is a 500.
 */
export function classifyError(error: unknown): ErrorSpec & { readonly code: HttpErrorCode } {
  if (error instanceof HttpError) return { ...describeError(error.code), status: error.status };
  // the database (or another dependency) is down: 503, the transaction rolled back
  if (isUnavailableError(error)) return describeError('service_unavailable');
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    statusCode?: unknown;
    validation?: unknown;
  };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status < 400 || status >= 500)
    return status === 503 ? describeError('service_unavailable') : describeError('internal_error');
  if (e.validation !== undefined) return describeError('invalid_request');
  const byCode = typeof e.code === 'string' ? BY_FRAMEWORK_CODE[e.code] : undefined;
  if (byCode) return { ...describeError(byCode), status };
  return { ...describeError(BY_STATUS[status] ?? 'bad_request'), status };
}

/**
 * For a handler that wants to stop with a known HTTP error from deep inside (a preHandler, say).
 * Expected failures of the service layer are values; map them with `sendError` instead.
 */
export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    status?: number,
  ) {
    super(code);
    this.name = 'HttpError';
    this.status = status ?? ERROR_STATUS[code];
  }
}

/** Browsers asking for HTML get a page; API clients (and everything under /api/) get JSON. */
export function wantsHtml(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return false;
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly requestId: string };
}

/**
 * Sends the error response for `code`: an HTML page or `{error: {code, message, requestId}}`.
 * `code` may be any stable code; its status and message come from `HTTP_ERRORS` (unknown codes
 * become `internal_error`), unless given in `override`.
 */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  code: string,
  override: Partial<ErrorSpec> = {},
): FastifyReply {
  const described = describeError(code);
  // the words in the request's language (Accept-Language, the sspr_lang cookie); the code never changes
  const i18n = (request.i18n as typeof request.i18n | null) ?? null;
  const spec = { ...described, ...httpErrorIn(i18n, described.code), ...override };
  reply.code(spec.status);
  if (wantsHtml(request)) {
    return reply.type('text/html; charset=utf-8').send(
      renderPage(
        ErrorPage({
          status: spec.status,
          title: spec.title,
          message: spec.message,
          reference: supportReference(request, spec.code),
        }),
        (request.i18n as typeof request.i18n | null) ?? 'en',
      ),
    );
  }
  const body: ErrorBody = { error: { code: spec.code, message: spec.message, requestId: request.id } };
  return reply.type('application/json; charset=utf-8').send(body);
}
