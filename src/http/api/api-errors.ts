import type { FastifyReply, FastifyRequest } from 'fastify';
import type { I18n } from '../../core/i18n.ts';
import { problemIn, STEP_PROBLEMS, withTime, type StepProblemId } from '../../core/ui-text.ts';
import { describeError, ERROR_STATUS, HTTP_ERRORS, httpErrorIn, type ErrorBody } from '../errors.ts';

/**
 * The reset API's error codes: the service's StepError codes (and the start problems), with the
 * words of `core/ui-text.ts` and the statuses of `ERROR_STATUS` (../errors.ts), the same as the
 * pages': 404 no flow for this secret, 410 a flow that is over (expired or already finished), 403
 * a link used without the flow's secret, 429 too soon or too many requests, 400 everything else.
 * Codes that are not reset problems (`invalid_request`, `payload_too_large`, …) come from
 * `HTTP_ERRORS` in ../errors.ts.
 */
export const API_ERROR_CODES: readonly StepProblemId[] = Object.keys(STEP_PROBLEMS) as StepProblemId[];

export type ApiErrorCode = StepProblemId | 'invalid_request';

/**
 * The status and message for an API error code (unknown codes are a bug: 500); `detail`: a step's
 * detail (a time). With `i18n` in another language than English, a reset problem's message is the
 * catalogue's `problem.<code>.message` in that language (the code itself never changes); English
 * stays the words of STEP_PROBLEMS.
 */
export function describeApiError(
  code: string,
  detail?: string,
  i18n?: Pick<I18n, 'locale' | 't' | 'when'> | null,
): { code: string; status: number; message: string } {
  if (Object.hasOwn(STEP_PROBLEMS, code)) {
    const id = code as StepProblemId;
    const message =
      i18n && i18n.locale !== 'en' ? problemIn(i18n, id, detail).message : withTime(STEP_PROBLEMS[id], detail).message;
    return { code: id, status: ERROR_STATUS[id], message };
  }
  if (Object.hasOwn(HTTP_ERRORS, code)) {
    const spec = describeError(code);
    return { code, status: spec.status, message: httpErrorIn(i18n ?? null, spec.code).message };
  }
  return { code: 'internal_error', status: 500, message: httpErrorIn(i18n ?? null, 'internal_error').message };
}

/**
 * Sends `{error: {code, message, requestId}}` for a reset problem. `retryAfterMs` adds a
 * `Retry-After` header (whole seconds, at least 1); `message` replaces the catalogue's words.
 */
export function sendApiError(
  request: FastifyRequest,
  reply: FastifyReply,
  code: string,
  options: { retryAfterMs?: number | undefined; message?: string; detail?: string | undefined } = {},
): FastifyReply {
  // the request's language (Accept-Language or the sspr_lang cookie, resolved by the i18n plugin)
  const i18n = (request.i18n as typeof request.i18n | null) ?? null;
  const spec = describeApiError(code, options.detail, i18n);
  if (options.retryAfterMs !== undefined && spec.status === 429)
    reply.header('retry-after', String(Math.max(1, Math.ceil(options.retryAfterMs / 1000))));
  const body: ErrorBody = {
    error: { code: spec.code, message: options.message ?? spec.message, requestId: request.id },
  };
  return reply.code(spec.status).type('application/json; charset=utf-8').send(body);
}

interface ValidationIssue {
  readonly keyword?: string;
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

/**
 * A message for a body that failed validation: it names the first field at fault and what is
 * wrong with it, in our words — never the value sent (it may be a password or a code) and never
 * the validator's own message.
 */
export function validationMessage(validation: readonly ValidationIssue[], context: string | undefined): string {
  const issue = validation[0];
  const path = (issue?.instancePath ?? '').split('/').filter((p) => p.length > 0);
  const where = context === 'body' || context === undefined ? 'request body' : context;
  if (!issue || path.length === 0) return `The ${where} must be a JSON object.`;
  const field = path.map((p) => (/^[A-Za-z0-9_]{1,40}$/.test(p) ? p : '?')).join('.');
  const params = issue.params ?? {};
  switch (issue.keyword) {
    case 'invalid_type':
      // zod leaves the value out of its issues; its own message says what it received
      return /received undefined/.test(issue.message ?? '')
        ? `The field "${field}" is required.`
        : `The field "${field}" must be a ${String(params.expected ?? 'value of another type')}.`;
    case 'too_big':
      return `The field "${field}" is too long.`;
    case 'too_small':
      return `The field "${field}" is too short.`;
    default:
      return `The field "${field}" is not valid.`;
  }
}
