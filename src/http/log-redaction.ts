import { pino } from 'pino';

/**
 * What pino must never write. Used by `createLogger` (src/compose.ts) and so by Fastify's request
 * logger too: there is one logger for everything. Paths use pino's redact syntax; a `*` matches
 * one level, so each secret field name is covered at the top level and one or two levels deep
 * (`password`, `*.password`, `*.*.password`), which includes `req.body.password`,
 * `err.details.password` and the like.
 *
 * Not redacted on purpose: `devText`, the message text the dev outbox logs in development so that
 * a developer can read codes in the console. The dev outbox is never on in production.
 */

/** Field names whose values are secrets wherever they appear. */
export const SECRET_FIELD_NAMES: readonly string[] = [
  'password',
  'newPassword',
  'confirmPassword',
  'currentPassword',
  'code',
  'token',
  'secret',
  'flowSecret',
  'sessionId',
  'session_id',
  'otp',
];

const HEADER_PATHS: readonly string[] = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'request.headers.cookie',
  'request.headers.authorization',
  'request.headers["x-api-key"]',
  'headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  // the JSON API's flow credential (src/http/api)
  'req.headers["x-flow-secret"]',
  'request.headers["x-flow-secret"]',
  'headers["x-flow-secret"]',
  'res.headers["set-cookie"]',
  'reply.headers["set-cookie"]',
  'headers["set-cookie"]',
];

export const LOG_REDACT_PATHS: readonly string[] = Object.freeze([
  ...HEADER_PATHS,
  ...SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]),
  // A request body may be logged whole by a careless handler: hide every field of it.
  'req.body.*',
  'request.body.*',
]);

/**
 * Errors as pino's standard serializer shows them, plus `errorCode`: the redaction rules hide
 * every field named `code` (verification codes), which includes `err.code`. A library's error code
 * (`ECONNREFUSED`, `FST_ERR_…`, SQLSTATE `3D000`) is worth keeping, so it is copied when it has a
 * capital letter in it — never an all-digit value, which could be a verification code.
 */
export function serializeError(error: Error): { type: string; message: string; stack: string; [key: string]: unknown } {
  const out = pino.stdSerializers.err(error);
  const code = errorCodeOf(error);
  return code === undefined ? out : { ...out, errorCode: code };
}
const ERROR_CODE_PATTERN = /^(?=.*[A-Z])[A-Z0-9_]{2,64}$/;

/** A library's error code worth logging (see `serializeError`), or undefined. */
export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ERROR_CODE_PATTERN.test(code) ? code : undefined;
}
