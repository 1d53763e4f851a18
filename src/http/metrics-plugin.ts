import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../service/app.ts';

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

export interface MetricsPluginOptions {
  readonly app: App;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time. */
export function bearerMatches(request: FastifyRequest, tokenDigest: Buffer): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return false;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), tokenDigest);
}

/**
 * Request latency for every route of the server (an `onResponse` hook at the root: the plugin
 * is not encapsulated) and `GET /metrics` in the Prometheus text format. /metrics exists only
 * when `SSPR_METRICS_TOKEN` is set, and answers only requests that carry it as a bearer token
 * (401 otherwise); without the setting it is a 404 like any unknown path.
 */
async function metricsPluginImpl(fastify: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const { app } = options;
  const metrics = app.metrics;
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    // the route pattern, never the raw URL (ids and tokens would make labels without end)
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  const token = app.config.metrics_token;
  if (!token) return;
  const tokenDigest = digest(token);
  fastify.get(METRICS_PATH, { schema: { hide: true } as object }, async (request, reply) => {
    if (!bearerMatches(request, tokenDigest)) {
      request.log.info({ statusCode: 401 }, 'metrics scrape without the right token');
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .type('text/plain; charset=utf-8')
        .send('unauthorized\n');
    }
    const body = await metrics.render();
    return reply.type(metrics.contentType).send(body);
  });
}

// not encapsulated: the latency hook must see every route of the server
export const metricsPlugin = Object.assign(metricsPluginImpl, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'sspr-metrics',
});
