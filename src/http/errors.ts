import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorPage } from './views/error-page.tsx';
import { renderPage } from './views/layout.tsx';
import { isUnavailableError } from './unavailable.ts';
import { supportReference } from './support-reference.ts';

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
    status: 400,
    title: 'Something is wrong with the request',
    message: 'The request could not be understood. Please go back and try again.',
  },
  invalid_request: {
    status: 400,
    title: 'Some fields are not valid',
    message: 'Some of the values sent are missing or not valid.',
  },
  unauthorized: {
    status: 401,
    title: 'Please sign in',
    message: 'You need to sign in to see this page.',
  },
  forbidden: {
    status: 403,
    title: 'Not allowed',
    message: 'You are not allowed to do this.',
  },
  csrf_invalid: {
    status: 403,
    title: 'This form has expired',
    message: 'This form expired or was sent from another page. Please go back, reload the page and try again.',
  },
  not_found: {
    status: 404,
    title: 'Page not found',
    message: 'There is nothing at this address. Check the link, or start again from the home page.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Not allowed',
    message: 'This address does not accept that kind of request.',
  },
  payload_too_large: {
    status: 413,
    title: 'Too much data',
    message: 'The data sent is too large.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported format',
    message: 'The data was sent in a format this service does not accept.',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    message: 'Too many requests were made in a short time. Please wait a minute and try again.',
  },
  internal_error: {
    status: 500,
    title: 'Something went wrong',
    message: 'Something went wrong on our side. Please try again in a moment.',
  },
  service_unavailable: {
    status: 503,
    title: 'Temporarily unavailable',
    message: 'The service is temporarily unavailable. Please try again in a moment.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export function isHttpErrorCode(code: string): code is HttpErrorCode {
  return Object.hasOwn(HTTP_ERRORS, code);
}

/** The status and words for a code; unknown codes are treated as an internal error. */
export function describeError(code: string): ErrorSpec & { readonly code: HttpErrorCode } {
  const known: HttpErrorCode = isHttpErrorCode(code) ? code : 'internal_error';
  return { code: known, ...HTTP_ERRORS[known] };
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
    this.status = status ?? HTTP_ERRORS[code].status;
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
  const spec = { ...describeError(code), ...override };
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
      ),
    );
  }
  const body: ErrorBody = { error: { code: spec.code, message: spec.message, requestId: request.id } };
  return reply.type('application/json; charset=utf-8').send(body);
}
