import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../service/app.ts';
import { requestContext } from './forms.ts';
import { flowCookieSpec, parseFlowCookie } from './reset/flow-cookie.ts';

/**
 * Support references on error pages. People see one kind of reference: `SUP-XXXX-XXXX`, the same
 * kind a help request gets, which the support console (any) and the admin console (their tenant's)
 * can look up. Request ids stay in the logs: the log line of the reference names it.
 *
 * A page asks `supportReference(request, code)` while rendering; after the response, the
 * reference is filed (`app.help.recordShownReference`) with the status, code, path and request id,
 * under the tenant of the reset flow bound to the browser when there is one. Pages that need no
 * investigation show none, so a scanner cannot fill the audit log: a wrong address (404/405) and
 * "too many requests" (429, written nowhere under load).
 */

/**
 * Filed references per client address and window, per instance: an error page costs two inserts,
 * and nothing else stops a client from asking for error pages in a loop. Beyond this the reference
 * is still shown and logged, but not filed.
 */
export const FILED_PER_IP = 20;
export const FILED_WINDOW_MS = 10 * 60_000;
const TRACKED_IPS_MAX = 10_000;

/** Codes whose pages show no reference. */
const NO_REFERENCE: ReadonlySet<string> = new Set(['not_found', 'method_not_allowed', 'rate_limited']);

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by `registerSupportReferences` on the root instance. */
    ssprSupportReferences?: { next(): string };
  }
}

const pending = new WeakMap<FastifyRequest, { reference: string; code: string }>();

/** The reference to show on this request's error page, or null for pages that show none. */
export function supportReference(request: FastifyRequest, code: string): string | null {
  if (NO_REFERENCE.has(code)) return null;
  const known = pending.get(request);
  if (known) return known.reference;
  const maker = request.server.ssprSupportReferences;
  if (!maker) return null;
  const reference = maker.next();
  pending.set(request, { reference, code });
  request.log.info({ supportReference: reference, errorCode: code }, 'support reference shown');
  return reference;
}

/** Root-level: makes references and files each one after its response was sent. */
export function registerSupportReferences(fastify: FastifyInstance, app: App): void {
  const flowCookie = flowCookieSpec(app.config.public_url).name;
  fastify.decorate('ssprSupportReferences', { next: () => app.help.newErrorReference() });
  const perIp = new Map<string, { start: number; count: number }>();
  const withinBudget = (ip: string): boolean => {
    const now = app.clock.now();
    const seen = perIp.get(ip);
    if (!seen || now - seen.start >= FILED_WINDOW_MS) {
      if (perIp.size >= TRACKED_IPS_MAX) perIp.clear();
      perIp.set(ip, { start: now, count: 1 });
      return true;
    }
    seen.count++;
    return seen.count <= FILED_PER_IP;
  };
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const shown = pending.get(request);
    if (!shown) return;
    pending.delete(request);
    if (!withinBudget(request.ip)) {
      request.log.warn(
        { supportReference: shown.reference },
        'support reference not filed: too many from this address',
      );
      return;
    }
    const cookies = (request as { cookies?: Record<string, string | undefined> }).cookies;
    try {
      const filed = await app.help.recordShownReference(
        {
          reference: shown.reference,
          status: reply.statusCode,
          code: shown.code,
          path: request.url.split('?')[0] ?? '/',
          requestId: request.id,
          flow: parseFlowCookie(cookies?.[flowCookie]),
        },
        requestContext(request),
      );
      if (!filed) request.log.warn({ supportReference: shown.reference }, 'support reference already taken');
    } catch (error) {
      // the database is down (a 503 page, say): the log line above still ties the reference to the request
      request.log.warn({ err: error, supportReference: shown.reference }, 'support reference not recorded');
    }
  });
}
