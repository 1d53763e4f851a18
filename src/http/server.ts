import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { App } from '../service/app.ts';
import type { DirectoryHealthEntry } from '../service/directory-health.ts';
import type { DevOutboxEntry, DevOutboxReader } from '../ports/messaging.ts';
import { errorCodeOf, LOG_REDACT_PATHS, serializeError } from './log-redaction.ts';
import { classifyError, sendError } from './errors.ts';
import { registerSupportReferences } from './support-reference.ts';
import { sendHtml } from './send-html.ts';
import { registerI18n } from './i18n-plugin.ts';
import { lookOnErrorPage, registerLook } from './look-plugin.ts';
import { DevOutboxPage } from './views/dev-outbox-page.tsx';
import { resetApiPlugin } from './api/reset-api-plugin.ts';
import { resetPagesPlugin } from './reset/pages-plugin.ts';
import { metricsPlugin } from './metrics-plugin.ts';
import { registerSessions } from './account/session.ts';
import { consoleStepPlugin } from './account/console-step-plugin.ts';
import { accountPlugin } from './account/account-plugin.ts';
import { adminPlugin } from './admin/admin-plugin.ts';
import { verifyCallPlugin } from './help/verify-call-plugin.ts';
import { callerPasskeyPlugin } from './help/caller-passkey-plugin.ts';
import { assistedResetPlugin } from './admin/assisted-reset-plugin.ts';
import { securityInfoPlugin } from './account/security-info-plugin.ts';
import { insightsPlugin } from './admin/insights-plugin.ts';
import { apiKeysPlugin } from './admin/api-keys-plugin.ts';
import { directoryPlugin } from './admin/directory-plugin.ts';
import { lookConsolePlugin } from './admin/look-console-plugin.ts';
import { helpPlugin } from './help/help-plugin.ts';
import { requestsPlugin } from './admin/requests-plugin.ts';
import { supportPlugin } from './support/support-plugin.ts';
import { namedPlugin } from './plugin-name.ts';

/** Largest request body accepted, in bytes: forms and small JSON documents only. */
export const BODY_LIMIT = 64 * 1024;
/** How long `/readyz` waits for the database. */
export const READY_TIMEOUT_MS = 2_000;
/** An incoming `X-Request-Id` is kept only when it looks like this; otherwise we make one. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
export const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=()';
const HEALTH_PATHS = new Set(['/healthz', '/readyz']);
export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

export interface BuildServerOptions {
  /**
   * Fastify's logger. Default: the App's own logger (`app.log`), so that one pino instance with
   * one set of redaction rules writes everything. `false`: no request logs. `true` or pino
   * options: a new pino logger (redaction paths and the request serializer are always added).
   */
  readonly logger?: boolean | object;
  /**
   * Fastify's `pluginTimeout` (ms a plugin may take to load; 0: no limit). Default: Fastify's own
   * (10 s), which `sspr serve` keeps. The in-process test servers pass a longer one: on a 2-core
   * machine running several test processes and Chromium at once, a process got so little CPU
   * that registering the plugins (no I/O in them) passed 10 s of wall time (CI log at e401396:
   * "Plugin did not start in time: '@fastify/cookie'").
   */
  readonly pluginTimeout?: number;
}

/** `SSPR_TRUST_PROXY` (comma-separated addresses/CIDRs) as Fastify's `trustProxy`. */
export function parseTrustProxy(value: string | undefined): false | string[] {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return list.length > 0 ? list : false;
}

/** The request as it appears in logs: no query string (it may carry a token), no headers. */
export function serializeRequest(req: FastifyRequest): Record<string, unknown> {
  const url = typeof req.url === 'string' ? req.url : '';
  const q = url.indexOf('?');
  return {
    method: req.method,
    url: q === -1 ? url : url.slice(0, q),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

function genReqId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
}

function isPino(log: unknown): log is FastifyBaseLogger {
  const l = log as Partial<Record<string, unknown>> | null;
  return (
    l !== null &&
    typeof l === 'object' &&
    typeof l.level === 'string' &&
    ['info', 'error', 'debug', 'fatal', 'warn', 'trace', 'child'].every((m) => typeof l[m] === 'function')
  );
}

function loggerOptions(app: App, option: boolean | object | undefined): Partial<FastifyServerOptions> {
  const serializers = { req: serializeRequest, err: serializeError };
  if (option === false) return { logger: false };
  if (option === undefined && isPino(app.log)) {
    // A child with our request serializer: Fastify merges the instance's serializers over its own.
    return { loggerInstance: app.log.child({}, { serializers }) };
  }
  const base = typeof option === 'object' && option !== null ? (option as Record<string, unknown>) : {};
  return {
    logger: {
      level: app.config.log_level,
      ...base,
      redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' },
      serializers: { ...(base.serializers as object | undefined), ...serializers },
    },
  };
}

/** Security headers set by helmet on every response. CSP: no inline script or style, nothing external. */
export function helmetOptions(app: App): FastifyHelmetOptions {
  const https = app.config.public_url.startsWith('https:');
  return {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    strictTransportSecurity: https ? { maxAge: 63_072_000, includeSubDomains: true, preload: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  };
}

type RawHelmet = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The `helmet` middleware that @fastify/helmet wraps, resolved from @fastify/helmet's own
 * location (no extra dependency). Its headers are worked out once for every response
 * (`headersOf`), and it runs as is for the few responses Fastify sends before any hook runs
 * (malformed URLs), so that they carry the same headers.
 */
function rawHelmet(options: FastifyHelmetOptions): RawHelmet {
  const requireFromPlugin = createRequire(createRequire(import.meta.url).resolve('@fastify/helmet'));
  const helmet = requireFromPlugin('helmet') as (opts: object) => RawHelmet;
  const {
    global: _global,
    enableCSPNonces: _nonces,
    ...rest
  } = options as FastifyHelmetOptions & {
    enableCSPNonces?: boolean;
  };
  return helmet(rest);
}

/** The headers a helmet middleware sets (none of ours depends on the request), as a plain object. */
function headersOf(middleware: RawHelmet): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  // a stand-in request and response: helmet only sets (and removes) headers
  middleware({ headers: {} } as IncomingMessage, res as unknown as ServerResponse, (err) => {
    if (err) throw err instanceof Error ? err : new Error(String(err));
  });
  return headers;
}

function newestFirst(reader: DevOutboxReader): DevOutboxEntry[] {
  return reader
    .list()
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => b.entry.at - a.entry.at || a.index - b.index)
    .map(({ entry }) => entry);
}

/** Each tenant's directory as `/readyz` reports it; null when the report takes longer than `ms`. */
async function directoriesWithin(app: App, ms: number): Promise<readonly DirectoryHealthEntry[] | null> {
  if (!app.directoryHealth) return null;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      app.directoryHealth.report().catch(() => null),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function pingWithin(app: App, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      app.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Builds the HTTP server around an App. Never listens: tests call `inject()`, `serve()` listens.
 * Sets up request ids, security headers, error pages, health checks, the stylesheet and (in
 * development) the dev outbox. Feature plugins (pages, JSON API) are registered on the returned
 * instance before it is ready.
 */
export async function buildServer(app: App, options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const helmetConfig = helmetOptions(app);
  const applyRawHelmet = rawHelmet(helmetConfig);

  function baseHeaders(request: FastifyRequest, reply: FastifyReply): void {
    reply.header('x-request-id', request.id);
    reply.header('permissions-policy', PERMISSIONS_POLICY);
  }

  const fastify = Fastify({
    ...loggerOptions(app, options.logger),
    ...(options.pluginTimeout !== undefined ? { pluginTimeout: options.pluginTimeout } : {}),
    trustProxy: parseTrustProxy(app.config.trust_proxy),
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    genReqId,
    return503OnClosing: true,
    requestTimeout: 30_000,
    // Probes hit these every few seconds: no "incoming request"/"request completed" lines for them.
    logController: new LogController({ disableRequestLogging: (request) => HEALTH_PATHS.has(request.url) }),
    frameworkErrors(error, request, reply) {
      // Malformed URLs are answered before any hook runs: add the same headers by hand.
      applyRawHelmet(request.raw, reply.raw, () => {});
      baseHeaders(request, reply);
      reply.header('cache-control', 'no-store');
      const problem = classifyError(error);
      request.log.info({ errorCode: errorCodeOf(error), statusCode: problem.status }, 'request rejected');
      // the tenant's look when the host names one (never throws)
      void lookOnErrorPage(app, request).then(() =>
        sendError(request, reply, problem.code, { status: problem.status }),
      );
    },
  });

  // helmet's headers are the same on every response: worked out once here, not per request
  // (@fastify/helmet builds helmet's middleware again for each request: a tenth of a refused
  // junk start's CPU)
  const securityHeaders = headersOf(applyRawHelmet);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    baseHeaders(request, reply);
    done();
  });
  // request latency for every route, and /metrics when SSPR_METRICS_TOKEN is set
  await fastify.register(namedPlugin(metricsPlugin), { app });
  // error pages show a support reference (SUP-…), filed after the response for the consoles to find
  registerSupportReferences(fastify, app);
  // Pages and API responses are never cached; a file under /static/ sets its own Cache-Control.
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  // error pages carry the tenant's look when the session or the host names the tenant, also when
  // the request failed before the pages' hooks ran (look-plugin.ts); not when the database is down
  fastify.setErrorHandler(async (error, request, reply) => {
    const problem = classifyError(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    // 4xx: the code is enough, and a parser's message may quote the body.
    else request.log.info({ errorCode: errorCodeOf(error), statusCode: problem.status }, 'request rejected');
    if (problem.code !== 'service_unavailable') await lookOnErrorPage(app, request);
    return sendError(request, reply, problem.code, { status: problem.status });
  });
  fastify.setNotFoundHandler(async (request, reply) => {
    await lookOnErrorPage(app, request);
    return sendError(request, reply, 'not_found');
  });

  await fastify.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'ignore',
    maxAge: app.config.production ? '1h' : 0,
  });

  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (request, reply) => {
    // With Redis: says whether it answers, without failing the instance (limits fall back to
    // per-process counts; code checks answer 503 meanwhile)
    const limiter = app.limiterHealth?.() ?? null;
    const extra = async () => (limiter ? { limiter: await limiter } : {});
    try {
      await pingWithin(app, READY_TIMEOUT_MS);
      // Each tenant's directory (once the database answers: the report reads the tenants there):
      // reported, never failing readiness (one tenant's directory down must not take every
      // tenant's resets out of the load balancer); bounded like the database's ping
      const directories = await directoriesWithin(app, READY_TIMEOUT_MS);
      return {
        status: 'ready',
        database: 'ok',
        ...(await extra()),
        ...(directories && directories.length > 0 ? { directories } : {}),
      };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: database unreachable');
      return reply.code(503).send({ status: 'not_ready', database: 'unreachable', ...(await extra()) });
    }
  });

  const devOutbox = app.devOutbox;
  if (devOutbox) {
    fastify.get('/dev/outbox.json', async () => ({ messages: newestFirst(devOutbox) }));
    fastify.get('/dev/outbox', async (_request, reply) =>
      sendHtml(reply, DevOutboxPage({ messages: newestFirst(devOutbox) })),
    );
  }

  await registerSessions(fastify, app);
  // request.i18n (the page's language) and GET /language (the switcher); after the sessions, so
  // that a signed-in person's saved language is known (request.auth)
  await registerI18n(fastify, app);
  await registerLook(fastify, app); // request.i18n.look: the tenant's look (session's tenant, else the host's)
  await fastify.register(namedPlugin(securityInfoPlugin), { app }); // before the account pages: its /account prompt hook is root-level
  await fastify.register(namedPlugin(accountPlugin), { app });
  await fastify.register(namedPlugin(consoleStepPlugin), { app }); // /signin/second-factor, /support/second-factor (the consoles' second step)
  await fastify.register(namedPlugin(resetApiPlugin), { app });
  await fastify.register(namedPlugin(resetPagesPlugin), { app });
  await fastify.register(namedPlugin(adminPlugin), { app }); // /admin users, /admin/users/:id, /admin/policy
  await fastify.register(namedPlugin(assistedResetPlugin), { app }); // /reset/assisted (admin-assisted reset links)
  await fastify.register(namedPlugin(insightsPlugin), { app }); // /admin/audit, /admin/insights
  await fastify.register(namedPlugin(apiKeysPlugin), { app }); // /admin/api-keys
  await fastify.register(namedPlugin(directoryPlugin), { app }); // /admin/directory (directory settings and check)
  await fastify.register(namedPlugin(lookConsolePlugin), { app }); // /admin/look (the tenant's look and words)
  await fastify.register(namedPlugin(helpPlugin), { app }); // /help (help requests)
  await fastify.register(namedPlugin(verifyCallPlugin), { app }); // /verify-call (the reverse check of a help-desk call)
  await fastify.register(namedPlugin(callerPasskeyPlugin), { app }); // /caller-passkey (caller verification by passkey)
  await fastify.register(namedPlugin(requestsPlugin), { app }); // /admin/requests
  await fastify.register(namedPlugin(supportPlugin), { app }); // /support (Technical Support console)

  return fastify;
}
